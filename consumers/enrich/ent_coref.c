/*
 * ent_coref.c - the decisions (stage 3 of entities.c): types
 * shared by coordinated names, coreference within the document, the
 * ambiguous names.
 */

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "enrich.h"
#include "wh/buf.h"
#include "wh/hash.h"
#include "wh/record.h"
#include "wh/wh.h"
#include "ent_internal.h"

/* ---- decisions ---- */

static enum kind best_kind(const struct group *g, double min, int *tie)
{
    enum kind best = K_NONE;
    double top = 0;
    int k;

    *tie = 0;
    for (k = K_PERSON; k < K_COUNT; k++) {
        if (g->score[k] > top) {
            top = g->score[k];
            best = (enum kind)k;
            *tie = 0;
        } else if (g->score[k] == top && top > 0) {
            *tie = 1;
        }
    }
    if (top < min || *tie) {
        return K_NONE;
    }
    return best;
}

/* 1 when the word w (len bytes) is word number pos of name (0 first,
 * -1 last, -2 any). */
static int has_word(const char *name, const char *w, size_t len, int pos)
{
    const char *s = name;
    int n = 0;

    while (*s != '\0') {
        const char *e = strchr(s, ' ');
        size_t l = e == NULL ? strlen(s) : (size_t)(e - s);

        if (l == len && memcmp(s, w, len) == 0 &&
            (pos == -2 || pos == n || (pos == -1 && e == NULL))) {
            return 1;
        }
        n++;
        if (e == NULL) {
            break;
        }
        s = e + 1;
    }
    return 0;
}

/* The initials of the capitalized words of name ("NRC" for "National
 * Research Council") equal w. */
static int is_acronym_of(const char *name, const char *w, size_t len)
{
    const char *s = name;
    size_t n = 0;

    while (*s != '\0') {
        if (*s >= 'A' && *s <= 'Z') {
            if (n >= len || w[n] != *s) {
                return 0;
            }
            n++;
        }
        s = strchr(s, ' ');
        if (s == NULL) {
            break;
        }
        s++;
    }
    return n == len && n >= 2;
}

/* The next word of a name at *s (advanced past it and its blank):
 * its length, 0 at the end. */
static size_t next_word(const char **s, const char **w)
{
    const char *e;
    size_t len;

    *w = *s;
    e = strchr(*s, ' ');
    len = e == NULL ? strlen(*s) : (size_t)(e - *s);
    *s += len + (e != NULL ? 1 : 0);
    return len;
}

/* Every word of the name a appears, in order, in name b ("Barack Obama"
 * in "Barack Hussein Obama"). */
static int words_within(const char *a, const char *b)
{
    const char *wa;
    const char *wb;
    size_t la;

    while ((la = next_word(&a, &wa)) > 0) {
        size_t lb;

        do {
            lb = next_word(&b, &wb);
            if (lb == 0) {
                return 0;
            }
        } while (lb != la || memcmp(wa, wb, la) != 0);
    }
    return 1;
}

/* A bit for a word (len bytes at w), from its first letters and length:
 * a name's mask ORs its words' bits, so most one-word names are ruled out
 * as its aliases without comparing strings. */
static uint64_t word_bit(const char *w, size_t len)
{
    unsigned h = (unsigned char)w[0] * 31u + (unsigned)len;

    return (uint64_t)1 << (h & 63u);
}

static uint64_t name_mask(const char *name)
{
    const char *s = name;
    const char *w;
    uint64_t mask = 0;
    size_t len;

    while ((len = next_word(&s, &w)) > 0) {
        mask |= word_bit(w, len);
    }
    return mask;
}

static void note_ambiguous(struct run *r, const char *name, unsigned bits)
{
    json_t *lists;

    if (json_array_size(r->ambiguous) >= EVIDENCE_MAX) {
        return;
    }
    lists = json_array();
    if (bits & G_PLACE) {
        json_array_append_new(lists, json_string("places"));
    }
    if (bits & G_GIVEN) {
        json_array_append_new(lists, json_string("given-names"));
    }
    if (bits & G_ORG) {
        json_array_append_new(lists, json_string("organisations"));
    }
    json_array_append_new(
        r->ambiguous, json_pack("{s:s, s:o, s:s}", "name", name, "lists", lists,
                                "reason", "as strong for two types"));
}

/* The name ending at token b is followed by a lower-case word, not by
 * punctuation or "and": it starts a clause ("..., Holt drove in two
 * runs"), it ends no list. */
static int starts_clause(const struct run *r, size_t b)
{
    const struct wh_enrich_token *n;

    if (b + 1 >= r->ntok || !ent_blank_gap(r, b)) {
        return 0;
    }
    n = &r->tok[b + 1];
    return (n->flags & (WH_TOK_CAP | WH_TOK_UPPER | WH_TOK_DIGIT)) == 0 &&
           !ent_tok_is(n, "and") && !ent_tok_is(n, "or") &&
           !ent_tok_is(n, "et");
}

/* The mentions m and m + 1 are coordinated: "A and B", "A, B", "A &
 * B" (names in a list have one type). */
static int coordinated(const struct run *r, size_t m)
{
    const struct mention *x = &r->men[m];
    const struct mention *y = &r->men[m + 1];

    if (y->a == x->b + 1) {
        return (ent_after_char(r, x->b) == ',' &&
                ((r->grp[y->grp].bits & (G_PLACE | G_ORG | G_GIVEN)) != 0 ||
                 !starts_clause(r, y->b))) ||
               ent_amp_gap(r, x->b);
    }
    return y->a == x->b + 2 &&
           (ent_tok_is(&r->tok[x->b + 1], "and") ||
            ent_tok_is(&r->tok[x->b + 1], "or")) &&
           (r->tok[x->b + 1].flags & WH_TOK_BREAK) == 0 &&
           (r->tok[y->a].flags & WH_TOK_BREAK) == 0;
}

static long root_of(const struct run *r, size_t k)
{
    while (r->grp[k].into >= 0) {
        k = (size_t)r->grp[k].into;
    }
    return (long)k;
}

/* A given name written after a person's family name and a comma, as
 * references list authors ("Marx, Karl and Engels, Friedrich."), is
 * that person's, not a person of its own (after ent_coordinate(): the
 * list types both). */
static void inverted_names(struct run *r)
{
    size_t m;

    for (m = 1; m < r->nmen; m++) {
        const struct mention *x = &r->men[m - 1];
        const struct mention *y = &r->men[m];
        struct group *g = &r->grp[y->grp];
        long root = root_of(r, x->grp);
        char after = ent_after_char(r, y->b);

        if (y->a != y->b || x->a != x->b || y->a != x->b + 1 ||
            g->mentions != 1 || g->kind != K_PERSON ||
            (g->bits & G_GIVEN) == 0 || ent_after_char(r, x->b) != ',' ||
            r->grp[root].kind != K_PERSON || (size_t)root == y->grp ||
            !(after == '.' || after == ';' ||
              (y->b + 1 < r->ntok && ent_tok_is(&r->tok[y->b + 1], "and")))) {
            continue;
        }
        g->into = root;
    }
}

/* A name of no type coordinated with a name of one takes it as evidence
 * ("Moravec and Pelling" after "Pelling" is known a person); twice, for
 * lists. */
void ent_coordinate(struct run *r)
{
    int pass;
    size_t m;

    for (pass = 0; pass < 4; pass++) {
        for (m = 0; m + 1 < r->nmen; m++) {
            struct group *x;
            struct group *y;
            int tie;

            if (!coordinated(r, m)) {
                continue;
            }
            x = &r->grp[root_of(r, r->men[m].grp)];
            y = &r->grp[root_of(r, r->men[m + 1].grp)];
            if (x->kind == K_NONE && y->kind != K_NONE) {
                struct group *t = x;

                x = y;
                y = t;
            }
            /* a common word is no name, even in a list; a capital at the
             * start of a sentence is, listed with one ("Moravec and
             * Pelling (2011) found") */
            /* only a name typed by more than the weak prior types its
             * neighbours (a listed one does, down a long list) */
            if (x->kind == K_NONE || x->score[x->kind] < LISTED ||
                y->kind != K_NONE || y->into >= 0 ||
                ent_all_common(r, y->first_tok, y->last_tok)) {
                continue;
            }
            ent_add_cue(y, x->kind, LISTED, "listed with ", ent_grp_name(r, x),
                        x->len);
            y->kind = best_kind(y, y->words > 1 ? MIN_MULTI : MIN_SINGLE, &tie);
        }
    }
    inverted_names(r);
}

/* The last word of name g is also a name of the text on its own
 * ("Dvorak" after "Antonin Dvorak"). */
static int last_word_alone(struct run *r, const struct group *g)
{
    const char *name = ent_grp_name(r, g);
    const char *last = strrchr(name, ' ');

    if (last == NULL) {
        return 0;
    }
    last++;
    return *ent_grp_slot(r, last, g->len - (size_t)(last - name)) != 0;
}

/* Multi-word names first, then each one-word name: one word of a person
 * or the start or initials of an organisation is that entity when its
 * own evidence agrees. */
void ent_decide(struct run *r)
{
    uint64_t *mask;
    size_t *full;
    size_t nfull = 0;
    size_t i;
    size_t j;
    size_t k;
    int tie;

    for (i = 0; i < r->ngrp; i++) {
        struct group *g = &r->grp[i];

        if (g->words > 1) {
            g->kind = best_kind(g, MIN_MULTI, &tie);
            if (g->strong == 0 && g->cue[g->kind].what != NULL &&
                strcmp(g->cue[g->kind].what, "capitalized name") == 0 &&
                g->score[g->kind] < MIN_SINGLE) {
                g->kind = K_NONE; /* a title-case line, nothing more */
            } else if (g->mentions == 1 && g->kind == K_PERSON && !g->prose &&
                       g->score[K_PERSON] < MIN_SINGLE &&
                       !last_word_alone(r, g)) {
                g->kind = K_NONE; /* a guess nothing else in the text backs */
            }
        }
    }
    /* the names a one-word name may be part of */
    full = wh_xmalloc((r->ngrp + 1) * sizeof(*full));
    mask = wh_xmalloc((r->ngrp + 1) * sizeof(*mask));
    for (i = 0; i < r->ngrp; i++) {
        if (r->grp[i].words > 1 && r->grp[i].kind != K_NONE) {
            mask[nfull] = name_mask(ent_grp_name(r, &r->grp[i]));
            full[nfull++] = i;
        }
    }
    /* a shorter person's name within a longer one is that person */
    for (i = 0; i < r->ngrp; i++) {
        struct group *g = &r->grp[i];

        if (g->words < 2 || g->kind != K_PERSON) {
            continue;
        }
        for (j = 0; j < nfull; j++) {
            const struct group *h = &r->grp[full[j]];

            k = full[j];
            if (k != i && h->kind == K_PERSON && h->words > g->words &&
                h->into < 0 &&
                words_within(ent_grp_name(r, g), ent_grp_name(r, h))) {
                g->into = (long)k;
                break;
            }
        }
    }
    for (i = 0; i < r->ngrp; i++) {
        struct group *g = &r->grp[i];
        const char *w = ent_grp_name(r, g);
        long alias = -1;
        int gaz_word;
        int place_word;

        if (g->words != 1) {
            continue;
        }
        /* a listed place is itself, not the start of an organisation
         * named after it ("Boston" beside "Boston University") */
        place_word = (g->bits & (G_PLACE | G_ORG)) == G_PLACE;
        for (j = 0; j < nfull && alias < 0; j++) {
            struct group *h = &r->grp[full[j]];

            k = full[j];
            if ((mask[j] & word_bit(w, g->len)) == 0 && h->kind != K_ORG) {
                continue; /* no word of h starts so (acronyms: orgs) */
            }
            if (h->kind == K_PERSON &&
                has_word(ent_grp_name(r, h), w, g->len, -1)) {
                ent_add_cue(g, K_PERSON, 4.0, "part of the name ",
                            ent_grp_name(r, h), h->len);
                alias = (long)k;
            } else if (h->kind == K_PERSON &&
                       has_word(ent_grp_name(r, h), w, g->len, -2)) {
                ent_add_cue(g, K_PERSON, 1.5, "part of the name ",
                            ent_grp_name(r, h), h->len);
                alias = (long)k;
            } else if (h->kind == K_PLACE && h->words == 2 &&
                       (g->bits & (G_PHEAD | G_COMMON)) == 0 &&
                       has_word(ent_grp_name(r, h), w, g->len, -1) &&
                       ent_is_direction_word(ent_grp_name(r, h),
                                             h->len - g->len - 1)) {
                /* "Ashby" after "West Ashby": the place, kept apart */
                ent_add_cue(g, K_PLACE, 3.0, "part of the name ",
                            ent_grp_name(r, h), h->len);
            } else if (h->kind == K_ORG && !place_word &&
                       (has_word(ent_grp_name(r, h), w, g->len, 0) ||
                        is_acronym_of(ent_grp_name(r, h), w, g->len))) {
                ent_add_cue(g, K_ORG, 4.0, "part of the name ",
                            ent_grp_name(r, h), h->len);
                alias = (long)k;
            }
        }
        gaz_word = (g->bits & (G_PLACE | G_ORG | G_GIVEN)) != 0;
        if (g->strong == 0 && alias < 0 &&
            (!gaz_word || (g->bits & G_COMMON) != 0)) {
            continue; /* only ever at the start of a sentence: "Nice
                       * job!" */
        }
        g->kind = best_kind(g, MIN_SINGLE, &tie);
        if (g->kind != K_NONE && alias >= 0 && g->kind == r->grp[alias].kind) {
            g->into = alias;
        } else if (tie && gaz_word) {
            note_ambiguous(r, w, g->bits);
        }
    }
    free(full);
    free(mask);
}
