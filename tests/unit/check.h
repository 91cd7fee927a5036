/* A tiny assertion header for unit tests: each failing ASSERT prints where and why
 * and exits 1, so ctest reports the test as failed. */
#ifndef CC_CHECK_H
#define CC_CHECK_H

#include <dirent.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <time.h>

#define ASSERT(c)                                                                       \
    do {                                                                                \
        if (!(c)) {                                                                     \
            fprintf(stderr, "%s:%d: assertion failed: %s\n", __FILE__, __LINE__, #c);   \
            exit(1);                                                                    \
        }                                                                               \
    } while (0)

#define ASSERT_EQ(a, b)                                                                 \
    do {                                                                                \
        long long a_ = (long long)(a), b_ = (long long)(b);                             \
        if (a_ != b_) {                                                                 \
            fprintf(stderr, "%s:%d: %s == %s failed: %lld != %lld\n", __FILE__,         \
                    __LINE__, #a, #b, a_, b_);                                          \
            exit(1);                                                                    \
        }                                                                               \
    } while (0)

#define ASSERT_STREQ(a, b)                                                              \
    do {                                                                                \
        const char *a_ = (a), *b_ = (b);                                                \
        if (!a_ || !b_ || strcmp(a_, b_) != 0) {                                        \
            fprintf(stderr, "%s:%d: %s == %s failed: \"%s\" != \"%s\"\n", __FILE__,     \
                    __LINE__, #a, #b, a_ ? a_ : "(null)", b_ ? b_ : "(null)");          \
            exit(1);                                                                    \
        }                                                                               \
    } while (0)

/* A deterministic xorshift64 step: the random choices of a test, the same every run
 * (*state: any non-zero seed). */
static inline uint64_t check_rand(uint64_t *state)
{
    uint64_t x = *state;
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    return *state = x;
}

/* Removes a test's temporary directory (made with mkdtemp) and everything in it. */
#define CHECK_RMDIR(dir)                                                                \
    do {                                                                                \
        char check_cmd_[4200];                                                          \
        snprintf(check_cmd_, sizeof check_cmd_, "rm -rf '%s'", (dir));                  \
        ASSERT_EQ(system(check_cmd_), 0);                                               \
    } while (0)

/* Waits until every thread of process pid is stopped (state T in each
 * /proc/PID/task/TID/stat), after a kill(pid, SIGSTOP) by a process that is not pid's
 * parent (a parent waits with waitpid(WUNTRACED)): kill() returns before every thread
 * of a multi-threaded process has stopped, and those not reached yet go on running for
 * a few ms. 0 once they are all stopped, -1 after timeout_ms. */
static inline int check_wait_stopped(pid_t pid, long timeout_ms)
{
    char dir[64];
    snprintf(dir, sizeof dir, "/proc/%ld/task", (long)pid);
    struct timespec t0, now, nap = {0, 1000000};
    clock_gettime(CLOCK_MONOTONIC, &t0);
    for (;;) {
        int threads = 0, stopped = 0;
        DIR *d = opendir(dir);
        for (struct dirent *e; d && (e = readdir(d));) {
            char path[sizeof dir + sizeof e->d_name + 8], line[1024];
            if (e->d_name[0] == '.')
                continue;
            snprintf(path, sizeof path, "%s/%s/stat", dir, e->d_name);
            FILE *f = fopen(path, "r");
            if (!f)
                continue; /* a thread that just ended */
            size_t n = fread(line, 1, sizeof line - 1, f);
            fclose(f);
            line[n] = '\0';
            /* "TID (COMMAND) STATE ...": the command may hold any character */
            const char *end = strrchr(line, ')');
            threads++;
            stopped += end && end[1] == ' ' && end[2] == 'T';
        }
        if (d)
            closedir(d);
        if (threads && stopped == threads)
            return 0;
        clock_gettime(CLOCK_MONOTONIC, &now);
        long ms = (now.tv_sec - t0.tv_sec) * 1000L + (now.tv_nsec - t0.tv_nsec) / 1000000;
        if (ms >= timeout_ms)
            return -1;
        nanosleep(&nap, NULL);
    }
}

#endif
