/* powercut: an LD_PRELOAD shim (tests only) that records what a power cut could leave of
 * the files under POWERCUT_DIR. For each regular file it keeps in POWERCUT_LOG the durable
 * image (as of its last full sync but one) and logs of every write, truncation and sync
 * since; a directory's entries are logged as they change and when the directory is synced.
 * tests/power/powercut_rebuild makes a power cut's files from that; docs/testing.md says
 * what the model covers. A write the shim cannot model aborts the process with a message.
 *
 * POWERCUT_LOG holds (the record layout is powercut_rebuild's too):
 *   names            text, one event a line: "dir ROOT", "new ID REL" (created), "old ID REL"
 *                    (found, taken as durable), "mv REL REL", "rm REL", "dirsync REL" (fsync
 *                    of a directory), "sync" (sync/syncfs), "map ID" (mapped shared, writable)
 *   fID.durable      file ID's image as of the sync before its last one
 *   fID.GEN.log      records (struct pc_rec + data): the writes since, and each full sync as
 *                    the pages it made durable ended by a C record (then GEN+1 begins)
 * Every record is appended with one write(): a SIGKILL leaves at most a torn last record,
 * which the rebuild drops. A write or truncation is recorded before it is made (and
 * cancelled by an X record if it fails), so the log holds all the kernel holds; a sync is
 * recorded after it returned, so nothing counts as durable before it is.
 * Thread use: every shim structure is guarded by pc_mu, held across the real call it
 * records (the log's order is the file's); pc_fd_on is also read without it. */
#define _GNU_SOURCE
#undef _FORTIFY_SOURCE /* we define open() & co, which fortify makes inline functions */

#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/uio.h>
#include <unistd.h>

/* The unit of what reaches the disk: the page cache's page (docs/testing.md). */
#define PC_PAGE 4096
/* Descriptors the shim can follow: it aborts on a watched file opened past this. */
#define PC_FD_MAX 65536
/* Watched files (inodes) in one run, and shared writable mappings at once. */
#define PC_FILES_MAX 256
#define PC_MAPS_MAX 64

/* A log record; W, D and P are followed by len bytes of data. */
struct pc_rec {
    uint32_t type;
    uint32_t zero;
    uint64_t off;
    uint64_t len;
    uint64_t arg;
};
enum {
    PC_W = 'W', /* a write of len bytes at off (not durable) */
    PC_T = 'T', /* truncated to arg bytes (not durable) */
    PC_D = 'D', /* the pages at off (len bytes, this content) are durable now (arg: the
                   file's size then): a write through O_DSYNC, or msync(MS_SYNC) */
    PC_P = 'P', /* part of a full sync: a page's content at the sync */
    PC_S = 'S', /* part of a full sync: the file's size (arg) at the sync */
    PC_C = 'C', /* the full sync is done; arg is its number among all files' syncs */
    PC_X = 'X', /* the W or T just before did not happen: the call failed */
};

struct pc_file {
    int rfd;   /* the shim's read-only descriptor on the inode (keeps it alive) */
    int logfd; /* fID.GEN.log, append only */
    unsigned gen;
    dev_t dev;
    ino_t ino;
    int mapped;
    unsigned char *dirty; /* bitmap of pages written since the last full sync */
    size_t dirty_bytes;
};

struct pc_fd {
    int file;  /* index in pc_files */
    int dsync; /* opened O_DSYNC or O_SYNC: each write is durable when it returns */
};

struct pc_map {
    char *addr;
    size_t len;
    off_t off;
    int file;
};

struct pc_buf {
    unsigned char *p;
    size_t len, cap;
};

static pthread_mutex_t pc_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_once_t pc_once = PTHREAD_ONCE_INIT;
static const char *pc_dir_env, *pc_log_env; /* NULL: the shim passes everything through */
static char pc_root[PATH_MAX];              /* realpath of POWERCUT_DIR, once it exists */
static size_t pc_root_len;
static int pc_names = -1; /* the names log; -1 until the first watched event */
static struct pc_file pc_files[PC_FILES_MAX];
static int pc_nfiles;
static uint64_t pc_syncs;
static struct pc_map pc_maps[PC_MAPS_MAX];
static atomic_int pc_nmaps; /* entries in pc_maps, read without pc_mu */
static struct pc_fd pc_fds[PC_FD_MAX];
static atomic_uchar pc_fd_on[PC_FD_MAX];

/* ---- the shim's own I/O: raw system calls, never through the wrappers below ---- */

static void pc_die(const char *fmt, ...) __attribute__((noreturn, format(printf, 1, 2)));
static void pc_die(const char *fmt, ...)
{
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(msg, sizeof msg - 1, fmt, ap);
    va_end(ap);
    if (n < 0)
        n = 0;
    if (n > (int)sizeof msg - 2)
        n = (int)sizeof msg - 2;
    msg[n++] = '\n';
    if (syscall(SYS_write, 2, "powercut: ", 10) < 0 || syscall(SYS_write, 2, msg, n) < 0)
        abort();
    abort();
}

static int sys_open(const char *path, int flags, mode_t mode)
{
    return (int)syscall(SYS_openat, AT_FDCWD, path, flags | O_CLOEXEC, mode);
}

static void sys_close(int fd) { syscall(SYS_close, fd); }

static void sys_write_all(int fd, const void *p, size_t n, const char *what)
{
    const char *c = p;
    while (n) {
        long r = syscall(SYS_write, fd, c, n);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            pc_die("cannot write %s: %s", what, strerror(errno));
        c += r;
        n -= (size_t)r;
    }
}

static void sys_pwrite_all(int fd, const void *p, size_t n, off_t off, const char *what)
{
    const char *c = p;
    while (n) {
        long r = syscall(SYS_pwrite64, fd, c, n, off);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            pc_die("cannot write %s: %s", what, strerror(errno));
        c += r;
        off += r;
        n -= (size_t)r;
    }
}

/* Reads up to n bytes at off (fewer at the end of the file); returns how many. */
static size_t sys_pread_full(int fd, void *p, size_t n, off_t off)
{
    char *c = p;
    size_t got = 0;
    while (got < n) {
        long r = syscall(SYS_pread64, fd, c + got, n - got, off + (off_t)got);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0)
            pc_die("cannot read a watched file: %s", strerror(errno));
        if (r == 0)
            break;
        got += (size_t)r;
    }
    return got;
}

static void *pc_alloc(void *p, size_t n)
{
    p = realloc(p, n ? n : 1);
    if (!p)
        pc_die("out of memory");
    return p;
}

static void buf_add(struct pc_buf *b, const void *p, size_t n)
{
    if (b->len + n > b->cap) {
        b->cap = (b->len + n) * 2 + 4096;
        b->p = pc_alloc(b->p, b->cap);
    }
    memcpy(b->p + b->len, p, n);
    b->len += n;
}

static void buf_rec(struct pc_buf *b, uint32_t type, uint64_t off, uint64_t len, uint64_t arg)
{
    struct pc_rec r = {type, 0, off, len, arg};
    buf_add(b, &r, sizeof r);
}

/* ---- set-up, paths ---- */

static void *pc_next(const char *name)
{
    void *f = dlsym(RTLD_NEXT, name);
    if (!f)
        pc_die("no next definition of %s", name);
    return f;
}

/* The next definition of fn (libc's, or a sanitizer's in front of it), found once. */
#define PC_NEXT(fn)                                                                                \
    static __typeof__(fn) *next_##fn;                                                              \
    __typeof__(fn) *real_##fn = __atomic_load_n(&next_##fn, __ATOMIC_ACQUIRE);                     \
    if (!real_##fn) {                                                                              \
        real_##fn = (__typeof__(fn) *)pc_next(#fn);                                                \
        __atomic_store_n(&next_##fn, real_##fn, __ATOMIC_RELEASE);                                 \
    }

static void pc_env(void)
{
    pc_dir_env = getenv("POWERCUT_DIR");
    pc_log_env = getenv("POWERCUT_LOG");
    if (pc_dir_env && !*pc_dir_env)
        pc_dir_env = NULL;
    if (!pc_dir_env || !pc_log_env || !*pc_log_env)
        pc_dir_env = pc_log_env = NULL;
}

static int pc_enabled(void)
{
    pthread_once(&pc_once, pc_env);
    return pc_dir_env != NULL;
}

static int pc_watched_fd(int fd)
{
    return fd >= 0 && fd < PC_FD_MAX && atomic_load_explicit(&pc_fd_on[fd], memory_order_acquire);
}

/* The absolute path of path (relative to dirfd) with its directory resolved, in out;
 * -1 when its directory does not exist. */
static int pc_canon_at(int dirfd, const char *path, char out[PATH_MAX])
{
    char full[2 * PATH_MAX], parent[PATH_MAX];
    if (path[0] == '/') {
        snprintf(full, sizeof full, "%s", path);
    } else {
        char base[PATH_MAX];
        if (dirfd == AT_FDCWD) {
            if (!getcwd(base, sizeof base))
                return -1;
        } else {
            char link[64];
            snprintf(link, sizeof link, "/proc/self/fd/%d", dirfd);
            ssize_t n = readlink(link, base, sizeof base - 1);
            if (n < 0)
                return -1;
            base[n] = '\0';
        }
        snprintf(full, sizeof full, "%s/%s", base, path);
    }
    size_t n = strlen(full);
    while (n > 1 && full[n - 1] == '/')
        full[--n] = '\0';
    char *slash = strrchr(full, '/');
    const char *leaf = slash + 1;
    if (!strcmp(leaf, ".") || !strcmp(leaf, ".."))
        return realpath(full, out) ? 0 : -1;
    if (slash == full)
        snprintf(parent, sizeof parent, "/");
    else
        snprintf(parent, sizeof parent, "%.*s", (int)(slash - full), full);
    char real[PATH_MAX];
    if (!realpath(parent, real))
        return -1;
    if (snprintf(out, PATH_MAX, "%s/%s", strcmp(real, "/") ? real : "", leaf) >= PATH_MAX)
        return -1;
    return 0;
}

/* canon's path below the watched directory ("." for itself), or NULL. pc_mu held. */
static const char *pc_rel(const char *canon)
{
    if (!pc_root_len) {
        if (!realpath(pc_dir_env, pc_root))
            return NULL; /* not made yet: nothing in it can be opened either */
        pc_root_len = strlen(pc_root);
    }
    if (strncmp(canon, pc_root, pc_root_len))
        return NULL;
    if (canon[pc_root_len] == '\0')
        return ".";
    return canon[pc_root_len] == '/' ? canon + pc_root_len + 1 : NULL;
}

static const char *pc_rel_at(int dirfd, const char *path, char canon[PATH_MAX])
{
    return pc_canon_at(dirfd, path, canon) ? NULL : pc_rel(canon);
}

static void pc_log_path(char *out, size_t len, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void pc_log_path(char *out, size_t len, const char *fmt, ...)
{
    int n = snprintf(out, len, "%s/", pc_log_env);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(out + n, len - (size_t)n, fmt, ap);
    va_end(ap);
}

/* Makes POWERCUT_LOG and its names log on the first watched event. pc_mu held. */
static void pc_log_init(void)
{
    if (pc_names >= 0)
        return;
    char path[PATH_MAX];
    if (mkdir(pc_log_env, 0750) && errno != EEXIST)
        pc_die("cannot make POWERCUT_LOG %s: %s", pc_log_env, strerror(errno));
    pc_log_path(path, sizeof path, "names");
    pc_names = sys_open(path, O_WRONLY | O_CREAT | O_EXCL | O_APPEND, 0640);
    if (pc_names < 0)
        pc_die("cannot make %s (%s): one run a log directory", path, strerror(errno));
    char line[PATH_MAX + 8];
    int n = snprintf(line, sizeof line, "dir %s\n", pc_root);
    sys_write_all(pc_names, line, (size_t)n, "the names log");
}

/* Appends one line to the names log. pc_mu held. */
static void pc_name(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void pc_name(const char *fmt, ...)
{
    pc_log_init();
    char line[3 * PATH_MAX];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(line, sizeof line - 1, fmt, ap);
    va_end(ap);
    if (n < 0 || n >= (int)sizeof line - 1)
        pc_die("a names event too long");
    line[n++] = '\n';
    sys_write_all(pc_names, line, (size_t)n, "the names log");
}

/* rel with space, '%' and control bytes as %XX (one field of a names line), in out. */
static const char *pc_esc(const char *rel, char out[3 * PATH_MAX])
{
    char *o = out;
    for (const unsigned char *c = (const unsigned char *)rel; *c; c++) {
        if (*c <= ' ' || *c == '%' || *c >= 0x7f)
            o += sprintf(o, "%%%02X", *c);
        else
            *o++ = (char)*c;
    }
    *o = '\0';
    return out;
}

/* ---- files ---- */

static int pc_file_find(dev_t dev, ino_t ino)
{
    for (int i = 0; i < pc_nfiles; i++)
        if (pc_files[i].dev == dev && pc_files[i].ino == ino)
            return i;
    return -1;
}

static int pc_open_log(int id, unsigned gen)
{
    char path[PATH_MAX];
    pc_log_path(path, sizeof path, "f%d.%u.log", id, gen);
    int fd = sys_open(path, O_WRONLY | O_CREAT | O_TRUNC | O_APPEND, 0640);
    if (fd < 0)
        pc_die("cannot make %s: %s", path, strerror(errno));
    return fd;
}

/* Starts following the file that fd is open on, found at rel: created now (its durable
 * image is empty and its name not durable), or there before (taken as durable: its
 * content now is its durable image). Returns its index. pc_mu held. */
static int pc_file_add(int fd, const char *rel, int created)
{
    if (pc_nfiles == PC_FILES_MAX)
        pc_die("more than %d files under %s", PC_FILES_MAX, pc_root);
    char path[PATH_MAX], esc[3 * PATH_MAX];
    struct stat st;
    if (fstat(fd, &st))
        pc_die("fstat: %s", strerror(errno));
    pc_log_init();
    int id = pc_nfiles;
    struct pc_file *f = &pc_files[id];
    memset(f, 0, sizeof *f);
    snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
    f->rfd = sys_open(path, O_RDONLY, 0);
    if (f->rfd < 0)
        pc_die("cannot reopen %s/%s to read it: %s", pc_root, rel, strerror(errno));
    f->dev = st.st_dev;
    f->ino = st.st_ino;
    f->gen = 1;
    pc_log_path(path, sizeof path, "f%d.durable", id);
    int dfd = sys_open(path, O_WRONLY | O_CREAT | O_TRUNC, 0640);
    if (dfd < 0)
        pc_die("cannot make %s: %s", path, strerror(errno));
    if (!created) {
        char page[PC_PAGE];
        size_t n;
        for (off_t off = 0; (n = sys_pread_full(f->rfd, page, sizeof page, off)) > 0; off += n)
            sys_write_all(dfd, page, n, path);
    }
    sys_close(dfd);
    f->logfd = pc_open_log(id, f->gen);
    pc_nfiles++;
    pc_name("%s %d %s", created ? "new" : "old", id, pc_esc(rel, esc));
    return id;
}

/* The index of the regular file at canon (rel) that exists now, following it from here
 * on when it is new to the shim. pc_mu held. */
static int pc_file_existing(const struct stat *st, const char *canon, const char *rel)
{
    int id = pc_file_find(st->st_dev, st->st_ino);
    if (id >= 0)
        return id;
    int fd = sys_open(canon, O_RDONLY, 0);
    if (fd < 0)
        pc_die("cannot open %s to read it: %s", canon, strerror(errno));
    id = pc_file_add(fd, rel, 0);
    sys_close(fd);
    return id;
}

static void pc_fd_set(int fd, int file, int dsync)
{
    if (fd >= PC_FD_MAX)
        pc_die("descriptor %d on a watched file: the shim follows up to %d", fd, PC_FD_MAX);
    pc_fds[fd].file = file;
    pc_fds[fd].dsync = dsync;
    atomic_store_explicit(&pc_fd_on[fd], 1, memory_order_release);
}

static void pc_fd_clear(int fd)
{
    if (fd >= 0 && fd < PC_FD_MAX)
        atomic_store_explicit(&pc_fd_on[fd], 0, memory_order_release);
}

/* Marks pages [first, last] written since the last full sync. */
static void pc_dirty(struct pc_file *f, uint64_t first, uint64_t last)
{
    size_t need = (size_t)(last / 8 + 1);
    if (need > f->dirty_bytes) {
        size_t cap = need * 2;
        f->dirty = pc_alloc(f->dirty, cap);
        memset(f->dirty + f->dirty_bytes, 0, cap - f->dirty_bytes);
        f->dirty_bytes = cap;
    }
    for (uint64_t p = first; p <= last; p++)
        f->dirty[p / 8] |= (unsigned char)(1u << (p % 8));
}

static int pc_is_dirty(const struct pc_file *f, uint64_t p)
{
    return p / 8 < f->dirty_bytes && (f->dirty[p / 8] >> (p % 8) & 1);
}

static uint64_t pc_size(const struct pc_file *f)
{
    struct stat st;
    if (fstat(f->rfd, &st))
        pc_die("fstat: %s", strerror(errno));
    return (uint64_t)st.st_size;
}

/* Appends a record of type (P or D) with the current content of pages [first, last]
 * (cut at the file's size). */
static void pc_rec_pages(struct pc_buf *b, struct pc_file *f, uint32_t type, uint64_t first,
                         uint64_t last, uint64_t size)
{
    uint64_t off = first * PC_PAGE, end = (last + 1) * PC_PAGE;
    if (end > size)
        end = size;
    if (end <= off)
        return;
    size_t n = (size_t)(end - off);
    unsigned char *data = pc_alloc(NULL, n);
    n = sys_pread_full(f->rfd, data, n, (off_t)off);
    buf_rec(b, type, off, n, size);
    buf_add(b, data, n);
    free(data);
}

/* Records a write of n bytes at off (from iov) to file, before it is made. pc_mu held. */
static void pc_log_write(struct pc_file *f, uint64_t off, const struct iovec *iov, int cnt,
                         size_t n)
{
    struct pc_buf b = {0};
    buf_rec(&b, PC_W, off, n, 0);
    size_t left = n;
    for (int i = 0; i < cnt && left; i++) {
        size_t k = iov[i].iov_len < left ? iov[i].iov_len : left;
        buf_add(&b, iov[i].iov_base, k);
        left -= k;
    }
    if (n)
        pc_dirty(f, off / PC_PAGE, (off + n - 1) / PC_PAGE);
    sys_write_all(f->logfd, b.p, b.len, "a file's log");
    free(b.p);
}

/* Records that the n bytes at off written through an O_DSYNC descriptor are durable. */
static void pc_log_dsync(struct pc_file *f, uint64_t off, size_t n)
{
    struct pc_buf b = {0};
    pc_rec_pages(&b, f, PC_D, off / PC_PAGE, (off + n - 1) / PC_PAGE, pc_size(f));
    if (b.len)
        sys_write_all(f->logfd, b.p, b.len, "a file's log");
    free(b.p);
}

/* Records a truncation from old to size bytes, before it is made. */
static void pc_log_trunc(struct pc_file *f, uint64_t old, uint64_t size)
{
    struct pc_rec r = {PC_T, 0, 0, 0, size};
    uint64_t lo = old < size ? old : size, hi = old < size ? size : old;
    if (hi > lo)
        pc_dirty(f, lo / PC_PAGE, (hi - 1) / PC_PAGE);
    sys_write_all(f->logfd, &r, sizeof r, "a file's log");
}

/* Records that the write or truncation recorded last did not happen (it failed). */
static void pc_log_cancel(struct pc_file *f)
{
    struct pc_rec r = {PC_X, 0, 0, 0, 0};
    sys_write_all(f->logfd, &r, sizeof r, "a file's log");
}

/* Applies the full sync that ends fID.GEN.log (its P and S records) to fID.durable. */
static void pc_apply(int id, unsigned gen)
{
    char path[PATH_MAX], dpath[PATH_MAX];
    pc_log_path(path, sizeof path, "f%d.%u.log", id, gen);
    pc_log_path(dpath, sizeof dpath, "f%d.durable", id);
    int fd = sys_open(path, O_RDONLY, 0);
    struct stat st;
    if (fd < 0 || fstat(fd, &st))
        pc_die("cannot read %s: %s", path, strerror(errno));
    size_t n = (size_t)st.st_size;
    unsigned char *log = pc_alloc(NULL, n);
    if (sys_pread_full(fd, log, n, 0) != n)
        pc_die("%s changed while read", path);
    sys_close(fd);
    int dfd = sys_open(dpath, O_WRONLY, 0);
    if (dfd < 0)
        pc_die("cannot open %s: %s", dpath, strerror(errno));
    for (size_t pos = 0; pos + sizeof(struct pc_rec) <= n;) {
        struct pc_rec r;
        memcpy(&r, log + pos, sizeof r);
        pos += sizeof r;
        const unsigned char *data = log + pos;
        if (r.type == PC_W || r.type == PC_D || r.type == PC_P)
            pos += r.len;
        if (pos > n)
            pc_die("%s is torn", path);
        if (r.type == PC_P)
            sys_pwrite_all(dfd, data, r.len, (off_t)r.off, dpath);
        else if (r.type == PC_S && syscall(SYS_ftruncate, dfd, (off_t)r.arg))
            pc_die("cannot truncate %s: %s", dpath, strerror(errno));
    }
    sys_close(dfd);
    free(log);
}

/* Records a full sync of file (every page written since the last one, all pages of a
 * mapped file), then starts its next log and folds the sync before this one into its
 * durable image: the rebuild can still treat this last sync as not done. pc_mu held. */
static void pc_sync_file(int id)
{
    struct pc_file *f = &pc_files[id];
    uint64_t size = pc_size(f), pages = (size + PC_PAGE - 1) / PC_PAGE;
    struct pc_buf b = {0};
    for (uint64_t p = 0; p < pages; p++) {
        if (!f->mapped && !pc_is_dirty(f, p))
            continue;
        uint64_t q = p;
        while (q + 1 < pages && (f->mapped || pc_is_dirty(f, q + 1)))
            q++;
        pc_rec_pages(&b, f, PC_P, p, q, size);
        p = q;
    }
    buf_rec(&b, PC_S, 0, 0, size);
    buf_rec(&b, PC_C, 0, 0, ++pc_syncs);
    sys_write_all(f->logfd, b.p, b.len, "a file's log");
    free(b.p);

    int next = pc_open_log(id, f->gen + 1);
    if (f->gen > 1) {
        char path[PATH_MAX];
        pc_apply(id, f->gen - 1);
        pc_log_path(path, sizeof path, "f%d.%u.log", id, f->gen - 1);
        syscall(SYS_unlinkat, AT_FDCWD, path, 0);
    }
    sys_close(f->logfd);
    f->logfd = next;
    f->gen++;
    if (f->dirty)
        memset(f->dirty, 0, f->dirty_bytes);
}

/* After a successful fsync of a descriptor the shim does not follow: a directory below
 * the watched one makes its entries durable; a watched file opened behind the shim's back
 * cannot be modelled. pc_mu held. */
static void pc_sync_other(int fd, const char *rel)
{
    char esc[3 * PATH_MAX];
    struct stat st;
    if (fstat(fd, &st))
        return;
    if (S_ISDIR(st.st_mode))
        pc_name("dirsync %s", pc_esc(rel, esc));
    else if (S_ISREG(st.st_mode))
        pc_die("fsync of %s/%s, opened where the shim could not see it (stdio, fcntl dup?)",
               pc_root, rel);
}

/* The path below the watched directory that fd is open on (in canon), or NULL. */
static const char *pc_fd_rel(int fd, char canon[PATH_MAX])
{
    char link[64];
    snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
    ssize_t n = readlink(link, canon, PATH_MAX - 1);
    if (n < 0)
        return NULL;
    canon[n] = '\0';
    return pc_rel(canon);
}

/* ---- the wrappers ---- */

/* Ends a wrapper: releases pc_mu and returns the real call's result r with its errno e. */
static int pc_done(int r, int e)
{
    pthread_mutex_unlock(&pc_mu);
    errno = e;
    return r;
}

static int pc_openat(int dirfd, const char *path, int flags, mode_t mode)
{
    PC_NEXT(openat);
    if (!pc_enabled())
        return real_openat(dirfd, path, flags, mode);
    pthread_mutex_lock(&pc_mu);
    char canon[PATH_MAX];
    const char *rel = pc_rel_at(dirfd, path, canon);
    if (!rel) {
        pthread_mutex_unlock(&pc_mu);
        return real_openat(dirfd, path, flags, mode);
    }
    if ((flags & O_TMPFILE) == O_TMPFILE)
        pc_die("O_TMPFILE in %s is not modelled", canon);
    struct stat st;
    int existed = stat(canon, &st) == 0;
    struct pc_file *trunc = NULL; /* an existing file that O_TRUNC empties */
    if (existed && S_ISREG(st.st_mode)) {
        int id = pc_file_existing(&st, canon, rel);
        if ((flags & O_TRUNC) && (flags & O_ACCMODE) != O_RDONLY && st.st_size) {
            trunc = &pc_files[id];
            pc_log_trunc(trunc, (uint64_t)st.st_size, 0);
        }
    }
    int fd = real_openat(dirfd, path, flags, mode), e = errno;
    if (fd < 0 && trunc)
        pc_log_cancel(trunc);
    if (fd >= 0 && fstat(fd, &st) == 0 && S_ISREG(st.st_mode)) {
        int id = pc_file_find(st.st_dev, st.st_ino);
        if (id < 0)
            id = pc_file_add(fd, rel, 1);
        pc_fd_set(fd, id, (flags & (O_DSYNC | O_SYNC)) != 0);
    }
    pthread_mutex_unlock(&pc_mu);
    errno = e;
    return fd;
}

/* open's mode argument is there only with O_CREAT or O_TMPFILE. */
#define PC_MODE(flags, mode)                                                                       \
    mode_t mode = 0;                                                                               \
    if ((flags)&O_CREAT || ((flags)&O_TMPFILE) == O_TMPFILE) {                                     \
        va_list ap;                                                                                \
        va_start(ap, flags);                                                                       \
        mode = (mode_t)va_arg(ap, int);                                                            \
        va_end(ap);                                                                                \
    }

int open(const char *path, int flags, ...)
{
    PC_MODE(flags, mode);
    return pc_openat(AT_FDCWD, path, flags, mode);
}

int open64(const char *path, int flags, ...)
{
    PC_MODE(flags, mode);
    return pc_openat(AT_FDCWD, path, flags, mode);
}

int openat(int dirfd, const char *path, int flags, ...)
{
    PC_MODE(flags, mode);
    return pc_openat(dirfd, path, flags, mode);
}

int openat64(int dirfd, const char *path, int flags, ...)
{
    PC_MODE(flags, mode);
    return pc_openat(dirfd, path, flags, mode);
}

/* glibc's fortified entry points (open without a mode) */
int __open_2(const char *path, int flags);
int __open64_2(const char *path, int flags);
int __openat_2(int dirfd, const char *path, int flags);
int __openat64_2(int dirfd, const char *path, int flags);

int __open_2(const char *path, int flags) { return pc_openat(AT_FDCWD, path, flags, 0); }

int __open64_2(const char *path, int flags) { return pc_openat(AT_FDCWD, path, flags, 0); }

int __openat_2(int dirfd, const char *path, int flags) { return pc_openat(dirfd, path, flags, 0); }

int __openat64_2(int dirfd, const char *path, int flags)
{
    return pc_openat(dirfd, path, flags, 0);
}

int creat(const char *path, mode_t mode)
{
    return pc_openat(AT_FDCWD, path, O_CREAT | O_WRONLY | O_TRUNC, mode);
}

int creat64(const char *path, mode_t mode)
{
    return pc_openat(AT_FDCWD, path, O_CREAT | O_WRONLY | O_TRUNC, mode);
}

/* The writes, once the descriptor is known to be watched: off < 0 writes at (and moves)
 * the descriptor's position. */
static ssize_t pc_writev(int fd, const struct iovec *iov, int cnt, off_t off, int flags)
{
    PC_NEXT(pwritev2);
    pthread_mutex_lock(&pc_mu);
    if (!pc_watched_fd(fd)) { /* closed meanwhile: not ours any more */
        pthread_mutex_unlock(&pc_mu);
        return real_pwritev2(fd, iov, cnt, off, flags);
    }
    struct pc_file *f = &pc_files[pc_fds[fd].file];
    size_t want = 0;
    for (int i = 0; i < cnt; i++)
        want += iov[i].iov_len;
    uint64_t at;
    if (fcntl(fd, F_GETFL) & O_APPEND || flags & RWF_APPEND) /* pwrite too, on Linux */
        at = pc_size(f);
    else if (off < 0)
        at = (uint64_t)lseek(fd, 0, SEEK_CUR);
    else
        at = (uint64_t)off;
    pc_log_write(f, at, iov, cnt, want);
    ssize_t r = real_pwritev2(fd, iov, cnt, off, flags);
    int e = errno;
    if (r != (ssize_t)want) {
        pc_log_cancel(f);
        if (r > 0)
            pc_log_write(f, at, iov, cnt, (size_t)r);
    }
    if (r > 0 && (pc_fds[fd].dsync || flags & (RWF_DSYNC | RWF_SYNC)))
        pc_log_dsync(f, at, (size_t)r);
    pthread_mutex_unlock(&pc_mu);
    errno = e;
    return r;
}

ssize_t write(int fd, const void *buf, size_t n)
{
    PC_NEXT(write);
    if (!pc_watched_fd(fd))
        return real_write(fd, buf, n);
    struct iovec v = {(void *)buf, n};
    return pc_writev(fd, &v, 1, -1, 0);
}

ssize_t pwrite(int fd, const void *buf, size_t n, off_t off)
{
    PC_NEXT(pwrite);
    if (!pc_watched_fd(fd))
        return real_pwrite(fd, buf, n, off);
    struct iovec v = {(void *)buf, n};
    return pc_writev(fd, &v, 1, off, 0);
}

ssize_t pwrite64(int fd, const void *buf, size_t n, off_t off) { return pwrite(fd, buf, n, off); }

ssize_t writev(int fd, const struct iovec *iov, int cnt)
{
    PC_NEXT(writev);
    if (!pc_watched_fd(fd))
        return real_writev(fd, iov, cnt);
    return pc_writev(fd, iov, cnt, -1, 0);
}

ssize_t pwritev(int fd, const struct iovec *iov, int cnt, off_t off)
{
    PC_NEXT(pwritev);
    if (!pc_watched_fd(fd))
        return real_pwritev(fd, iov, cnt, off);
    return pc_writev(fd, iov, cnt, off, 0);
}

ssize_t pwritev64(int fd, const struct iovec *iov, int cnt, off_t off)
{
    return pwritev(fd, iov, cnt, off);
}

ssize_t pwritev2(int fd, const struct iovec *iov, int cnt, off_t off, int flags)
{
    PC_NEXT(pwritev2);
    if (!pc_watched_fd(fd))
        return real_pwritev2(fd, iov, cnt, off, flags);
    return pc_writev(fd, iov, cnt, off, flags);
}

ssize_t pwritev64v2(int fd, const struct iovec *iov, int cnt, off_t off, int flags);
ssize_t pwritev64v2(int fd, const struct iovec *iov, int cnt, off_t off, int flags)
{
    return pwritev2(fd, iov, cnt, off, flags);
}

/* Ends ftruncate and truncate, recorded before they were made: cancelled if they failed. */
static int pc_trunc_done(struct pc_file *f, int r, int e)
{
    if (f && r)
        pc_log_cancel(f);
    return pc_done(r, e);
}

int ftruncate(int fd, off_t len)
{
    PC_NEXT(ftruncate);
    if (!pc_watched_fd(fd))
        return real_ftruncate(fd, len);
    pthread_mutex_lock(&pc_mu);
    struct pc_file *f = pc_watched_fd(fd) ? &pc_files[pc_fds[fd].file] : NULL;
    if (f)
        pc_log_trunc(f, pc_size(f), (uint64_t)len);
    int r = real_ftruncate(fd, len), e = errno;
    return pc_trunc_done(f, r, e);
}

int ftruncate64(int fd, off_t len) { return ftruncate(fd, len); }

int truncate(const char *path, off_t len)
{
    PC_NEXT(truncate);
    if (!pc_enabled())
        return real_truncate(path, len);
    pthread_mutex_lock(&pc_mu);
    char canon[PATH_MAX];
    const char *rel = pc_rel_at(AT_FDCWD, path, canon);
    struct stat st;
    struct pc_file *f = NULL;
    if (rel && stat(canon, &st) == 0 && S_ISREG(st.st_mode)) {
        f = &pc_files[pc_file_existing(&st, canon, rel)];
        pc_log_trunc(f, (uint64_t)st.st_size, (uint64_t)len);
    }
    int r = real_truncate(path, len), e = errno;
    return pc_trunc_done(f, r, e);
}

int truncate64(const char *path, off_t len) { return truncate(path, len); }

/* fsync and fdatasync: both make a file's data and size durable in this model. */
static int pc_fsync(int fd, int (*real)(int))
{
    if (!pc_enabled())
        return real(fd);
    if (pc_watched_fd(fd)) {
        pthread_mutex_lock(&pc_mu);
        int r = real(fd), e = errno;
        if (r == 0 && pc_watched_fd(fd))
            pc_sync_file(pc_fds[fd].file);
        return pc_done(r, e);
    }
    char canon[PATH_MAX];
    pthread_mutex_lock(&pc_mu);
    const char *rel = pc_fd_rel(fd, canon);
    int r = real(fd), e = errno;
    if (rel && r == 0)
        pc_sync_other(fd, rel);
    return pc_done(r, e);
}

int fsync(int fd)
{
    PC_NEXT(fsync);
    return pc_fsync(fd, real_fsync);
}

int fdatasync(int fd)
{
    PC_NEXT(fdatasync);
    return pc_fsync(fd, real_fdatasync);
}

/* sync() and syncfs(): every watched file and directory entry durable. */
static void pc_sync_all(void)
{
    for (int i = 0; i < pc_nfiles; i++)
        pc_sync_file(i);
    if (pc_nfiles)
        pc_name("sync");
}

void sync(void)
{
    PC_NEXT(sync);
    if (!pc_enabled()) {
        real_sync();
        return;
    }
    pthread_mutex_lock(&pc_mu);
    real_sync();
    pc_sync_all();
    pthread_mutex_unlock(&pc_mu);
}

int syncfs(int fd)
{
    PC_NEXT(syncfs);
    if (!pc_enabled())
        return real_syncfs(fd);
    pthread_mutex_lock(&pc_mu);
    int r = real_syncfs(fd), e = errno;
    if (r == 0)
        pc_sync_all();
    return pc_done(r, e);
}

/* sync_file_range writes pages out but promises nothing durable (no metadata, no device
 * cache flush): it passes through and changes nothing in the model. */

void *mmap(void *addr, size_t len, int prot, int flags, int fd, off_t off)
{
    PC_NEXT(mmap);
    if (!pc_watched_fd(fd) || !(prot & PROT_WRITE) || !(flags & MAP_SHARED))
        return real_mmap(addr, len, prot, flags, fd, off);
    pthread_mutex_lock(&pc_mu);
    void *p = real_mmap(addr, len, prot, flags, fd, off);
    int e = errno;
    if (p != MAP_FAILED && pc_watched_fd(fd)) {
        int id = pc_fds[fd].file, slot = -1;
        for (int i = 0; i < PC_MAPS_MAX && slot < 0; i++)
            if (!pc_maps[i].addr)
                slot = i;
        if (slot < 0)
            pc_die("more than %d writable mappings of watched files", PC_MAPS_MAX);
        pc_maps[slot] = (struct pc_map){p, len, off, id};
        atomic_fetch_add(&pc_nmaps, 1);
        if (!pc_files[id].mapped)
            pc_name("map %d", id);
        pc_files[id].mapped = 1;
    }
    pthread_mutex_unlock(&pc_mu);
    errno = e;
    return p;
}

void *mmap64(void *addr, size_t len, int prot, int flags, int fd, off_t off)
{
    return mmap(addr, len, prot, flags, fd, off);
}

int munmap(void *addr, size_t len)
{
    PC_NEXT(munmap);
    if (!atomic_load(&pc_nmaps))
        return real_munmap(addr, len);
    pthread_mutex_lock(&pc_mu);
    int r = real_munmap(addr, len), e = errno;
    for (int i = 0; r == 0 && i < PC_MAPS_MAX; i++)
        if (pc_maps[i].addr && pc_maps[i].addr >= (char *)addr &&
            pc_maps[i].addr + pc_maps[i].len <= (char *)addr + len) {
            pc_maps[i].addr = NULL;
            atomic_fetch_sub(&pc_nmaps, 1);
        }
    return pc_done(r, e);
}

/* msync(MS_SYNC) of a writable mapping: its pages in the range are durable now. */
int msync(void *addr, size_t len, int flags)
{
    PC_NEXT(msync);
    if (!atomic_load(&pc_nmaps) || !(flags & MS_SYNC))
        return real_msync(addr, len, flags);
    pthread_mutex_lock(&pc_mu);
    int r = real_msync(addr, len, flags), e = errno;
    for (int i = 0; r == 0 && i < PC_MAPS_MAX; i++) {
        struct pc_map *m = &pc_maps[i];
        char *lo = (char *)addr, *hi = (char *)addr + len;
        if (!m->addr || hi <= m->addr || lo >= m->addr + m->len)
            continue;
        if (lo < m->addr)
            lo = m->addr;
        if (hi > m->addr + m->len)
            hi = m->addr + m->len;
        struct pc_file *f = &pc_files[m->file];
        uint64_t from = (uint64_t)m->off + (uint64_t)(lo - m->addr);
        uint64_t to = (uint64_t)m->off + (uint64_t)(hi - m->addr);
        struct pc_buf b = {0};
        pc_rec_pages(&b, f, PC_D, from / PC_PAGE, (to - 1) / PC_PAGE, pc_size(f));
        if (b.len)
            sys_write_all(f->logfd, b.p, b.len, "a file's log");
        free(b.p);
    }
    return pc_done(r, e);
}

int close(int fd)
{
    PC_NEXT(close);
    if (!pc_watched_fd(fd))
        return real_close(fd);
    pthread_mutex_lock(&pc_mu);
    pc_fd_clear(fd);
    int r = real_close(fd), e = errno;
    return pc_done(r, e);
}

int close_range(unsigned first, unsigned last, int flags)
{
    PC_NEXT(close_range);
    if (!pc_enabled())
        return real_close_range(first, last, flags);
    pthread_mutex_lock(&pc_mu);
    int r = real_close_range(first, last, flags), e = errno;
    if (r == 0 && !(flags & CLOSE_RANGE_CLOEXEC))
        for (unsigned fd = first; fd <= last && fd < PC_FD_MAX; fd++)
            pc_fd_clear((int)fd);
    return pc_done(r, e);
}

/* dup2 and dup3 (dup is dup3 to the lowest free descriptor): the new descriptor follows
 * what the old one did, and stops following what it was before. */
static int pc_dup(int old, int new, int flags, int which)
{
    PC_NEXT(dup);
    PC_NEXT(dup2);
    PC_NEXT(dup3);
    int lock = pc_watched_fd(old) || pc_watched_fd(new);
    if (lock)
        pthread_mutex_lock(&pc_mu);
    int r = which == 1   ? real_dup(old)
            : which == 2 ? real_dup2(old, new)
                         : real_dup3(old, new, flags);
    int e = errno;
    if (lock) {
        if (r >= 0 && r != old) {
            pc_fd_clear(r);
            if (pc_watched_fd(old))
                pc_fd_set(r, pc_fds[old].file, pc_fds[old].dsync);
        }
        pthread_mutex_unlock(&pc_mu);
    }
    errno = e;
    return r;
}

int dup(int fd) { return pc_dup(fd, -1, 0, 1); }

int dup2(int old, int new) { return pc_dup(old, new, 0, 2); }

int dup3(int old, int new, int flags) { return pc_dup(old, new, flags, 3); }

/* rename, renameat, renameat2: one entry moves (or leaves the watched directory). */
static int pc_rename(int odir, const char *opath, int ndir, const char *npath, unsigned flags)
{
    PC_NEXT(renameat2);
    if (!pc_enabled())
        return real_renameat2(odir, opath, ndir, npath, flags);
    pthread_mutex_lock(&pc_mu);
    char co[PATH_MAX], cn[PATH_MAX], e1[3 * PATH_MAX], e2[3 * PATH_MAX];
    const char *ro = pc_rel_at(odir, opath, co), *rn = pc_rel_at(ndir, npath, cn);
    if (ro || rn) {
        struct stat st;
        if (lstat(co, &st) == 0) {
            if (!S_ISREG(st.st_mode))
                pc_die("rename of %s (not a regular file) is not modelled", co);
            if (!ro)
                pc_die("%s moved into %s from outside is not modelled", co, pc_root);
            pc_file_existing(&st, co, ro);
        }
        if (rn && lstat(cn, &st) == 0 && S_ISREG(st.st_mode))
            pc_file_existing(&st, cn, rn); /* the file it replaces */
        if (flags & RENAME_EXCHANGE)
            pc_die("RENAME_EXCHANGE in %s is not modelled", pc_root);
    }
    int r = real_renameat2(odir, opath, ndir, npath, flags), e = errno;
    if (r == 0 && ro && rn)
        pc_name("mv %s %s", pc_esc(ro, e1), pc_esc(rn, e2));
    else if (r == 0 && ro)
        pc_name("rm %s", pc_esc(ro, e1));
    return pc_done(r, e);
}

int rename(const char *old, const char *new) { return pc_rename(AT_FDCWD, old, AT_FDCWD, new, 0); }

int renameat(int odir, const char *old, int ndir, const char *new)
{
    return pc_rename(odir, old, ndir, new, 0);
}

int renameat2(int odir, const char *old, int ndir, const char *new, unsigned flags)
{
    return pc_rename(odir, old, ndir, new, flags);
}

int unlinkat(int dirfd, const char *path, int flags)
{
    PC_NEXT(unlinkat);
    if (!pc_enabled())
        return real_unlinkat(dirfd, path, flags);
    pthread_mutex_lock(&pc_mu);
    char canon[PATH_MAX], esc[3 * PATH_MAX];
    const char *rel = pc_rel_at(dirfd, path, canon);
    struct stat st;
    if (rel && lstat(canon, &st) == 0) {
        if (!S_ISREG(st.st_mode))
            pc_die("removing %s (not a regular file) is not modelled", canon);
        pc_file_existing(&st, canon, rel); /* its durable image, should the unlink be lost */
    }
    int r = real_unlinkat(dirfd, path, flags), e = errno;
    if (rel && r == 0)
        pc_name("rm %s", pc_esc(rel, esc));
    return pc_done(r, e);
}

int unlink(const char *path) { return unlinkat(AT_FDCWD, path, 0); }

/* ---- what the model does not cover: refused loudly on watched files ---- */

static void pc_refuse_fd(int fd, const char *call)
{
    if (pc_watched_fd(fd))
        pc_die("%s on a watched file is not modelled", call);
}

static void pc_refuse_stdio(const char *path, const char *mode)
{
    if (!pc_enabled() || !strpbrk(mode, "wa+"))
        return;
    pthread_mutex_lock(&pc_mu);
    char canon[PATH_MAX];
    const char *rel = pc_rel_at(AT_FDCWD, path, canon);
    pthread_mutex_unlock(&pc_mu);
    if (rel)
        pc_die("stdio writes to %s are not modelled (fopen \"%s\")", canon, mode);
}

FILE *fopen(const char *path, const char *mode)
{
    PC_NEXT(fopen);
    pc_refuse_stdio(path, mode);
    return real_fopen(path, mode);
}

FILE *fopen64(const char *path, const char *mode) { return fopen(path, mode); }

FILE *freopen(const char *path, const char *mode, FILE *f)
{
    PC_NEXT(freopen);
    if (path)
        pc_refuse_stdio(path, mode);
    return real_freopen(path, mode, f);
}

FILE *freopen64(const char *path, const char *mode, FILE *f) { return freopen(path, mode, f); }

int fallocate(int fd, int mode, off_t off, off_t len)
{
    PC_NEXT(fallocate);
    pc_refuse_fd(fd, "fallocate");
    return real_fallocate(fd, mode, off, len);
}

int fallocate64(int fd, int mode, off_t off, off_t len) { return fallocate(fd, mode, off, len); }

int posix_fallocate(int fd, off_t off, off_t len)
{
    PC_NEXT(posix_fallocate);
    pc_refuse_fd(fd, "posix_fallocate");
    return real_posix_fallocate(fd, off, len);
}

int posix_fallocate64(int fd, off_t off, off_t len) { return posix_fallocate(fd, off, len); }

ssize_t copy_file_range(int in, off_t *inoff, int out, off_t *outoff, size_t n, unsigned flags)
{
    PC_NEXT(copy_file_range);
    pc_refuse_fd(out, "copy_file_range");
    return real_copy_file_range(in, inoff, out, outoff, n, flags);
}

ssize_t sendfile(int out, int in, off_t *off, size_t n)
{
    PC_NEXT(sendfile);
    pc_refuse_fd(out, "sendfile");
    return real_sendfile(out, in, off, n);
}

ssize_t sendfile64(int out, int in, off_t *off, size_t n) { return sendfile(out, in, off, n); }
