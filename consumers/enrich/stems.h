/*
 * stems.h - the stem memo, internal to the enrichers' helpers: langs.c
 * owns one per language (struct wh_enrich_lang's memo), terms.c reads
 * and fills it. The slot layout is here so that the term bag can
 * prefetch the slots it is about to read.
 *
 * Threads: a memo is used by one thread at a time, like its language's
 * resources.
 */
#ifndef WH_ENRICH_STEMS_H
#define WH_ENRICH_STEMS_H

#include <stddef.h>
#include <stdint.h>

#include "enrich.h"

struct stem_slot {
    char *word; /* "word\0stem\0" in one allocation; NULL: empty */
    uint32_t word_len;
    uint32_t stem_len;
};

struct wh_enrich_stems {
    struct stem_slot *slots;
    size_t cap; /* a power of two */
    size_t count;
};

/* The memo of lang (lang->stemmer not NULL), created empty on first use.
 * Borrowed from lang. */
struct wh_enrich_stems *wh_enrich_stems_of(struct wh_enrich_lang *lang);

/* The stem of the lower-case word w (len bytes, hash = wh_hash64(w,
 * len)) in lang: from the memo, else from the stemmer (remembered). Sets
 * *stem_len; the result is valid until the next call for lang. */
const char *wh_enrich_stem(struct wh_enrich_lang *lang, const char *w,
                           size_t len, uint64_t hash, size_t *stem_len);

/* Frees a memo and its words; NULL is a no-op. */
void wh_enrich_stems_free(struct wh_enrich_stems *m);

#endif
