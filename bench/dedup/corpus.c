/*
 * corpus.c - the labelled near-duplicate set (see corpus.h).
 */
#include "corpus.h"

#include <jansson.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <xxhash.h>

#include "simhash.h"
#include "wh/buf.h"
#include "wh/wh.h"

#define MAX_PARAS 512

static uint64_t rng_next(uint64_t *s)
{
    uint64_t z = (*s += 0x9e3779b97f4a7c15ULL);

    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

static size_t rng_below(uint64_t *s, size_t n)
{
    return n ? (size_t)(rng_next(s) % n) : 0;
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a;
    uint64_t y = *(const uint64_t *)b;

    return (x > y) - (x < y);
}

static size_t uniq(uint64_t *h, size_t n)
{
    size_t i;
    size_t m = 0;

    if (n == 0) {
        return 0;
    }
    qsort(h, n, sizeof(*h), cmp_u64);
    for (i = 1; i < n; i++) {
        if (h[i] != h[m]) {
            h[++m] = h[i];
        }
    }
    return m + 1;
}

/* Distinct word 3-shingles of text, sorted. */
static size_t shingle_set(const char *text, uint64_t **out)
{
    uint64_t *w = NULL;
    size_t n = wh_simhash_words(text, strlen(text), &w);
    size_t i;
    size_t m;

    *out = NULL;
    if (n < 3) {
        free(w);
        return 0;
    }
    m = n - 2;
    *out = wh_xmalloc(m * sizeof(**out));
    for (i = 0; i < m; i++) {
        (*out)[i] = XXH3_64bits(w + i, 3 * sizeof(*w));
    }
    free(w);
    return uniq(*out, m);
}

static size_t inter(const uint64_t *a, size_t na, const uint64_t *b, size_t nb)
{
    size_t i = 0;
    size_t j = 0;
    size_t k = 0;

    while (i < na && j < nb) {
        if (a[i] < b[j]) {
            i++;
        } else if (a[i] > b[j]) {
            j++;
        } else {
            k++;
            i++;
            j++;
        }
    }
    return k;
}

double corpus_overlap(const char *a, const char *b)
{
    uint64_t *sa = NULL;
    uint64_t *sb = NULL;
    size_t na = shingle_set(a, &sa);
    size_t nb = shingle_set(b, &sb);
    size_t k = inter(sa, na, sb, nb);
    size_t big = na > nb ? na : nb;

    free(sa);
    free(sb);
    return big ? (double)k / (double)big : 0.0;
}

/* ---- edits ---- */

struct paras {
    char *p[MAX_PARAS];
    size_t n;
};

static void paras_split(struct paras *ps, const char *text)
{
    const char *s = text;

    ps->n = 0;
    while (*s && ps->n < MAX_PARAS) {
        const char *e = strchr(s, '\n');
        size_t len = e ? (size_t)(e - s) : strlen(s);

        if (len > 0) {
            ps->p[ps->n++] = wh_xstrndup(s, len);
        }
        s += len;
        if (*s == '\n') {
            s++;
        }
    }
}

static char *paras_join(const struct paras *ps)
{
    struct wh_buf b;
    size_t i;

    wh_buf_init(&b, 0);
    for (i = 0; i < ps->n; i++) {
        if (i) {
            wh_buf_puts(&b, "\n");
        }
        wh_buf_puts(&b, ps->p[i]);
    }
    return wh_buf_steal(&b);
}

static void paras_free(struct paras *ps)
{
    size_t i;

    for (i = 0; i < ps->n; i++) {
        free(ps->p[i]);
    }
    ps->n = 0;
}

static const char *const cities[] = {
    "WASHINGTON", "LONDON",        "NEW YORK", "PARIS",  "BERLIN",
    "TOKYO",      "SAN FRANCISCO", "BRUSSELS", "SYDNEY", "NAIROBI"};
static const char *const agencies[] = {"Wirehose", "Example Press",
                                       "Agency News", "World Desk"};
static const char *const signoffs[] = {
    "Reporting by Ann Example; Editing by Bob Sample",
    "(c) 2026 Example Press. All rights reserved. This material may not "
    "be published, broadcast, rewritten or redistributed.",
    "Additional reporting by Carla Placeholder in Brussels; writing by "
    "Dan Demo",
    "Follow us for more stories like this one."};
static const char *const fillers[] = {
    "said",    "reported", "officials", "also", "new",       "early", "later",
    "however", "recently", "several",   "many", "statement", "week",  "major"};

static void edit_dateline(struct paras *ps, uint64_t *rng)
{
    char *p;

    if (ps->n == 0) {
        return;
    }
    p = wh_xasprintf(
        "%s, Nov %zu (%s) - %s", cities[rng_below(rng, WH_ARRAY_SIZE(cities))],
        1 + rng_below(rng, 28),
        agencies[rng_below(rng, WH_ARRAY_SIZE(agencies))], ps->p[0]);
    free(ps->p[0]);
    ps->p[0] = p;
}

static void edit_signoff(struct paras *ps, uint64_t *rng)
{
    if (ps->n < MAX_PARAS) {
        ps->p[ps->n++] =
            wh_xstrdup(signoffs[rng_below(rng, WH_ARRAY_SIZE(signoffs))]);
    }
}

/* Rewrites one sentence of a random paragraph: two words replaced, one
 * dropped, two neighbours swapped. */
static void edit_reword(struct paras *ps, uint64_t *rng)
{
    char *words[256];
    size_t nw = 0;
    size_t pi;
    size_t tries;
    char *copy;
    char *save = NULL;
    char *tok;
    struct wh_buf b;
    size_t i;
    size_t start;
    size_t end;

    if (ps->n == 0) {
        return;
    }
    for (tries = 0; tries < 8; tries++) {
        pi = rng_below(rng, ps->n);
        copy = wh_xstrdup(ps->p[pi]);
        nw = 0;
        for (tok = strtok_r(copy, " ", &save); tok && nw < 256;
             tok = strtok_r(NULL, " ", &save)) {
            words[nw++] = tok;
        }
        if (nw >= 8) {
            break;
        }
        free(copy);
        copy = NULL;
    }
    if (nw < 8 || copy == NULL) {
        return;
    }
    /* a sentence: from a random word after a '.' up to the next '.' */
    start = rng_below(rng, nw);
    while (start > 0 && !strchr(words[start - 1], '.')) {
        start--;
    }
    end = start;
    while (end + 1 < nw && !strchr(words[end], '.')) {
        end++;
    }
    if (end - start + 1 < 6) {
        start = 0;
        end = nw - 1 < 11 ? nw - 1 : 11;
    }
    i = start + rng_below(rng, end - start + 1);
    words[i] = (char *)fillers[rng_below(rng, WH_ARRAY_SIZE(fillers))];
    i = start + rng_below(rng, end - start + 1);
    words[i] = (char *)fillers[rng_below(rng, WH_ARRAY_SIZE(fillers))];
    i = start + rng_below(rng, end - start);
    tok = words[i];
    words[i] = words[i + 1];
    words[i + 1] = tok;
    i = start + rng_below(rng, end - start + 1);
    words[i] = NULL; /* dropped */

    wh_buf_init(&b, 0);
    for (i = 0; i < nw; i++) {
        if (words[i] != NULL) {
            if (b.len) {
                wh_buf_puts(&b, " ");
            }
            wh_buf_puts(&b, words[i]);
        }
    }
    free(ps->p[pi]);
    ps->p[pi] = wh_buf_steal(&b);
    free(copy);
}

/* Cuts one paragraph other than the first; a no-op under 3 paragraphs. */
static void edit_cut(struct paras *ps, uint64_t *rng)
{
    size_t i;

    if (ps->n < 3) {
        return;
    }
    i = 1 + rng_below(rng, ps->n - 1);
    free(ps->p[i]);
    memmove(ps->p + i, ps->p + i + 1, (ps->n - i - 1) * sizeof(ps->p[0]));
    ps->n--;
}

struct variant {
    const char *name;
    const char *ops; /* d = dateline, s = sign-off, r = reword, c = cut */
};

static const struct variant variants[] = {{"dateline", "d"},
                                          {"signoff", "s"},
                                          {"reword", "r"},
                                          {"cut", "c"},
                                          {"dateline+signoff", "ds"},
                                          {"dateline+reword", "dr"},
                                          {"reword+cut", "rc"},
                                          {"dateline+signoff+reword", "dsr"},
                                          {"all four", "dsrc"},
                                          {"3 rewords", "rrr"},
                                          {"3 rewords+cut", "rrrc"}};

static char *make_copy(const char *text, const char *ops, uint64_t seed)
{
    struct paras ps;
    uint64_t rng = seed;
    const char *o;
    char *out;

    paras_split(&ps, text);
    for (o = ops; *o; o++) {
        switch (*o) {
        case 'd':
            edit_dateline(&ps, &rng);
            break;
        case 's':
            edit_signoff(&ps, &rng);
            break;
        case 'r':
            edit_reword(&ps, &rng);
            break;
        default:
            edit_cut(&ps, &rng);
            break;
        }
    }
    out = paras_join(&ps);
    paras_free(&ps);
    return out;
}

/* ---- negatives ---- */

struct wset {
    uint64_t *h;
    size_t n;
};

struct cand {
    size_t a;
    size_t b;
    double j;
};

static int cmp_cand(const void *x, const void *y)
{
    const struct cand *a = x;
    const struct cand *b = y;

    if (a->j != b->j) {
        return a->j < b->j ? 1 : -1;
    }
    if (a->a != b->a) {
        return a->a < b->a ? -1 : 1;
    }
    return (a->b > b->b) - (a->b < b->b);
}

/* Content words: distinct words seen in >= 2 and < 10% of the docs. */
static void content_sets(const struct corpus *c, struct wset *ws)
{
    uint64_t *all = NULL;
    size_t nall = 0;
    size_t i;
    size_t j;

    for (i = 0; i < c->norig; i++) {
        uint64_t *w = NULL;
        size_t n =
            wh_simhash_words(c->docs[i].text, strlen(c->docs[i].text), &w);

        ws[i].n = uniq(w, n);
        ws[i].h = w;
        all = wh_xrealloc(all, (nall + ws[i].n + 1) * sizeof(*all));
        if (ws[i].n) {
            memcpy(all + nall, w, ws[i].n * sizeof(*all));
        }
        nall += ws[i].n;
    }
    if (all == NULL) {
        return;
    }
    qsort(all, nall, sizeof(*all), cmp_u64);
    for (i = 0; i < c->norig; i++) {
        size_t m = 0;

        for (j = 0; j < ws[i].n; j++) {
            uint64_t h = ws[i].h[j];
            const uint64_t *lo = all;
            size_t cnt = nall;
            size_t df = 0;

            /* lower bound of h in all[] */
            while (cnt > 0) {
                size_t half = cnt / 2;

                if (lo[half] < h) {
                    lo += half + 1;
                    cnt -= half + 1;
                } else {
                    cnt = half;
                }
            }
            while (lo + df < all + nall && lo[df] == h) {
                df++;
            }
            if (df >= 2 && df * 10 < c->norig) {
                ws[i].h[m++] = h;
            }
        }
        ws[i].n = m;
    }
    free(all);
}

static void pick_negatives(struct corpus *c, size_t max_neg)
{
    struct wset *ws = wh_xcalloc(c->norig, sizeof(*ws));
    struct cand *cands = NULL;
    size_t ncand = 0;
    size_t cap = 0;
    size_t i;
    size_t j;

    content_sets(c, ws);
    for (i = 0; i < c->norig; i++) {
        for (j = i + 1; j < c->norig; j++) {
            size_t k;
            double jac;

            if (strcmp(c->docs[i].source, c->docs[j].source) != 0 ||
                ws[i].n == 0 || ws[j].n == 0) {
                continue;
            }
            k = inter(ws[i].h, ws[i].n, ws[j].h, ws[j].n);
            jac = (double)k / (double)(ws[i].n + ws[j].n - k);
            if (jac < 0.08) {
                continue;
            }
            if (ncand == cap) {
                cap = cap ? cap * 2 : 4096;
                cands = wh_xrealloc(cands, cap * sizeof(*cands));
            }
            cands[ncand].a = i;
            cands[ncand].b = j;
            cands[ncand].j = jac;
            ncand++;
        }
    }
    if (ncand) {
        qsort(cands, ncand, sizeof(*cands), cmp_cand);
    }
    c->neg = wh_xcalloc(max_neg ? max_neg : 1, sizeof(*c->neg));
    for (i = 0; i < ncand && c->nneg < max_neg; i++) {
        double ov =
            corpus_overlap(c->docs[cands[i].a].text, c->docs[cands[i].b].text);

        if (ov >= 0.5) {
            c->nneg_real_dups++;
            continue;
        }
        c->neg[c->nneg].a = cands[i].a;
        c->neg[c->nneg].b = cands[i].b;
        c->neg[c->nneg].edit = "topic";
        c->neg[c->nneg].overlap = ov;
        c->nneg++;
    }
    for (i = 0; i < c->norig; i++) {
        free(ws[i].h);
    }
    free(ws);
    free(cands);
}

/* ---- loading ---- */

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

int corpus_load(struct corpus *c, const char *path, size_t min_words,
                size_t max_neg)
{
    json_error_t jerr;
    json_t *root = json_load_file(path, JSON_ALLOW_NUL, &jerr);
    const char **keys = NULL;
    const char *key;
    json_t *val;
    size_t nkeys = 0;
    size_t i;
    size_t v;
    size_t cap;

    memset(c, 0, sizeof(*c));
    if (root == NULL || !json_is_object(root)) {
        fprintf(stderr, "%s: %s\n", path, root ? "not an object" : jerr.text);
        json_decref(root);
        return -1;
    }
    keys = wh_xcalloc(json_object_size(root) + 1, sizeof(*keys));
    json_object_foreach (root, key, val) {
        keys[nkeys++] = key;
    }
    qsort(keys, nkeys, sizeof(*keys), cmp_str); /* stable order */
    cap = nkeys * (1 + WH_ARRAY_SIZE(variants));
    c->docs = wh_xcalloc(cap, sizeof(*c->docs));
    for (i = 0; i < nkeys; i++) {
        json_t *o = json_object_get(root, keys[i]);
        const char *body = json_string_value(json_object_get(o, "articleBody"));
        const char *src =
            json_string_value(json_object_get(o, "source_dataset"));
        uint64_t *w = NULL;
        size_t nw;

        if (body == NULL) {
            continue;
        }
        nw = wh_simhash_words(body, strlen(body), &w);
        free(w);
        if (nw < min_words) {
            continue;
        }
        c->docs[c->ndocs].id = wh_xstrdup(keys[i]);
        c->docs[c->ndocs].source = wh_xstrdup(src ? src : "");
        c->docs[c->ndocs].text = wh_xstrdup(body);
        c->ndocs++;
    }
    c->norig = c->ndocs;
    c->pos =
        wh_xcalloc(c->norig * WH_ARRAY_SIZE(variants) + 1, sizeof(*c->pos));
    for (i = 0; i < c->norig; i++) {
        for (v = 0; v < WH_ARRAY_SIZE(variants); v++) {
            char *copy = make_copy(c->docs[i].text, variants[v].ops,
                                   (uint64_t)i * 1000003u + v);
            double ov;

            if (strcmp(copy, c->docs[i].text) == 0) {
                free(copy); /* the edit did not apply (too short) */
                continue;
            }
            c->ngenerated++;
            ov = corpus_overlap(c->docs[i].text, copy);
            if (ov < 0.85) {
                free(copy);
                continue;
            }
            c->docs[c->ndocs].id = wh_xasprintf("%s~%zu", c->docs[i].id, v);
            c->docs[c->ndocs].source = wh_xstrdup(c->docs[i].source);
            c->docs[c->ndocs].text = copy;
            c->pos[c->npos].a = i;
            c->pos[c->npos].b = c->ndocs;
            c->pos[c->npos].edit = variants[v].name;
            c->pos[c->npos].overlap = ov;
            c->npos++;
            c->ndocs++;
        }
    }
    free(keys);
    json_decref(root);
    pick_negatives(c, max_neg);
    return 0;
}

void corpus_free(struct corpus *c)
{
    size_t i;

    for (i = 0; i < c->ndocs; i++) {
        free(c->docs[i].id);
        free(c->docs[i].source);
        free(c->docs[i].text);
    }
    free(c->docs);
    free(c->pos);
    free(c->neg);
    memset(c, 0, sizeof(*c));
}
