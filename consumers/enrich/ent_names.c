/*
 * ent_names.c - names, independent of any list (stage 1 of
 * entities.c): the word tests and per-token caches, the lower-case
 * words of the text, weak capitals, and the runs cut into names.
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

static void analyse(const struct run *r, size_t i);
static int amp_from(const char *s, const char *e);

/* Lower-case particles allowed inside a name ("Charles de Gaulle"). */
static const char *const particles[] = {
    "de",  "da",  "do",  "dos", "das", "du", "del", "della", "di",
    "van", "von", "ter", "bin", "ibn", "al", "el",  "y",     "e"};

/* Articles allowed only after a particle ("Ursula von der Leyen",
 * "Jean de la Fontaine"): alone they are German or French articles
 * between two nouns. */
static const char *const second_particles[] = {"der", "den", "la",
                                               "le",  "los", "las"};

/* Words that never start a name, even mid-sentence ("the Netherlands"
 * is "Netherlands"). */
static const char *const determiners[] = {
    "The",  "A",   "An",  "This",  "That", "These",  "Those", "My",
    "Our",  "His", "Her", "Their", "Its",  "Your",   "Every", "Each",
    "Some", "Any", "No",  "All",   "Both", "Another"};

/* ---- words ---- */

int ent_word_in(const char *s, size_t len, const char *const *list, size_t n)
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

int ent_tok_is(const struct wh_enrich_token *t, const char *w)
{
    size_t len = strlen(w);

    return t->len == len && memcmp(t->s, w, len) == 0;
}

/* ent_tok_is() ignoring the case of an ASCII first letter ("The", "the"). */
int ent_tok_is_any_case(const struct wh_enrich_token *t, const char *w)
{
    size_t len = strlen(w);

    return t->len == len && (t->s[0] | 0x20) == (w[0] | 0x20) &&
           memcmp(t->s + 1, w + 1, len - 1) == 0;
}

int ent_is_particle(const struct wh_enrich_token *t, int second)
{
    if (t->len > 5 || (t->flags & WH_TOK_CAP) != 0) {
        return 0; /* all are short and in lower case */
    }
    return ent_word_in(t->s, t->len, particles, WH_ARRAY_SIZE(particles)) ||
           (second && ent_word_in(t->s, t->len, second_particles,
                                  WH_ARRAY_SIZE(second_particles)));
}

int ent_is_name_word(const struct wh_enrich_token *t)
{
    size_t k;

    if ((t->flags & (WH_TOK_IDEO | WH_TOK_DIGIT)) != 0) {
        return 0;
    }
    if ((t->flags & (WH_TOK_CAP | WH_TOK_UPPER)) != 0) {
        /* "I", "I'm", "I've" */
        return !(t->s[0] == 'I' &&
                 (t->len == 1 || t->s[1] == '\'' ||
                  (t->len > 3 && (unsigned char)t->s[1] == 0xE2)));
    }
    /* "al-Assad", "el-Sisi", "d'Estaing"; not "sub-Saharan",
     * "pre-Columbian", "mid-March" */
    for (k = 1; k < 3 && k + 1 < t->len; k++) {
        if ((t->s[k] == '-' || t->s[k] == '\'') && t->s[k + 1] >= 'A' &&
            t->s[k + 1] <= 'Z') {
            return 1;
        }
    }
    return 0;
}

/* Length of token t without a possessive "'s" or a trailing period. */
size_t ent_bare_len(const struct wh_enrich_token *t)
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

int ent_possessive(const struct wh_enrich_token *t)
{
    return ent_bare_len(t) != t->len;
}

/* The text of tokens [a, b] as written (runs of blanks as one space),
 * without a possessive on the last word, into out (size bytes): returns
 * the length, or (size_t)-1 when it does not fit. */
size_t ent_span_buf(const struct run *r, size_t a, size_t b, char *out,
                    size_t size)
{
    const char *s = r->tok[a].s;
    const char *e = r->tok[b].s + ent_bare_len(&r->tok[b]);
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

unsigned ent_gaz_tok(const struct run *r, size_t i)
{
    unsigned bits = r->gaz_bits[i];

    if ((bits & TOK_KNOWN) == 0) {
        /* every one-word entry is capitalized ("al-Qaeda" is two): a
         * lower-case word is never looked up in the large table */
        bits = TOK_KNOWN;
        if ((r->tflags[i] & T_NAME) != 0) {
            bits |= wh_enrich_words_get(r->ctx->gaz, r->tok[i].s,
                                        ent_bare_len(&r->tok[i]));
        }
        r->gaz_bits[i] = bits;
    }
    return bits & ~(TOK_KNOWN | G_FIRST);
}

/* ent_gaz_tok() with G_COMMON when the lexicon lists the capitalized token i
 * in lower case (looked up once, and only where a rule asks). */

unsigned ent_lex_tok(const struct run *r, size_t i)
{
    analyse(r, i);
    return ent_gaz_tok(r, i) | ((r->tflags[i] & T_COMMON) != 0 ? G_COMMON : 0);
}

/* Token i (a name word) starts a listed name of several words. */
static int gaz_first(const struct run *r, size_t i)
{
    (void)ent_gaz_tok(r, i); /* fills the cache */
    return (r->gaz_bits[i] & G_FIRST) != 0;
}

unsigned ent_gaz_span(const struct run *r, size_t a, size_t b)
{
    char buf[256];
    size_t len;

    if (a == b) {
        return ent_gaz_tok(r, a);
    }
    if ((r->tflags[a] & T_NAME) != 0 && !gaz_first(r, a)) {
        return 0; /* no listed name of several words starts so */
    }
    len = ent_span_buf(r, a, b, buf, sizeof(buf));
    return len == (size_t)-1 ? 0 : wh_enrich_words_get(r->ctx->gaz, buf, len);
}

/* A title: "President", or "Sen." listed with its period (the tokenizer
 * leaves the period out of the word; the text is NUL-terminated). */
static int is_title(const struct run *r, size_t i)
{
    const struct wh_enrich_token *t = &r->tok[i];

    return (ent_gaz_tok(r, i) & G_TITLE) != 0 ||
           (t->s[t->len] == '.' &&
            (wh_enrich_words_get(r->ctx->gaz, t->s, t->len + 1) & G_TITLE) !=
                0);
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

int ent_is_stop(const struct run *r, size_t i)
{
    if (r->stop[i] == STOP_UNKNOWN) {
        r->stop[i] = (unsigned char)is_stop_uncached(r, i);
    }
    return r->stop[i];
}

/* ---- the lower-case words of the text ---- */

static size_t lower_find(const struct run *r, const char *s, size_t len)
{
    size_t mask = r->nlower - 1;
    size_t k = (size_t)wh_hash64(s, len) & mask;

    while (r->ctx->lower_stamp[k] == r->ctx->stamp &&
           !(r->ctx->lower_len[k] == len &&
             memcmp(r->ctx->lower[k], s, len) == 0)) {
        k = (k + 1) & mask;
    }
    return k;
}

/* Fills the set of the words the text writes in lower case, for
 * ent_lower_tok(). */
void ent_mark_lower(struct run *r)
{
    struct entities_ctx *ctx = r->ctx;
    size_t k;

    r->nlower = 64;
    while (r->nlower < r->ntok * 2) {
        r->nlower *= 2;
    }
    if (ctx->cap_lower < r->nlower) {
        ctx->cap_lower = r->nlower;
        ctx->lower = wh_xrealloc(ctx->lower, ctx->cap_lower * sizeof(char *));
        ctx->lower_len =
            wh_xrealloc(ctx->lower_len, ctx->cap_lower * sizeof(size_t));
        ctx->lower_stamp =
            wh_xrealloc(ctx->lower_stamp, ctx->cap_lower * sizeof(unsigned));
        memset(ctx->lower_stamp, 0, ctx->cap_lower * sizeof(unsigned));
        ctx->stamp = 0;
    }
    if (++ctx->stamp == 0) { /* wrapped: clear once */
        memset(ctx->lower_stamp, 0, ctx->cap_lower * sizeof(unsigned));
        ctx->stamp = 1;
    }
    for (k = 0; k < r->ntok; k++) {
        const struct wh_enrich_token *t = &r->tok[k];

        if ((t->flags &
             (WH_TOK_CAP | WH_TOK_UPPER | WH_TOK_IDEO | WH_TOK_DIGIT)) == 0) {
            size_t slot = lower_find(r, t->s, t->len);

            ctx->lower[slot] = t->s;
            ctx->lower_len[slot] = t->len;
            ctx->lower_stamp[slot] = ctx->stamp;
        }
    }
}

/* Token i is capitalized and the text also writes it in lower case
 * ("General" and "general"): a common noun, trusted as a name only with
 * other evidence. Looked up once, where a rule asks. */
int ent_lower_tok(const struct run *r, size_t i)
{
    analyse(r, i);
    return (r->tflags[i] & T_LOWER) != 0;
}

/* Sets T_LOWER and T_COMMON of capitalized token i, once, from one
 * lower-case copy of it. */
static void analyse(const struct run *r, size_t i)
{
    const struct wh_enrich_token *t = &r->tok[i];
    char low[256];
    size_t len;

    if ((r->tflags[i] & T_LEXKNOWN) != 0) {
        return;
    }
    r->tflags[i] |= T_LEXKNOWN;
    if ((t->flags & WH_TOK_CAP) == 0) {
        return;
    }
    len = wh_enrich_lower_buf(t->s, ent_bare_len(t), low, sizeof(low));
    if (len == (size_t)-1) {
        return;
    }
    if (r->ctx->lower_stamp[lower_find(r, low, len)] == r->ctx->stamp) {
        r->tflags[i] |= T_LOWER;
    }
    if (ent_bloom_has(r->ctx->lex_bloom, low, len) &&
        wh_enrich_words_get(r->ctx->lex, low, len) != 0) {
        r->tflags[i] |= T_COMMON;
    }
}

/* Marks T_WEAK on the tokens whose capital their position explains: the
 * first word of a sentence, every word of the headline and of a
 * title-case line (three or more capitalized words and no lower-case
 * word but function words: "Materials and Methods"). */
void ent_mark_weak(struct run *r, size_t head_end)
{
    size_t a = 0;

    while (a < r->ntok) {
        size_t b = a + 1;
        size_t caps = 0;
        size_t lower = 0;
        size_t k;

        /* a line: up to the next token after a line break */
        while (b < r->ntok && ((r->tok[b].flags & WH_TOK_BREAK) == 0 ||
                               memchr(r->tok[b - 1].s + r->tok[b - 1].len, '\n',
                                      (size_t)(r->tok[b].s - r->tok[b - 1].s) -
                                          r->tok[b - 1].len) == NULL)) {
            b++;
        }
        for (k = a; k < b; k++) {
            caps += (r->tok[k].flags & WH_TOK_CAP) != 0 ? 1 : 0;
        }
        /* a lower-case word other than a function word: prose */
        for (k = a; k < b && caps >= 2 && lower == 0; k++) {
            const struct wh_enrich_token *t = &r->tok[k];

            if ((t->flags & (WH_TOK_CAP | WH_TOK_DIGIT)) == 0 &&
                !ent_is_stop(r, k) && !ent_is_particle(t, 1)) {
                lower++;
            }
        }
        for (k = a; k < b; k++) {
            if ((size_t)(r->tok[k].s - r->text) < head_end ||
                (caps >= 2 && lower == 0) ||
                (r->tok[k].flags & WH_TOK_SENT) != 0 || k == 0) {
                r->tflags[k] |= T_WEAK;
            }
        }
        a = b;
    }
}

/* ---- names ---- */

/* The break before token n can be crossed: the period of an initial
 * ("Steven F. Udvar-Hazy") or of a listed abbreviation ("St. Louis"). */
static int crossable(const struct run *r, size_t prev)
{
    const struct wh_enrich_token *p = &r->tok[prev];
    const char *s = p->s + p->len;

    if (s[0] != '.' || (s[1] != ' ' && s[1] != '\n')) {
        return 0;
    }
    if ((p->len == 1 && (p->flags & WH_TOK_CAP) != 0) || ent_tok_is(p, "St") ||
        ent_tok_is(p, "Mt") || ent_tok_is(p, "Ft")) {
        return 1; /* an initial, "St. Louis" */
    }
    return (wh_enrich_words_get(r->ctx->gaz, p->s, p->len + 1) &
            (G_PPRE | G_TITLE)) != 0;
}

/* Only blanks between tokens i and i + 1 ("Moravec & Pelling", "State -
 * Bill" are two names each). */
int ent_blank_gap(const struct run *r, size_t i)
{
    const char *s = r->tok[i].s + r->tok[i].len;

    for (; s < r->tok[i + 1].s; s++) {
        if (*s != ' ' && *s != '\t' && *s != '\n' && *s != '\r') {
            return 0;
        }
    }
    return 1;
}

/* The end of the run of name words starting at a (particles and
 * initials inside). */
static size_t run_end(const struct run *r, size_t a)
{
    size_t b = a;

    while (b + 1 < r->ntok && b - a + 1 < NAME_MAX_WORDS &&
           (!ent_possessive(&r->tok[b]) ||
            ((ent_gaz_tok(r, b + 1) & (G_SUFFIX | G_PHEAD)) != 0 &&
             (ent_gaz_tok(r, b) & (G_PLACE | G_ORG)) == 0))) {
        size_t n = b + 1;

        /* a particle is kept only between two name words */
        while (n < r->ntok && ent_is_particle(&r->tok[n], n > b + 1) &&
               (r->tok[n].flags & WH_TOK_BREAK) == 0 && n - b < 3) {
            n++;
        }
        if (n >= r->ntok || (r->tflags[n] & T_NAME) == 0 ||
            ((r->tok[n].flags & WH_TOK_BREAK) != 0 &&
             !(n == b + 1 && crossable(r, b))) ||
            (!ent_blank_gap(r, n - 1) && !(n == b + 1 && crossable(r, b)) &&
             (r->tok[n - 1].s + r->tok[n - 1].len != r->tok[n].s - 1 ||
              r->tok[n].s[-1] != '&')) ||
            (n > b + 1 && (r->tok[b + 1].flags & WH_TOK_BREAK) != 0)) {
            break;
        }
        b = n;
    }
    return b;
}

/* Only " & " between tokens i and i + 1. */
int ent_amp_gap(const struct run *r, size_t i)
{
    return amp_from(r->tok[i].s + r->tok[i].len, r->tok[i + 1].s);
}

/* ent_amp_gap(), or ", & " as the last author of a list is cited
 * ("Aldane, Ferrow, & Gorrow"). */
int ent_cite_amp(const struct run *r, size_t i)
{
    const char *s = r->tok[i].s + r->tok[i].len;

    return amp_from(*s == ',' ? s + 1 : s, r->tok[i + 1].s);
}

/* Only " & " from s to e. */
static int amp_from(const char *s, const char *e)
{
    while (s < e && *s == ' ') {
        s++;
    }
    if (s == e || *s != '&') {
        return 0;
    }
    for (s++; s < e && *s == ' '; s++) {
    }
    return s == e;
}

/* 1 when the connector between runs [a, b] and [c, d] joins them:
 * "of" / "of the" / "for" / "on" after an organisation or place head,
 * "and" or "&" inside an organisation name. */
static int joins(const struct run *r, size_t a, size_t b, size_t c, size_t d)
{
    const struct wh_enrich_token *m = &r->tok[b + 1];
    unsigned lastbits = ent_gaz_tok(r, b);
    size_t k;

    for (k = b + 1; k <= c; k++) {
        if ((r->tok[k].flags & WH_TOK_BREAK) != 0 ||
            (!ent_blank_gap(r, k - 1) && !(c == b + 1 && ent_amp_gap(r, b)))) {
            return 0;
        }
    }
    if (ent_possessive(&r->tok[b])) {
        return 0;
    }
    if (c == b + 2 && ent_tok_is(m, "of")) {
        return (lastbits & (G_SUFFIX | G_PHEAD | G_PPRE)) != 0 ||
               (ent_gaz_span(r, a, d) & (G_ORG | G_PLACE)) != 0;
    }
    if (c == b + 3 && ent_tok_is(m, "of") &&
        ent_tok_is(&r->tok[b + 2], "the")) {
        return (lastbits & (G_SUFFIX | G_PHEAD | G_PPRE)) != 0;
    }
    if (c == b + 2 && (ent_tok_is(m, "for") || ent_tok_is(m, "on"))) {
        return (lastbits & G_SUFFIX) != 0 && !ent_is_stop(r, c);
    }
    if ((c == b + 2 && ent_tok_is(m, "and")) ||
        (c == b + 1 && ent_amp_gap(r, b))) {
        /* "Securities and Exchange Commission", but not "Britain and
         * European Commission" nor "Institute of Technology and
         * Colorado State University" */
        for (k = a; k <= b; k++) {
            if ((ent_gaz_tok(r, k) & (G_SUFFIX | G_PHEAD)) != 0) {
                return 0;
            }
        }
        return (ent_gaz_tok(r, d) & G_SUFFIX) != 0 &&
               (ent_gaz_span(r, a, b) & (G_ORG | G_PLACE | G_GIVEN)) == 0 &&
               (ent_gaz_tok(r, a) & G_GIVEN) == 0 && b - a < 3;
    }
    return 0;
}

static int ends_with(const struct wh_enrich_token *t, const char *suffix)
{
    size_t n = strlen(suffix);

    return t->len > n + 2 && memcmp(t->s + t->len - n, suffix, n) == 0;
}

/* The first word of a sentence that is rather a common word: written in
 * lower case elsewhere, listed as no name, or shaped like an adverb or
 * participle ("Clearly", "Reading", "Asked"), and in no list. */
static int common_start(const struct run *r, size_t i)
{
    const struct wh_enrich_token *t = &r->tok[i];
    unsigned bits = ent_lex_tok(r, i);

    if ((bits & (G_NONAME | G_COMMON)) != 0 &&
        (bits & (G_GIVEN | G_PLACE | G_ORG | G_TITLE)) == 0) {
        return 1;
    }
    if (bits != 0) {
        return 0;
    }
    return ent_lower_tok(r, i) || ends_with(t, "ly") || ends_with(t, "ing") ||
           ends_with(t, "ed");
}

/* [a, b] can be a name: not only initials ("H. R."), not ending with an
 * adjective of origin ("South African"), a plural of people
 * ("Republicans", "Democrats") or the head of an event, law or work
 * ("Nobel Prize"), and not a whole quoted title ("“Silent Night”"). */
/* The run [a, b] is all of a quotation: a title. */
static int quoted(const struct run *r, size_t a, size_t b)
{
    const char *s = r->tok[a].s;
    const char *e = r->tok[b].s + r->tok[b].len;

    if (s == r->text || a == b) {
        return 0;
    }
    /* e[] is read byte by byte: the text ends with a NUL */
    return ((s[-1] == '"' && e[0] == '"') ||
            (s - r->text >= 3 && memcmp(s - 3, "\xE2\x80\x9C", 3) == 0 &&
             e[0] == '\xE2' && e[1] == '\x80' && e[2] == '\x9D'));
}

static int name_shaped(const struct run *r, size_t a, size_t b)
{
    const struct wh_enrich_token *t = &r->tok[b];
    size_t k;

    if ((ent_gaz_span(r, a, b) & (G_ORG | G_PLACE)) != 0) {
        return 1;
    }
    if ((ent_gaz_tok(r, b) & G_NONAME) != 0 ||
        (a < b && (ent_gaz_tok(r, b) & G_OTHER) != 0) || quoted(r, a, b) ||
        ends_with(t, "ians") || ends_with(t, "cans") || ends_with(t, "crats") ||
        ends_with(t, "ists") ||
        (a == b && (ends_with(t, "ian") || ends_with(t, "ean")) &&
         (ent_gaz_tok(r, b) & G_GIVEN) == 0)) {
        return 0; /* and no "Peruvian", "Korean" alone */
    }
    for (k = a; k <= b; k++) {
        if (r->tok[k].len > 1 && (r->tok[k].flags & WH_TOK_UPPER) == 0) {
            return 1;
        }
        if (r->tok[k].len > 1 && a == b) {
            return 1; /* an acronym */
        }
    }
    return 0;
}

/* After a head has joined ("Royal Academy of Music"), one more
 * "and" or "of" part that is no name of its own ("... and Sculpture",
 * "... of America"): [c, d] holds no head, no given name, no listed
 * organisation. */
static int joins_more(const struct run *r, size_t b, size_t c, size_t d)
{
    const struct wh_enrich_token *m = &r->tok[b + 1];
    size_t k;

    if (c != b + 2 || !(ent_tok_is(m, "and") || ent_tok_is(m, "of")) ||
        (m->flags & WH_TOK_BREAK) != 0 || !ent_blank_gap(r, b) ||
        !ent_blank_gap(r, b + 1) || ent_possessive(&r->tok[b])) {
        return 0;
    }
    for (k = c; k <= d; k++) {
        if ((ent_gaz_tok(r, k) & (G_SUFFIX | G_PHEAD | G_GIVEN | G_ORG)) != 0) {
            return 0;
        }
    }
    return !ent_tok_is(m, "and") || (ent_gaz_span(r, c, d) & G_PLACE) == 0;
}

/* Some word of [a, b] is an organisation or place head ("American
 * University of Paris" keeps its adjective). */
static int has_head(const struct run *r, size_t a, size_t b)
{
    size_t k;

    for (k = a; k <= b; k++) {
        if ((ent_gaz_tok(r, k) & (G_SUFFIX | G_PHEAD)) != 0) {
            return 1;
        }
    }
    return 0;
}

static int is_determiner(const struct wh_enrich_token *t)
{
    return ent_word_in(t->s, t->len, determiners, WH_ARRAY_SIZE(determiners));
}

/* The run [a, b] names an event, a law or a work: a listed place at
 * its start is a mention of that place ("Cannes" of "Cannes Film
 * Festival", "Vietnam" of "the Vietnam War"). */
static void place_inside(struct run *r, size_t a, size_t b)
{
    size_t k;

    if (a >= b || (ent_gaz_tok(r, b) & G_OTHER) == 0) {
        return;
    }
    for (k = b - 1; k + 1 > a; k--) {
        if ((ent_gaz_span(r, a, k) & (G_PLACE | G_ORG)) == G_PLACE) {
            ent_add_mention(r, a, k, (size_t)-1, 0);
            return;
        }
    }
}

/* The name [a, b] is a street and the token before it its house number:
 * digits only, a blank between. */
static int house_number(const struct run *r, size_t a, size_t b)
{
    static const char *const streets[] = {
        "Street", "St",    "St.",     "Avenue",    "Ave",  "Ave.",
        "Road",   "Rd",    "Rd.",     "Boulevard", "Blvd", "Blvd.",
        "Lane",   "Drive", "Terrace", "Place",     "Way",  "Plaza"};
    const struct wh_enrich_token *n;

    if (a == 0 || a == b ||
        !ent_word_in(r->tok[b].s, r->tok[b].len, streets,
                     WH_ARRAY_SIZE(streets))) {
        return 0;
    }
    n = &r->tok[a - 1];
    return n->len <= 5 && strspn(n->s, "0123456789") == n->len &&
           n->s + n->len + 1 == r->tok[a].s && n->s[n->len] == ' ';
}

/* Cuts the run [a, b] into names: function words, titles and common
 * words at the edges off, pieces split at a function word inside. */
static void add_run(struct run *r, size_t a, size_t b)
{
    size_t title = (size_t)-1;
    unsigned whole = ent_gaz_span(r, a, b);
    unsigned lastbits;
    int weak;
    size_t k;

    /* leading function words, unless the whole is listed ("The Hague") */
    while (
        a <= b && (whole & (G_ORG | G_PLACE)) == 0 &&
        (is_determiner(&r->tok[a]) ||
         ((r->tflags[a] & T_WEAK) != 0 && ent_is_stop(r, a) &&
          !ent_is_particle(&r->tok[a], 0) &&
          (ent_gaz_span(r, a, a < b ? a + 1 : a) & (G_ORG | G_PLACE)) == 0))) {
        a++;
        whole = a <= b ? ent_gaz_span(r, a, b) : 0;
    }
    if (a > b) {
        return;
    }
    /* trailing function words and days ("Obama Monday") */
    while (b > a && ent_is_stop(r, b) && !ent_is_particle(&r->tok[b], 1) &&
           (ent_gaz_tok(r, b) & (G_SUFFIX | G_PHEAD)) == 0 &&
           (ent_gaz_span(r, a, b) & (G_ORG | G_PLACE)) == 0) {
        b--;
    }
    lastbits = ent_gaz_tok(r, b);
    whole = ent_gaz_span(r, a, b);
    /* titles: "President Joe Biden", "Prime Minister Keir Starmer", but
     * "General Motors" and "King County" keep their first word */
    if ((whole & (G_ORG | G_PLACE)) == 0 &&
        (lastbits & (G_SUFFIX | G_PHEAD)) == 0) {
        size_t from = a;
        size_t first = a; /* of the first title */
        int named = 0;

        /* the last title ("Treasury Secretary Janet Yellen") */
        for (k = a; k <= b; k++) {
            if (k < b &&
                ((ent_gaz_tok(r, k) | ent_gaz_tok(r, k + 1)) & G_TITLE) != 0 &&
                (ent_gaz_span(r, k, k + 1) & G_TITLE) != 0) {
                first = title == (size_t)-1 ? k : first;
                title = from;
                a = k + 2;
                k++;
            } else if (is_title(r, k)) {
                first = title == (size_t)-1 ? k : first;
                title = from;
                a = k + 1;
            }
        }
        if (a > b) {
            return; /* a title alone is no name */
        }
        for (k = a; k <= b; k++) {
            named |= ent_name_like(r, k) || (ent_gaz_tok(r, k) & G_GIVEN) != 0;
        }
        /* one word after a title is a name, common or in capitals
         * ("Senator Baker", "Senator PADILLA") */
        named |=
            a == b && !ent_is_stop(r, a) && (ent_gaz_tok(r, a) & G_NONAME) == 0;
        if (!named) {
            a = from; /* "General Strike Committee": no name after the title */
            title = (size_t)-1;
        } else if (title != (size_t)-1 && first > from &&
                   (ent_gaz_span(r, from, first - 1) & (G_PLACE | G_ORG)) ==
                       G_PLACE) {
            /* the place of the title: "Ohio Senator Jim Doyle" */
            ent_add_mention(r, from, first - 1, (size_t)-1,
                            (r->tflags[from] & T_WEAK) != 0 &&
                                from + 1 == first);
        }
    }
    /* a sentence-initial word that looks common ("Yesterday Obama
     * said", "Asked Moravec"), or an adjective of origin before a name
     * ("Czech Jan Moravec"): not part of the name */
    while (a < b && title == (size_t)-1 && (whole & (G_ORG | G_PLACE)) == 0 &&
           (((r->tflags[a] & T_WEAK) != 0 && common_start(r, a) &&
             (ent_gaz_span(r, a, a + 1) & (G_ORG | G_PLACE)) == 0) ||
            ((ent_gaz_tok(r, a) & G_NONAME) != 0 && a + 1 < b &&
             !has_head(r, a, b)))) {
        a++;
    }
    /* trailing titles ("Jan Moravec Vice-Chancellor") */
    while (b > a && is_title(r, b) && (ent_gaz_tok(r, b) & G_SUFFIX) == 0 &&
           (ent_gaz_span(r, a, b) & (G_ORG | G_PLACE)) == 0) {
        b--;
    }
    /* a common word the text also writes in lower case after a first
     * name: the next words of the sentence ("Julia Vance Found", "Omar
     * Haddad Podcast") */
    while (b > a && (ent_gaz_tok(r, a) & G_GIVEN) != 0 && !has_head(r, a, b) &&
           (ent_gaz_tok(r, b) & (G_SUFFIX | G_PHEAD | G_OTHER)) == 0 &&
           ent_lower_tok(r, b) && (ent_lex_tok(r, b) & G_COMMON) != 0 &&
           (ent_gaz_span(r, a, b) & (G_ORG | G_PLACE)) == 0) {
        b--;
    }
    if (!name_shaped(r, a, b)) {
        place_inside(r, a, b);
        return;
    }
    /* a function word inside splits the run ("King Corn Wasn't Ready") */
    whole = ent_gaz_span(r, a, b);
    for (k = a + 1; k < b; k++) {
        const struct wh_enrich_token *t = &r->tok[k];

        if (ent_is_stop(r, k) && (t->flags & WH_TOK_CAP) != 0 &&
            !ent_is_particle(t, 1) && (whole & (G_ORG | G_PLACE)) == 0) {
            add_run(r, a, k - 1);
            add_run(r, k + 1, b);
            return;
        }
    }
    if (a == b && (ent_is_stop(r, a) || (ent_gaz_tok(r, a) & G_NONAME) != 0 ||
                   r->tok[a].len < 2)) {
        return;
    }
    weak = 1;
    for (k = a; k <= b; k++) {
        if ((r->tflags[k] & T_WEAK) == 0) {
            weak = 0;
        }
    }
    if (house_number(r, a, b)) {
        a--; /* "10 Downing Street" */
    }
    ent_add_mention(r, a, b, title, weak);
}

void ent_find_names(struct run *r)
{
    size_t i = 0;
    int headed;

    while (i < r->ntok) {
        size_t a;
        size_t b;

        if ((r->tflags[i] & T_NAME) == 0) {
            i++;
            continue;
        }
        a = i;
        b = run_end(r, a);
        headed = 0;
        /* join over connectors while they make one name */
        for (;;) {
            size_t c = b + 2;
            size_t d;

            if (c < r->ntok && ent_tok_is(&r->tok[b + 1], "of") &&
                ent_tok_is(&r->tok[c], "the")) {
                c++;
            } else if (b + 1 < r->ntok && ent_amp_gap(r, b)) {
                c = b + 1; /* "Procter & Gamble Co" */
            }
            if (c >= r->ntok || (r->tflags[c] & T_NAME) == 0 ||
                (r->tok[c].flags & WH_TOK_CAP) == 0) {
                break;
            }
            d = run_end(r, c);
            if (!joins(r, a, b, c, d) && !(headed && joins_more(r, b, c, d))) {
                break;
            }
            headed |= (ent_gaz_tok(r, b) & (G_SUFFIX | G_PHEAD | G_PPRE)) != 0;
            b = d;
        }
        add_run(r, a, b);
        i = b + 1;
    }
}
