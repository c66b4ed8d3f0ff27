/*
 * settings.c - the consumer's configuration keys (its own, the enrichers'
 * and the dedup stage's) and the checks --check-config runs on them.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "consumer.h"
#include "dedup/near.h"
#include "enrich/enrich.h"
#include "wh/log.h"
#include "wh/wh.h"

/* The consumer's own keys; config_keys() adds the dedup stage's. */
static const struct wh_config_key base_keys[] = {
    {"brokers", 0, "Kafka bootstrap servers, host:port[,host:port] (-b)"},
    {"topic", 0, "topic to consume; several separated by commas (-t)"},
    {"group", 0, "consumer group id (-g); default " DEFAULT_GROUP},
    {"sink", 1, "where records go: KIND:ARG (--sink)"},
    {"enrich", 0,
     "enrichers to run, comma-separated (--enrich); default "
     "all, none for none"},
    {"dedup", 0,
     "dedup stages to run, comma-separated (--dedup); default "
     "all, none for none"},
    {"flush.records", 0, "flush sinks, store offsets every N records (1000)"},
    {"flush.ms", 0, "... and at least every N milliseconds (1000)"},
    {"log.level", 0, "debug, info, notice, warning or err (default info)"},
    {"dlq.topic", 0, "dead-letter topic (default <topic>.dlq; off: none)"},
    {"metrics", 0, "ADDR:PORT serving /metrics and /healthz (--metrics)"},
    {"dedup.copies_topic", 0,
     "with dedup.copies = topic: the topic copies "
     "go to instead of the sinks (<topic>.copies)"},
    WH_ENRICH_CONFIG_KEYS,
    {"jsonl.max_bytes", 0, "jsonl sink: rotate past N bytes (0: never)"},
    {"jsonl.max_age_s", 0, "jsonl sink: rotate N s old files (0: never)"},
    {"jsonl.window_s", 0, "jsonl sink: forget the lines of files rotated "
                          "longer ago (2592000 = 30 d; 0: never)"},
    {"jsonl.fsync", 0, "jsonl sink: batch (default), always, never"},
    {"postgres.table", 0, "postgres sink: table name (default articles)"},
    {"postgres.batch", 0, "postgres sink: rows per transaction (500)"},
    {"http.batch_docs", 0, "http sink: documents per _bulk request (500)"},
    {"http.batch_bytes", 0, "http sink: bytes per _bulk request (5242880)"},
    {"http.timeout_ms", 0, "http sink: request timeout (30000)"},
    {"http.max_retries", 0, "http sink: retries of 429/5xx items (5)"},
    {NULL, 0, NULL}};

/* base_keys followed by wh_dedup_config_keys, built once, kept for the
 * life of the process (configurations borrow it). */
const struct wh_config_key *config_keys(void)
{
    static struct wh_config_key *all;
    size_t nb = 0;
    size_t nd = 0;

    if (all != NULL) {
        return all;
    }
    while (base_keys[nb].name != NULL) {
        nb++;
    }
    while (wh_dedup_config_keys[nd].name != NULL) {
        nd++;
    }
    all = wh_xcalloc(nb + nd + 1, sizeof(*all));
    memcpy(all, base_keys, nb * sizeof(*all));
    memcpy(all + nb, wh_dedup_config_keys, nd * sizeof(*all));
    return all;
}

/* The last entry of a single-valued key (for its origin), or NULL. */
static const struct wh_config_entry *last_entry(const struct wh_config *cfg,
                                                const char *key)
{
    const struct wh_config_entry *e = wh_config_first(cfg, key);
    const struct wh_config_entry *last = NULL;

    for (; e != NULL; e = wh_config_next(e)) {
        last = e;
    }
    return last;
}

/* Splits "kind:arg" of a sink entry; *arg is NULL without a ':'. The
 * returned kind is newly allocated. */
char *sink_kind(const char *value, const char **arg)
{
    const char *colon = strchr(value, ':');

    if (colon == NULL) {
        *arg = NULL;
        return wh_xstrdup(value);
    }
    *arg = colon + 1;
    return wh_xstrndup(value, (size_t)(colon - value));
}

/* The config key selecting the stages of a type ("enrich", "dedup"). */
static const char *select_key(enum wh_stage_type type)
{
    return type == WH_STAGE_DEDUP ? "dedup" : "enrich";
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

/* Whether stage st runs: every one of its type unless the "enrich" /
 * "dedup" key lists some (or says none). */
int selected(const struct wh_config *cfg, const struct wh_stage *st)
{
    const char *list = wh_config_get(cfg, select_key(st->type), NULL);

    if (list == NULL || strcmp(list, "all") == 0) {
        return 1;
    }
    return in_list(list, st->name);
}

/* Checks the "enrich" or "dedup" key: known stage names, or all / none
 * alone. Returns WH_OK or WH_EINVAL with errstr filled. */
static int check_selection(const struct wh_config *cfg, enum wh_stage_type type,
                           char *errstr, size_t errstr_size)
{
    const char *key = select_key(type);
    const char *list = wh_config_get(cfg, key, NULL);
    const struct wh_config_entry *e = last_entry(cfg, key);
    const char *p = list;

    if (list == NULL || strcmp(list, "all") == 0 || strcmp(list, "none") == 0) {
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
                     "%s: %s: unknown stage '%s' "
                     "(see --help for the %s stages there are; or all, "
                     "none)",
                     e != NULL ? e->origin : "?", key, name, key);
        }
        free(name);
        if (!known) {
            return WH_EINVAL;
        }
        p += n;
    }
    return WH_OK;
}

/* Checks everything that can be checked without side effects: required
 * keys, numbers, log level, sink kinds and every kafka.* property.
 * Returns WH_OK or WH_EINVAL with errstr filled. */
int validate(const struct wh_config *cfg, long long *flush_records,
             long long *flush_ms, char *errstr, size_t errstr_size)
{
    static const struct {
        const char *key;
        const char *values; /* the words allowed, for in_list() */
        const char *say;
    } choices[] = {{"dedup.copies", "keep,drop,topic", "keep, drop or topic"},
                   {"dedup.fsync", "flush,each", "flush or each"}};
    size_t i;
    const struct wh_config_entry *e;
    rd_kafka_conf_t *conf = NULL;
    const char *topic;
    const char *level;
    int nsinks = 0;
    int rc = WH_EINVAL;

    if (wh_config_get(cfg, "brokers", NULL) == NULL) {
        snprintf(errstr, errstr_size,
                 "brokers: not set (use -b BROKERS "
                 "or the brokers key)");
        goto out;
    }
    topic = wh_config_get(cfg, "topic", NULL);
    if (topic == NULL || strspn(topic, ", ") == strlen(topic)) {
        snprintf(errstr, errstr_size,
                 "topic: not set (use -t TOPIC or the "
                 "topic key)");
        goto out;
    }
    level = wh_config_get(cfg, "log.level", NULL);
    if (level != NULL && wh_log_level_parse(level) < 0) {
        e = last_entry(cfg, "log.level");
        snprintf(errstr, errstr_size, "%s: log.level: unknown level '%s'",
                 e != NULL ? e->origin : "?", level);
        goto out;
    }
    if (wh_config_get_int(cfg, "flush.records", 1000, flush_records, errstr,
                          errstr_size) != WH_OK ||
        wh_config_get_int(cfg, "flush.ms", 1000, flush_ms, errstr,
                          errstr_size) != WH_OK) {
        goto out;
    }
    if (*flush_records < 1 || *flush_ms < 1) {
        e = last_entry(cfg, *flush_records < 1 ? "flush.records" : "flush.ms");
        snprintf(errstr, errstr_size, "%s: %s: must be at least 1",
                 e != NULL ? e->origin : "?",
                 *flush_records < 1 ? "flush.records" : "flush.ms");
        goto out;
    }
    for (e = wh_config_first(cfg, "sink"); e != NULL; e = wh_config_next(e)) {
        const char *arg;
        char *kind = sink_kind(e->value, &arg);
        int known = wh_stage_find(WH_STAGE_SINK, kind) != NULL;

        if (!known) {
            snprintf(errstr, errstr_size,
                     "%s: sink: unknown kind '%s' in "
                     "'%s' (see --help for the sinks there are)",
                     e->origin, kind, e->value);
        }
        free(kind);
        if (!known) {
            goto out;
        }
        nsinks++;
    }
    /* The dedup stage checks its keys when it starts; the choices are
     * checked here too so that --check-config catches a typo. */
    for (i = 0; i < WH_ARRAY_SIZE(choices); i++) {
        const char *v = wh_config_get(cfg, choices[i].key, NULL);

        if (v != NULL &&
            (strchr(v, ',') != NULL || !in_list(choices[i].values, v))) {
            e = last_entry(cfg, choices[i].key);
            snprintf(errstr, errstr_size, "%s: %s: \"%s\": expected %s",
                     e != NULL ? e->origin : "?", choices[i].key, v,
                     choices[i].say);
            goto out;
        }
    }
    if (check_selection(cfg, WH_STAGE_DEDUP, errstr, errstr_size) != WH_OK ||
        check_selection(cfg, WH_STAGE_ENRICH, errstr, errstr_size) != WH_OK) {
        goto out;
    }
    if (nsinks == 0) {
        snprintf(errstr, errstr_size,
                 "sink: none set (use --sink KIND:ARG, "
                 "e.g. --sink jsonl:out.jsonl, or the sink key)");
        goto out;
    }
    /* librdkafka checks names and values; report them with their origin. */
    conf = rd_kafka_conf_new();
    for (e = cfg->head; e != NULL; e = e->next) {
        char kerr[256];

        if (strncmp(e->key, "kafka.", 6) != 0) {
            continue;
        }
        if (rd_kafka_conf_set(conf, e->key + 6, e->value, kerr, sizeof(kerr)) !=
            RD_KAFKA_CONF_OK) {
            snprintf(errstr, errstr_size, "%s: %s: %s", e->origin, e->key,
                     kerr);
            goto out;
        }
    }
    rc = WH_OK;
out:
    if (conf != NULL) {
        rd_kafka_conf_destroy(conf);
    }
    return rc;
}
