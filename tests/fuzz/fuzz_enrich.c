/*
 * fuzz_enrich.c - the six enrichers (consumers/enrich/) on any text. The
 * first line of the input is the headline, the rest the body. Invariants:
 * every enricher answers WH_OK (bad text is "unknown", never a failure);
 * what they write is valid UTF-8 (the record dumps, parses back to the
 * same dump, its extension object validates); the time is linear in the
 * capped text.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "enrich.h"
#include "fuzz.h"
#include "wh/config.h"
#include "wh/record.h"
#include "wh/wh.h"

static const struct wh_config_key *const keys = wh_enrich_config_keys;

static const struct wh_stage *const stages[] = {
    &wh_enrich_language, &wh_enrich_counts,   &wh_enrich_dateline,
    &wh_enrich_entities, &wh_enrich_keywords, &wh_enrich_subjects,
};

static void *ctx[WH_ARRAY_SIZE(stages)];

static void init_stages(void)
{
    struct wh_config *cfg = wh_config_new(keys);
    char err[512];
    size_t k;

    for (k = 0; k < WH_ARRAY_SIZE(stages); k++) {
        ctx[k] = stages[k]->init(NULL, cfg, err, sizeof(err));
        if (ctx[k] == NULL) {
            fuzz_fail("%s: init: %s", stages[k]->name, err);
        }
    }
    /* the stages keep what they read from cfg */
    wh_config_free(cfg);
}

static int run(const uint8_t *data, size_t size)
{
    struct wh_msg_meta meta;
    struct wh_record *rec;
    const uint8_t *body;
    char err[256];
    char *headline;
    size_t len;
    size_t k;
    json_t *doc;

    if (ctx[0] == NULL) {
        init_stages();
    }
    fuzz_split_line(data, size, 1024, &headline, &body, &len);
    rec = wh_record_new();
    rec->uri = wh_xstrdup("https://news.example.com/2024/01/02/story");
    rec->headline = headline;
    rec->body_text = fuzz_strndup(body, len);
    rec->source = wh_xstrdup("fuzz");
    rec->fetched_at = wh_xstrdup("2024-01-02T03:04:05Z");
    wh_record_hash_body(rec);
    memset(&meta, 0, sizeof(meta));
    meta.topic = "articles";
    for (k = 0; k < WH_ARRAY_SIZE(stages); k++) {
        err[0] = '\0';
        if (stages[k]->process(ctx[k], rec, &meta, err, sizeof(err)) != WH_OK) {
            fuzz_fail("%s: process: %s", stages[k]->name, err);
        }
    }
    if (fuzz_utf8_valid((const char *)data, size)) {
        /* invalid input text stays in the body as given; the rest of
         * the record is the enrichers' */
        doc = fuzz_check_roundtrip(rec);
        fuzz_check_ext(doc, 1);
        json_decref(doc);
    }
    wh_record_free(rec);
    return 0;
}

const struct fuzz_target fuzz_target = {"enrich", run, 100, 2000};
