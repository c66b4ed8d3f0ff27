/*
 * fleet_inspect.c - --inspect URL with sources = kafka: what the fleet
 * knows of that source, the "fleet" member of inspect's header:
 *
 *   {"group": G, "sources_topic": T, "state_topic": T2,
 *    "partitions": N, "sources": S, "sources_per_partition": [n0, ...],
 *    "source": {"id": ID, "partition": P, "settings": {...}} | null,
 *    "state": {"ids": N, "interval_ms": MS, "validators": {"etag",
 *              "last_modified"}, "owner": "HOST:PID",
 *              "written_at": UNIX_S} | null}
 *
 * "source" is null when no source of the topic has this URL (no instance
 * polls it); "state" is null when its state was never written (nothing
 * delivered yet, or a state topic that does not exist). "owner" is the
 * instance that wrote the state last: the source's owner then (after a
 * rebalance, until the new owner writes it). What cannot be read is said
 * in an "error" or "state_error" member and on stderr; inspect goes on
 * with the fetch.
 *
 * The group's members are not listed: librdkafka 2.0's
 * DescribeConsumerGroups leaves rd_kafka_destroy() hanging when the
 * broker refuses it, as the dev broker does.
 *
 * Read by a consumer of its own that assigns partitions itself and joins
 * no group: the running instances are not disturbed.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "producer.h"
#include "topic_read.h"
#include "wh/wh.h"

#define INSPECT_TIMEOUT_MS 10000
#define CLOSE_TIMEOUT_MS 3000

/* The state topic's last message keyed by the id (opaque: struct
 * state_find). */
struct state_find {
    const char *id;
    json_t *last; /* owned; NULL: none, or a tombstone */
};

static void state_msg(const rd_kafka_message_t *m, void *opaque)
{
    struct state_find *sf = opaque;
    json_error_t jerr;

    if (m->key == NULL || m->key_len != strlen(sf->id) ||
        memcmp(m->key, sf->id, m->key_len) != 0) {
        return;
    }
    json_decref(sf->last);
    sf->last =
        m->payload != NULL ? json_loadb(m->payload, m->len, 0, &jerr) : NULL;
}

/* The id of the source whose URL is url (the first by id), or NULL. */
static const char *source_of(json_t *set, const char *url)
{
    const char *best = NULL;
    const char *id;
    json_t *v;

    json_object_foreach (set, id, v) {
        const char *u = json_string_value(
            json_object_get(json_object_get(v, "settings"), "url"));

        if (u != NULL && strcmp(u, url) == 0 &&
            (best == NULL || strcmp(id, best) < 0)) {
            best = id;
        }
    }
    return best;
}

/* How many sources of set are on partition p. */
static size_t sources_on(json_t *set, int p)
{
    const char *id;
    json_t *v;
    size_t n = 0;

    json_object_foreach (set, id, v) {
        n += json_integer_value(json_object_get(v, "partition")) == p;
    }
    return n;
}

/* The source's state: how many ids, its interval; null when none. */
static json_t *state_of(rd_kafka_t *rk, const char *state_topic, const char *id,
                        int partition, json_t *fleet)
{
    struct state_find sf = {id, NULL};
    char errstr[512];
    json_t *out;

    if (topic_read(rk, state_topic, partition, INSPECT_TIMEOUT_MS, state_msg,
                   &sf, NULL, errstr, sizeof(errstr)) != WH_OK) {
        fprintf(stderr, "inspect: %s\n", errstr);
        json_object_set_new(fleet, "state_error", json_string(errstr));
        json_decref(sf.last);
        return json_null();
    }
    if (!json_is_object(sf.last)) {
        json_decref(sf.last);
        return json_null();
    }
    out =
        json_pack("{s:I, s:I, s:O?, s:O?, s:O?}", "ids",
                  (json_int_t)json_array_size(json_object_get(sf.last, "ids")),
                  "interval_ms",
                  json_integer_value(json_object_get(sf.last, "interval_ms")),
                  "validators", json_object_get(sf.last, "validators"), "owner",
                  json_object_get(sf.last, "owner"), "written_at",
                  json_object_get(sf.last, "written_at"));
    json_decref(sf.last);
    return out;
}

struct json_t *fleet_inspect(const struct wh_config *cfg, const char *topic,
                             const char *url)
{
    struct wh_config *ccfg = wh_config_copy(cfg, NULL);
    json_t *fleet = json_object();
    json_t *set = json_object();
    json_t *counts;
    char *stopic;
    char *state_topic;
    char *group;
    char errstr[512];
    const char *id;
    void *tmp;
    json_t *v;
    rd_kafka_t *rk;
    int np = 0;
    int i;

    fleet_names(cfg, topic, &stopic, &state_topic, &group);
    json_object_set_new(fleet, "group", json_string(group));
    json_object_set_new(fleet, "sources_topic", json_string(stopic));
    json_object_set_new(fleet, "state_topic", json_string(state_topic));
    (void)wh_config_set(ccfg, "kafka.enable.partition.eof", "true", errstr,
                        sizeof(errstr));
    rk = wh_kafka_consumer_new(ccfg, "wirehose-producer.inspect", errstr,
                               sizeof(errstr));
    wh_config_free(ccfg);
    if (rk == NULL) {
        goto fail;
    }
    if (topic_read_sources(rk, stopic, INSPECT_TIMEOUT_MS, set, &np, errstr,
                           sizeof(errstr)) != WH_OK) {
        goto fail;
    }
    json_object_foreach_safe (set, tmp, id, v) {
        /* Disabled: no instance polls it. */
        if (json_is_false(
                json_object_get(json_object_get(v, "settings"), "enabled"))) {
            json_object_del(set, id);
        }
    }
    json_object_set_new(fleet, "partitions", json_integer(np));
    json_object_set_new(fleet, "sources",
                        json_integer((json_int_t)json_object_size(set)));
    counts = json_array();
    for (i = 0; i < np; i++) {
        json_array_append_new(counts,
                              json_integer((json_int_t)sources_on(set, i)));
    }
    json_object_set_new(fleet, "sources_per_partition", counts);
    id = source_of(set, url);
    v = id != NULL ? json_object_get(set, id) : NULL;
    if (id == NULL) {
        fprintf(stderr,
                "inspect: %s is not a source of %s: no instance of the "
                "fleet polls it\n",
                url, stopic);
        json_object_set_new(fleet, "source", json_null());
        json_object_set_new(fleet, "state", json_null());
    } else {
        int part = (int)json_integer_value(json_object_get(v, "partition"));

        json_object_set_new(fleet, "source",
                            json_pack("{s:s, s:i, s:O}", "id", id, "partition",
                                      part, "settings",
                                      json_object_get(v, "settings")));
        json_object_set_new(fleet, "state",
                            state_of(rk, state_topic, id, part, fleet));
    }
    goto out;
fail:
    fprintf(stderr, "inspect: %s\n", errstr);
    json_object_set_new(fleet, "error", json_string(errstr));
out:
    if (rk != NULL) {
        /* Bounded even when the brokers stopped answering mid-read. */
        (void)wh_kafka_consumer_close(rk, CLOSE_TIMEOUT_MS, "inspect");
    }
    json_decref(set);
    free(stopic);
    free(state_topic);
    free(group);
    return fleet;
}
