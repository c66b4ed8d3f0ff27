/*
 * hash.h - content hashes (xxHash XXH3, 64-bit), for body hashes and keys.
 */
#ifndef WH_HASH_H
#define WH_HASH_H

#include <stddef.h>
#include <stdint.h>

uint64_t wh_hash64(const void *data, size_t len);

/* Writes the 16 lower-case hex digits of h and a NUL into out[17]. */
void wh_hash64_hex(uint64_t h, char out[17]);

/* Hash of a body text after normalization (Unicode-agnostic: runs of ASCII
 * whitespace collapsed to one space, leading/trailing blanks dropped), so
 * that whitespace-only changes do not change it. Returned as
 * "xxh3:<16 hex>" in a newly allocated string. */
char *wh_body_hash(const char *text);

#endif
