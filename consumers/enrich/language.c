/*
 * language.c - the "language" enricher: detects the language of the text
 * with libexttextcat (n-gram profiles shipped by Debian's
 * libexttextcat-data) and writes a BCP 47 tag into rec->language.
 *
 * Two passes keep the cost down: the text is first scored against the
 * profiles of the main news languages of its script (mostly Latin
 * letters: data/enrich/textcat/latin.conf, else other.conf); only when
 * that pass is not clear-cut (several candidates, or a best score above
 * LANGUAGE_FIRST_MAX_SCORE, i.e. a weak match, as a Tagalog text gets
 * against Indonesian) is it scored against all 163 profiles. When that
 * full pass is a tie (English and Scots, say) that includes the weak
 * single match of the first pass, that match breaks the tie.
 *
 * Before both, a stop-word fast path: a text mostly in Latin letters is
 * scored by how many of its first FAST_MAX_WORDS words are in each
 * language's stop-word list (data/enrich/stopwords/), with the frequent
 * words of close languages that have no list as competitors
 * (data/enrich/textcat/guard.txt: Danish against Swedish, Catalan against
 * Spanish...). When one listed language wins clearly (FAST_MIN_SHARE of
 * the words, FAST_MARGIN times any other language), it is the single
 * candidate and textcat is not run; otherwise textcat decides as above.
 * Texts of news languages are mostly decided so, at a fraction of the
 * cost of n-gram profiles; "pass" says "stopwords" in the evidence.
 *
 * The page's own hint (rec->language as the producer found it) is kept
 * when the detector is unsure: text too short, several candidates, or a
 * short text whose single candidate disagrees. Without a hint an unsure
 * result is "und" with the reason in the evidence object.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <textcat.h>

#include "enrich.h"
#include "wh/config.h"
#include "wh/log.h"
#include "wh/record.h"
#include "wh/wh.h"

#ifndef WH_TEXTCAT_DIR
#define WH_TEXTCAT_DIR "/usr/share/libexttextcat"
#endif

#define LANGUAGE_MAX_BYTES 1024 /* "a few hundred bytes will suffice" */
/* textcat scores are sums of n-gram rank distances, at most 400 per
 * n-gram and 400 n-grams per text (160000). Right matches of texts of
 * 300 bytes and more scored 95000-113000 in our checks, wrong single
 * matches of the first pass 122000 and more. */
#define LANGUAGE_FIRST_MAX_SCORE 115000
/* shorter: the first pass only breaks ties of the full pass */
#define LANGUAGE_FIRST_MIN_BYTES 256
#define LANGUAGE_MIN_LETTERS 20       /* below: too short to decide */
#define LANGUAGE_SHORT_LETTERS 80     /* below: a disagreeing hint wins */
#define LANGUAGE_MAX_BAD_PERMILLE 100 /* invalid bytes per thousand */
/* textcat reports at most MAXCANDIDATES (5, in its constants.h, which
 * the public textcat.h does not include) and otherwise says UNKNOWN */
#define LANGUAGE_MAX_CANDIDATES 5

/* The stop-word fast path: languages with a stop-word list that it may
 * decide (each a bit in the word table), then the guard languages of
 * data/enrich/textcat/guard.txt, which only compete. */
#define FAST_MAX_LANGS 32
#define FAST_MAX_WORDS 120  /* words read */
#define FAST_MIN_WORDS 30   /* fewer: left to textcat */
#define FAST_MIN_SHARE 0.20 /* of the words read, in the winner's list */
#define FAST_MARGIN 3       /* winner's hits / any other language's */
static const char *const fast_langs[] = {"en", "de", "fr", "es",
                                         "it", "nl", "pt", "sv"};

/* A textcat handle and its candidate buffer. */
struct pass {
    void *tc;
    candidate_t *cands;
};

struct fast {
    struct wh_enrich_words *words; /* lower case -> bit mask of langs */
    char code[FAST_MAX_LANGS][8];
    int decides[FAST_MAX_LANGS]; /* 0: a guard language */
    size_t n;
};

struct language_ctx {
    struct fast fast;  /* words NULL: no fast path */
    char detector[64]; /* "exttextcat <version>" */
    struct pass all;   /* every profile */
    struct pass latin; /* first pass, Latin script; tc NULL if missing */
    struct pass other; /* first pass, other scripts; tc NULL if missing */
};

/* textcat names that are not plain "<iso>--utf8", with their BCP 47 tag. */
static const struct {
    const char *name;
    const char *tag;
} name_map[] = {
    {"zh-CN", "zh-Hans"}, {"zh-TW", "zh-Hant"}, {"az-cyrillic", "az-Cyrl"},
    {"ha-NG", "ha"},      {"sh", "sr-Latn"},
};

/* Turns a textcat category ("en--utf8", "zh-CN-utf8", "haw-utf8") into a
 * BCP 47 tag in out. */
static void category_tag(const char *name, char *out, size_t size)
{
    size_t n = strlen(name);
    size_t k;

    if (n >= 5 && strcmp(name + n - 5, "-utf8") == 0) {
        n -= 5;
    }
    while (n > 0 && name[n - 1] == '-') {
        n--;
    }
    if (n >= size) {
        n = size - 1;
    }
    memcpy(out, name, n);
    out[n] = '\0';
    for (k = 0; k < WH_ARRAY_SIZE(name_map); k++) {
        if (strcmp(out, name_map[k].name) == 0) {
            snprintf(out, size, "%s", name_map[k].tag);
            return;
        }
    }
}

/* Loads conf (profiles under WH_TEXTCAT_DIR) into ps; 0 or -1. */
static int pass_load(struct pass *ps, const char *conf)
{
    ps->tc = special_textcat_Init(conf, WH_TEXTCAT_DIR "/");
    if (ps->tc == NULL) {
        return -1;
    }
    textcat_SetProperty(ps->tc, TCPROP_UTF8AWARE, TC_TRUE);
    ps->cands = textcat_GetClassifyFullOutput(ps->tc);
    WH_ASSERT(ps->cands != NULL);
    return 0;
}

static void pass_free(struct pass *ps)
{
    if (ps->tc != NULL) {
        textcat_ReleaseClassifyFullOutput(ps->tc, ps->cands);
        textcat_Done(ps->tc);
    }
}

/* A first pass: a missing file only costs time, so it is a warning. */
static void first_pass_load(struct pass *ps, const struct wh_config *cfg,
                            const char *rel)
{
    char *path = wh_enrich_data_path(cfg, rel);

    /* access() first: libexttextcat prints its own line on a missing
     * file, without our priority prefix */
    if (access(path, R_OK) != 0 || pass_load(ps, path) != 0) {
        wh_warn("enrich:language",
                "%s: cannot load: texts are scored against all profiles "
                "(slower)",
                path);
    }
    free(path);
}

/* Reads guard.txt ("<code> word word ...") into f; a missing file only
 * makes the fast path less careful, so it is a warning like a malformed
 * line. */
static void fast_load_guard(struct fast *f, const struct wh_config *cfg)
{
    char line[2048];
    char *path = wh_enrich_data_path(cfg, "enrich/textcat/guard.txt");
    FILE *fp = fopen(path, "r");
    int lineno = 0;

    if (fp == NULL) {
        wh_warn("enrich:language",
                "%s: cannot open: no guard languages "
                "for the stop-word fast path",
                path);
        free(path);
        return;
    }
    while (fgets(line, sizeof(line), fp) != NULL) {
        char *save = NULL;
        char *code;
        char *w;

        lineno++;
        if (line[0] == '#' || line[0] == '\n') {
            continue;
        }
        code = strtok_r(line, " \t\r\n", &save);
        if (code == NULL || strlen(code) >= sizeof(f->code[0]) ||
            f->n == FAST_MAX_LANGS) {
            wh_warn("enrich:language", "%s:%d: skipped", path, lineno);
            continue;
        }
        snprintf(f->code[f->n], sizeof(f->code[0]), "%s", code);
        f->decides[f->n] = 0;
        for (w = strtok_r(NULL, " \t\r\n", &save); w != NULL;
             w = strtok_r(NULL, " \t\r\n", &save)) {
            char low[256];
            size_t len = wh_enrich_lower_buf(w, strlen(w), low, sizeof(low));

            if (len != (size_t)-1) {
                wh_enrich_words_add(f->words, low, len, 1u << f->n);
            }
        }
        f->n++;
    }
    fclose(fp);
    free(path);
}

/* The stop-word lists of fast_langs, then the guard languages. Without
 * any list the fast path is off (f->words NULL). */
static void fast_load(struct fast *f, const struct wh_config *cfg)
{
    char errstr[512];
    size_t k;

    f->words = wh_enrich_words_new();
    for (k = 0; k < WH_ARRAY_SIZE(fast_langs); k++) {
        char *rel = wh_xasprintf("enrich/stopwords/%s.txt", fast_langs[k]);
        char *path = wh_enrich_data_path(cfg, rel);

        if (wh_enrich_words_load(f->words, path, 1u << f->n, 1, errstr,
                                 sizeof(errstr)) == WH_OK) {
            snprintf(f->code[f->n], sizeof(f->code[0]), "%s", fast_langs[k]);
            f->decides[f->n] = 1;
            f->n++;
        } else {
            wh_warn("enrich:language", "%s: stop-word fast path without it",
                    errstr);
        }
        free(path);
        free(rel);
    }
    if (f->n == 0) {
        wh_enrich_words_free(f->words);
        f->words = NULL;
        return;
    }
    fast_load_guard(f, cfg);
}

/* --check-config: the data directory exists (its files only speed the
 * detector up: each missing one is a warning at start-up). */
static int language_check(const char *arg, const struct wh_config *cfg,
                          char *errstr, size_t errstr_size)
{
    (void)arg;
    return wh_enrich_check_data(cfg, NULL, 0, errstr, errstr_size);
}

static void *language_init(const char *arg, const struct wh_config *cfg,
                           char *errstr, size_t errstr_size)
{
    struct language_ctx *ctx = wh_xcalloc(1, sizeof(*ctx));
    char conf[4096];

    (void)arg;
    snprintf(conf, sizeof(conf), "%s/fpdb.conf", WH_TEXTCAT_DIR);
    if (pass_load(&ctx->all, conf) != 0) {
        snprintf(errstr, errstr_size,
                 "%s: cannot load the language profiles "
                 "(apt-get install libexttextcat-data)",
                 conf);
        free(ctx);
        return NULL;
    }
    first_pass_load(&ctx->latin, cfg, "enrich/textcat/latin.conf");
    first_pass_load(&ctx->other, cfg, "enrich/textcat/other.conf");
    fast_load(&ctx->fast, cfg);
    snprintf(ctx->detector, sizeof(ctx->detector), "exttextcat %s",
             textcat_Version());
    return ctx;
}

static void language_close(void *p)
{
    struct language_ctx *ctx = p;

    if (ctx == NULL) {
        return;
    }
    pass_free(&ctx->all);
    pass_free(&ctx->latin);
    pass_free(&ctx->other);
    wh_enrich_words_free(ctx->fast.words);
    free(ctx);
}

/* Counts the letters of s, and among them those of the Latin script
 * (ASCII and Latin-1 to Latin Extended Additional). */
static size_t count_letters(const char *s, size_t len, size_t *latin)
{
    size_t i = 0;
    size_t n = 0;

    *latin = 0;
    while (i < len) {
        uint32_t cp = wh_enrich_utf8_next_fast(s, len, &i);
        enum wh_enrich_class cls = wh_enrich_cp_class_fast(cp);

        if (cls == WH_CLASS_LETTER || cls == WH_CLASS_IDEO) {
            n++;
            *latin += (cp < 0x250 || (cp >= 0x1E00 && cp < 0x1F00)) ? 1 : 0;
        }
    }
    return n;
}

/* The record keeps its hint, or gets "und" when it has none or the hint
 * is no language tag ("english", "x"). */
static void keep_hint(struct wh_record *rec, json_t *ev)
{
    char primary[8];

    wh_enrich_primary_lang(rec->language, primary);
    if (primary[0] != '\0') {
        json_object_set_new(ev, "chosen", json_string("hint"));
        return;
    }
    if (rec->language != NULL) {
        json_object_set_new(ev, "note",
                            json_string("the hint is not a language tag"));
    }
    free(rec->language);
    rec->language = wh_xstrdup("und");
    json_object_set_new(ev, "chosen", json_string("none"));
}

static void set_language(struct wh_record *rec, const char *tag)
{
    free(rec->language);
    rec->language = wh_xstrdup(tag);
}

/* Chooses among n > 0 candidates; see the file comment. */
static void decide(struct wh_record *rec, json_t *ev, char tags[][16], int n,
                   size_t letters, const char *prior)
{
    char hint[8];
    char primary[8];
    int same = 1;
    int k;

    wh_enrich_primary_lang(rec->language, hint);
    wh_enrich_primary_lang(tags[0], primary);
    for (k = 1; k < n; k++) {
        char p[8];

        wh_enrich_primary_lang(tags[k], p);
        same &= strcmp(p, primary) == 0;
    }
    if (n > 1 && !same) {
        for (k = 0; k < n; k++) {
            char p[8];

            wh_enrich_primary_lang(tags[k], p);
            if (hint[0] != '\0' && strcmp(p, hint) == 0) {
                json_object_set_new(ev, "chosen", json_string("hint"));
                return; /* the hint is one of the candidates */
            }
        }
        for (k = 0; k < n; k++) {
            if (prior[0] != '\0' && strcmp(tags[k], prior) == 0) {
                /* e.g. English against English and Scots: the main
                 * language the first pass found is one of them */
                set_language(rec, prior);
                json_object_set_new(ev, "chosen", json_string("first pass"));
                return;
            }
        }
        wh_enrich_unknown(ev, "undecidable: %d candidate languages", n);
        keep_hint(rec, ev);
        return;
    }
    if (hint[0] != '\0' && strcmp(hint, primary) == 0) {
        /* agreement: the hint may be more precise ("en-GB") */
        json_object_set_new(ev, "chosen", json_string("hint"));
        return;
    }
    if (hint[0] != '\0' && letters < LANGUAGE_SHORT_LETTERS) {
        json_object_set_new(ev, "chosen", json_string("hint"));
        json_object_set_new(ev, "note",
                            json_string("short text: the page's hint is "
                                        "preferred to the detector"));
        return;
    }
    set_language(rec, n > 1 ? primary : tags[0]);
    json_object_set_new(ev, "chosen", json_string("detector"));
}

/* The stop-word fast path (see the file comment): 1 and the winner's
 * code in tag when it decides, else 0. The hits go into the evidence. */
static int fast_path(const struct fast *f, const struct wh_enrich_input *in,
                     char tag[16], json_t *ev)
{
    struct wh_enrich_tokenizer tz;
    struct wh_enrich_token tok;
    unsigned hits[FAST_MAX_LANGS] = {0};
    size_t words = 0;
    size_t best = 0;
    size_t second = 0;
    size_t k;

    if (f->words == NULL || in->len < LANGUAGE_FIRST_MIN_BYTES) {
        return 0;
    }
    wh_enrich_tok_init(&tz, in->text, in->len, 0);
    while (words < FAST_MAX_WORDS && wh_enrich_tok_next(&tz, &tok)) {
        char low[64];
        size_t len;
        unsigned bits;

        if (tok.flags & (WH_TOK_DIGIT | WH_TOK_IDEO)) {
            continue;
        }
        words++;
        len = wh_enrich_lower_buf(tok.s, tok.len, low, sizeof(low));
        if (len == (size_t)-1) {
            continue; /* longer than any stop word */
        }
        bits = wh_enrich_words_get(f->words, low, len);
        for (k = 0; bits != 0; k++, bits >>= 1) {
            hits[k] += bits & 1u;
        }
    }
    for (k = 1; k < f->n; k++) {
        if (hits[k] > hits[best]) {
            best = k;
        }
    }
    second = best == 0 ? 1 : 0;
    for (k = 0; k < f->n; k++) {
        if (k != best && hits[k] > hits[second]) {
            second = k;
        }
    }
    if (words < FAST_MIN_WORDS || !f->decides[best] ||
        (double)hits[best] < FAST_MIN_SHARE * (double)words ||
        (f->n > 1 && hits[best] < FAST_MARGIN * hits[second])) {
        return 0;
    }
    json_object_set_new(
        ev, "stopWords",
        json_pack("{s:i, s:i, s:s, s:i}", "words", (int)words, "hits",
                  (int)hits[best], "runnerUp", f->n > 1 ? f->code[second] : "",
                  "runnerUpHits", f->n > 1 ? (int)hits[second] : 0));
    snprintf(tag, 16, "%s", f->code[best]);
    return 1;
}

/* Runs the passes; returns textcat's count and points *cands at the
 * candidates of the pass that decided. */
static int classify(struct language_ctx *ctx, const char *text, size_t len,
                    int latin, const candidate_t **cands, char prior[16],
                    json_t *ev)
{
    struct pass *first = latin ? &ctx->latin : &ctx->other;
    int n;

    prior[0] = '\0';
    if (first->tc != NULL) {
        n = textcat_ClassifyFull(first->tc, text, len, first->cands);
        if (n == 1 && first->cands[0].score <= LANGUAGE_FIRST_MAX_SCORE &&
            len >= LANGUAGE_FIRST_MIN_BYTES) {
            *cands = first->cands;
            json_object_set_new(ev, "pass",
                                json_string(latin ? "latin" : "other"));
            return n;
        }
        if (n == 1) {
            /* a weak single match: a tie-breaker for the full pass */
            category_tag(first->cands[0].name, prior, 16);
            json_object_set_new(ev, "firstPass", json_string(prior));
        }
    }
    *cands = ctx->all.cands;
    json_object_set_new(ev, "pass", json_string("all"));
    return textcat_ClassifyFull(ctx->all.tc, text, len, ctx->all.cands);
}

/* On a record enriched before (a replay of the enriched stream),
 * rec->language is our own output: the page's hint is the one the earlier
 * run recorded, so the result and the evidence converge. */
static void restore_hint(struct wh_record *rec)
{
    const json_t *old =
        json_object_get(json_object_get(rec->ext, "enrich"), "language");
    const char *hint = json_string_value(json_object_get(old, "hint"));

    if (!json_is_object(old)) {
        return;
    }
    free(rec->language);
    rec->language = hint != NULL ? wh_xstrdup(hint) : NULL;
}

static int language_process(void *p, struct wh_record *rec,
                            const struct wh_msg_meta *meta, char *errstr,
                            size_t errstr_size)
{
    struct language_ctx *ctx = p;
    struct wh_enrich_input in;
    json_t *ev;
    json_t *arr;
    char tags[LANGUAGE_MAX_CANDIDATES][16];
    const candidate_t *cands = NULL;
    char prior[16];
    size_t letters;
    size_t latin;
    int n;
    int k;

    (void)meta;
    (void)errstr;
    (void)errstr_size;
    restore_hint(rec);
    ev = wh_enrich_begin(rec, &wh_enrich_language);
    wh_enrich_input_build(
        &in, rec, WH_INPUT_HEADLINE | WH_INPUT_DESCRIPTION | WH_INPUT_BODY,
        LANGUAGE_MAX_BYTES);
    json_object_set_new(ev, "detector", json_string(ctx->detector));
    if (rec->language != NULL) {
        json_object_set_new(ev, "hint", json_string(rec->language));
    }
    letters = count_letters(in.text, in.len, &latin);
    json_object_set_new(ev, "letters", json_integer((json_int_t)letters));
    if (in.len > 0 && in.invalid * 1000 / in.len > LANGUAGE_MAX_BAD_PERMILLE) {
        wh_enrich_unknown(ev, "invalid UTF-8: %zu bad bytes in %zu", in.invalid,
                          in.len);
        keep_hint(rec, ev);
        goto out;
    }
    if (letters < LANGUAGE_MIN_LETTERS) {
        wh_enrich_unknown(ev, "text too short: %zu letters (< %d)", letters,
                          LANGUAGE_MIN_LETTERS);
        keep_hint(rec, ev);
        goto out;
    }
    if (latin * 2 >= letters && fast_path(&ctx->fast, &in, tags[0], ev)) {
        json_object_set_new(ev, "detector", json_string("stop words"));
        json_object_set_new(ev, "pass", json_string("stopwords"));
        json_object_set_new(ev, "candidates", json_pack("[s]", tags[0]));
        decide(rec, ev, tags, 1, letters, "");
        goto out;
    }
    n = classify(ctx, in.text, in.len, latin * 2 >= letters, &cands, prior, ev);
    if (n <= 0) {
        wh_enrich_unknown(ev, "undecidable: %s",
                          n == TEXTCAT_RESULT_SHORT ? "too short"
                                                    : "no profile matches");
        keep_hint(rec, ev);
        goto out;
    }
    if (n > LANGUAGE_MAX_CANDIDATES) {
        n = LANGUAGE_MAX_CANDIDATES;
    }
    arr = json_array();
    for (k = 0; k < n; k++) {
        category_tag(cands[k].name, tags[k], sizeof(tags[k]));
        json_array_append_new(arr, json_string(tags[k]));
    }
    json_object_set_new(ev, "candidates", arr);
    decide(rec, ev, tags, n, letters, prior);
out:
    wh_enrich_input_free(&in);
    return WH_OK;
}

const struct wh_stage wh_enrich_language = {
    .name = "language",
    .type = WH_STAGE_ENRICH,
    .version = "1.0",
    .description = "language detection (libexttextcat) into \"language\"",
    .keys = wh_enrich_config_keys,
    .check = language_check,
    .init = language_init,
    .process = language_process,
    .flush = NULL,
    .close = language_close,
};
