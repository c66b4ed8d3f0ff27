/*
 * keywords.c - the "keywords" enricher: the top-N stems of the text by
 * weighted term frequency (see wh_enrich_terms_build() for the weights:
 * headline and lead count more), stemmed with libstemmer for the
 * record's language (none when libstemmer has no stemmer for it), stop
 * words of data/enrich/stopwords/<lang>.txt left out. Each keyword is
 * written as the shortest lower-case word seen for its stem.
 *
 * Where: ninjs 3.1 has no "keywords" member and its schema forbids
 * unknown top-level members, so the list goes into the extension object
 * as "keywords" (an array of strings), with the scores in the evidence
 * ("score": the weight x 100).
 *
 * Unknown when: no stop words for the language (the top terms would be
 * function words), a script written without spaces (no segmentation),
 * or fewer than KEYWORDS_MIN_WORDS words.
 */
#include <stdlib.h>
#include <string.h>

#include "enrich.h"
#include "wh/record.h"
#include "wh/wh.h"

#define KEYWORDS_MIN_WORDS 20
#define KEYWORDS_MIN_WEIGHT 2.0 /* a word seen once in the tail is not one */

struct keywords_ctx {
    struct wh_enrich_langs *langs;
    size_t max_bytes;
    size_t count;
};

/* --check-config: the data this enricher cannot do without. */
static int keywords_check(const char *arg, const struct wh_config *cfg,
                          char *errstr, size_t errstr_size)
{
    static const char *const files[] = {"enrich/stopwords/en.txt"};

    (void)arg;
    return wh_enrich_check_data(cfg, files, WH_ARRAY_SIZE(files), errstr,
                                errstr_size);
}

static void *keywords_init(const char *arg, const struct wh_config *cfg,
                           char *errstr, size_t errstr_size)
{
    struct keywords_ctx *ctx;
    long long max_bytes;
    long long count;

    (void)arg;
    if (wh_config_int(cfg, wh_enrich_config_keys, "enrich.max_bytes",
                      &max_bytes, errstr, errstr_size) != WH_OK ||
        wh_config_int(cfg, wh_enrich_config_keys, "enrich.keywords", &count,
                      errstr, errstr_size) != WH_OK) {
        return NULL;
    }
    if (keywords_check(arg, cfg, errstr, errstr_size) != WH_OK) {
        return NULL;
    }
    ctx = wh_xcalloc(1, sizeof(*ctx));
    ctx->langs = wh_enrich_langs_new(cfg);
    ctx->max_bytes = (size_t)max_bytes;
    ctx->count = (size_t)count;
    return ctx;
}

static void keywords_close(void *p)
{
    struct keywords_ctx *ctx = p;

    if (ctx == NULL) {
        return;
    }
    wh_enrich_langs_free(ctx->langs);
    wh_enrich_terms_cache_clear(); /* frees this thread's cached bag */
    wh_enrich_text_cache_clear();  /* and text */
    free(ctx);
}

/* The weight as an integer score (weight x 100): exact in JSON. */
static int score100(double weight)
{
    return (int)(weight * 100 + 0.5);
}

/* Higher weight first; at equal weight the earlier word. */
static int by_weight(const void *a, const void *b)
{
    const struct wh_enrich_term *x = a;
    const struct wh_enrich_term *y = b;

    if (x->weight != y->weight) {
        return x->weight > y->weight ? -1 : 1;
    }
    return x->first < y->first ? -1 : (x->first > y->first ? 1 : 0);
}

static int keywords_process(void *p, struct wh_record *rec,
                            const struct wh_msg_meta *meta, char *errstr,
                            size_t errstr_size)
{
    struct keywords_ctx *ctx = p;
    json_t *ev = wh_enrich_begin(rec, &wh_enrich_keywords);
    struct wh_enrich_lang *lang =
        wh_enrich_langs_get(ctx->langs, rec->language);
    const struct wh_enrich_text *tx;
    const struct wh_enrich_terms *terms;
    struct wh_enrich_term *sorted = NULL; /* shallow copies */
    json_t *list;
    json_t *scores;
    size_t k;
    size_t n = 0;

    (void)meta;
    (void)errstr;
    (void)errstr_size;
    json_object_del(rec->ext, "keywords");
    tx = wh_enrich_text_get(rec, ctx->max_bytes);
    terms = wh_enrich_terms_get(tx, lang);
    json_object_set_new(
        ev, "language",
        json_string(lang->code[0] != '\0' ? lang->code : "und"));
    json_object_set_new(
        ev, "stemmer",
        json_string(lang->stemmer != NULL ? lang->code : "none"));
    json_object_set_new(ev, "words", json_integer((json_int_t)terms->words));
    if (tx->in.truncated) {
        json_object_set_new(ev, "truncatedAt",
                            json_integer((json_int_t)ctx->max_bytes));
    }
    if (terms->ideo * 2 > terms->words) {
        wh_enrich_unknown(ev, "script written without spaces: "
                              "no word segmentation");
        goto out;
    }
    if (terms->words < KEYWORDS_MIN_WORDS) {
        wh_enrich_unknown(ev, "text too short: %zu words (< %d)", terms->words,
                          KEYWORDS_MIN_WORDS);
        goto out;
    }
    if (lang->stop == NULL) {
        wh_enrich_unknown(ev, "no stop words for language \"%s\"",
                          lang->code[0] != '\0' ? lang->code : "und");
        goto out;
    }
    /* the best ctx->count by insertion, not a qsort() of every term:
     * by_weight() is a total order (no two terms share a first index),
     * so the result is the same */
    sorted = wh_xcalloc(ctx->count + 1, sizeof(*sorted));
    for (k = 0; k < terms->n; k++) {
        size_t at;

        if (terms->v[k].weight < KEYWORDS_MIN_WEIGHT ||
            (n == ctx->count && by_weight(&terms->v[k], &sorted[n - 1]) > 0)) {
            continue;
        }
        at = n < ctx->count ? n++ : n - 1;
        while (at > 0 && by_weight(&terms->v[k], &sorted[at - 1]) < 0) {
            sorted[at] = sorted[at - 1];
            at--;
        }
        sorted[at] = terms->v[k];
    }
    list = json_array();
    scores = json_array();
    for (k = 0; k < n && k < ctx->count; k++) {
        json_t *obj = json_object(); /* not json_pack(): cheaper */

        /* the form is lower-cased from valid UTF-8 text */
        json_array_append_new(list, json_string_nocheck(sorted[k].form));
        json_object_set_new_nocheck(obj, "keyword",
                                    json_string_nocheck(sorted[k].form));
        json_object_set_new_nocheck(obj, "stem", json_string(sorted[k].stem));
        json_object_set_new_nocheck(obj, "score",
                                    json_integer(score100(sorted[k].weight)));
        json_object_set_new_nocheck(obj, "count",
                                    json_integer((json_int_t)sorted[k].count));
        json_array_append_new(scores, obj);
    }
    json_object_set_new(ev, "scores", scores);
    if (json_array_size(list) == 0) {
        wh_enrich_unknown(ev, "no word repeated or in the headline");
        json_decref(list);
        goto out;
    }
    json_object_set_new(rec->ext, "keywords", list);
out:
    free(sorted);
    return WH_OK;
}

const struct wh_stage wh_enrich_keywords = {
    .name = "keywords",
    .type = WH_STAGE_ENRICH,
    .version = "1.0",
    .description = "top stemmed keywords by weighted term frequency",
    .keys = wh_enrich_config_keys,
    .check = keywords_check,
    .init = keywords_init,
    .process = keywords_process,
    .flush = NULL,
    .close = keywords_close,
};
