/*
 * language.c - the "language" enricher: detects the language of the text
 * with libcld2 (Debian's Compact Language Detector 2, through cld2.h)
 * and writes a BCP 47 tag into rec->language.
 *
 * The cost per record is bounded whatever the text: one pass of our own
 * over the first LANGUAGE_SCAN_BYTES of headline, description and body
 * (letters, scripts, symbols, token lengths) and one libcld2 call on the
 * first LANGUAGE_MAX_BYTES, linear in that sample. libcld2 scores each run
 * of one script against the languages of that script only, and decides a
 * script that one language writes (Greek, Hebrew, Thai, Hangul...) by the
 * script alone.
 *
 * Order of the decision (bench/language measures it; docs/enrichment.md
 * has the figures):
 *   1. too many invalid bytes, or fewer than LANGUAGE_MIN_LETTERS
 *      letters: unknown;
 *   2. text that is not language: source code (a share of code symbols
 *      no prose has) or tokens too long to be words (base64, hex, URLs):
 *      unknown, "not language: ...";
 *   3. libcld2's best answer (asked for even where it would say "not
 *      reliable": it is right on 95% of the evaluation set's sentences
 *      of random dictionary words, which it mostly calls unreliable),
 *      unless its score says the text does not read like that language:
 *      random letters and encoded data score far lower than any real
 *      words in the Latin script (other scripts hold few languages
 *      each, and their answer is kept): unknown, "not language: ...".
 * On "unknown" the page's own hint (rec->language as the producer found
 * it) is kept; without one the record gets "und" and the reason is in the
 * evidence. The hint is also kept when it agrees with the detector (it
 * may be more precise: "en-GB"), and when it disagrees with an answer
 * libcld2 calls unreliable or on a short text.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cld2.h"
#include "enrich.h"
#include "wh/record.h"
#include "wh/wh.h"

/* libcld2 costs about 260 instructions a byte: it reads the first
 * LANGUAGE_MAX_BYTES (94% right on the evaluation set; 95.5% with 512,
 * 95.9% with 1024, at 1.3 and 2.6 times the cost; real prose is decided
 * right from 128 bytes); the checks of step 2 read LANGUAGE_SCAN_BYTES,
 * at a few instructions a byte. */
#define LANGUAGE_MAX_BYTES 384
#define LANGUAGE_SCAN_BYTES 1024
#define LANGUAGE_MIN_LETTERS 20       /* below: too short to decide */
#define LANGUAGE_SHORT_LETTERS 80     /* below: a disagreeing hint wins */
#define LANGUAGE_MAX_BAD_PERMILLE 100 /* invalid bytes per thousand */
/* Code symbols ({ } [ ] < > = ; # _ * / \ | & $ @ ^ ~ ` +) per thousand
 * visible characters: news prose stays under 30 (2 of 3,000 real
 * articles, both formulas, reach 40), C and Python source has 80 as a
 * median. */
#define LANGUAGE_MAX_CODE_PERMILLE 40
/* Mean characters of a token (a run of non-blanks): 5-6 for prose in
 * any spaced script, 70 and more for base64 lines. */
#define LANGUAGE_MAX_TOKEN_MEAN 25
/* libcld2's normalized score of a best-effort answer (about 1000 for
 * normal prose): random letters and base64 score 18-103, sentences of
 * real words of any Latin-script language 127 and more. */
#define LANGUAGE_MIN_LATIN_SCORE 115

struct language_ctx {
    char detector[64]; /* "cld2 <version>" */
};

/* What one pass over the sample finds. */
struct sample_stats {
    size_t letters; /* letters and ideographs */
    size_t latin;   /* of which Latin script */
    size_t ideo;    /* of which of scripts without spaces */
    size_t visible; /* characters that are not blanks */
    size_t code;    /* code symbols */
    size_t tokens;  /* runs of non-blanks */
};

static void *language_init(const char *arg, const struct wh_config *cfg,
                           char *errstr, size_t errstr_size)
{
    struct language_ctx *ctx = wh_xcalloc(1, sizeof(*ctx));

    (void)arg;
    (void)cfg;
    (void)errstr;
    (void)errstr_size;
    snprintf(ctx->detector, sizeof(ctx->detector), "cld2 %s",
             wh_cld2_version());
    return ctx;
}

static void language_close(void *p)
{
    free(p);
}

/* The code symbols of LANGUAGE_MAX_CODE_PERMILLE, a bit each. */
static int is_code_symbol(uint32_t cp)
{
    static const uint32_t bits[4] = {
        0,
        (1u << ('#' - 32)) | (1u << ('$' - 32)) | (1u << ('&' - 32)) |
            (1u << ('*' - 32)) | (1u << ('+' - 32)) | (1u << ('/' - 32)) |
            (1u << (';' - 32)) | (1u << ('<' - 32)) | (1u << ('=' - 32)) |
            (1u << ('>' - 32)),
        (1u << ('@' - 64)) | (1u << ('[' - 64)) | (1u << ('\\' - 64)) |
            (1u << (']' - 64)) | (1u << ('^' - 64)) | (1u << ('_' - 64)),
        (1u << ('`' - 96)) | (1u << ('{' - 96)) | (1u << ('|' - 96)) |
            (1u << ('}' - 96)) | (1u << ('~' - 96)),
    };

    return cp < 0x80 && (bits[cp >> 5] >> (cp & 31)) & 1u;
}

static void sample_scan(const char *s, size_t len, struct sample_stats *st)
{
    size_t i = 0;
    int in_token = 0;

    memset(st, 0, sizeof(*st));
    while (i < len) {
        unsigned char c = (unsigned char)s[i];
        uint32_t cp;
        enum wh_enrich_class cls;

        if (c == ' ') { /* the common cases without decoding */
            in_token = 0;
            i++;
            continue;
        }
        if ((c | 0x20u) - 'a' < 26u) {
            st->visible++;
            st->tokens += in_token ? 0 : 1;
            in_token = 1;
            st->letters++;
            st->latin++;
            i++;
            continue;
        }
        cp = wh_enrich_utf8_next_fast(s, len, &i);
        cls = wh_enrich_cp_class_fast(cp);

        if (cls == WH_CLASS_SPACE) {
            in_token = 0;
            continue;
        }
        st->visible++;
        if (!in_token) {
            st->tokens++;
            in_token = 1;
        }
        if (cls == WH_CLASS_LETTER || cls == WH_CLASS_IDEO) {
            st->letters++;
            st->latin += (cp < 0x250 || (cp >= 0x1E00 && cp < 0x1F00)) ? 1 : 0;
            st->ideo += cls == WH_CLASS_IDEO ? 1 : 0;
        } else if (is_code_symbol(cp)) {
            st->code++;
        }
    }
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

/* libcld2's code as a BCP 47 tag into out (16 bytes); 0 when it names no
 * language ("un", or "xx-Qaai": text of a script none of its languages
 * matched). */
static int cld2_tag(const char *code, char out[16])
{
    static const struct {
        const char *cld2;
        const char *tag;
    } map[] = {{"iw", "he"}, {"jw", "jv"}, {"in", "id"}, {"ji", "yi"}};
    size_t k;

    if (strcmp(code, "un") == 0 || strncmp(code, "xx", 2) == 0) {
        return 0;
    }
    for (k = 0; k < WH_ARRAY_SIZE(map); k++) {
        if (strcmp(code, map[k].cld2) == 0) {
            snprintf(out, 16, "%s", map[k].tag);
            return 1;
        }
    }
    snprintf(out, 16, "%s", code);
    return 1;
}

/* The evidence of one libcld2 call: its candidates, shares, score. */
static void cld2_evidence(json_t *ev, const struct wh_cld2_result *r)
{
    json_t *cands = json_array();
    int k;

    for (k = 0; k < 3; k++) {
        char tag[16];

        if (cld2_tag(r->code[k], tag)) {
            json_t *c = json_object(); /* not json_pack(): cheaper */

            json_object_set_new_nocheck(c, "lang", json_string(tag));
            json_object_set_new_nocheck(c, "percent",
                                        json_integer(r->percent[k]));
            json_array_append_new(cands, c);
        }
    }
    json_object_set_new(ev, "candidates", cands);
    json_object_set_new(ev, "score", json_integer((json_int_t)r->score[0]));
    json_object_set_new(ev, "reliable", json_boolean(r->reliable));
}

/* Chooses between the detector's tag and the page's hint. */
static void decide(struct wh_record *rec, json_t *ev, const char *tag,
                   size_t letters, int reliable)
{
    char hint[8];
    char primary[8];

    wh_enrich_primary_lang(rec->language, hint);
    wh_enrich_primary_lang(tag, primary);
    if (hint[0] != '\0' && strcmp(hint, primary) == 0) {
        /* agreement: the hint may be more precise ("en-GB") */
        json_object_set_new(ev, "chosen", json_string("hint"));
        return;
    }
    if (hint[0] != '\0' && (letters < LANGUAGE_SHORT_LETTERS || !reliable)) {
        json_object_set_new(ev, "chosen", json_string("hint"));
        json_object_set_new(ev, "note",
                            json_string(reliable ? "short text: the page's "
                                                   "hint is preferred to the "
                                                   "detector"
                                                 : "the detector is unsure: "
                                                   "the page's hint is "
                                                   "preferred"));
        return;
    }
    set_language(rec, tag);
    json_object_set_new(ev, "chosen", json_string("detector"));
}

/* Step 2 of the file comment: 1 (with the reason in ev) when the sample
 * is not language. */
static int not_language(const struct sample_stats *st, json_t *ev)
{
    if (st->code * 1000 > st->visible * LANGUAGE_MAX_CODE_PERMILLE) {
        wh_enrich_unknown(ev,
                          "not language: %zu code symbols per thousand "
                          "characters (source code or markup?)",
                          st->code * 1000 / st->visible);
        return 1;
    }
    /* scripts without spaces (Chinese, Thai) make long tokens */
    if (st->tokens > 0 && st->ideo * 2 < st->letters &&
        st->visible > st->tokens * LANGUAGE_MAX_TOKEN_MEAN) {
        wh_enrich_unknown(ev,
                          "not language: tokens of %zu characters on "
                          "average (encoded data?)",
                          st->visible / st->tokens);
        return 1;
    }
    return 0;
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
    struct sample_stats st;
    struct wh_cld2_result r;
    json_t *ev;
    char tag[16];
    size_t sample;
    int latin;

    (void)meta;
    (void)errstr;
    (void)errstr_size;
    restore_hint(rec);
    ev = wh_enrich_begin(rec, &wh_enrich_language);
    wh_enrich_input_build(
        &in, rec, WH_INPUT_HEADLINE | WH_INPUT_DESCRIPTION | WH_INPUT_BODY,
        LANGUAGE_SCAN_BYTES);
    json_object_set_new(ev, "detector", json_string(ctx->detector));
    if (rec->language != NULL) {
        json_object_set_new(ev, "hint", json_string(rec->language));
    }
    sample_scan(in.text, in.len, &st);
    json_object_set_new(ev, "letters", json_integer((json_int_t)st.letters));
    if (in.len > 0 && in.invalid * 1000 / in.len > LANGUAGE_MAX_BAD_PERMILLE) {
        wh_enrich_unknown(ev, "invalid UTF-8: %zu bad bytes in %zu", in.invalid,
                          in.len);
        keep_hint(rec, ev);
        goto out;
    }
    if (st.letters < LANGUAGE_MIN_LETTERS) {
        wh_enrich_unknown(ev, "text too short: %zu letters (< %d)", st.letters,
                          LANGUAGE_MIN_LETTERS);
        keep_hint(rec, ev);
        goto out;
    }
    if (not_language(&st, ev)) {
        keep_hint(rec, ev);
        goto out;
    }
    latin = st.latin * 2 >= st.letters;
    sample = in.len;
    if (sample > LANGUAGE_MAX_BYTES) {
        sample = LANGUAGE_MAX_BYTES;
        while (sample > 0 && ((unsigned char)in.text[sample] & 0xC0) == 0x80) {
            sample--; /* not in the middle of a character */
        }
    }
    wh_cld2_detect(in.text, sample, 1, &r);
    cld2_evidence(ev, &r);
    if (!cld2_tag(r.code[0], tag)) {
        wh_enrich_unknown(ev, "not language: no language of its script "
                              "matches");
        keep_hint(rec, ev);
        goto out;
    }
    if (latin && r.score[0] < LANGUAGE_MIN_LATIN_SCORE) {
        wh_enrich_unknown(ev,
                          "not language: the closest language (%s) scores "
                          "%.0f, under %d (random letters?)",
                          tag, r.score[0], LANGUAGE_MIN_LATIN_SCORE);
        keep_hint(rec, ev);
        goto out;
    }
    decide(rec, ev, tag, st.letters, r.reliable);
out:
    wh_enrich_input_free(&in);
    return WH_OK;
}

const struct wh_stage wh_enrich_language = {
    .name = "language",
    .type = WH_STAGE_ENRICH,
    .version = "2.0",
    .description = "language detection (libcld2) into \"language\"",
    /* it reads no key and no data file: the shared table declares the
     * enrich.* keys even when it runs alone; nothing to check */
    .keys = wh_enrich_config_keys,
    .check = NULL,
    .init = language_init,
    .process = language_process,
    .flush = NULL,
    .close = language_close,
};
