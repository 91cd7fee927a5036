/* The node's secret file. See secret.h. Start-up only, before any thread. */
#include "secret.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "ccerr.h"
#include "util.h"

/* Where data written before the secret was a file kept it (read only, to migrate). */
#define LEGACY_KEY "audit.secret"
/* 64 hex digits and a newline. */
#define SECRET_TEXT 65

void secret_default_path(const char *dir, char *buf, size_t len)
{
    snprintf(buf, len, "%s/secret", dir);
}

/* The key of old data (meta "audit.secret"): 1 found, 0 none, -1 unreadable. */
static int legacy_key(struct store *st, uint8_t key[32])
{
    MDB_txn *txn;
    if (store_read_begin(st, &txn))
        return -1;
    MDB_val v;
    int rc = store_get(txn, store_dbs(st)->meta, LEGACY_KEY, strlen(LEGACY_KEY), &v);
    int found = rc == 0 && v.mv_size == 32;
    if (found)
        memcpy(key, v.mv_data, 32);
    store_read_end(st, txn);
    return found ? 1 : rc == CC_ENOTFOUND ? 0 : -1;
}

/* Writes key to a new file at path (mode 0600), synced with its directory. */
static int create_file(const char *path, const uint8_t key[32], char *err, size_t errlen)
{
    char text[SECRET_TEXT + 1];
    hex_encode(key, 32, text);
    text[64] = '\n';
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0) {
        snprintf(err, errlen, "cannot create the secret file %s: %s", path, strerror(errno));
        return -1;
    }
    int ok = write(fd, text, SECRET_TEXT) == SECRET_TEXT && fsync(fd) == 0;
    int e = errno;
    close(fd);
    OPENSSL_cleanse(text, sizeof text);
    if (!ok) {
        unlink(path);
        snprintf(err, errlen, "cannot write the secret file %s: %s", path, strerror(e));
        return -1;
    }
    char dir[4096];
    snprintf(dir, sizeof dir, "%s", path);
    int dfd = open(dirname(dir), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd >= 0) {
        fsync(dfd);
        close(dfd);
    }
    return 0;
}

static int read_file(const char *path, uint8_t key[32], char *err, size_t errlen)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        snprintf(err, errlen, "cannot read the secret file %s: %s", path, strerror(errno));
        return -1;
    }
    char text[SECRET_TEXT + 2];
    ssize_t n = read(fd, text, sizeof text);
    close(fd);
    int bad = n < 64 || n > SECRET_TEXT || (n == SECRET_TEXT && text[64] != '\n');
    if (!bad) {
        text[64] = '\0';
        bad = hex_decode(text, key, 32) != 0;
    }
    OPENSSL_cleanse(text, sizeof text);
    if (bad) {
        snprintf(err, errlen, "the secret file %s is not 64 hex digits (and a newline)", path);
        return -1;
    }
    return 0;
}

int secret_load(struct store *st, const char *path, char *err, size_t errlen)
{
    uint8_t key[32], old[32];
    int legacy = legacy_key(st, old);
    if (legacy < 0) {
        snprintf(err, errlen, "cannot read the data's pseudonym key");
        return -1;
    }
    struct stat sb;
    int rc;
    if (stat(path, &sb) == 0) {
        rc = read_file(path, key, err, errlen);
        if (!rc && legacy && CRYPTO_memcmp(key, old, 32)) {
            snprintf(err, errlen,
                     "the secret in %s is not the one this data's audit logs were written "
                     "with: voter pseudonyms would change (use that data's own secret file)",
                     path);
            rc = -1;
        }
    } else if (errno == ENOENT) {
        if (legacy)
            memcpy(key, old, 32);
        else
            random_bytes(key, 32);
        rc = create_file(path, key, err, errlen);
    } else {
        snprintf(err, errlen, "cannot read the secret file %s: %s", path, strerror(errno));
        rc = -1;
    }
    if (!rc)
        store_set_secret(st, key);
    OPENSSL_cleanse(key, sizeof key);
    OPENSSL_cleanse(old, sizeof old);
    return rc;
}

int secret_save(const struct store *st, const char *path, char *err, size_t errlen)
{
    const uint8_t *key = store_secret(st);
    if (!key) {
        snprintf(err, errlen, "no secret to save");
        return -1;
    }
    return create_file(path, key, err, errlen);
}
