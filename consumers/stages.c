/*
 * stages.c - the static table of consumer stages [Fluent Bit plugins].
 *
 * The table is the pipeline: every dedup stage, then every enricher, runs
 * in table order on each record; sinks run only when named by --sink or a
 * "sink" config key. To add a stage, define its const struct wh_stage in
 * its own file under dedup/, enrich/ or sinks/, declare it here and list
 * it in stages[] at the place it should run.
 */
#include <string.h>

#include "dedup/near.h"
#include "stage.h"
#include "wh/config.h"
#include "wh/wh.h"

extern const struct wh_stage wh_enrich_language;
extern const struct wh_stage wh_enrich_counts;
extern const struct wh_stage wh_enrich_dateline;
extern const struct wh_stage wh_enrich_entities;
extern const struct wh_stage wh_enrich_keywords;
extern const struct wh_stage wh_enrich_subjects;
extern const struct wh_stage wh_sink_jsonl;
extern const struct wh_stage wh_sink_kafka;
extern const struct wh_stage wh_sink_postgres;
extern const struct wh_stage wh_sink_http;

static const struct wh_stage *const stages[] = {
    /* repeats, versions, near-duplicate clusters (consumers/dedup/) */
    &wh_stage_dedup,
    /* language first: the other enrichers read rec->language */
    &wh_enrich_language,
    &wh_enrich_counts,
    &wh_enrich_dateline,
    &wh_enrich_entities,
    &wh_enrich_keywords,
    &wh_enrich_subjects,
    &wh_sink_jsonl,
    &wh_sink_kafka,
    &wh_sink_postgres,
    &wh_sink_http,
};

const struct wh_stage *wh_stage_find(enum wh_stage_type type, const char *name)
{
    size_t i;

    for (i = 0; i < sizeof(stages) / sizeof(stages[0]); i++) {
        if (stages[i]->type == type && strcmp(stages[i]->name, name) == 0) {
            return stages[i];
        }
    }
    return NULL;
}

const struct wh_stage *wh_stage_at(size_t i)
{
    return i < sizeof(stages) / sizeof(stages[0]) ? stages[i] : NULL;
}

const struct wh_config_key *wh_stage_keys(void)
{
    static struct wh_config_key *all;
    const struct wh_config_key *tables[WH_ARRAY_SIZE(stages)];
    size_t i;

    if (all == NULL) {
        for (i = 0; i < WH_ARRAY_SIZE(stages); i++) {
            tables[i] = stages[i]->keys;
        }
        all = wh_config_keys_join(tables, WH_ARRAY_SIZE(tables));
    }
    return all;
}
