/*
 * hash.c - XXH3 64-bit content hashes.
 */
#include "wh/hash.h"

#include <string.h>
#include <xxhash.h>

#include "wh/wh.h"

uint64_t wh_hash64(const void *data, size_t len)
{
    return (uint64_t)XXH3_64bits(data, len);
}

void wh_hash64_hex(uint64_t h, char out[17])
{
    static const char digits[] = "0123456789abcdef";
    int i;

    for (i = 15; i >= 0; i--) {
        out[i] = digits[h & 0xf];
        h >>= 4;
    }
    out[16] = '\0';
}

static int is_ascii_space(unsigned char c)
{
    /* '\t', '\n', '\v', '\f' and '\r' are 9 to 13 */
    return c == ' ' || (unsigned)c - '\t' < 5u;
}

char *wh_body_hash(const char *text)
{
    XXH3_state_t *st;
    const unsigned char *p = (const unsigned char *)(text ? text : "");
    unsigned char buf[4096];
    size_t n = 0;
    int started = 0;
    char hex[17];
    uint64_t h;

    /* The normalized text (runs of whitespace as one space, none at
     * either end) goes to the hash through a small buffer: a large body
     * is not copied whole, and the hash is not updated once a word (which
     * was a third of the dedup stage's hashing time). Each word is found
     * first, then copied in one go. */
    st = XXH3_createState();
    if (st == NULL) {
        wh_assert_fail("XXH3_createState() != NULL", __FILE__, __LINE__);
    }
    XXH3_64bits_reset(st);
    for (;;) {
        size_t run = 0;

        while (is_ascii_space(*p)) {
            p++;
        }
        if (*p == '\0') {
            break;
        }
        while (p[run] != '\0' && !is_ascii_space(p[run])) {
            run++;
        }
        if (started) {
            if (n == sizeof(buf)) {
                XXH3_64bits_update(st, buf, n);
                n = 0;
            }
            buf[n++] = ' ';
        }
        started = 1;
        while (run > 0) {
            size_t take = sizeof(buf) - n < run ? sizeof(buf) - n : run;

            if (take == 0) {
                XXH3_64bits_update(st, buf, n);
                n = 0;
                continue;
            }
            memcpy(buf + n, p, take);
            n += take;
            p += take;
            run -= take;
        }
    }
    XXH3_64bits_update(st, buf, n);
    h = (uint64_t)XXH3_64bits_digest(st);
    XXH3_freeState(st);
    wh_hash64_hex(h, hex);
    return wh_xasprintf("xxh3:%s", hex);
}
