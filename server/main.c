/* cocreated: the Cocreate daemon. Parses flags and either runs the server (server.c)
 * or does a one-shot operator task (--make-brand, --backup, --apply-records). Where
 * everything lives:
 *   the process   startup.c start-up order, graceful shutdown   log.c  stderr log
 *                 server.c  the server object's clock and limits
 *   network       net.c     libwebsockets on libuv: sockets, frames, send queues
 *                 http.c    HTTP routes /t/ /r/ /d/ /log/ /healthz /metrics
 *                           (histo.c: its latency and batch histograms)
 *                 web.c     the web client's files (--web)   export.c  /export/
 *   protocol      proto.c   JSON envelope, dispatch, replies, req_change
 *                 session.h the per-connection state
 *                 ops.c     the op table → ops_<area>.c (auth, upload, design,
 *                           gallery, vote, contest, brand, creator, comment, results)
 *                 ratelimit.c  token buckets per account and address
 *   writes        changes.c every write is a change record (docs/changes.md): the
 *                           kinds, encoding, submit, post-commit step, replay;
 *                           change_<area>.c each kind's apply and post-commit step
 *   storage       store.c   LMDB environment, schema, growth, backup
 *                 writer.c  the group-commit writer thread (every durable change)
 *                 secret.c  the node's secret file (audit pseudonyms)
 *   records       accounts.c designs.c contests.c comments.c reports.c blobs.c
 *                 workflow.c (status moves, thresholds)  audit.c (hash-chained log)
 *   in memory     catalog.c (designs, ranked indexes, rescoring)  catalog_page.c
 *                 (queries, filters)  catalog_load.c (start-up)  rank.c (B+ tree)
 *                 creators.c (points, leaderboard)  reports.c (report counts)
 *                 score.c (SPEC §5 formulas)  scale.c + scales/<name>.c (scales)
 *                 clock.h (the clock handed to them)
 *   views         design_view.c (visibility, design JSON, windows)  snapshot.c
 *                 live.c (subscriptions, watches)
 *   after commit  changes_after.c (one sequence per event: catalog, creators,
 *                 reports, live)
 * The content kinds (validate, codec, render) are in shared/kinds/.
 * See docs/architecture.md. */
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>


#include "accounts.h"
#include "ccerr.h"
#include "changes.h"
#include "cluster.h"
#include "designs.h"
#include "journal.h"
#include "log.h"
#include "net.h"
#include "ratelimit.h"
#include "secret.h"
#include "server.h"
#include "startup.h"
#include "store.h"
#include "version.h"

/* The default of --web, in this order: an installed daemon's own copy, found from its
 * executable (/proc/self/exe) through CC_WEB_INSTALL_REL, the install's
 * DATADIR/cocreate/web relative to where the daemon is installed (CMake, e.g.
 * "../share/cocreate/web" from /usr/sbin), when it holds index.html; else CC_WEB_DIR,
 * the source tree's assets/web, so a daemon run from its build directory (tools/run, the
 * tests) serves the tree it was built from. Returns buf (a resolved path) or CC_WEB_DIR. */
static const char *default_web_dir(char *buf, size_t len)
{
    char exe[PATH_MAX], cand[PATH_MAX], index[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (n <= 0)
        return CC_WEB_DIR;
    exe[n] = '\0';
    char *slash = strrchr(exe, '/');
    if (!slash)
        return CC_WEB_DIR;
    *slash = '\0';
    int m = snprintf(cand, sizeof cand, "%s/%s", exe, CC_WEB_INSTALL_REL);
    if (m < 0 || (size_t)m >= sizeof cand || !realpath(cand, index) || strlen(index) >= len)
        return CC_WEB_DIR;
    strcpy(buf, index);
    m = snprintf(index, sizeof index, "%s/index.html", buf);
    if (m < 0 || (size_t)m >= sizeof index || access(index, R_OK))
        return CC_WEB_DIR;
    return buf;
}

static void usage(FILE *f, const char *web_default)
{
    struct rate_config d;
    rate_config_defaults(&d);
    char r[RATE_KINDS][RATE_SCOPES][32];
    for (int k = 0; k < RATE_KINDS; k++)
        for (int s = 0; s < RATE_SCOPES; s++)
            rate_rule_format(&d.rules[k][s], r[k][s], sizeof r[k][s]);
    fprintf(f,
            "usage: cocreated [OPTIONS]\n"
            "       cocreated --data DIR --make-brand NAME [--rotate]\n"
            "\n"
            "The Cocreate server: WebSocket (ws://HOST:PORT/ws, subprotocol cocreate.v1)\n"
            "and HTTP on one port, data in one LMDB environment.\n"
            "\n"
            "  --listen HOST:PORT   address to listen on (default 127.0.0.1:8080)\n"
            "  --data DIR           data directory, created if missing (default ./var)\n"
            "  --make-brand NAME    create a brand account NAME, print its token, exit\n"
            "  --rotate             with --make-brand: give the existing brand NAME a new\n"
            "                       token and end its other sessions (SPEC §7)\n"
            "  --password-cost C    argon2id cost of password hashes: default (3 passes\n"
            "                       over 64 MiB) or low (1 pass over 1 MiB: TESTS ONLY)\n"
            "  --secret FILE        the node's secret: the key of the audit log's voter\n"
            "                       pseudonyms (default DIR/secret, made at the first start,\n"
            "                       mode 0600); keep it with backups, give every node the same\n"
            "  --map-size BYTES     initial LMDB map size (default %zu); the map doubles\n"
            "                       by itself whenever it is full\n"
            "  --send-queue BYTES   per-connection send queue bound (default %u); a client\n"
            "                       that lets more pile up unread is disconnected\n"
            "  --record-cache BYTES design records kept in memory for showing designs\n"
            "                       (default 64M; 0: none): pages read fewer LMDB pages\n"
            "  --page-cache BYTES   gallery items kept by their place in the galleries'\n"
            "                       orders (default 64M; 0: none): a page of a gallery\n"
            "                       that did not change since is copied whole\n"
            "  --ws-sndbuf BYTES    kernel send buffer of a WebSocket connection (default\n"
            "                       %u, SO_SNDBUF); 0 leaves it to the kernel, which grows\n"
            "                       it to megabytes for a client that stops reading\n"
            "  --drain-ms MS        at shutdown, longest wait for requests in flight and\n"
            "                       unsent replies (default 5000)\n"
            "  --checkpoint-ms MS   one node: how often the data file is made durable and\n"
            "                       the journal emptied (default 1000); a restart after a\n"
            "                       crash of the machine applies up to that much again\n"
            "  --log-level LEVEL    error, warn, info (default) or debug\n"
            "  --web DIR            the web client's files, served at /; --web '' serves\n"
            "                       none. Default: " CC_WEB_INSTALL_REL " from the\n"
            "                       program's folder if it holds index.html (installed),\n"
            "                       else the source tree's assets/web; here:\n"
            "                       %s\n"
            "  --tls-cert FILE      serve TLS on the port (wss://HOST:PORT/ws, https://): the\n"
            "                       PEM certificate, then its chain; needs --tls-key\n"
            "  --tls-key FILE       the PEM private key of --tls-cert (read at start; a file\n"
            "                       missing, unreadable or not matching exits 2)\n"
            "\n"
            "Rate limits (SPEC 6), token buckets per account and per remote address: a rule\n"
            "N/PERIOD allows a burst of N and N per PERIOD after it (PERIOD: 10s, 1m, 1h,\n"
            "1d, ...); 'off' removes that bucket. Refusals are rate_limited with\n"
            "detail.retry_after in seconds. Brand accounts are never limited.\n"
            "  --rate-registrations ADDRESS       auth.register (default %s)\n"
            "  --rate-uploads ACCOUNT,ADDRESS     upload.begin (default %s,%s)\n"
            "  --rate-votes ACCOUNT,ADDRESS       vote.cast, vote.clear (default %s,%s)\n"
            "  --rate-comments ACCOUNT,ADDRESS    comment.post (default %s,%s)\n"
            "  --rate-logins ACCOUNT,ADDRESS      failed auth.login (default %s,%s); while\n"
            "                       a bucket is empty every login from there is refused\n"
            "  --rate-table N       most buckets kept per limit (default %d); buckets that are\n"
            "                       full again are dropped, and at the bound the one closest\n"
            "                       to full goes\n"
            "  --no-rate-limits     no rate limits at all: for benchmarks and load tests\n"
            "\n"
            "\n"
            "Cluster mode (SPEC 9; docs/operations.md): equal nodes sharing one NATS JetStream\n"
            "stream of change records. Without --cluster: one node, no NATS.\n"
            "  --cluster URL[,URL]  NATS servers, nats://H:P or tls://H:P\n"
            "  --node NAME          this node's name (1-32 of A-Z a-z 0-9 _ -), required\n"
            "  --cluster-creds FILE a NATS creds file, or one line USER:PASSWORD\n"
            "  --cluster-ca FILE    the CA that tls:// servers' certificates are checked with\n"
            "  --stream NAME        the stream (default " CLUSTER_STREAM_DEFAULT "), created on the first start\n"
            "  --stream-replicas N  its replicas (default 3; 1 for a one-server development\n"
            "                       NATS); a node refuses a stream whose settings differ\n"
            "  --stream-max-age D   drop records older than D (30d, 12h...; default: keep all)\n"
            "  --stream-max-bytes S keep at most S bytes of records (10G...; default: all)\n"
            "  --make-brand NAME with --cluster publishes the account to the stream\n"
            "\n"
            "  --record-changes FILE  TEST ONLY: append every applied change record to FILE\n"
            "  --backup OUT         write a consistent, compacted copy of --data DIR and its\n"
            "                       secret into the new directory OUT (while the server runs)\n"
            "  --apply-records FILE apply the change records of FILE (as --record-changes\n"
            "                       writes them) to --data DIR in order, then exit\n"
            "  --test-clock         TEST ONLY: the server's clock stands still (at the start\n"
            "                       time) and the op test.clock {now} or {now_ms} sets it,\n"
            "                       to move contests between phases and rate-limit buckets\n"
            "                       through time in tests; never in production\n"
            "  --version            print the version and exit\n"
            "  --help               this text\n"
            "\n"
            "SIGINT or SIGTERM stop it gracefully: no new connections, requests in flight\n"
            "are committed and answered, then it exits 0.\n",
            (size_t)STORE_DEFAULT_MAP_SIZE, NET_DEFAULT_SEND_QUEUE, NET_DEFAULT_WS_SNDBUF,
            web_default,
            r[RATE_REGISTRATIONS][RATE_ADDRESS], r[RATE_UPLOADS][RATE_ACCOUNT],
            r[RATE_UPLOADS][RATE_ADDRESS], r[RATE_VOTES][RATE_ACCOUNT], r[RATE_VOTES][RATE_ADDRESS],
            r[RATE_COMMENTS][RATE_ACCOUNT], r[RATE_COMMENTS][RATE_ADDRESS],
            r[RATE_LOGINS][RATE_ACCOUNT], r[RATE_LOGINS][RATE_ADDRESS], RATE_TABLE_DEFAULT);
}

/* Whether s is 1 to max of A-Z a-z 0-9 _ - (a node's or a stream's name). */
static int valid_name(const char *s, size_t max)
{
    size_t n = strlen(s);
    return n && n <= max &&
           strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-") == n;
}

/* Parses a duration: seconds, or a number with s, m, h or d. Returns 0 or -1. */
static int parse_duration(const char *s, int64_t *out)
{
    char *end;
    long long v = strtoll(s, &end, 10);
    if (end == s || v < 1 || s[0] == '-')
        return -1;
    long long unit = !*end ? 1 : !strcmp(end, "s") ? 1 : !strcmp(end, "m") ? 60
                   : !strcmp(end, "h") ? 3600 : !strcmp(end, "d") ? 86400 : 0;
    if (!unit || v > (1LL << 40) / unit)
        return -1;
    *out = v * unit;
    return 0;
}

/* Parses a non-negative size with an optional K/M/G suffix (powers of 1024). */
static int parse_size(const char *s, size_t *out)
{
    char *end;
    unsigned long long v = strtoull(s, &end, 10);
    if (end == s || s[0] == '-')
        return -1;
    int shift = 0;
    if (*end == 'K' || *end == 'k')
        shift = 10, end++;
    else if (*end == 'M' || *end == 'm')
        shift = 20, end++;
    else if (*end == 'G' || *end == 'g')
        shift = 30, end++;
    if (*end || v > (~0ull >> shift))
        return -1;
    *out = (size_t)(v << shift);
    return 0;
}

static int parse_listen(const char *arg, char *host, size_t hostlen, int *port)
{
    const char *colon = strrchr(arg, ':');
    if (!colon || colon == arg || (size_t)(colon - arg) >= hostlen)
        return -1;
    char *end;
    long p = strtol(colon + 1, &end, 10);
    if (*end || p < 1 || p > 65535)
        return -1;
    memcpy(host, arg, (size_t)(colon - arg));
    host[colon - arg] = '\0';
    *port = (int)p;
    return 0;
}

/* The journal of the data directory of an offline command, when no server holds it;
 * the directory, when one does (a server in journal mode keeps a checkpoint there). */
static struct journal *offline_journal;
static const char *offline_beside;

/* Ends an offline command's use of the data. Beside a server in journal mode, a
 * checkpoint at the command's last commit (kept only if newer than the server's), so
 * that a crash of the machine does not roll the data file back past it. Alone, or
 * beside a cluster node (no checkpoint: every commit syncs), its synced commits are
 * enough, and no checkpoint is made: one nothing pins must never be restored. */
static void close_offline(struct store *st)
{
    if (st && offline_beside && store_checkpoint_exists(offline_beside) &&
        store_checkpoint(st, 0))
        fprintf(stderr, "cocreated: warning: no checkpoint after this command's writes\n");
    offline_beside = NULL;
    store_close(st);
    journal_close(offline_journal);
    offline_journal = NULL;
}

/* The data directory for a command that writes it without the server (--make-brand,
 * --apply-records): the store, upgraded, with the node's secret. When no server runs
 * on it, the data file is first put back to its checkpoint and the journal's records
 * applied again, as a server's start would (journal.h); beside a running server the
 * command's commits sync, and close_offline's checkpoint keeps them across a crash
 * (the server's checkpoint pin protects the pages). NULL after saying why. */
static struct store *open_offline(const char *dir, const char *secret_path)
{
    struct store *st = NULL;
    char err[512] = "", path[4096];
    int busy = 0, restored = 0;
    uint64_t next_seq;
    if (journal_open(&offline_journal, dir, &busy, err, sizeof err) && !busy) {
        fprintf(stderr, "cocreated: %s\n", err);
        return NULL;
    }
    err[0] = '\0';
    offline_beside = busy ? dir : NULL;
    if ((!busy && store_restore_checkpoint(dir, &restored, err, sizeof err)) ||
        store_open(&st, dir, 0, err, sizeof err) ||
        (!busy && (store_set_journaled(st, 1) ||
                   changes_recover(st, dir, &next_seq, err, sizeof err) < 0 ||
                   store_set_journaled(st, 0) || journal_reset(offline_journal)))) {
        fprintf(stderr, "cocreated: %s\n", err[0] ? err : "cannot replay the journal");
        store_close(st);
        journal_close(offline_journal);
        offline_journal = NULL;
        offline_beside = NULL;
        return NULL;
    }
    if (!secret_path) {
        secret_default_path(dir, path, sizeof path);
        secret_path = path;
    }
    if (designs_upgrade(st) || secret_load(st, secret_path, err, sizeof err)) {
        fprintf(stderr, "cocreated: %s\n",
                err[0] ? err : "cannot upgrade the data to this build's schema");
        close_offline(st);
        return NULL;
    }
    return st;
}

/* A record applied to a cluster node's data alone would make it differ from the
 * others: refused (with --cluster, --make-brand publishes instead). */
static int refuse_cluster_data(struct store *st, const char *dir)
{
    uint64_t seq;
    if (!changes_stream_position(st, &seq))
        return 0;
    fprintf(stderr,
            "cocreated: %s is a cluster node's data (it follows its stream up to sequence "
            "%llu): a record applied here alone would make this node differ from the "
            "others; give --cluster and the node's NATS flags so it goes through the "
            "stream\n",
            dir, (unsigned long long)seq);
    return 1;
}

/* --make-brand NAME --rotate: a session.create record for brand NAME that ends every
 * other session of it (SPEC §7), with a fresh token. */
static struct change *brand_rotation(const char *name, char token[ACCOUNT_TOKEN_LEN + 1])
{
    char hash[65];
    change_token_new(token, hash);
    return change_new(CH_SESSION_CREATE, now_unix(), 0,
                      json_pack("{sssssssb}", "brand", name, "token_hash", hash, "device",
                                "operator", "replace", 1));
}

/* --make-brand in cluster mode: the account.create record is published to the stream,
 * and every node applies it (the name taken or not decided there, in stream order). */
static int make_brand_cluster(const struct cluster_config *cc, const char *name, int rotate)
{
    char token[ACCOUNT_TOKEN_LEN + 1], err[512], msgid[64], hex[17];
    uint8_t run[8];
    struct change *c = rotate ? brand_rotation(name, token)
                              : change_account_new(name, ROLE_BRAND, now_unix(), token);
    struct ccbuf b;
    ccbuf_init(&b);
    random_bytes(run, sizeof run);
    hex_encode(run, sizeof run, hex);
    snprintf(msgid, sizeof msgid, "cli.%s", hex);
    int rc = change_encode(c, &b) ? -1 : cluster_publish_sync(cc, msgid, b.data, b.len, err,
                                                              sizeof err);
    ccbuf_free(&b);
    change_free(c);
    cluster_library_close(cc);
    if (rc) {
        fprintf(stderr, "cocreated: %s\n", err);
        return 1;
    }
    printf("%s\n", token);
    if (rotate)
        fprintf(stderr, "a new token for brand '%s' published to the stream %s: once the "
                        "nodes applied it, its older tokens no longer log in\n",
                name, cc->stream);
    else
        fprintf(stderr, "brand account '%s' published to the stream %s: it exists once the "
                        "nodes applied it (a name already taken is refused there, and this "
                        "token never logs in)\n", name, cc->stream);
    return 0;
}

/* --make-brand: an account.create record applied to the data directory, as the server
 * would apply it (a running server reads the new account from LMDB at its login). */
static int make_brand(const char *dir, const char *secret_path, const char *record,
                      const char *name, int rotate)
{
    char why[128];
    if (account_check_name(name, why, sizeof why)) {
        fprintf(stderr, "cocreated: brand name %s\n", why);
        return 1;
    }
    struct store *st = open_offline(dir, secret_path);
    if (!st || refuse_cluster_data(st, dir)) {
        close_offline(st);
        return 1;
    }
    char token[ACCOUNT_TOKEN_LEN + 1];
    struct change *c = rotate ? brand_rotation(name, token)
                              : change_account_new(name, ROLE_BRAND, now_unix(), token);
    int rc = changes_apply_now(st, c);
    uint64_t id = c->out.id;
    if (!rc && record && change_append(c, record))
        fprintf(stderr, "cocreated: cannot append the record to %s\n", record);
    change_free(c);
    close_offline(st);
    if (rc == CC_ECONFLICT) {
        fprintf(stderr, "cocreated: the name '%s' is taken (--rotate gives its brand a new "
                        "token)\n", name);
        return 1;
    }
    if (rotate && (rc == CC_ENOTFOUND || rc == CC_EFORBIDDEN)) {
        fprintf(stderr, "cocreated: there is no brand account '%s' to rotate\n", name);
        return 1;
    }
    if (rc) {
        fprintf(stderr, "cocreated: could not create the account (%s)\n", ccerr_wire(rc));
        return 1;
    }
    printf("%s\n", token);
    if (rotate)
        fprintf(stderr, "brand account '%s' has a new token, printed above; its older "
                        "tokens no longer log in (connections a running server already "
                        "let in with one stay open until they close)\n", name);
    else
        fprintf(stderr, "brand account '%s' created (id %llu); its token is printed above\n",
                name, (unsigned long long)id);
    return 0;
}

/* --backup OUT: a consistent, compacted copy of the data directory (LMDB's own copy of
 * one read transaction: the server may go on writing meanwhile) and the node's secret,
 * into OUT, which must not exist yet or be empty. */
static int backup(const char *dir, const char *secret_path, const char *out)
{
    struct store *st = open_offline(dir, secret_path);
    if (!st)
        return 1;
    char err[512], path[4096];
    snprintf(path, sizeof path, "%s/secret", out);
    int rc = store_backup(st, out, err, sizeof err) || secret_save(st, path, err, sizeof err);
    offline_beside = NULL; /* it wrote nothing: no checkpoint of its own beside a server */
    close_offline(st);
    if (rc) {
        fprintf(stderr, "cocreated: %s\n", err);
        return 1;
    }
    fprintf(stderr, "cocreated: backup of %s written to %s (data.mdb and secret)\n", dir, out);
    return 0;
}

/* --apply-records FILE: the records of FILE applied in order to the data directory. */
static int apply_records(const char *dir, const char *secret_path, const char *file)
{
    struct store *st = open_offline(dir, secret_path);
    if (!st || refuse_cluster_data(st, dir)) {
        close_offline(st);
        return 1;
    }
    char err[512];
    long failed;
    long n = changes_apply_file(st, file, &failed, err, sizeof err);
    close_offline(st);
    if (n < 0) {
        fprintf(stderr, "cocreated: %s\n", err);
        return 1;
    }
    fprintf(stderr, "cocreated: %ld records applied, %ld refused by their apply\n", n, failed);
    return 0;
}

/* LMDB maps DATA/data.mdb and trusts the page numbers in it: a damaged file (a page
 * pointing past its end) is read past its end and the kernel sends SIGBUS, which would
 * kill the process with a bare "Bus error" (seen at start on a data file with garbage
 * in its pages). Nothing else here maps a file, so a SIGBUS is said in plain words, and
 * the exit is 1 like any refusal to start. Only async-signal-safe calls. */
static void on_sigbus(int sig)
{
    static const char msg[] =
        "cocreated: error: a read of the LMDB data file went past its end (SIGBUS): "
        "data.mdb is damaged, or was cut short while in use; restore the data directory "
        "from a backup (docs/operations.md)\n";
    (void)sig;
    ssize_t n = write(STDERR_FILENO, msg, sizeof msg - 1);
    (void)n;
    _exit(1);
}

static void raise_fd_limit(void)
{
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
        rl.rlim_cur = rl.rlim_max;
        setrlimit(RLIMIT_NOFILE, &rl);
    }
}

int main(int argc, char **argv)
{
    static const struct option opts[] = {
        {"listen", required_argument, NULL, 'l'},
        {"data", required_argument, NULL, 'd'},
        {"make-brand", required_argument, NULL, 'b'},
        {"map-size", required_argument, NULL, 'm'},
        {"send-queue", required_argument, NULL, 'q'},
        {"ws-sndbuf", required_argument, NULL, 'S'},
        {"drain-ms", required_argument, NULL, 'D'},
        {"checkpoint-ms", required_argument, NULL, 'K'},
        {"log-level", required_argument, NULL, 'L'},
        {"test-clock", no_argument, NULL, 'C'},
        {"web", required_argument, NULL, 'w'},
        {"rate-registrations", required_argument, NULL, 0x100 + RATE_REGISTRATIONS},
        {"rate-uploads", required_argument, NULL, 0x100 + RATE_UPLOADS},
        {"rate-votes", required_argument, NULL, 0x100 + RATE_VOTES},
        {"rate-comments", required_argument, NULL, 0x100 + RATE_COMMENTS},
        {"rate-logins", required_argument, NULL, 0x100 + RATE_LOGINS},
        {"rate-table", required_argument, NULL, 0x110},
        {"no-rate-limits", no_argument, NULL, 0x111},
        {"secret", required_argument, NULL, 0x120},
        {"record-changes", required_argument, NULL, 0x121},
        {"apply-records", required_argument, NULL, 0x122},
        {"backup", required_argument, NULL, 0x123},
        {"rotate", no_argument, NULL, 0x124},
        {"password-cost", required_argument, NULL, 0x125},
        {"cluster", required_argument, NULL, 0x130},
        {"node", required_argument, NULL, 0x131},
        {"cluster-creds", required_argument, NULL, 0x132},
        {"cluster-ca", required_argument, NULL, 0x133},
        {"stream", required_argument, NULL, 0x134},
        {"stream-replicas", required_argument, NULL, 0x135},
        {"stream-max-age", required_argument, NULL, 0x136},
        {"stream-max-bytes", required_argument, NULL, 0x137},
        {"tls-cert", required_argument, NULL, 0x140},
        {"tls-key", required_argument, NULL, 0x141},
        {"record-cache", required_argument, NULL, 0x142},
        {"page-cache", required_argument, NULL, 0x143},
        {"version", no_argument, NULL, 'V'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    char host[256] = "127.0.0.1", web_buf[PATH_MAX];
    const char *web_default = default_web_dir(web_buf, sizeof web_buf);
    struct server_config cfg = {.host = host,
                                .port = 8080,
                                .data_dir = "./var",
                                .web_dir = web_default,
                                .ws_sndbuf = NET_DEFAULT_WS_SNDBUF,
                                .record_cache = SERVER_RECORD_CACHE_DEFAULT,
                                .page_cache = SERVER_PAGE_CACHE_DEFAULT};
    const char *brand = NULL, *apply = NULL, *backup_to = NULL;
    int rotate = 0;
    rate_config_defaults(&cfg.rate);
    int c;
    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        switch (c) {
        case 'l':
            if (parse_listen(optarg, host, sizeof host, &cfg.port)) {
                fprintf(stderr, "cocreated: --listen wants HOST:PORT, got '%s'\n", optarg);
                return 2;
            }
            break;
        case 'd':
            cfg.data_dir = optarg;
            break;
        case 'b':
            brand = optarg;
            break;
        case 'm':
        case 'q':
            if (parse_size(optarg, c == 'm' ? &cfg.map_size : &cfg.send_queue_max)) {
                fprintf(stderr, "cocreated: --%s wants a size like 65536 or 64M, got '%s'\n",
                        c == 'm' ? "map-size" : "send-queue", optarg);
                return 2;
            }
            break;
        case 0x142:
        case 0x143:
            if (parse_size(optarg, c == 0x142 ? &cfg.record_cache : &cfg.page_cache)) {
                fprintf(stderr, "cocreated: --%s wants 0 or a size like 64M, got '%s'\n",
                        c == 0x142 ? "record-cache" : "page-cache", optarg);
                return 2;
            }
            break;
        case 'S':
            if (parse_size(optarg, &cfg.ws_sndbuf) || cfg.ws_sndbuf > (64u << 20)) {
                fprintf(stderr, "cocreated: --ws-sndbuf wants 0 or a size up to 64M, got '%s'\n",
                        optarg);
                return 2;
            }
            break;
        case 'K': {
            char *end;
            long v = strtol(optarg, &end, 10);
            if (*end || v < 10 || v > 3600000) {
                fprintf(stderr, "cocreated: --checkpoint-ms wants milliseconds from 10 to "
                        "3600000, got '%s'\n", optarg);
                return 2;
            }
            cfg.checkpoint_ms = (int)v;
            break;
        }
        case 'D':
            cfg.drain_ms = atoi(optarg);
            if (cfg.drain_ms <= 0) {
                fprintf(stderr, "cocreated: --drain-ms wants a positive number\n");
                return 2;
            }
            break;
        case 'L':
            if (!strcmp(optarg, "error"))
                log_max_level = LOG_ERROR;
            else if (!strcmp(optarg, "warn"))
                log_max_level = LOG_WARN;
            else if (!strcmp(optarg, "info"))
                log_max_level = LOG_INFO;
            else if (!strcmp(optarg, "debug"))
                log_max_level = LOG_DEBUG;
            else {
                fprintf(stderr, "cocreated: unknown --log-level '%s'\n", optarg);
                return 2;
            }
            break;
        case 'C':
            cfg.test_clock = 1;
            break;
        case 'w':
            cfg.web_dir = optarg[0] ? optarg : NULL;
            cfg.web_required = 1;
            break;
        case 0x100 + RATE_REGISTRATIONS:
        case 0x100 + RATE_UPLOADS:
        case 0x100 + RATE_VOTES:
        case 0x100 + RATE_COMMENTS:
        case 0x100 + RATE_LOGINS: {
            char err[200];
            if (rate_parse_flag(&cfg.rate, (enum rate_kind)(c - 0x100), optarg, err, sizeof err)) {
                fprintf(stderr, "cocreated: %s\n", err);
                return 2;
            }
            break;
        }
        case 0x110: {
            char *end;
            unsigned long n = strtoul(optarg, &end, 10);
            if (*end || optarg[0] < '0' || optarg[0] > '9' || n < 1 || n > 100000000) {
                fprintf(stderr, "cocreated: --rate-table wants a number from 1 to 100000000\n");
                return 2;
            }
            cfg.rate.table_max = n;
            break;
        }
        case 0x111:
            cfg.rate.off = 1;
            break;
        case 0x120:
            cfg.secret_path = optarg;
            break;
        case 0x121:
            cfg.record_path = optarg;
            break;
        case 0x122:
            apply = optarg;
            break;
        case 0x123:
            backup_to = optarg;
            break;
        case 0x130:
            cfg.cluster.urls = optarg;
            break;
        case 0x131:
            cfg.cluster.node = optarg;
            if (!valid_name(optarg, 32)) {
                fprintf(stderr, "cocreated: --node wants 1 to 32 of A-Z a-z 0-9 _ -\n");
                return 2;
            }
            break;
        case 0x132:
            cfg.cluster.creds = optarg;
            break;
        case 0x133:
            cfg.cluster.ca = optarg;
            break;
        case 0x134:
            cfg.cluster.stream = optarg;
            if (!valid_name(optarg, 48)) {
                fprintf(stderr, "cocreated: --stream wants 1 to 48 of A-Z a-z 0-9 _ -\n");
                return 2;
            }
            break;
        case 0x135:
            cfg.cluster.replicas = atoi(optarg);
            if (cfg.cluster.replicas < 1 || cfg.cluster.replicas > 5 ||
                strspn(optarg, "0123456789") != strlen(optarg)) {
                fprintf(stderr, "cocreated: --stream-replicas wants 1 to 5\n");
                return 2;
            }
            break;
        case 0x136:
            if (parse_duration(optarg, &cfg.cluster.max_age_s)) {
                fprintf(stderr, "cocreated: --stream-max-age wants a duration like 3600s, "
                                "90m, 12h or 30d, got '%s'\n", optarg);
                return 2;
            }
            break;
        case 0x137: {
            size_t n;
            if (parse_size(optarg, &n) || !n) {
                fprintf(stderr, "cocreated: --stream-max-bytes wants a size like 10G, got "
                                "'%s'\n", optarg);
                return 2;
            }
            cfg.cluster.max_bytes = (int64_t)n;
            break;
        }
        case 0x124:
            rotate = 1;
            break;
        case 0x125:
            if (strcmp(optarg, "default") && strcmp(optarg, "low")) {
                fprintf(stderr, "cocreated: --password-cost wants default or low\n");
                return 2;
            }
            cfg.password_cost_low = !strcmp(optarg, "low");
            break;
        case 0x140:
            cfg.tls_cert = optarg;
            break;
        case 0x141:
            cfg.tls_key = optarg;
            break;
        case 'V':
            printf("%s %s\n", cc_server_name, cc_server_version);
            return 0;
        case 'h':
            usage(stdout, web_default);
            return 0;
        default:
            usage(stderr, web_default);
            return 2;
        }
    }
    if (optind < argc) {
        fprintf(stderr, "cocreated: unexpected argument '%s' (see --help)\n", argv[optind]);
        return 2;
    }
    if (!!brand + !!apply + !!backup_to > 1) {
        fprintf(stderr, "cocreated: --make-brand, --apply-records and --backup are separate "
                        "runs\n");
        return 2;
    }
    if (cfg.cluster.urls && !cfg.cluster.node && !brand) {
        fprintf(stderr, "cocreated: --cluster needs --node NAME (this node's name)\n");
        return 2;
    }
    if (!cfg.cluster.urls && (cfg.cluster.node || cfg.cluster.creds || cfg.cluster.ca)) {
        fprintf(stderr, "cocreated: --node, --cluster-creds and --cluster-ca need --cluster\n");
        return 2;
    }
    if (!cfg.cluster.stream)
        cfg.cluster.stream = CLUSTER_STREAM_DEFAULT;
    if (!cfg.cluster.replicas)
        cfg.cluster.replicas = 3;
    if (rotate && !brand) {
        fprintf(stderr, "cocreated: --rotate goes with --make-brand NAME\n");
        return 2;
    }
    if (!cfg.tls_cert != !cfg.tls_key) {
        fprintf(stderr, "cocreated: --tls-cert and --tls-key go together\n");
        return 2;
    }
    if (cfg.tls_cert && !brand && !apply && !backup_to) {
        char err[600];
        if (net_tls_check(cfg.tls_cert, cfg.tls_key, err, sizeof err)) {
            fprintf(stderr, "cocreated: %s\n", err);
            return 2;
        }
    }
    struct sigaction bus = {.sa_handler = on_sigbus};
    sigaction(SIGBUS, &bus, NULL);
    if (backup_to)
        return backup(cfg.data_dir, cfg.secret_path, backup_to);
    if (brand && cfg.cluster.urls)
        return make_brand_cluster(&cfg.cluster, brand, rotate);
    if (brand)
        return make_brand(cfg.data_dir, cfg.secret_path, cfg.record_path, brand, rotate);
    if (apply)
        return apply_records(cfg.data_dir, cfg.secret_path, apply);
    signal(SIGPIPE, SIG_IGN);
    raise_fd_limit();
    return server_run(&cfg);
}
