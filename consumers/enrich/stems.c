/*
 * stems.c - the stem memo: lower-case word -> stem, one table per
 * language (see stems.h).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <libstemmer.h>

#include "stems.h"
#include "wh/hash.h"
#include "wh/wh.h"

/* Slots (powers of two): the table starts small, doubles when half full
 * up to STEMS_MAX_SLOTS, and is emptied when that is half full: 32768
 * words (bench/consume's 1402 real articles hold 27392 distinct ones; a
 * table of 8192 words emptied itself every 200 records and stemmed a
 * third of the words again). About 1 MB of slots and 1 MB of words at
 * the most, per language in use. */
#define STEMS_MIN_SLOTS 4096
#define STEMS_MAX_SLOTS 65536

static void stems_clear(struct wh_enrich_stems *m)
{
    size_t k;

    for (k = 0; k < m->cap; k++) {
        free(m->slots[k].word);
        m->slots[k].word = NULL;
    }
    m->count = 0;
}

void wh_enrich_stems_free(struct wh_enrich_stems *m)
{
    if (m != NULL) {
        stems_clear(m);
        free(m->slots);
        free(m);
    }
}

/* The free slot for a word not in the table (m->cap slots). */
static struct stem_slot *stems_free_slot(struct wh_enrich_stems *m,
                                         const char *w, size_t len)
{
    size_t k = (size_t)wh_hash64(w, len) & (m->cap - 1);

    while (m->slots[k].word != NULL) {
        k = (k + 1) & (m->cap - 1);
    }
    return &m->slots[k];
}

/* Doubles the table, keeping its words. */
static void stems_grow(struct wh_enrich_stems *m)
{
    struct stem_slot *old = m->slots;
    size_t old_cap = m->cap;
    size_t k;

    m->cap *= 2;
    m->slots = wh_xcalloc(m->cap, sizeof(*m->slots));
    for (k = 0; k < old_cap; k++) {
        if (old[k].word != NULL) {
            *stems_free_slot(m, old[k].word, old[k].word_len) = old[k];
        }
    }
    free(old);
}

struct wh_enrich_stems *wh_enrich_stems_of(struct wh_enrich_lang *lang)
{
    struct wh_enrich_stems *m = lang->memo;

    if (m == NULL) {
        m = wh_xcalloc(1, sizeof(*m));
        m->cap = STEMS_MIN_SLOTS;
        m->slots = wh_xcalloc(m->cap, sizeof(*m->slots));
        lang->memo = m;
    }
    return m;
}

/* hash is wh_hash64(w, len). */
const char *wh_enrich_stem(struct wh_enrich_lang *lang, const char *w,
                           size_t len, uint64_t hash, size_t *stem_len)
{
    struct wh_enrich_stems *m = wh_enrich_stems_of(lang);
    struct stem_slot *slot;
    const sb_symbol *r;
    size_t k;
    size_t n;

    k = (size_t)hash & (m->cap - 1);
    while (m->slots[k].word != NULL) {
        slot = &m->slots[k];
        if (slot->word_len == len && memcmp(slot->word, w, len) == 0) {
            *stem_len = slot->stem_len;
            return slot->word + len + 1;
        }
        k = (k + 1) & (m->cap - 1);
    }
    r = sb_stemmer_stem(lang->stemmer, (const sb_symbol *)w, (int)len);
    n = r != NULL ? (size_t)sb_stemmer_length(lang->stemmer) : 0;
    if (r == NULL || len > UINT32_MAX || n > UINT32_MAX) {
        *stem_len = len; /* out of memory in libstemmer: the word itself */
        return w;
    }
    if (m->count >= m->cap / 2) {
        if (m->cap < STEMS_MAX_SLOTS) {
            stems_grow(m);
        } else {
            stems_clear(m); /* bounded: start again */
        }
        slot = stems_free_slot(m, w, len);
    } else {
        slot = &m->slots[k];
    }
    slot->word = wh_xmalloc(len + n + 2);
    memcpy(slot->word, w, len);
    slot->word[len] = '\0';
    memcpy(slot->word + len + 1, r, n);
    slot->word[len + 1 + n] = '\0';
    slot->word_len = (uint32_t)len;
    slot->stem_len = (uint32_t)n;
    m->count++;
    *stem_len = n;
    return slot->word + len + 1;
}
