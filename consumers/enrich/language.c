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
 * The page's own hint (rec->language as the producer found it) is kept
 * when the detector is unsure: text too short, several candidates, or a
 * short text whose single candidate disagrees. Without a hint an unsure
 * result is "und" with the reason in the evidence object.
 */
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

/* A textcat handle and its candidate buffer. */
struct pass {
    void *tc;
    candidate_t *cands;
};

struct language_ctx {
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
        uint32_t cp = wh_enrich_utf8_next(s, len, &i, NULL);
        enum wh_enrich_class cls = wh_enrich_cp_class(cp);

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
    json_object_set_new(ev, "detector",
                        json_sprintf("exttextcat %s", textcat_Version()));
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
    .init = language_init,
    .process = language_process,
    .flush = NULL,
    .close = language_close,
};
