/*
 * entities.c - the "entities" enricher: people, organisations and places
 * by a transparent method, every filing kept with the rule that made it.
 *
 * Candidates are capitalized phrases of the description and body: runs of
 * capitalized words not split by punctuation, with name particles inside
 * ("Charles de Gaulle", "Ursula von der Leyen"), joined over "of" when
 * the result is an organisation ("Bank of England"). Leading stop words
 * ("When", "The") are dropped unless the whole phrase is in a gazetteer.
 * Headlines are not read: they are often in title case; nor is a
 * dateline at the start of the body (see wh_enrich_dateline_end()).
 *
 * Rules (data/gazetteers/ holds the lists), people first:
 *   1. a person title precedes the name in the phrase
 *      ("President Joe Biden", "Mr Smith")             -> person
 *   2. a given name followed by one or two more name words
 *      ("Paris Hilton", "Ursula von der Leyen")        -> person
 *   (1 and 2 never apply to a phrase listed as an organisation or ending
 *   with an organisation suffix: "General Motors")
 *   3. the phrase is in organisations.txt             -> organisation
 *   4. the last word is an organisation suffix ("Acme Corp", "Finance
 *      Ministry", "Securities and Exchange Commission"), or the phrase
 *      is "<suffix> of ..."                            -> organisation
 *   then, knowing the people:
 *   5. a place word ("in", "from", "near", ...) precedes a phrase of
 *      places.txt                                      -> place
 *   6. one word that is part of a person's name ("Jordan" after
 *      "Michael Jordan", "Ford" after "Harrison Ford") -> that person
 *   7. in places.txt and not a given name              -> place
 * A name in several lists that no context rule settles (e.g. "Jordan"
 * alone, a country and a given name) goes nowhere and is listed as
 * "ambiguous" in the evidence. A name filed as a person is never also
 * filed as a place or an organisation, and a one-word person ("Mr
 * Smith") is merged into the longer name it is part of ("John Smith").
 *
 * Output: ninjs "people", "organisations", "places" in rec->extra, arrays
 * of {"name": ...}, merged by name with what the source set.
 */
#include <stdlib.h>
#include <string.h>

#include "enrich.h"
#include "wh/buf.h"
#include "wh/hash.h"
#include "wh/record.h"
#include "wh/wh.h"

#define G_PLACE 0x01u
#define G_ORG 0x02u
#define G_GIVEN 0x04u
#define G_TITLE 0x08u
#define G_SUFFIX 0x10u

#define PHRASE_MAX_WORDS 8
#define ENTITIES_MAX 100 /* per kind */
#define EVIDENCE_MAX 50  /* ambiguous names kept in the evidence */

enum kind { K_NONE, K_PERSON, K_ORG, K_PLACE };

static const char *const kind_key[] = {NULL, "people", "organisations",
                                       "places"};

struct entity {
    enum kind kind;
    char *name; /* allocated with rule after it */
    const char *rule;
    size_t mentions;
};

struct phrase {
    size_t first; /* token indices, inclusive */
    size_t last;
    enum kind kind; /* K_NONE until classified */
    unsigned bits;  /* gaz_span() of the phrase, TOK_KNOWN when known */
};

/* Per-token caches of gazetteer bits and stop-word tests. */
#define TOK_KNOWN 0x80000000u /* gaz: bits computed */
#define STOP_UNKNOWN 0xff

/* A span of text in a stack buffer, or on the heap when long. */
struct span_tmp {
    char buf[256];
    char *heap; /* NULL unless the span did not fit buf */
    const char *s;
    size_t len;
};

struct lower_word;
struct name_word;

struct entities_ctx {
    struct wh_enrich_words *gaz; /* case-sensitive, G_* bits */
    struct wh_enrich_langs *langs;
    size_t max_bytes;
    /* buffers kept from record to record (process() runs on one thread) */
    struct wh_enrich_token *tok;
    unsigned *gaz_bits;
    unsigned char *stop;
    struct phrase *ph;
    size_t cap_tok;
    size_t cap_aux; /* entries of gaz_bits, stop and ph */
    struct lower_word *slots;
    size_t cap_slots;
    struct name_word *nw;
    size_t cap_nw;
};

/* A set of words of the text, pointing into it (no copies). */
struct lower_word {
    const char *s; /* NULL: empty slot */
    size_t len;
};

/* Words of the people's names: the first person with each word. */
struct name_word {
    const char *s; /* NULL: empty slot */
    size_t len;
    size_t ent;
};

struct lower_set {
    struct lower_word *slots;
    size_t cap; /* a power of two, at least twice the words */
};

struct run {
    struct entities_ctx *ctx;
    struct wh_enrich_lang *lang;
    struct wh_enrich_lang *en;
    const char *text;
    struct wh_enrich_token *tok;
    unsigned *gaz_bits;    /* per token, TOK_KNOWN when computed */
    unsigned char *stop;   /* per token, STOP_UNKNOWN until tested */
    size_t ntok;
    struct phrase *ph;
    size_t nph;
    struct entity *ent;
    size_t nent;
    size_t cap_ent;
    json_t *ambiguous;
    size_t nw_cap; /* 0: the name-word index is not built */
    struct lower_set lower; /* words the text writes in lower case:
                             * slots NULL until first needed */
};

static const struct {
    const char *file;
    unsigned bit;
} gazetteers[] = {
    {"gazetteers/places.txt", G_PLACE},
    {"gazetteers/organisations.txt", G_ORG},
    {"gazetteers/given-names.txt", G_GIVEN},
    {"gazetteers/person-titles.txt", G_TITLE},
    {"gazetteers/org-suffixes.txt", G_SUFFIX},
};

/* Lower-case particles allowed inside a name ("Charles de Gaulle"). */
static const char *const particles[] = {
    "de", "da",  "do",  "dos", "das", "du",  "del", "della",
    "di", "van", "von", "ter", "bin", "ibn", "al",  "el"};

/* Articles allowed only after a particle ("Ursula von der Leyen",
 * "Jean de la Fontaine"): alone they are German or French articles
 * between two nouns. */
static const char *const second_particles[] = {"der", "den", "la",
                                               "le",  "los", "las"};

/* Words before a phrase that make it a place (rule 5). */
static const char *const place_words[] = {
    "in",      "to",      "from",       "at",       "near",    "across",
    "into",    "visited", "visit",      "outside",  "inside",  "around",
    "toward",  "towards", "throughout", "via",      "across",  "landed",
    "arrived", "flew",    "travelled",  "traveled", "capital", "embassy"};

/* --check-config: every gazetteer exists under the data directory. */
static int entities_check(const char *arg, const struct wh_config *cfg,
                          char *errstr, size_t errstr_size)
{
    size_t k;

    (void)arg;
    if (wh_enrich_check_data(cfg, NULL, 0, errstr, errstr_size) != WH_OK) {
        return WH_EINVAL;
    }
    for (k = 0; k < WH_ARRAY_SIZE(gazetteers); k++) {
        if (wh_enrich_data_check(cfg, gazetteers[k].file, errstr,
                                 errstr_size) != WH_OK) {
            return WH_ENOENT;
        }
    }
    return WH_OK;
}

static void *entities_init(const char *arg, const struct wh_config *cfg,
                           char *errstr, size_t errstr_size)
{
    struct entities_ctx *ctx;
    long long max_bytes;
    size_t k;

    (void)arg;
    if (wh_config_int(cfg, wh_enrich_config_keys, "enrich.max_bytes",
                      &max_bytes, errstr, errstr_size) != WH_OK) {
        return NULL;
    }
    ctx = wh_xcalloc(1, sizeof(*ctx));
    ctx->max_bytes = (size_t)max_bytes;
    ctx->gaz = wh_enrich_words_new();
    for (k = 0; k < WH_ARRAY_SIZE(gazetteers); k++) {
        char *path = wh_enrich_data_path(cfg, gazetteers[k].file);
        int rc = wh_enrich_words_load(ctx->gaz, path, gazetteers[k].bit, 0,
                                      errstr, errstr_size);

        free(path);
        if (rc != WH_OK) {
            wh_enrich_words_free(ctx->gaz);
            free(ctx);
            return NULL;
        }
    }
    ctx->langs = wh_enrich_langs_new(cfg);
    return ctx;
}

static void entities_close(void *p)
{
    struct entities_ctx *ctx = p;

    if (ctx == NULL) {
        return;
    }
    wh_enrich_words_free(ctx->gaz);
    wh_enrich_langs_free(ctx->langs);
    free(ctx->tok);
    free(ctx->gaz_bits);
    free(ctx->stop);
    free(ctx->ph);
    free(ctx->slots);
    free(ctx->nw);
    free(ctx);
}

static int word_in(const char *s, size_t len, const char *const *list, size_t n)
{
    size_t k;

    for (k = 0; k < n; k++) {
        if (list[k][0] == s[0] && strlen(list[k]) == len &&
            memcmp(list[k], s, len) == 0) {
            return 1;
        }
    }
    return 0;
}

static int is_particle(const struct wh_enrich_token *t, int second)
{
    return word_in(t->s, t->len, particles, WH_ARRAY_SIZE(particles)) ||
           (second && word_in(t->s, t->len, second_particles,
                              WH_ARRAY_SIZE(second_particles)));
}

static int is_name_word(const struct wh_enrich_token *t)
{
    size_t k;

    if ((t->flags & (WH_TOK_IDEO | WH_TOK_DIGIT)) != 0) {
        return 0;
    }
    if ((t->flags & (WH_TOK_CAP | WH_TOK_UPPER)) != 0) {
        return 1;
    }
    /* "al-Assad", "el-Sisi", "d'Estaing" */
    for (k = 1; k < 4 && k + 1 < t->len; k++) {
        if ((t->s[k] == '-' || t->s[k] == '\'') && t->s[k + 1] >= 'A' &&
            t->s[k + 1] <= 'Z') {
            return 1;
        }
    }
    return 0;
}

/* Length of token t without a possessive "'s". */
static size_t bare_len(const struct wh_enrich_token *t)
{
    if (t->len > 2 && t->s[t->len - 1] == 's' && t->s[t->len - 2] == '\'') {
        return t->len - 2;
    }
    if (t->len > 4 && t->s[t->len - 1] == 's' &&
        memcmp(t->s + t->len - 4, "\xE2\x80\x99", 3) == 0) {
        return t->len - 4;
    }
    return t->len;
}

/* The text of tokens [a, b] as span() gives it, into out (size bytes):
 * returns the length, or (size_t)-1 when it does not fit. */
static size_t span_buf(const struct run *r, size_t a, size_t b, char *out,
                       size_t size)
{
    const char *s = r->tok[a].s;
    const char *e = r->tok[b].s + bare_len(&r->tok[b]);
    size_t o = 0;
    int blank = 0;

    if ((size_t)(e - s) >= size) {
        return (size_t)-1;
    }
    for (; s < e; s++) {
        if (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r') {
            blank = 1;
            continue;
        }
        if (blank && o > 0) {
            out[o++] = ' ';
        }
        blank = 0;
        out[o++] = *s;
    }
    out[o] = '\0';
    return o;
}

/* The text of tokens [a, b] as written (runs of blanks as one space),
 * without a possessive on the last word. Caller frees. */
static char *span(const struct run *r, size_t a, size_t b)
{
    size_t size =
        (size_t)(r->tok[b].s + bare_len(&r->tok[b]) - r->tok[a].s) + 1;
    char *out = wh_xmalloc(size);

    (void)span_buf(r, a, b, out, size); /* fits: size is the raw length */
    return out;
}

static unsigned gaz_tok(const struct run *r, size_t i);

/* The text of tokens [a, b] as span() writes it, in t (t->heap freed by
 * the caller). */
static void span_get(const struct run *r, size_t a, size_t b,
                     struct span_tmp *t)
{
    t->heap = NULL;
    t->s = t->buf;
    if (span_buf(r, a, b, t->buf, sizeof(t->buf)) == (size_t)-1) {
        t->heap = span(r, a, b);
        t->s = t->heap;
    }
    t->len = strlen(t->s);
}

static unsigned gaz_span(const struct run *r, size_t a, size_t b)
{
    char buf[256];
    size_t len;
    char *s;
    unsigned bits;

    if (a == b) {
        return gaz_tok(r, a); /* one word: no blanks to fold */
    }
    len = span_buf(r, a, b, buf, sizeof(buf));
    if (len != (size_t)-1) {
        return wh_enrich_words_get(r->ctx->gaz, buf, len);
    }
    s = span(r, a, b);
    bits = wh_enrich_words_get(r->ctx->gaz, s, strlen(s));
    free(s);
    return bits;
}

static struct lower_word *lower_slot(const struct lower_set *set, const char *s,
                                     size_t len)
{
    size_t k = (size_t)wh_hash64(s, len) & (set->cap - 1);

    for (;;) {
        struct lower_word *w = &set->slots[k];

        if (w->s == NULL || (w->len == len && memcmp(w->s, s, len) == 0)) {
            return w;
        }
        k = (k + 1) & (set->cap - 1);
    }
}

static unsigned gaz_tok(const struct run *r, size_t i)
{
    unsigned bits = r->gaz_bits[i];

    if ((bits & TOK_KNOWN) == 0) {
        bits = wh_enrich_words_get(r->ctx->gaz, r->tok[i].s,
                                   bare_len(&r->tok[i])) |
               TOK_KNOWN;
        r->gaz_bits[i] = bits;
    }
    return bits & ~TOK_KNOWN;
}

static int is_stop_uncached(const struct run *r, size_t i)
{
    char low[256];
    size_t len =
        wh_enrich_lower_buf(r->tok[i].s, r->tok[i].len, low, sizeof(low));
    char *q;

    if (len == (size_t)-1) {
        return 0;
    }
    /* the lists write "wasn't" with an ASCII apostrophe */
    q = strstr(low, "\xE2\x80\x99");
    if (q != NULL) {
        *q = '\'';
        memmove(q + 1, q + 3, len - (size_t)(q + 3 - low) + 1);
        len -= 2;
    }
    return (r->lang->stop != NULL &&
            wh_enrich_words_get(r->lang->stop, low, len) != 0) ||
           (r->en->stop != NULL &&
            wh_enrich_words_get(r->en->stop, low, len) != 0);
}

static int is_stop(const struct run *r, size_t i)
{
    if (r->stop[i] == STOP_UNKNOWN) {
        r->stop[i] = (unsigned char)is_stop_uncached(r, i);
    }
    return r->stop[i];
}

/* A name has no stop word in it ("King Corn Wasn't Ready" is a title-case
 * headline, not a king); particles are allowed. */
static int plausible_name(const struct run *r, size_t a, size_t b)
{
    size_t i;

    for (i = a; i <= b; i++) {
        if (!is_particle(&r->tok[i], 1) && is_stop(r, i)) {
            return 0;
        }
    }
    return 1;
}

/* Fills r->lower from the tokens, on the first common_noun() call. */
static void build_lower(struct run *r)
{
    struct entities_ctx *ctx = r->ctx;
    size_t k;

    r->lower.cap = 64;
    while (r->lower.cap < r->ntok * 2) {
        r->lower.cap *= 2;
    }
    if (ctx->cap_slots < r->lower.cap) {
        ctx->cap_slots = r->lower.cap;
        ctx->slots =
            wh_xrealloc(ctx->slots, ctx->cap_slots * sizeof(*ctx->slots));
    }
    r->lower.slots = ctx->slots;
    memset(r->lower.slots, 0, r->lower.cap * sizeof(*r->lower.slots));
    for (k = 0; k < r->ntok; k++) {
        const struct wh_enrich_token *t = &r->tok[k];

        if ((t->flags &
             (WH_TOK_CAP | WH_TOK_UPPER | WH_TOK_IDEO | WH_TOK_DIGIT)) == 0) {
            struct lower_word *w = lower_slot(&r->lower, t->s, t->len);

            w->s = t->s;
            w->len = t->len;
        }
    }
}

/* Token i is also written in lower case in the text: a common noun
 * ("General Manager", "Anthony Bourdain Coverage"). Used only where a
 * name is weakly attested, so "Gordon Brown" survives a brown paper. */
static int common_noun(struct run *r, size_t i)
{
    char low[256];
    size_t len = wh_enrich_lower_buf(r->tok[i].s, bare_len(&r->tok[i]), low,
                                     sizeof(low));

    if (len == (size_t)-1) {
        return 0;
    }
    if (r->lower.slots == NULL) {
        build_lower(r);
    }
    return lower_slot(&r->lower, low, len)->s != NULL;
}

/* ---- candidates ---- */

static void add_phrase(struct run *r, size_t a, size_t b)
{
    /* drop leading stop words ("When", "The") unless listed as a whole */
    while (a < b && is_stop(r, a) && gaz_span(r, a, b) == 0) {
        a++;
    }
    if (a == b && is_stop(r, a) && gaz_tok(r, a) == 0) {
        return;
    }
    if (r->nph > 0 && r->ph[r->nph - 1].last + 2 == a &&
        (r->tok[a - 1].flags & WH_TOK_BREAK) == 0 &&
        (r->tok[a].flags & WH_TOK_BREAK) == 0) {
        struct phrase *prev = &r->ph[r->nph - 1];
        const struct wh_enrich_token *mid = &r->tok[a - 1];

        /* "Bank of England", "University of Oxford" */
        if (mid->len == 2 && memcmp(mid->s, "of", 2) == 0 &&
            ((gaz_tok(r, prev->last) & G_SUFFIX) != 0 ||
             (gaz_span(r, prev->first, b) & (G_ORG | G_PLACE)) != 0)) {
            prev->last = b;
            prev->bits = 0;
            return;
        }
        /* "Securities and Exchange Commission", but not "Britain and
         * European Commission" nor "Mary and Acme Corp" */
        if (mid->len == 3 && memcmp(mid->s, "and", 3) == 0 &&
            (gaz_tok(r, b) & G_SUFFIX) != 0 &&
            (gaz_tok(r, prev->last) & G_SUFFIX) == 0 &&
            (gaz_span(r, prev->first, prev->last) &
             (G_ORG | G_PLACE | G_GIVEN)) == 0 &&
            (gaz_tok(r, prev->first) & G_GIVEN) == 0) {
            prev->last = b;
            prev->bits = 0;
            return;
        }
    }
    r->ph[r->nph].first = a;
    r->ph[r->nph].last = b;
    r->ph[r->nph].kind = K_NONE;
    r->ph[r->nph].bits = 0;
    r->nph++;
}

static void find_phrases(struct run *r)
{
    size_t i = 0;

    while (i < r->ntok) {
        size_t a;
        size_t b;

        if (!is_name_word(&r->tok[i])) {
            i++;
            continue;
        }
        a = i;
        b = i;
        while (b + 1 < r->ntok && b - a + 1 < PHRASE_MAX_WORDS &&
               bare_len(&r->tok[b]) == r->tok[b].len) {
            size_t n = b + 1;

            /* a particle is kept only between two name words */
            while (n < r->ntok && is_particle(&r->tok[n], n > b + 1) &&
                   (r->tok[n].flags & WH_TOK_BREAK) == 0 && n - b < 3) {
                n++;
            }
            if (n >= r->ntok || !is_name_word(&r->tok[n]) ||
                (r->tok[n].flags & WH_TOK_BREAK) != 0 ||
                (n > b + 1 && (r->tok[b + 1].flags & WH_TOK_BREAK) != 0)) {
                break;
            }
            b = n;
        }
        add_phrase(r, a, b);
        i = b + 1;
    }
}

/* ---- filing ---- */

/* Files name (borrowed) as kind, by the rule pre + s[0..len) + post,
 * copied only when the entity is new. */
static void file_entity(struct run *r, enum kind kind, const char *name,
                        const char *pre, const char *s, size_t len,
                        const char *post)
{
    size_t k;
    size_t per_kind = 0;
    size_t pre_len;
    size_t post_len;
    size_t name_len;
    char *copy;
    char *rule;

    for (k = 0; k < r->nent; k++) {
        if (r->ent[k].kind == kind && strcmp(r->ent[k].name, name) == 0) {
            r->ent[k].mentions++;
            return;
        }
        per_kind += r->ent[k].kind == kind ? 1 : 0;
    }
    if (per_kind >= ENTITIES_MAX) {
        return;
    }
    pre_len = strlen(pre);
    post_len = strlen(post);
    name_len = strlen(name);
    /* one allocation: the name, then the rule */
    copy = wh_xmalloc(name_len + 1 + pre_len + len + post_len + 1);
    memcpy(copy, name, name_len + 1);
    rule = copy + name_len + 1;
    memcpy(rule, pre, pre_len);
    if (len > 0) {
        memcpy(rule + pre_len, s, len);
    }
    memcpy(rule + pre_len + len, post, post_len + 1);
    if (r->nent == r->cap_ent) {
        r->cap_ent = r->cap_ent == 0 ? 16 : r->cap_ent * 2;
        r->ent = wh_xrealloc(r->ent, r->cap_ent * sizeof(*r->ent));
    }
    if (kind == K_PERSON) {
        r->nw_cap = 0; /* a new person: the index is stale */
    }
    r->ent[r->nent].kind = kind;
    r->ent[r->nent].name = copy;
    r->ent[r->nent].rule = rule;
    r->ent[r->nent].mentions = 1;
    r->nent++;
}

static int is_title(const struct run *r, size_t i)
{
    const struct wh_enrich_token *t = &r->tok[i];

    /* "Sen." and "Gov." are listed with their period, which the
     * tokenizer leaves out of the word; the text is NUL-terminated */
    return (gaz_tok(r, i) & G_TITLE) != 0 ||
           (t->s[t->len] == '.' &&
            (wh_enrich_words_get(r->ctx->gaz, t->s, t->len + 1) & G_TITLE) !=
                0);
}

/* Rule 2: the last title in the phrase, with name words after it. */
static int rule_title(struct run *r, const struct phrase *p)
{
    size_t i = p->first;
    size_t t = (size_t)-1;
    size_t tlen = 0;
    size_t from;
    size_t title_bytes;
    struct span_tmp name;

    while (i < p->last) {
        if (i + 1 < p->last && (gaz_span(r, i, i + 1) & G_TITLE) != 0) {
            t = i;
            tlen = 2; /* "Prime Minister" */
        } else if (is_title(r, i)) {
            t = i;
            tlen = 1;
        }
        i += (t == i) ? tlen : 1;
    }
    if (t == (size_t)-1 || t + tlen > p->last) {
        return 0;
    }
    from = t + tlen;
    if (p->last - from >= 3) {
        /* "Secretary of State Antony Blinken": start at a given name */
        for (i = from; i < p->last; i++) {
            if ((gaz_tok(r, i) & G_GIVEN) != 0) {
                break;
            }
        }
        if (i == p->last) {
            return 0; /* a title-case line, not a name: do not guess */
        }
        from = i;
    }
    title_bytes = (size_t)(r->tok[t + tlen - 1].s + r->tok[t + tlen - 1].len -
                           r->tok[t].s);
    if (!plausible_name(r, from, p->last) ||
        (from == p->last && common_noun(r, from))) {
        return 0;
    }
    span_get(r, from, p->last, &name);
    file_entity(r, K_PERSON, name.s, "title: ", r->tok[t].s, title_bytes, "");
    free(name.heap);
    return 1;
}

/* Rule 3: an organisation suffix at the end, or "<suffix> of ...". */
static int rule_suffix(struct run *r, const struct phrase *p)
{
    const struct wh_enrich_token *last = &r->tok[p->last];
    const struct wh_enrich_token *first = &r->tok[p->first];
    struct span_tmp name;

    if (p->last == p->first) {
        return 0;
    }
    if ((gaz_tok(r, p->last) & G_SUFFIX) != 0) {
        span_get(r, p->first, p->last, &name);
        file_entity(r, K_ORG, name.s, "suffix: ", last->s, bare_len(last), "");
        free(name.heap);
        return 1;
    }
    if ((gaz_tok(r, p->first) & G_SUFFIX) != 0 && p->first + 1 < p->last &&
        r->tok[p->first + 1].len == 2 &&
        memcmp(r->tok[p->first + 1].s, "of", 2) == 0) {
        span_get(r, p->first, p->last, &name);
        file_entity(r, K_ORG, name.s, "head: ", first->s, first->len, " of");
        free(name.heap);
        return 1;
    }
    return 0;
}

/* Rule 4: a given name and one or two more name words (particles not
 * counted: "Ursula von der Leyen"). */
static int rule_given(struct run *r, const struct phrase *p)
{
    size_t i;
    size_t k;
    size_t last;

    for (i = p->first; i < p->last; i++) {
        size_t more = 0;

        for (k = i + 1; k <= p->last; k++) {
            more += is_name_word(&r->tok[k]) ? 1 : 0;
        }
        if ((gaz_tok(r, i) & G_GIVEN) == 0 || more < 1 || more > 2 ||
            (gaz_span(r, i, p->last) & (G_PLACE | G_ORG)) != 0 ||
            (gaz_tok(r, p->last) & G_SUFFIX) != 0) {
            continue;
        }
        last = p->last;
        if (more == 2 && common_noun(r, last)) {
            last--; /* "Anthony Bourdain Coverage" */
        }
        if (plausible_name(r, i, last)) {
            struct span_tmp name;

            span_get(r, i, last, &name);
            file_entity(r, K_PERSON, name.s, "given name: ", r->tok[i].s,
                        r->tok[i].len, "");
            free(name.heap);
            return 1;
        }
    }
    return 0;
}

static struct name_word *nw_slot(const struct run *r, const char *s,
                                 size_t len)
{
    struct name_word *nw = r->ctx->nw;
    size_t k = (size_t)wh_hash64(s, len) & (r->nw_cap - 1);

    for (;;) {
        if (nw[k].s == NULL ||
            (nw[k].len == len && memcmp(nw[k].s, s, len) == 0)) {
            return &nw[k];
        }
        k = (k + 1) & (r->nw_cap - 1);
    }
}

/* Indexes the words of the people's names (first person of each). */
static void nw_build(struct run *r)
{
    struct entities_ctx *ctx = r->ctx;
    size_t words = 0;
    size_t k;

    for (k = 0; k < r->nent; k++) {
        const char *w;

        if (r->ent[k].kind != K_PERSON) {
            continue;
        }
        for (w = r->ent[k].name; *w != '\0'; w++) {
            words += *w == ' ' ? 1 : 0;
        }
        words++;
    }
    r->nw_cap = 16;
    while (r->nw_cap < words * 2) {
        r->nw_cap *= 2;
    }
    if (ctx->cap_nw < r->nw_cap) {
        ctx->cap_nw = r->nw_cap;
        ctx->nw = wh_xrealloc(ctx->nw, ctx->cap_nw * sizeof(*ctx->nw));
    }
    memset(ctx->nw, 0, r->nw_cap * sizeof(*ctx->nw));
    for (k = 0; k < r->nent; k++) {
        const char *w = r->ent[k].name;

        if (r->ent[k].kind != K_PERSON) {
            continue;
        }
        while (*w != '\0') {
            const char *e = w;
            struct name_word *slot;

            while (*e != '\0' && *e != ' ') {
                e++;
            }
            slot = nw_slot(r, w, (size_t)(e - w));
            if (slot->s == NULL) {
                slot->s = w;
                slot->len = (size_t)(e - w);
                slot->ent = k;
            }
            w = *e == ' ' ? e + 1 : e;
        }
    }
}

/* person_with_word() by a scan of every person. */
static long person_scan(const struct run *r, const char *s, size_t len)
{
    size_t k;

    if (len == 0 || memchr(s, ' ', len) != NULL) {
        return -1; /* never one word of a name */
    }
    for (k = 0; k < r->nent; k++) {
        const char *name = r->ent[k].name;
        const char *w = name;

        if (r->ent[k].kind != K_PERSON || strcmp(name, s) == 0) {
            continue;
        }
        while (*w != '\0') {
            const char *e = w;

            while (*e != '\0' && *e != ' ') {
                e++;
            }
            if ((size_t)(e - w) == len && w[0] == s[0] &&
                memcmp(w, s, len) == 0) {
                return (long)k;
            }
            w = *e == ' ' ? e + 1 : e;
        }
    }
    return -1;
}

/* The person whose name has the word s as one of its words (and is not
 * s itself), or -1. */
static long person_with_word(struct run *r, const char *s, size_t len)
{
    const struct name_word *slot;
    size_t k;

    if (len == 0 || r->ent == NULL || memchr(s, ' ', len) != NULL) {
        return -1; /* never one word of a name */
    }
    if (r->nw_cap == 0) {
        nw_build(r);
    }
    slot = nw_slot(r, s, len);
    if (slot->s == NULL) {
        return -1;
    }
    k = slot->ent;
    if (r->ent[k].kind == K_PERSON && strcmp(r->ent[k].name, s) != 0) {
        return (long)k; /* the first person with the word */
    }
    return person_scan(r, s, len); /* rare: decide as the scan does */
}

static unsigned phrase_bits(const struct run *r, struct phrase *p)
{
    if ((p->bits & TOK_KNOWN) == 0) {
        p->bits = gaz_span(r, p->first, p->last) | TOK_KNOWN;
    }
    return p->bits & ~TOK_KNOWN;
}

/* Rules 1 to 4. People first, so that one word of a person's name that
 * is also an organisation ("Ford" after "Harrison Ford") is left to the
 * alias rule; a phrase listed as an organisation or ending with an
 * organisation suffix is never a person ("General Motors"). */
static void first_pass(struct run *r)
{
    size_t k;

    for (k = 0; k < r->nph; k++) {
        struct phrase *p = &r->ph[k];

        if ((phrase_bits(r, p) & G_ORG) != 0 ||
            (p->last > p->first && (gaz_tok(r, p->last) & G_SUFFIX) != 0)) {
            continue;
        }
        if (rule_title(r, p) || rule_given(r, p)) {
            p->kind = K_PERSON;
        }
    }
    for (k = 0; k < r->nph; k++) {
        struct phrase *p = &r->ph[k];

        if (p->kind != K_NONE) {
            continue;
        }
        if ((phrase_bits(r, p) & G_ORG) != 0) {
            if (p->first == p->last &&
                person_with_word(r, r->tok[p->first].s,
                                 bare_len(&r->tok[p->first])) >= 0) {
                continue; /* the alias rule decides */
            }
            struct span_tmp name;

            span_get(r, p->first, p->last, &name);
            file_entity(r, K_ORG, name.s, "gazetteer: organisations", NULL, 0,
                        "");
            free(name.heap);
            p->kind = K_ORG;
        } else if (rule_suffix(r, p)) {
            p->kind = K_ORG;
        }
    }
}

static void note_ambiguous(struct run *r, const char *name, unsigned bits)
{
    json_t *lists;
    size_t k;

    for (k = 0; k < json_array_size(r->ambiguous); k++) {
        if (strcmp(json_string_value(json_object_get(
                       json_array_get(r->ambiguous, k), "name")),
                   name) == 0) {
            return;
        }
    }
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
                                "reason", "in several lists, no context rule"));
}

static void second_pass(struct run *r)
{
    size_t k;

    for (k = 0; k < r->nph; k++) {
        const struct phrase *p = &r->ph[k];
        const struct wh_enrich_token *before =
            p->first > 0 ? &r->tok[p->first - 1] : NULL;
        unsigned bits;
        struct span_tmp name;
        long person = -1;

        if (p->kind != K_NONE) {
            continue;
        }
        span_get(r, p->first, p->last, &name);
        bits = wh_enrich_words_get(r->ctx->gaz, name.s, name.len);
        if (p->first == p->last) {
            person = person_with_word(r, name.s, name.len);
        }
        if ((bits & G_PLACE) != 0 && before != NULL &&
            (r->tok[p->first].flags & WH_TOK_BREAK) == 0 &&
            word_in(before->s, before->len, place_words,
                    WH_ARRAY_SIZE(place_words))) {
            file_entity(r, K_PLACE, name.s, "context: ", before->s,
                        before->len, "");
        } else if (person >= 0) {
            const char *full = r->ent[person].name;

            file_entity(r, K_PERSON, full, "part of the name ", full,
                        strlen(full), "");
        } else if ((bits & G_PLACE) != 0 && (bits & G_GIVEN) == 0) {
            file_entity(r, K_PLACE, name.s, "gazetteer: places", NULL, 0, "");
        } else if ((bits & G_PLACE) != 0) {
            note_ambiguous(r, name.s, bits);
        }
        free(name.heap);
    }
}

/* ---- output ---- */

/* 1 when one of the first n objects of arr has the name. */
static int has_name(const json_t *arr, size_t n, const char *name)
{
    size_t k;

    for (k = 0; k < n; k++) {
        const char *v =
            json_string_value(json_object_get(json_array_get(arr, k), "name"));

        if (v != NULL && strcmp(v, name) == 0) {
            return 1;
        }
    }
    return 0;
}

static int is_person(const struct run *r, const char *name)
{
    size_t k;

    for (k = 0; k < r->nent; k++) {
        if (r->ent[k].kind == K_PERSON && strcmp(r->ent[k].name, name) == 0) {
            return 1;
        }
    }
    return 0;
}

/* "Mr Smith" (title rule) and "John Smith" are one person: a one-word
 * person whose word is part of a longer person's name is merged into it. */
static void merge_surnames(struct run *r)
{
    size_t k;

    for (k = 0; k < r->nent; k++) {
        struct entity *e = &r->ent[k];
        long full;

        if (e->kind != K_PERSON || strchr(e->name, ' ') != NULL) {
            continue;
        }
        full = person_with_word(r, e->name, strlen(e->name));
        if (full >= 0) {
            r->ent[full].mentions += e->mentions;
            e->kind = K_NONE;
        }
    }
}

static void write_out(struct run *r, struct wh_record *rec, json_t *ev)
{
    json_t *extra = wh_enrich_extra(rec);
    json_t *evk[4] = {NULL, json_array(), json_array(), json_array()};
    int kind;
    size_t k;

    for (kind = K_PERSON; kind <= K_PLACE; kind++) {
        json_t *arr = json_object_get(extra, kind_key[kind]);
        int created = 0;
        size_t given; /* what the source set: names filed here are unique */

        if (!json_is_array(arr)) {
            arr = json_array();
            created = 1;
        }
        given = json_array_size(arr);
        for (k = 0; k < r->nent; k++) {
            const struct entity *e = &r->ent[k];
            json_t *obj;
            json_t *name;

            if ((int)e->kind != kind ||
                (kind != K_PERSON && is_person(r, e->name))) {
                continue; /* a person is never a place or organisation */
            }
            /* json_object() and setters rather than json_pack(): the
             * format parsing showed in profiles of this loop */
            obj = json_object();
            /* names and rules are cut from valid UTF-8 at word bounds;
             * the name string is shared by the evidence and the list */
            name = json_string_nocheck(e->name);
            json_object_set_nocheck(obj, "name", name);
            json_object_set_new_nocheck(obj, "rule",
                                        json_string_nocheck(e->rule));
            json_object_set_new_nocheck(obj, "mentions",
                                        json_integer((json_int_t)e->mentions));
            json_array_append_new(evk[kind], obj);
            if (!has_name(arr, given, e->name)) {
                obj = json_object();
                json_object_set_nocheck(obj, "name", name);
                json_array_append_new(arr, obj);
            }
            json_decref(name);
        }
        if (created && json_array_size(arr) > 0) {
            json_object_set_new(extra, kind_key[kind], arr);
        } else if (created) {
            json_decref(arr);
        }
        json_object_set_new(ev, kind_key[kind], evk[kind]);
    }
}

static int entities_process(void *p, struct wh_record *rec,
                            const struct wh_msg_meta *meta, char *errstr,
                            size_t errstr_size)
{
    struct entities_ctx *ctx = p;
    json_t *ev = wh_enrich_begin(rec, &wh_enrich_entities);
    struct wh_enrich_input in;
    struct wh_enrich_tokenizer tz;
    struct wh_enrich_token tok;
    struct run r;
    size_t cased = 0;
    size_t skip;
    size_t k;

    (void)meta;
    (void)errstr;
    (void)errstr_size;
    memset(&r, 0, sizeof(r));
    r.ctx = ctx;
    r.lang = wh_enrich_langs_get(ctx->langs, rec->language);
    r.en = wh_enrich_langs_get(ctx->langs, "en");
    wh_enrich_input_build(&in, rec, WH_INPUT_DESCRIPTION | WH_INPUT_BODY,
                          ctx->max_bytes);
    r.text = in.text;
    skip = in.body_off +
           wh_enrich_dateline_end(in.text + in.body_off, in.len - in.body_off);
    wh_enrich_tok_init(&tz, in.text, in.len, 0);
    while (wh_enrich_tok_next(&tz, &tok)) {
        if (tok.s < in.text + skip) {
            continue;
        }
        if (r.ntok == ctx->cap_tok) {
            ctx->cap_tok = ctx->cap_tok == 0 ? 256 : ctx->cap_tok * 2;
            ctx->tok = wh_xrealloc(ctx->tok, ctx->cap_tok * sizeof(*ctx->tok));
        }
        ctx->tok[r.ntok++] = tok;
        cased += (tok.flags & WH_TOK_CAP) ? 1 : 0;
    }
    r.tok = ctx->tok;
    if (ctx->cap_aux < ctx->cap_tok) {
        ctx->cap_aux = ctx->cap_tok;
        ctx->gaz_bits =
            wh_xrealloc(ctx->gaz_bits, ctx->cap_aux * sizeof(*ctx->gaz_bits));
        ctx->stop = wh_xrealloc(ctx->stop, ctx->cap_aux);
        ctx->ph = wh_xrealloc(ctx->ph, ctx->cap_aux * sizeof(*ctx->ph));
    }
    r.gaz_bits = ctx->gaz_bits;
    r.stop = ctx->stop;
    if (r.ntok > 0) {
        memset(r.gaz_bits, 0, r.ntok * sizeof(*r.gaz_bits));
        memset(r.stop, STOP_UNKNOWN, r.ntok);
    }
    if (r.ntok == 0) {
        wh_enrich_unknown(ev, "no text");
        goto out;
    }
    if (cased == 0) {
        wh_enrich_unknown(ev, "no capitalized word: script without letter "
                              "case, or all lower case");
        goto out;
    }
    r.ph = ctx->ph;
    r.ambiguous = json_array();
    find_phrases(&r);
    first_pass(&r);
    second_pass(&r);
    merge_surnames(&r);
    write_out(&r, rec, ev);
    if (json_array_size(r.ambiguous) > 0) {
        json_object_set(ev, "ambiguous", r.ambiguous);
    }
out:
    for (k = 0; k < r.nent; k++) {
        free(r.ent[k].name); /* and the rule */
    }
    json_decref(r.ambiguous);
    free(r.ent);
    wh_enrich_input_free(&in);
    return WH_OK;
}

const struct wh_stage wh_enrich_entities = {
    .name = "entities",
    .type = WH_STAGE_ENRICH,
    .version = "1.0",
    .description = "people, organisations and places by gazetteers and "
                   "capitalized-phrase rules",
    .keys = wh_enrich_config_keys,
    .check = entities_check,
    .init = entities_init,
    .process = entities_process,
    .flush = NULL,
    .close = entities_close,
};
