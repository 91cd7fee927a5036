/* util.c's UTF-8 checker (RFC 3629): every valid length at its bounds, and each kind
 * of invalid input: stray and missing continuation bytes, overlong forms, surrogates,
 * code points past U+10FFFF, bytes that never appear; and comments.c's text rules on
 * top of it (lengths in scalar values, control characters, blank text). */
#include <string.h>

#include "ccerr.h"
#include "check.h"
#include "comments.h"
#include "util.h"

static int decode(const char *s, size_t len, uint32_t *cp)
{
    return utf8_decode((const uint8_t *)s, len, cp);
}

static void ok(const char *s, size_t len, uint32_t want)
{
    uint32_t cp = 0xFFFFFFFF;
    ASSERT_EQ(decode(s, len, &cp), (long long)len);
    ASSERT_EQ(cp, want);
    ASSERT_EQ(utf8_count(s, len, NULL), 1);
}

static void bad(const char *s, size_t len)
{
    uint32_t cp;
    size_t at = 99;
    ASSERT_EQ(decode(s, len, &cp), 0);
    ASSERT_EQ(utf8_count(s, len, &at), -1);
    ASSERT_EQ(at, 0);
}

static int text_ok(const char *s, size_t len)
{
    struct jargs_err e;
    int rc = comment_check_text(s, len, &e);
    if (rc)
        ASSERT_STREQ(e.field, "text");
    return rc == 0;
}

int main(void)
{
    /* the bounds of each length */
    ok("\x00", 1, 0);
    ok("\x7f", 1, 0x7F);
    ok("\xc2\x80", 2, 0x80);
    ok("\xdf\xbf", 2, 0x7FF);
    ok("\xe0\xa0\x80", 3, 0x800);
    ok("\xed\x9f\xbf", 3, 0xD7FF);
    ok("\xee\x80\x80", 3, 0xE000);
    ok("\xef\xbf\xbf", 3, 0xFFFF);
    ok("\xf0\x90\x80\x80", 4, 0x10000);
    ok("\xf4\x8f\xbf\xbf", 4, 0x10FFFF);
    /* stray continuation bytes, truncated sequences, a non-continuation inside */
    bad("\x80", 1);
    bad("\xbf", 1);
    bad("\xc3", 1);
    bad("\xe2\x82", 2);
    bad("\xf0\x9f\x98", 3);
    bad("\xc3\x28", 2);
    bad("\xe2\x28\xa1", 3);
    bad("\xf0\x9f\x28\x80", 4);
    /* overlong forms */
    bad("\xc0\x80", 2);
    bad("\xc0\xaf", 2);
    bad("\xc1\xbf", 2);
    bad("\xe0\x80\xaf", 3);
    bad("\xe0\x9f\xbf", 3);
    bad("\xf0\x80\x80\xaf", 4);
    bad("\xf0\x8f\xbf\xbf", 4);
    /* surrogates */
    bad("\xed\xa0\x80", 3);
    bad("\xed\xaf\xbf", 3);
    bad("\xed\xb0\x80", 3);
    bad("\xed\xbf\xbf", 3);
    /* past U+10FFFF, and bytes UTF-8 never uses */
    bad("\xf4\x90\x80\x80", 4);
    bad("\xf5\x80\x80\x80", 4);
    bad("\xf7\xbf\xbf\xbf", 4);
    bad("\xf8\x88\x80\x80\x80", 5);
    bad("\xfe", 1);
    bad("\xff", 1);
    /* counting, and where the first bad byte is */
    ASSERT_EQ(utf8_count("", 0, NULL), 0);
    ASSERT_EQ(utf8_count("a\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80", 10, NULL), 4);
    size_t at = 0;
    ASSERT_EQ(utf8_count("ab\xc3\xa9\xed\xa0\x80", 7, &at), -1);
    ASSERT_EQ(at, 4);
    ASSERT_EQ(utf8_count("abc\xe2\x82", 5, &at), -1);
    ASSERT_EQ(at, 3);
    /* a sequence cut short by the length, not by a NUL */
    uint32_t cp;
    ASSERT_EQ(decode("\xe2\x82\xac", 2, &cp), 0);
    ASSERT_EQ(decode("", 0, &cp), 0);

    /* comment texts: 1..2000 scalar values of any width */
    static char buf[4 * COMMENT_TEXT_MAX + 8];
    const char *widths[] = {"x", "\xc3\xa9", "\xe2\x82\xac", "\xf0\x9f\x98\x80"};
    for (size_t w = 0; w < 4; w++) {
        size_t n = strlen(widths[w]);
        for (size_t i = 0; i < COMMENT_TEXT_MAX + 1; i++)
            memcpy(buf + i * n, widths[w], n);
        ASSERT(text_ok(buf, n));
        ASSERT(text_ok(buf, COMMENT_TEXT_MAX * n));
        ASSERT(!text_ok(buf, (COMMENT_TEXT_MAX + 1) * n));
    }
    ASSERT(!text_ok("", 0));
    ASSERT(!text_ok(" ", 1));
    ASSERT(!text_ok(" \t\r\n ", 5));
    ASSERT(text_ok(" a ", 3));
    ASSERT(text_ok("a\tb\r\nc", 6));
    ASSERT(!text_ok("a\x00" "b", 3));
    ASSERT(!text_ok("a\x1b" "b", 3));
    ASSERT(!text_ok("a\x7f", 2));
    ASSERT(!text_ok("a\xc2\x85", 3));  /* U+0085, a C1 control */
    ASSERT(!text_ok("a\xc2\x9f", 3));  /* U+009F */
    ASSERT(text_ok("a\xc2\xa0", 3));   /* U+00A0 no-break space is text */
    ASSERT(!text_ok("a\xed\xa0\x80", 4));
    ASSERT(!text_ok("a\xc0\xaf", 3));
    return 0;
}
