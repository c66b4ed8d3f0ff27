/*
 * settings.c - the consumer's configuration keys and the checks
 * --check-config runs on them (see settings.h).
 */
#include "settings.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "stage.h"
#include "wh/kafka.h"
#include "wh/log.h"
#include "wh/wh.h"

char *wh_consumer_sink_kind(const char *value, const char **arg)
{
    const char *colon = strchr(value, ':');

    if (colon == NULL) {
        *arg = NULL;
        return wh_xstrdup(value);
    }
    *arg = colon + 1;
    return wh_xstrndup(value, (size_t)(colon - value));
}

/* sink: KIND:ARG with a KIND of the stage table. */
static int sink_check(const char *value, char *errstr, size_t errstr_size)
{
    const char *arg;
    char *kind = wh_consumer_sink_kind(value, &arg);
    int known = wh_stage_find(WH_STAGE_SINK, kind) != NULL;

    if (!known) {
        snprintf(errstr, errstr_size,
                 "unknown kind '%.64s' (see --help for the sinks there are)",
                 kind);
    }
    free(kind);
    return known ? WH_OK : WH_EINVAL;
}

/* enrich, dedup: all, none, or stage names of that type, comma-separated. */
static int selection_check(enum wh_stage_type type, const char *value,
                           char *errstr, size_t errstr_size)
{
    const char *p = value;

    if (strcmp(value, "all") == 0 || strcmp(value, "none") == 0) {
        return WH_OK;
    }
    while (*p != '\0') {
        size_t n;
        char *name;
        int known;

        p += strspn(p, ", \t");
        n = strcspn(p, ", \t");
        if (n == 0) {
            break;
        }
        name = wh_xstrndup(p, n);
        known = wh_stage_find(type, name) != NULL;
        if (!known) {
            snprintf(errstr, errstr_size,
                     "unknown stage '%.64s' (see --help for the stages "
                     "there are; or all, none)",
                     name);
        }
        free(name);
        if (!known) {
            return WH_EINVAL;
        }
        p += n;
    }
    return WH_OK;
}

static int enrich_check(const char *value, char *errstr, size_t errstr_size)
{
    return selection_check(WH_STAGE_ENRICH, value, errstr, errstr_size);
}

static int dedup_check(const char *value, char *errstr, size_t errstr_size)
{
    return selection_check(WH_STAGE_DEDUP, value, errstr, errstr_size);
}

const struct wh_config_key wh_consumer_keys[] = {
    WH_KEY_STR("brokers", NULL,
               "Kafka bootstrap servers, host:port[,host:port] (-b)"),
    WH_KEY_STR("topic", NULL,
               "topic to consume; several separated by commas (-t)"),
    WH_KEY_STR("group", WH_CONSUMER_DEFAULT_GROUP, "consumer group id (-g)"),
    WH_KEY_LIST("sink", WH_CONFIG_STRING, sink_check,
                "where records go: KIND:ARG (--sink)"),
    WH_KEY_CHECKED("enrich", WH_CONFIG_STRING, "all", enrich_check,
                   "enrichers to run, comma-separated, or all, or none "
                   "(--enrich)"),
    WH_KEY_CHECKED("dedup", WH_CONFIG_STRING, "all", dedup_check,
                   "dedup stages to run, comma-separated, or all, or none "
                   "(--dedup)"),
    WH_KEY_INT("flush.records", "1000", 1, WH_NO_MAX, "records",
               "flush sinks, store offsets every N records"),
    WH_KEY_DURATION("flush.ms", "1000", 1, WH_NO_MAX, "ms",
                    "... and at least every N milliseconds"),
    WH_KEY_DURATION("close.timeout_ms", "10000", 100, WH_NO_MAX, "ms",
                    "at stop, longest wait for the brokers (last commit, "
                    "leaving the group, dead letters)"),
    WH_LOG_LEVEL_KEY,
    WH_KEY_STR("dlq.topic", NULL,
               "dead-letter topic (default <topic>.dlq; off: none)"),
    WH_KEY_STR("metrics", NULL,
               "ADDR:PORT serving /metrics and /healthz (--metrics)"),
    WH_KEY_STR("dedup.copies_topic", NULL,
               "with dedup.copies = topic: the topic copies go to instead "
               "of the sinks (default <topic>.copies)"),
    WH_KEY_END};

const struct wh_config_key *wh_consumer_config_keys(void)
{
    static struct wh_config_key *all;

    return wh_config_keys_once(&all, wh_consumer_keys, wh_stage_keys());
}

/* Non-zero when name is in the comma-separated list (blanks allowed). */
static int in_list(const char *list, const char *name)
{
    size_t len = strlen(name);
    const char *p = list;

    while (*p != '\0') {
        size_t n;

        p += strspn(p, ", \t");
        n = strcspn(p, ", \t");
        if (n == len && strncmp(p, name, n) == 0) {
            return 1;
        }
        p += n;
    }
    return 0;
}

int wh_consumer_stage_selected(const struct wh_config *cfg,
                               const struct wh_stage *st)
{
    const char *list = wh_config_str(
        cfg, wh_consumer_keys, st->type == WH_STAGE_DEDUP ? "dedup" : "enrich");

    return strcmp(list, "all") == 0 || in_list(list, st->name);
}

/* The keys a consumer cannot run without. */
static void check_required(const struct wh_config *cfg,
                           struct wh_config_problems *pr)
{
    wh_config_require(cfg, "brokers", "-b BROKERS or the brokers key", pr);
    wh_config_require(cfg, "topic", "-t TOPIC or the topic key", pr);
    wh_config_require(cfg, "sink",
                      "--sink KIND:ARG, e.g. --sink jsonl:out.jsonl, or the "
                      "sink key",
                      pr);
}

/* Non-zero when a problem line from index from on starts with reason. */
static int said(const struct wh_config_problems *pr, size_t from,
                const char *reason)
{
    size_t i;

    for (i = from; i < pr->n; i++) {
        if (strncmp(pr->lines[i], reason, strlen(reason)) == 0) {
            return 1;
        }
    }
    return 0;
}

size_t wh_consumer_check_stages(const struct wh_config *cfg,
                                struct wh_config_problems *pr)
{
    const struct wh_config_entry *e;
    const struct wh_stage *st;
    size_t before = pr->n;
    char reason[512];
    size_t i;

    for (i = 0; (st = wh_stage_at(i)) != NULL; i++) {
        if (st->type == WH_STAGE_SINK || st->check == NULL ||
            !wh_consumer_stage_selected(cfg, st)) {
            continue;
        }
        /* Stages sharing data (enrich.data_dir) share its problem:
         * said once, by the first of them. */
        if (st->check(NULL, cfg, reason, sizeof(reason)) != WH_OK &&
            !said(pr, before, reason)) {
            wh_config_problem(pr, "%s (%s:%s)", reason,
                              st->type == WH_STAGE_DEDUP ? "dedup" : "enrich",
                              st->name);
        }
    }
    for (e = wh_config_first(cfg, "sink"); e != NULL; e = wh_config_next(e)) {
        const char *arg;
        char *kind = wh_consumer_sink_kind(e->value, &arg);

        st = wh_stage_find(WH_STAGE_SINK, kind);
        if (st != NULL && st->check != NULL &&
            st->check(arg, cfg, reason, sizeof(reason)) != WH_OK) {
            wh_config_problem(pr, "%s: sink: %s", e->origin, reason);
        }
        free(kind);
    }
    return pr->n - before;
}

size_t wh_consumer_check(const struct wh_config *cfg,
                         struct wh_config_problems *pr)
{
    size_t before = pr->n;

    check_required(cfg, pr);
    wh_config_check(cfg, pr);
    wh_kafka_conf_check(cfg, pr);
    /* A stage's check reads key values: only once they are good. */
    if (pr->n == before) {
        wh_consumer_check_stages(cfg, pr);
    }
    return pr->n - before;
}

int wh_consumer_validate(const struct wh_config *cfg, long long *flush_records,
                         long long *flush_ms, struct wh_config_problems *pr)
{
    char errstr[512];

    if (wh_consumer_check(cfg, pr) > 0) {
        return WH_EINVAL;
    }
    /* Checked above: cannot fail. */
    if (wh_config_int(cfg, wh_consumer_keys, "flush.records", flush_records,
                      errstr, sizeof(errstr)) != WH_OK ||
        wh_config_int(cfg, wh_consumer_keys, "flush.ms", flush_ms, errstr,
                      sizeof(errstr)) != WH_OK) {
        wh_config_problem(pr, "%s", errstr);
        return WH_EINVAL;
    }
    return WH_OK;
}

int wh_consumer_flag(struct wh_consumer_flags *f, int opt, const char *arg)
{
    switch (opt) {
    case 'c':
        f->config_path = arg;
        return 1;
    case 'b':
        f->brokers = arg;
        return 1;
    case 't':
        f->topic = arg;
        return 1;
    case 'g':
        f->group = arg;
        return 1;
    case 'X':
        f->xprops[f->nxprops++] = arg;
        return 1;
    case 'v':
        f->verbosity++;
        return 1;
    case 'q':
        f->verbosity--;
        return 1;
    default:
        return 0;
    }
}

int wh_consumer_flags_apply(struct wh_config *cfg,
                            const struct wh_consumer_flags *f, char *errstr,
                            size_t errstr_size)
{
    const struct {
        const char *key;
        const char *value;
    } flags[] = {
        {"brokers", f->brokers}, {"topic", f->topic}, {"group", f->group}};
    size_t i;
    int rc = WH_OK;

    if (f->config_path != NULL) {
        rc = wh_config_load(cfg, f->config_path, errstr, errstr_size);
    }
    for (i = 0; rc == WH_OK && i < WH_ARRAY_SIZE(flags); i++) {
        if (flags[i].value != NULL) {
            rc = wh_config_set(cfg, flags[i].key, flags[i].value, errstr,
                               errstr_size);
        }
    }
    for (i = 0; rc == WH_OK && i < f->nxprops; i++) {
        rc = wh_config_set_kafka(cfg, f->xprops[i], errstr, errstr_size);
    }
    return rc;
}
