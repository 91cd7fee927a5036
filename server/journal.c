/* The journal of change records in front of LMDB. See journal.h. */
#include "journal.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util.h"

#define FRAME_MAGIC "CCJ1"
#define FRAME_HEAD 28 /* magic, be32 length, be64 seq, be64 epoch, be32 crc */

/* The file is written once with zeros to this size and then overwritten in place:
 * an fdatasync of an append must also write the inode (its size), one of an overwrite
 * only the data — 180 us against 300-430 us here (docs/performance.md, issue 16). */
#define JOURNAL_PREALLOC ((uint64_t)32 << 20)

struct journal {
    int fd;
    uint64_t size; /* bytes of this epoch's records, from offset 0 (older ones follow) */
    uint64_t epoch; /* random, new at each reset: marks this epoch's frames */
    struct ccbuf buf;
};

/* Writes len bytes at off in full. 0 or -1. */
static int write_at(int fd, const uint8_t *p, size_t len, uint64_t off)
{
    while (len) {
        ssize_t n = pwrite(fd, p, len, (off_t)off);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return -1;
        p += n, len -= (size_t)n, off += (uint64_t)n;
    }
    return 0;
}

/* Overwrites [from, to) with zeros and syncs: records there must never be read. */
static int zero_range(int fd, uint64_t from, uint64_t to)
{
    static const uint8_t zeros[65536];
    for (uint64_t off = from; off < to;) {
        size_t n = to - off < sizeof zeros ? (size_t)(to - off) : sizeof zeros;
        if (write_at(fd, zeros, n, off))
            return -1;
        off += n;
    }
    return fdatasync(fd);
}

static uint32_t crc_table[256];
static pthread_once_t crc_once = PTHREAD_ONCE_INIT;

static void crc_init(void)
{
    for (uint32_t i = 0; i < 256; i++) {
        uint32_t c = i;
        for (int k = 0; k < 8; k++)
            c = c & 1 ? (c >> 1) ^ 0x82F63B78u : c >> 1;
        crc_table[i] = c;
    }
}

uint32_t journal_crc32c(uint32_t crc, const void *data, size_t len)
{
    pthread_once(&crc_once, crc_init);
    const uint8_t *p = data;
    crc = ~crc;
    while (len--)
        crc = crc_table[(crc ^ *p++) & 0xff] ^ (crc >> 8);
    return ~crc;
}

static void path_of(const char *dir, char *out, size_t n)
{
    snprintf(out, n, "%s/journal", dir);
}

int journal_open(struct journal **out, const char *data_dir, int *busy, char *err,
                 size_t errlen)
{
    char path[4096];
    path_of(data_dir, path, sizeof path);
    *busy = 0;
    if (mkdir(data_dir, 0750) && errno != EEXIST) {
        snprintf(err, errlen, "cannot create data directory %s: %s", data_dir, strerror(errno));
        return -1;
    }
    int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0640);
    if (fd < 0) {
        snprintf(err, errlen, "cannot open the journal %s: %s", path, strerror(errno));
        return -1;
    }
    if (flock(fd, LOCK_EX | LOCK_NB)) {
        *busy = errno == EWOULDBLOCK;
        snprintf(err, errlen, "%s", *busy ? "another cocreated is using this data directory "
                 "(its journal is locked)" : strerror(errno));
        close(fd);
        return -1;
    }
    struct stat st;
    if (fstat(fd, &st)) {
        snprintf(err, errlen, "cannot stat the journal %s: %s", path, strerror(errno));
        close(fd);
        return -1;
    }
    if ((uint64_t)st.st_size < JOURNAL_PREALLOC &&
        (zero_range(fd, (uint64_t)st.st_size, JOURNAL_PREALLOC) || fsync(fd))) {
        snprintf(err, errlen, "cannot write the journal %s: %s", path, strerror(errno));
        close(fd);
        return -1;
    }
    struct journal *j = xcalloc(1, sizeof *j);
    j->fd = fd;
    j->size = 0; /* appends begin after journal_reset (start-up applies what is here) */
    random_bytes(&j->epoch, sizeof j->epoch);
    ccbuf_init(&j->buf);
    *out = j;
    return 0;
}

void journal_close(struct journal *j)
{
    if (!j)
        return;
    close(j->fd); /* releases the flock */
    ccbuf_free(&j->buf);
    free(j);
}

void journal_append(struct journal *j, uint64_t seq, const void *data, size_t len)
{
    uint8_t *h = ccbuf_reserve(&j->buf, FRAME_HEAD);
    memcpy(h, FRAME_MAGIC, 4);
    put_be32(h + 4, (uint32_t)len);
    put_be64(h + 8, seq);
    put_be64(h + 16, j->epoch);
    uint32_t crc = journal_crc32c(journal_crc32c(0, h + 8, 16), data, len);
    put_be32(h + 24, crc);
    j->buf.len += FRAME_HEAD;
    ccbuf_append(&j->buf, data, len);
}

int journal_write(struct journal *j)
{
    if (write_at(j->fd, j->buf.data, j->buf.len, j->size)) {
        /* what reached the file may be read at start-up if it is whole: wipe it */
        (void)zero_range(j->fd, j->size, j->size + j->buf.len);
        j->buf.len = 0;
        return -1;
    }
    j->size += j->buf.len;
    j->buf.len = 0;
    return 0;
}

int journal_datasync(struct journal *j)
{
    return fdatasync(j->fd);
}

int journal_reset(struct journal *j)
{
    /* The records left in the file are all at or below the checkpoint's sequence and
     * of the old epoch: new ones overwrite them from offset 0, and a reader stops at
     * the first frame of another epoch after them. */
    j->size = 0;
    random_bytes(&j->epoch, sizeof j->epoch);
    return 0;
}

uint64_t journal_size(const struct journal *j)
{
    return j->size;
}

long journal_each(const char *data_dir, uint64_t after, journal_fn fn, void *user)
{
    char path[4096];
    path_of(data_dir, path, sizeof path);
    FILE *f = fopen(path, "rb");
    if (!f)
        return errno == ENOENT ? 0 : -1;
    long given = 0;
    int started = 0;
    uint64_t epoch = 0, prev = 0;
    uint8_t h[FRAME_HEAD];
    struct ccbuf rec;
    ccbuf_init(&rec);
    /* The frames from offset 0 of the epoch of the first one, each one more than the
     * last: those above `after` are the records to apply again. */
    while (fread(h, 1, FRAME_HEAD, f) == FRAME_HEAD && !memcmp(h, FRAME_MAGIC, 4)) {
        uint32_t len = get_be32(h + 4);
        uint64_t seq = get_be64(h + 8), ep = get_be64(h + 16);
        if ((started && (ep != epoch || seq != prev + 1)) || len > JOURNAL_RECORD_MAX)
            break;
        rec.len = 0;
        uint8_t *p = ccbuf_reserve(&rec, len ? len : 1);
        if (fread(p, 1, len, f) != len ||
            journal_crc32c(journal_crc32c(0, h + 8, 16), p, len) != get_be32(h + 24))
            break; /* a torn tail */
        started = 1, epoch = ep, prev = seq;
        if (seq <= after)
            continue; /* held by the data already */
        if (seq != after + 1 + (uint64_t)given)
            break; /* records missing between the data and the journal: none applied */
        if (fn(user, seq, p, len)) {
            given = -1;
            break;
        }
        given++;
    }
    ccbuf_free(&rec);
    fclose(f);
    return given;
}

int journal_rewind(struct journal *j, uint64_t size)
{
    j->buf.len = 0;
    if (size < j->size && zero_range(j->fd, size, j->size))
        return -1;
    j->size = size;
    return 0;
}
