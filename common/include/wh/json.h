/*
 * json.h - JSON text to a jansson tree, faster than jansson's reader.
 *
 * wh_json_parse() builds the same tree json_loadb(text, len,
 * JSON_REJECT_DUPLICATES, ...) builds and refuses what it refuses (the
 * record tests compare the two on edited documents): RFC 8259's grammar,
 * valid UTF-8 only, no NUL (raw or \u0000), no lone surrogates, no
 * duplicate keys, integers within json_int_t, no real that overflows,
 * nesting up to 2048 levels, an object or an array at the top. Only the
 * wording of its errors differs.
 *
 * Threads: reentrant.
 */
#ifndef WH_JSON_H
#define WH_JSON_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

/* Parses text[0..len) (need not be NUL-terminated). Returns a new
 * reference, or NULL with errstr "line:column: reason". */
json_t *wh_json_parse(const char *text, size_t len, char *errstr,
                      size_t errstr_size);

/* "an object", "an array", "a string", "an integer", "a number", "a
 * boolean" or "null": v's JSON type for an error message. */
const char *wh_json_kind(const json_t *v);

/* Makes jansson keep the small blocks its values give back (up to 256
 * bytes, at most WH_JSON_RECYCLE_MAX of each size, per thread) and hand
 * them out again, instead of glibc's malloc and free for each: a record's
 * tree and the enrichers' evidence are ~460 blocks, more than glibc's
 * per-thread cache holds, so every record went through malloc's slow
 * paths. The blocks are still ordinary malloc() blocks: any of them may
 * be given to free(), and blocks jansson took before the call are
 * recycled too; nothing depends on when it is called. A no-op under
 * AddressSanitizer (which must see every free). Call it before a second
 * thread uses jansson. */
#define WH_JSON_RECYCLE_MAX 1024
void wh_json_recycle(void);

/* 1 when none of the 8 bytes at p needs a second look in a JSON string:
 * each is printable ASCII (0x20..0x7F) other than '"' and '\\'. For the
 * loops that read strings a word at a time (the reader, the record dump);
 * exact, no false answer either way. */
static inline int wh_json_plain8(const void *p)
{
    const uint64_t ones = 0x0101010101010101ull;
    const uint64_t highs = 0x8080808080808080ull;
    uint64_t x;
    uint64_t q;
    uint64_t b;

    memcpy(&x, p, 8);
    q = x ^ (ones * '"');
    b = x ^ (ones * '\\');
    /* a byte >= 0x80, or < 0x20, or zero after the XOR with '"' or '\\' */
    return ((x | ((x - ones * 0x20) & ~x) | ((q - ones) & ~q) |
             ((b - ones) & ~b)) &
            highs) == 0;
}

#endif
