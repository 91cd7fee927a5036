/* The journal (journal.h): records come back in order after the data's sequence; a
 * torn frame ends the walk; after a reset the new epoch's frames are read and the
 * older epoch's behind them are not, even when their sequences would follow; a
 * rewound batch is never read; one process holds a data directory. */
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "journal.h"
#include "util.h"

struct seen {
    int n;
    uint64_t seq[16];
    char text[16][32];
};

static int collect(void *user, uint64_t seq, const uint8_t *data, size_t len)
{
    struct seen *s = user;
    ASSERT(s->n < 16 && len < 32);
    s->seq[s->n] = seq;
    memcpy(s->text[s->n], data, len);
    s->text[s->n][len] = '\0';
    s->n++;
    return 0;
}

static struct seen walk(const char *dir, uint64_t after)
{
    struct seen s = {0};
    ASSERT(journal_each(dir, after, collect, &s) == s.n);
    return s;
}

static void add(struct journal *j, uint64_t seq, const char *text)
{
    journal_append(j, seq, text, strlen(text));
}

int main(void)
{
    char dir[] = "/tmp/cc-journal-XXXXXX", err[256];
    ASSERT(mkdtemp(dir));
    struct journal *j, *other;
    int busy;

    /* empty: a new file (zeros) has no record */
    ASSERT(journal_open(&j, dir, &busy, err, sizeof err) == 0);
    ASSERT_EQ(walk(dir, 0).n, 0);
    ASSERT(journal_open(&other, dir, &busy, err, sizeof err) == -1);
    ASSERT_EQ(busy, 1);
    ASSERT(strstr(err, "another cocreated"));

    /* in order, after the data's sequence */
    journal_reset(j);
    add(j, 1, "one");
    add(j, 2, "two");
    add(j, 3, "three-long-record");
    ASSERT(journal_write(j) == 0 && journal_datasync(j) == 0);
    struct seen s = walk(dir, 0);
    ASSERT_EQ(s.n, 3);
    ASSERT_EQ(s.seq[0], 1);
    ASSERT_STREQ(s.text[2], "three-long-record");
    s = walk(dir, 2);
    ASSERT_EQ(s.n, 1);
    ASSERT_STREQ(s.text[0], "three-long-record");
    ASSERT_EQ(walk(dir, 3).n, 0);

    /* a torn last frame: the walk ends before it */
    char path[4200];
    snprintf(path, sizeof path, "%s/journal", dir);
    int fd = open(path, O_RDWR);
    ASSERT(fd >= 0);
    uint64_t end = journal_size(j);
    ASSERT(pwrite(fd, "X", 1, (off_t)end - 3) == 1);
    ASSERT_EQ(walk(dir, 0).n, 2);
    ASSERT(pwrite(fd, "o", 1, (off_t)end - 3) == 1); /* "...rec-o-rd" again */
    ASSERT_EQ(walk(dir, 0).n, 3);

    /* a new epoch after a checkpoint at 3: its shorter frames overwrite the start; the
     * old epoch's frames behind are not read even where a sequence would follow */
    journal_reset(j);
    add(j, 4, "four");
    ASSERT(journal_write(j) == 0 && journal_datasync(j) == 0);
    s = walk(dir, 3);
    ASSERT_EQ(s.n, 1);
    ASSERT_STREQ(s.text[0], "four");
    ASSERT_EQ(walk(dir, 1).n, 0); /* records 2 and 3 missing: nothing is applied */
    journal_reset(j);
    add(j, 2, "2"); /* a frame the old epoch's frame 3 would follow, were epochs ignored */
    ASSERT(journal_write(j) == 0 && journal_datasync(j) == 0);
    s = walk(dir, 1);
    ASSERT_EQ(s.n, 1);
    ASSERT_STREQ(s.text[0], "2");

    /* a rewound batch (its commit failed) is never read, even under a shorter one */
    journal_reset(j);
    add(j, 10, "ten");
    ASSERT(journal_write(j) == 0 && journal_datasync(j) == 0);
    uint64_t before = journal_size(j);
    add(j, 11, "eleven-a-long-one");
    add(j, 12, "twelve");
    ASSERT(journal_write(j) == 0 && journal_datasync(j) == 0);
    ASSERT_EQ(walk(dir, 9).n, 3);
    ASSERT(journal_rewind(j, before) == 0);
    ASSERT_EQ(walk(dir, 9).n, 1);
    add(j, 11, "eleven");
    ASSERT(journal_write(j) == 0 && journal_datasync(j) == 0);
    s = walk(dir, 9);
    ASSERT_EQ(s.n, 2);
    ASSERT_STREQ(s.text[1], "eleven");

    ASSERT(journal_crc32c(0, "123456789", 9) == 0xE3069283u); /* CRC-32C check value */

    close(fd);
    journal_close(j);
    ASSERT(journal_open(&other, dir, &busy, err, sizeof err) == 0); /* the lock went */
    journal_close(other);
    unlink(path);
    rmdir(dir);
    return 0;
}
