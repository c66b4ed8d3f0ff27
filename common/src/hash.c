/*
 * hash.c - XXH3 64-bit content hashes.
 */
#include "wh/hash.h"

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
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' ||
           c == '\v';
}

char *wh_body_hash(const char *text)
{
    XXH3_state_t *st;
    const unsigned char *p = (const unsigned char *)(text ? text : "");
    unsigned char buf[4096];
    size_t n = 0;
    int pending_space = 0;
    int started = 0;
    char hex[17];
    uint64_t h;

    /* The normalized text (runs of whitespace as one space, none at
     * either end) goes to the hash through a small buffer: a large body
     * is not copied whole, and the hash is not updated once a word (which
     * was a third of the dedup stage's hashing time). */
    st = XXH3_createState();
    if (st == NULL) {
        wh_assert_fail("XXH3_createState() != NULL", __FILE__, __LINE__);
    }
    XXH3_64bits_reset(st);
    for (; *p != '\0'; p++) {
        if (is_ascii_space(*p)) {
            pending_space = 1;
            continue;
        }
        if (n + 2 > sizeof(buf)) {
            XXH3_64bits_update(st, buf, n);
            n = 0;
        }
        if (pending_space && started) {
            buf[n++] = ' ';
        }
        pending_space = 0;
        started = 1;
        buf[n++] = *p;
    }
    XXH3_64bits_update(st, buf, n);
    h = (uint64_t)XXH3_64bits_digest(st);
    XXH3_freeState(st);
    wh_hash64_hex(h, hex);
    return wh_xasprintf("xxh3:%s", hex);
}
