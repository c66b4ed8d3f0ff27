/*
 * utf8.h - UTF-8 decoding and encoding, with one policy for invalid
 * input everywhere in wirehose.
 *
 * Valid: the shortest form of a Unicode scalar value, 1 to 4 bytes
 * (RFC 3629): no overlong forms (C0, C1, E0 80..9F, F0 80..8F), no
 * surrogates (ED A0..BF, i.e. U+D800..U+DFFF), nothing above U+10FFFF (F4
 * 90.., F5..FF), every continuation byte 80..BF and present.
 *
 * Policy for everything else: the byte at which no valid sequence starts
 * is invalid on its own; it decodes as U+FFFD (WH_UTF8_REPLACEMENT) and
 * decoding goes on at the very next byte. So a truncated sequence ("E2
 * 82" then "A"), a stray continuation byte, an overlong form or a
 * surrogate gives one U+FFFD per byte that was not taken, and the ASCII
 * byte that cut a sequence short is decoded as itself.
 */
#ifndef WH_UTF8_H
#define WH_UTF8_H

#include <stddef.h>
#include <stdint.h>

#define WH_UTF8_REPLACEMENT 0xFFFDu

/* Length (1 to 4) of the valid sequence starting at s, of which n >= 1
 * bytes are readable; 0 when no valid sequence starts there. Inline: it
 * runs for every non-ASCII character of a page. */
static inline size_t wh_utf8_valid(const unsigned char *s, size_t n)
{
    unsigned char c = s[0];

    if (c < 0x80) {
        return 1;
    }
    if (c >= 0xC2 && c <= 0xDF) {
        return n >= 2 && (s[1] & 0xC0) == 0x80 ? 2 : 0;
    }
    if (c >= 0xE0 && c <= 0xEF) {
        if (n < 3 || (s[1] & 0xC0) != 0x80 || (s[2] & 0xC0) != 0x80) {
            return 0;
        }
        if ((c == 0xE0 && s[1] < 0xA0) || (c == 0xED && s[1] >= 0xA0)) {
            return 0; /* overlong, surrogate */
        }
        return 3;
    }
    if (c >= 0xF0 && c <= 0xF4) {
        if (n < 4 || (s[1] & 0xC0) != 0x80 || (s[2] & 0xC0) != 0x80 ||
            (s[3] & 0xC0) != 0x80) {
            return 0;
        }
        if ((c == 0xF0 && s[1] < 0x90) || (c == 0xF4 && s[1] >= 0x90)) {
            return 0; /* overlong, above U+10FFFF */
        }
        return 4;
    }
    return 0;
}

/* Decodes the character at s[*i] (*i < len) and advances *i past it. An
 * invalid byte decodes as U+FFFD, advances *i by one and sets *bad to 1
 * (bad may be NULL; it is never set to 0). */
uint32_t wh_utf8_next(const char *s, size_t len, size_t *i, int *bad);

/* wh_utf8_next() without bad, with ASCII decoded inline: for loops over
 * every character of a text. */
static inline uint32_t wh_utf8_next_fast(const char *s, size_t len, size_t *i)
{
    unsigned char c = (unsigned char)s[*i];

    if (c < 0x80) {
        *i += 1;
        return c;
    }
    return wh_utf8_next(s, len, i, NULL);
}

/* Encodes cp (at most U+10FFFF) into out, which has room for 4 bytes;
 * returns the bytes written. */
size_t wh_utf8_put(uint32_t cp, char *out);

/* Non-zero when s (len bytes) is valid UTF-8 throughout. */
int wh_utf8_is_valid(const char *s, size_t len);

/* The characters of s (len bytes) as the policy decodes them: each
 * invalid byte counts as one. */
size_t wh_utf8_count(const char *s, size_t len);

/* s (len bytes) as valid UTF-8, each invalid byte replaced by U+FFFD, in
 * a new NUL-terminated string (the caller frees it); *out_len (may be
 * NULL) gets its length. */
char *wh_utf8_clean(const char *s, size_t len, size_t *out_len);

#endif
