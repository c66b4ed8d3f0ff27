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

/* Parses text[0..len) (need not be NUL-terminated). Returns a new
 * reference, or NULL with errstr "line:column: reason". */
json_t *wh_json_parse(const char *text, size_t len, char *errstr,
                      size_t errstr_size);

/* "an object", "an array", "a string", "an integer", "a number", "a
 * boolean" or "null": v's JSON type for an error message. */
const char *wh_json_kind(const json_t *v);

#endif
