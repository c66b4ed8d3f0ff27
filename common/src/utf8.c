/*
 * utf8.c - UTF-8 decoding and encoding (see utf8.h for the invalid-byte
 * policy).
 */
#include "wh/utf8.h"

#include <string.h>

#include "wh/wh.h"

uint32_t wh_utf8_next(const char *s, size_t len, size_t *i, int *bad)
{
    const unsigned char *p = (const unsigned char *)s + *i;
    size_t n = wh_utf8_valid(p, len - *i);

    switch (n) {
    case 1:
        *i += 1;
        return p[0];
    case 2:
        *i += 2;
        return ((uint32_t)(p[0] & 0x1F) << 6) | (p[1] & 0x3Fu);
    case 3:
        *i += 3;
        return ((uint32_t)(p[0] & 0x0F) << 12) |
               ((uint32_t)(p[1] & 0x3F) << 6) | (p[2] & 0x3Fu);
    case 4:
        *i += 4;
        return ((uint32_t)(p[0] & 0x07) << 18) |
               ((uint32_t)(p[1] & 0x3F) << 12) |
               ((uint32_t)(p[2] & 0x3F) << 6) | (p[3] & 0x3Fu);
    default:
        if (bad != NULL) {
            *bad = 1;
        }
        *i += 1;
        return WH_UTF8_REPLACEMENT;
    }
}

size_t wh_utf8_put(uint32_t cp, char *out)
{
    if (cp < 0x80) {
        out[0] = (char)cp;
        return 1;
    }
    if (cp < 0x800) {
        out[0] = (char)(0xC0 | (cp >> 6));
        out[1] = (char)(0x80 | (cp & 0x3F));
        return 2;
    }
    if (cp < 0x10000) {
        out[0] = (char)(0xE0 | (cp >> 12));
        out[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
        out[2] = (char)(0x80 | (cp & 0x3F));
        return 3;
    }
    out[0] = (char)(0xF0 | (cp >> 18));
    out[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
    out[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
    out[3] = (char)(0x80 | (cp & 0x3F));
    return 4;
}

int wh_utf8_is_valid(const char *s, size_t len)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t i = 0;

    while (i < len) {
        size_t n = p[i] < 0x80 ? 1 : wh_utf8_valid(p + i, len - i);

        if (n == 0) {
            return 0;
        }
        i += n;
    }
    return 1;
}

size_t wh_utf8_count(const char *s, size_t len)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t count = 0;
    size_t i = 0;

    while (i < len) {
        size_t n = p[i] < 0x80 ? 1 : wh_utf8_valid(p + i, len - i);

        i += n != 0 ? n : 1;
        count++;
    }
    return count;
}

char *wh_utf8_clean(const char *s, size_t len, size_t *out_len)
{
    const unsigned char *p = (const unsigned char *)s;
    /* Each invalid byte grows to 3: the worst case is 3 len. */
    char *out = wh_xmalloc(len * 3 + 1);
    size_t o = 0;
    size_t i = 0;

    while (i < len) {
        size_t n = p[i] < 0x80 ? 1 : wh_utf8_valid(p + i, len - i);

        if (n == 0) {
            o += wh_utf8_put(WH_UTF8_REPLACEMENT, out + o);
            i++;
        } else {
            memcpy(out + o, p + i, n);
            o += n;
            i += n;
        }
    }
    out[o] = '\0';
    if (out_len != NULL) {
        *out_len = o;
    }
    return out;
}
