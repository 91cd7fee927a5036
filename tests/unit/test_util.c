/* util.c and ccerr.c: hex, SHA-256 known answer, big-endian keys, str_copy, buffers,
 * wire codes. */
#include "ccerr.h"
#include "check.h"
#include "util.h"

int main(void)
{
    uint8_t d[CC_SHA256_LEN];
    char hex[2 * CC_SHA256_LEN + 1];
    sha256("abc", 3, d);
    hex_encode(d, sizeof d, hex);
    ASSERT_STREQ(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    uint8_t back[CC_SHA256_LEN];
    ASSERT_EQ(hex_decode(hex, back, sizeof back), 0);
    ASSERT(memcmp(back, d, sizeof d) == 0);
    ASSERT_EQ(hex_decode("0g", back, 1), -1);
    ASSERT_EQ(hex_decode("AbCd", back, 2), 0);
    ASSERT_EQ(back[0], 0xab);

    uint8_t k[8];
    put_be64(k, 0x0102030405060708ull);
    ASSERT_EQ(k[0], 1);
    ASSERT_EQ(k[7], 8);
    ASSERT(get_be64(k) == 0x0102030405060708ull);
    put_be32(k, 0xfffefdfcu);
    ASSERT_EQ(k[0], 0xff);
    ASSERT_EQ(k[3], 0xfc);
    ASSERT(get_be32(k) == 0xfffefdfcu);

    /* str_copy: whole when it fits (cap - 1 bytes at most), cut like snprintf's "%s" */
    char small[5];
    str_copy(small, sizeof small, "abcd");
    ASSERT_STREQ(small, "abcd");
    str_copy(small, sizeof small, "abcde");
    ASSERT_STREQ(small, "abcd");
    str_copy(small, sizeof small, "");
    ASSERT_STREQ(small, "");
    str_copy(small, 1, "xyz");
    ASSERT_STREQ(small, "");

    struct ccbuf b;
    ccbuf_init(&b);
    for (int i = 0; i < 1000; i++)
        ccbuf_append(&b, "xy", 2);
    ASSERT_EQ(b.len, 2000);
    ASSERT(b.data[1999] == 'y');
    ccbuf_free(&b);

    uint8_t r1[16] = {0}, r2[16] = {0};
    random_bytes(r1, sizeof r1);
    random_bytes(r2, sizeof r2);
    ASSERT(memcmp(r1, r2, 16) != 0);

    ASSERT_STREQ(ccerr_wire(CC_EBADJSON), "bad_json");
    ASSERT_STREQ(ccerr_wire(CC_EINVALID), "invalid_design");
    ASSERT_STREQ(ccerr_wire(CC_EINTERNAL), "internal");
    ASSERT_STREQ(ccerr_wire(-99), "internal");
    ASSERT_STREQ(ccerr_wire(CC_ECLOSED), "closed");
    return 0;
}
