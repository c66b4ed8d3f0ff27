/*
 * terms.c - the term bag: the stems of a text with their weights, and
 * the calling thread's cache of the last bag built (see enrich.h).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "enrich.h"
#include "stems.h"
#include "wh/buf.h"
#include "wh/hash.h"
#include "wh/wh.h"

static void terms_grow_slots(struct wh_enrich_terms *t)
{
    size_t k;

    free(t->slots);
    t->nslots = t->nslots == 0 ? 256 : t->nslots * 2;
    t->slots = wh_xcalloc(t->nslots, sizeof(*t->slots));
    for (k = 0; k < t->n; k++) {
        size_t h = (size_t)t->v[k].hash & (t->nslots - 1);

        while (t->slots[h] != 0) {
            h = (h + 1) & (t->nslots - 1);
        }
        t->slots[h] = k + 1;
    }
}

/* Appends s[0..n) to the arena: a copy when it fits, as it does when
 * wh_enrich_terms_build() sized it. No maximum on the arena: this cannot
 * fail (out of memory aborts). */
static void arena_put(struct wh_buf *arena, const char *s, size_t n)
{
    if (n < arena->cap - arena->len) {
        memcpy(arena->data + arena->len, s, n);
        arena->len += n;
        return;
    }
    (void)wh_buf_append(arena, s, n);
}

/* Stems and forms go to one arena (offsets while it may move; pointers
 * once the bag is built): a record's few hundred terms cost one
 * allocation, not one each. */
static void terms_add(struct wh_enrich_terms *t, const char *stem,
                      size_t stem_len, const char *form, size_t form_len,
                      double weight, size_t index)
{
    struct wh_enrich_term *term;
    uint64_t hash = wh_hash64(stem, stem_len);
    size_t h;

    if ((t->n + 1) * 2 > t->nslots) {
        terms_grow_slots(t);
    }
    h = (size_t)hash & (t->nslots - 1);
    while (t->slots[h] != 0) {
        term = &t->v[t->slots[h] - 1];
        if (term->hash == hash && term->stem_len == stem_len &&
            memcmp(t->arena.data + term->off, stem, stem_len) == 0) {
            term->weight += weight;
            term->count++;
            if (form_len < term->form_len) {
                /* shorter: fits where the longer form was */
                memcpy(t->arena.data + term->off + stem_len + 1, form,
                       form_len + 1);
                term->form_len = form_len;
            }
            t->total += weight;
            return;
        }
        h = (h + 1) & (t->nslots - 1);
    }
    if (t->n == t->cap) {
        t->cap = t->cap == 0 ? 64 : t->cap * 2;
        t->v = wh_xrealloc(t->v, t->cap * sizeof(*t->v));
    }
    term = &t->v[t->n];
    term->off = t->arena.len;
    /* stem and form are NUL-terminated: each goes with its NUL */
    arena_put(&t->arena, stem, stem_len + 1);
    arena_put(&t->arena, form, form_len + 1);
    term->stem = NULL;
    term->form = NULL;
    term->stem_len = stem_len;
    term->form_len = form_len;
    term->hash = hash;
    term->weight = weight;
    term->count = 1;
    term->first = index;
    t->slots[h] = ++t->n;
    t->total += weight;
}

/* 1 when s[0..len) holds fewer than 3 characters. */
static int under_3_chars(const char *s, size_t len)
{
    size_t i;
    size_t n = 0;

    if (len >= 9 || (len >= 3 && ((s[0] | s[1] | s[2]) & 0x80) == 0)) {
        return 0; /* a character takes 4 bytes at most; ASCII one */
    }
    for (i = 0; i < len; i++) {
        n += ((unsigned char)s[i] & 0xC0) != 0x80 ? 1 : 0;
    }
    return n < 3;
}

/* Drops a possessive "'s" (ASCII or U+2019 apostrophe). */
static size_t strip_possessive(const char *s, size_t len)
{
    if (len > 2 && s[len - 1] == 's' && s[len - 2] == '\'') {
        return len - 2;
    }
    if (len > 4 && s[len - 1] == 's' &&
        memcmp(s + len - 4, "\xE2\x80\x99", 3) == 0) {
        return len - 4;
    }
    return len;
}

#define LOW_MAX 256 /* bytes of a lower-case word with its NUL */

/* wh_enrich_lower_buf(s, len, out, LOW_MAX), ASCII words lower-cased
 * here without a call. */
static size_t lower_word(const char *s, size_t len, char *out)
{
    size_t i;

    if (len + 4 >= LOW_MAX) {
        return wh_enrich_lower_buf(s, len, out, LOW_MAX);
    }
    for (i = 0; len - i >= 8; i += 8) {
        /* eight ASCII bytes at a time: 0x20 added to those in A..Z */
        const uint64_t highs = 0x8080808080808080ull;
        const uint64_t ones = 0x0101010101010101ull;
        uint64_t x;
        uint64_t upper;

        memcpy(&x, s + i, 8);
        if ((x & highs) != 0) {
            return wh_enrich_lower_buf(s, len, out, LOW_MAX);
        }
        /* high bit of a byte: >= 'A' in the first term, > 'Z' in the
         * second (no carry between bytes: each is below 0x80) */
        upper =
            (x + ones * (0x80 - 'A')) & ~(x + ones * (0x80 - 'Z' - 1)) & highs;
        x |= upper >> 2;
        memcpy(out + i, &x, 8);
    }
    for (; i < len; i++) {
        unsigned char c = (unsigned char)s[i];

        if (c >= 0x80) {
            return wh_enrich_lower_buf(s, len, out, LOW_MAX);
        }
        out[i] = (char)((unsigned)c - 'A' < 26u ? c | 0x20 : c);
    }
    out[len] = '\0';
    return len;
}

/* A word kept by the first pass of wh_enrich_terms_build(). */
struct pending_word {
    size_t off; /* of its lower-case form in the pass's buffer */
    size_t len;
    uint64_t hash; /* of the lower-case form: its stem memo slot */
    double weight;
    size_t index;
};

#define STEM_AHEAD 8 /* words between a memo prefetch and its use */

void wh_enrich_terms_build(struct wh_enrich_terms *t,
                           const struct wh_enrich_text *tx,
                           struct wh_enrich_lang *lang)
{
    const struct wh_enrich_input *in = &tx->in;
    struct wh_enrich_stems *memo =
        lang->stemmer != NULL ? wh_enrich_stems_of(lang) : NULL;
    /* at most one pending word per token */
    struct pending_word *pw = wh_xmalloc((tx->ntok + 1) * sizeof(*pw));
    size_t npw = 0;
    /* the kept words, "low\0" each, one after the other: lower-casing
     * may lengthen a word, so room for LOW_MAX more is kept */
    size_t lows_cap = in->len + LOW_MAX + 1;
    char *lows = wh_xmalloc(lows_cap);
    size_t lows_len = 0;
    size_t body_first = (size_t)-1;
    size_t j;
    size_t k;
    const char *skip_from = in->text + in->body_off;
    const char *skip_to =
        skip_from + wh_enrich_dateline_end(skip_from, in->len - in->body_off);

    memset(t, 0, sizeof(*t));
    wh_buf_init(&t->arena, 0);
    /* Pass 1: the words to count, lower-cased, each with its weight; the
     * stem memo slot of each is prefetched (the memo outgrows the L2
     * cache of a busy consumer, and waiting for it was half of this
     * function's time) */
    for (j = 0; j < tx->ntok; j++) {
        const struct wh_enrich_token *tok = &tx->tok[j];
        char *low;
        size_t low_len;
        size_t len;
        uint64_t hash;
        struct pending_word *p;

        if (tok->s >= skip_from && tok->s < skip_to) {
            continue; /* the dateline */
        }
        t->words++;
        if (tok->flags & WH_TOK_IDEO) {
            t->ideo++;
            continue;
        }
        if (tok->flags & WH_TOK_DIGIT) {
            continue;
        }
        len = strip_possessive(tok->s, tok->len);
        if (under_3_chars(tok->s, len)) {
            continue;
        }
        if (lows_cap - lows_len < LOW_MAX) {
            lows_cap *= 2;
            lows = wh_xrealloc(lows, lows_cap);
        }
        low = lows + lows_len;
        low_len = lower_word(tok->s, len, low);
        if (low_len == (size_t)-1) {
            continue; /* not a word: longer than any */
        }
        hash = wh_hash64(low, low_len);
        if (lang->stop != NULL &&
            wh_enrich_words_get_hashed(lang->stop, low, low_len, hash) != 0) {
            continue;
        }
        p = &pw[npw++];
        p->off = lows_len;
        p->len = low_len;
        lows_len += low_len + 1; /* and its NUL */
        p->hash = hash;
        if (memo != NULL) {
            __builtin_prefetch(&memo->slots[p->hash & (memo->cap - 1)]);
        }
        p->index = tok->index;
        if (tok->flags & WH_TOK_HEAD) {
            p->weight = 3.0;
        } else {
            if (body_first == (size_t)-1) {
                body_first = tok->index;
            }
            p->weight =
                1.0 + 1.0 / (1.0 + (double)(tok->index - body_first) / 50.0);
        }
    }
    /* Pass 2: stems (the word a memo slot points to is prefetched a few
     * words ahead too) and the bag, whose arena gets room for every
     * word twice (a stem is seldom longer than its word) */
    t->arena.cap = 2 * lows_len + 64;
    t->arena.data = wh_xmalloc(t->arena.cap);
    t->cap = npw + 1; /* a term per word at the most */
    t->v = wh_xmalloc(t->cap * sizeof(*t->v));
    for (k = 0; k < npw; k++) {
        const char *low = lows + pw[k].off;
        const char *stem = low;
        size_t stem_len = pw[k].len;

        if (memo != NULL) {
            if (k + STEM_AHEAD < npw) {
                const struct stem_slot *ahead =
                    &memo->slots[pw[k + STEM_AHEAD].hash & (memo->cap - 1)];

                if (ahead->word != NULL) {
                    __builtin_prefetch(ahead->word);
                }
            }
            stem = wh_enrich_stem(lang, low, pw[k].len, pw[k].hash, &stem_len);
        }
        if (stem_len > 0) {
            terms_add(t, stem, stem_len, low, pw[k].len, pw[k].weight,
                      pw[k].index);
        }
    }
    free(pw);
    free(lows);
    for (k = 0; k < t->n; k++) { /* the arena no longer moves */
        t->v[k].stem = t->arena.data + t->v[k].off;
        t->v[k].form = t->v[k].stem + t->v[k].stem_len + 1;
    }
}

void wh_enrich_terms_free(struct wh_enrich_terms *t)
{
    wh_buf_free(&t->arena);
    free(t->v);
    free(t->slots);
    memset(t, 0, sizeof(*t));
}

/* The calling thread's cached bag (see wh_enrich_terms_get()). */
struct terms_cache {
    unsigned long long serial; /* of the text; 0: empty */
    char code[8];
    int stemmer;  /* 1: stemmed */
    size_t stops; /* stop words, (size_t)-1 for no list */
    struct wh_enrich_terms terms;
};

static _Thread_local struct terms_cache terms_cache;

void wh_enrich_terms_cache_clear(void)
{
    struct terms_cache *c = &terms_cache;

    if (c->serial != 0) {
        wh_enrich_terms_free(&c->terms);
        c->serial = 0;
    }
}

const struct wh_enrich_terms *
wh_enrich_terms_get(const struct wh_enrich_text *tx,
                    struct wh_enrich_lang *lang)
{
    struct terms_cache *c = &terms_cache;
    size_t stops =
        lang->stop != NULL ? wh_enrich_words_count(lang->stop) : (size_t)-1;

    if (c->serial != 0 && c->serial == tx->serial && c->stops == stops &&
        c->stemmer == (lang->stemmer != NULL) &&
        strcmp(c->code, lang->code) == 0) {
        return &c->terms;
    }
    wh_enrich_terms_cache_clear();
    wh_enrich_terms_build(&c->terms, tx, lang);
    c->serial = tx->serial;
    memcpy(c->code, lang->code, sizeof(c->code));
    c->stemmer = lang->stemmer != NULL;
    c->stops = stops;
    return &c->terms;
}
