/*
 * subjects.c - the "subjects" enricher: IPTC Media Topic subjects (top
 * level) where word lists can tell. data/enrich/subjects/<lang>.txt lists,
 * per topic, words that signal it; they are stemmed like the text. For
 * each topic the weights of the matching stems are summed (headline and
 * lead count more, see wh_enrich_terms_build()).
 *
 * A topic is assigned only above a clear threshold: at least
 * SUBJECTS_MIN_DISTINCT distinct words of its list, a weight of at least
 * SUBJECTS_MIN_WEIGHT, at least SUBJECTS_MIN_SHARE of the text's weight,
 * and at least a third of the weight of the best topic; at most
 * SUBJECTS_MAX. Scores (weight x 100) and distinct words of every topic
 * seen are kept in the evidence.
 *
 * Subjects are ninjs objects {"uri", "name", "creator", "relevance"}
 * appended to rec->extra's "subjects"; those from the source stay, ours
 * (creator SUBJECTS_CREATOR) are replaced on every run.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libstemmer.h>

#include "enrich.h"
#include "wh/log.h"
#include "wh/record.h"
#include "wh/wh.h"

#define SUBJECTS_MIN_DISTINCT 3
#define SUBJECTS_MIN_WEIGHT 4.0
#define SUBJECTS_MIN_SHARE 0.015
#define SUBJECTS_MAX 3
#define SUBJECTS_MAX_TOPICS 32 /* a bit mask per stem */
#define SUBJECTS_MAX_LANGS 16
#define SUBJECTS_CREATOR "wirehose:subjects"
#define MEDTOP_URI "http://cv.iptc.org/newscodes/mediatopic/"

struct topic {
    char code[9];
    char *name;
};

struct topic_list {
    char code[8]; /* language */
    struct topic topics[SUBJECTS_MAX_TOPICS];
    size_t n;
    struct wh_enrich_words *stems; /* stem -> topic bit mask; NULL: none */
};

struct subjects_ctx {
    struct wh_enrich_langs *langs;
    char *data_dir;
    size_t max_bytes;
    struct topic_list lists[SUBJECTS_MAX_LANGS];
    size_t nlists;
};

/* Parses "<code>|<name>|<words>" into list; returns 0 or -1 when the line
 * is malformed. */
static int parse_topic(struct topic_list *list, struct wh_enrich_lang *lang,
                       char *line)
{
    char *name = strchr(line, '|');
    char *words;
    char *save = NULL;
    char *w;
    unsigned bit;

    if (name == NULL || name - line != 8 || list->n == SUBJECTS_MAX_TOPICS) {
        return -1;
    }
    *name++ = '\0';
    words = strchr(name, '|');
    if (words == NULL) {
        return -1;
    }
    *words++ = '\0';
    bit = 1u << list->n;
    memcpy(list->topics[list->n].code, line, 9);
    list->topics[list->n].name = wh_xstrdup(name);
    list->n++;
    for (w = strtok_r(words, " \t\r\n", &save); w != NULL;
         w = strtok_r(NULL, " \t\r\n", &save)) {
        char *low = wh_enrich_lower(w, strlen(w));
        const char *stem = low;
        size_t stem_len = strlen(low);

        if (lang->stemmer != NULL) {
            const sb_symbol *r = sb_stemmer_stem(
                lang->stemmer, (const sb_symbol *)low, (int)stem_len);

            if (r != NULL) {
                stem = (const char *)r;
                stem_len = (size_t)sb_stemmer_length(lang->stemmer);
            }
        }
        wh_enrich_words_add(list->stems, stem, stem_len, bit);
        free(low);
    }
    return 0;
}

static void load_topics(struct subjects_ctx *ctx, struct topic_list *list,
                        struct wh_enrich_lang *lang)
{
    char line[4096];
    char *path =
        wh_xasprintf("%s/enrich/subjects/%s.txt", ctx->data_dir, list->code);
    FILE *fp = fopen(path, "r");
    int lineno = 0;

    if (fp == NULL) {
        free(path);
        return; /* no topics for this language */
    }
    list->stems = wh_enrich_words_new();
    while (fgets(line, sizeof(line), fp) != NULL) {
        lineno++;
        if (line[0] == '#' || line[0] == '\n') {
            continue;
        }
        if (parse_topic(list, lang, line) != 0) {
            wh_log(WH_LOG_WARNING, "enrich:subjects",
                   "%s:%d: not <code>|<name>|<words>: skipped", path, lineno);
        }
    }
    fclose(fp);
    free(path);
}

static struct topic_list *topics_for(struct subjects_ctx *ctx,
                                     struct wh_enrich_lang *lang)
{
    struct topic_list *list;
    size_t k;

    if (lang->code[0] == '\0') {
        return NULL;
    }
    for (k = 0; k < ctx->nlists; k++) {
        if (strcmp(ctx->lists[k].code, lang->code) == 0) {
            return &ctx->lists[k];
        }
    }
    if (ctx->nlists == SUBJECTS_MAX_LANGS) {
        return NULL;
    }
    list = &ctx->lists[ctx->nlists++];
    memcpy(list->code, lang->code, sizeof(list->code));
    load_topics(ctx, list, lang);
    return list;
}

/* --check-config: the data this enricher cannot do without. */
static int subjects_check(const char *arg, const struct wh_config *cfg,
                          char *errstr, size_t errstr_size)
{
    static const char *const files[] = {"enrich/subjects/en.txt"};

    (void)arg;
    return wh_enrich_check_data(cfg, files, WH_ARRAY_SIZE(files), errstr,
                                errstr_size);
}

static void *subjects_init(const char *arg, const struct wh_config *cfg,
                           char *errstr, size_t errstr_size)
{
    struct subjects_ctx *ctx;
    long long max_bytes;

    (void)arg;
    if (wh_config_int(cfg, wh_enrich_config_keys, "enrich.max_bytes",
                      &max_bytes, errstr, errstr_size) != WH_OK) {
        return NULL;
    }
    if (subjects_check(arg, cfg, errstr, errstr_size) != WH_OK) {
        return NULL;
    }
    ctx = wh_xcalloc(1, sizeof(*ctx));
    ctx->langs = wh_enrich_langs_new(cfg);
    ctx->data_dir = wh_xstrdup(wh_enrich_data_dir(cfg));
    ctx->max_bytes = (size_t)max_bytes;
    return ctx;
}

static void subjects_close(void *p)
{
    struct subjects_ctx *ctx = p;
    size_t k;
    size_t t;

    if (ctx == NULL) {
        return;
    }
    for (k = 0; k < ctx->nlists; k++) {
        for (t = 0; t < ctx->lists[k].n; t++) {
            free(ctx->lists[k].topics[t].name);
        }
        wh_enrich_words_free(ctx->lists[k].stems);
    }
    wh_enrich_langs_free(ctx->langs);
    wh_enrich_terms_cache_clear(); /* frees this thread's cached bag */
    wh_enrich_text_cache_clear();  /* and text */
    free(ctx->data_dir);
    free(ctx);
}

/* Removes the subjects an earlier run of ours added, so a replay
 * converges; returns the (possibly new) array. */
static json_t *own_subjects(struct wh_record *rec)
{
    json_t *extra = wh_enrich_extra(rec);
    json_t *arr = json_object_get(extra, "subjects");
    size_t k = 0;

    if (!json_is_array(arr)) {
        arr = json_array();
        json_object_set_new(extra, "subjects", arr);
        return arr;
    }
    while (k < json_array_size(arr)) {
        const char *creator = json_string_value(
            json_object_get(json_array_get(arr, k), "creator"));

        if (creator != NULL && strcmp(creator, SUBJECTS_CREATOR) == 0) {
            json_array_remove(arr, k);
        } else {
            k++;
        }
    }
    return arr;
}

static int has_uri(const json_t *arr, const char *uri)
{
    size_t k;

    for (k = 0; k < json_array_size(arr); k++) {
        const char *u =
            json_string_value(json_object_get(json_array_get(arr, k), "uri"));

        if (u != NULL && strcmp(u, uri) == 0) {
            return 1;
        }
    }
    return 0;
}

static void score_topics(const struct wh_enrich_terms *terms,
                         const struct topic_list *list, double weight[],
                         unsigned distinct[])
{
    size_t k;
    size_t t;

    for (k = 0; k < terms->n; k++) {
        const struct wh_enrich_term *term = &terms->v[k];
        unsigned bits =
            wh_enrich_words_get(list->stems, term->stem, term->stem_len);

        for (t = 0; bits != 0 && t < list->n; t++) {
            if (bits & (1u << t)) {
                weight[t] += term->weight;
                distinct[t]++;
            }
        }
    }
}

static void assign(struct wh_record *rec, json_t *ev,
                   const struct wh_enrich_terms *terms,
                   const struct topic_list *list)
{
    double weight[SUBJECTS_MAX_TOPICS] = {0};
    unsigned distinct[SUBJECTS_MAX_TOPICS] = {0};
    int chosen[SUBJECTS_MAX_TOPICS] = {0};
    json_t *scores = json_object();
    json_t *arr = own_subjects(rec);
    double best = 0;
    size_t t;
    size_t n;

    score_topics(terms, list, weight, distinct);
    for (t = 0; t < list->n; t++) {
        if (distinct[t] > 0) {
            json_t *sc = json_object();           /* not json_pack(): cheaper */
            double score = weight[t] * 100 + 0.5; /* rounded below */

            json_object_set_new_nocheck(sc, "score", json_integer((int)score));
            json_object_set_new_nocheck(sc, "words",
                                        json_integer((int)distinct[t]));
            json_object_set_new(scores, list->topics[t].code, sc);
        }
        best = weight[t] > best ? weight[t] : best;
    }
    json_object_set_new(ev, "scores", scores);
    for (n = 0; n < SUBJECTS_MAX; n++) {
        size_t pick = list->n;
        char uri[64];

        for (t = 0; t < list->n; t++) {
            if (!chosen[t] && distinct[t] >= SUBJECTS_MIN_DISTINCT &&
                weight[t] >= SUBJECTS_MIN_WEIGHT &&
                weight[t] >= SUBJECTS_MIN_SHARE * terms->total &&
                weight[t] * 3 >= best &&
                (pick == list->n || weight[t] > weight[pick])) {
                pick = t;
            }
        }
        if (pick == list->n) {
            break;
        }
        chosen[pick] = 1;
        snprintf(uri, sizeof(uri), MEDTOP_URI "%s", list->topics[pick].code);
        if (!has_uri(arr, uri)) {
            json_array_append_new(
                arr,
                json_pack("{s:s, s:s, s:s, s:i}", "uri", uri, "name",
                          list->topics[pick].name, "creator", SUBJECTS_CREATOR,
                          "relevance", (int)(100 * weight[pick] / best + 0.5)));
        }
    }
    if (n == 0) {
        wh_enrich_unknown(ev, "no topic above the threshold");
    }
    if (json_array_size(arr) == 0) {
        json_object_del(wh_enrich_extra(rec), "subjects");
    }
}

static int subjects_process(void *p, struct wh_record *rec,
                            const struct wh_msg_meta *meta, char *errstr,
                            size_t errstr_size)
{
    struct subjects_ctx *ctx = p;
    json_t *ev = wh_enrich_begin(rec, &wh_enrich_subjects);
    struct wh_enrich_lang *lang =
        wh_enrich_langs_get(ctx->langs, rec->language);
    const struct topic_list *list = topics_for(ctx, lang);

    (void)meta;
    (void)errstr;
    (void)errstr_size;
    json_object_set_new(
        ev, "language",
        json_string(lang->code[0] != '\0' ? lang->code : "und"));
    if (list == NULL || list->stems == NULL || list->n == 0) {
        wh_enrich_unknown(ev, "no topic lists for language \"%s\"",
                          lang->code[0] != '\0' ? lang->code : "und");
        own_subjects(rec);
        if (json_array_size(json_object_get(rec->extra, "subjects")) == 0) {
            json_object_del(rec->extra, "subjects");
        }
        return WH_OK;
    }
    assign(rec, ev,
           wh_enrich_terms_get(wh_enrich_text_get(rec, ctx->max_bytes), lang),
           list);
    return WH_OK;
}

const struct wh_stage wh_enrich_subjects = {
    .name = "subjects",
    .type = WH_STAGE_ENRICH,
    .version = "1.0",
    .description = "IPTC Media Topic subjects from word lists",
    .keys = wh_enrich_config_keys,
    .check = subjects_check,
    .init = subjects_init,
    .process = subjects_process,
    .flush = NULL,
    .close = subjects_close,
};
