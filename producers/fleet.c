/*
 * fleet.c - sources = kafka: the producer is one instance of a fleet that
 * shares the sources topic (wirehose-sources writes it: one message per
 * source keyed by its id, JSON settings, tombstones remove).
 *
 * Every instance joins one consumer group (sources.group, default
 * TOPIC.producers) on that topic with the cooperative-sticky assignor.
 * The partitions assigned to an instance are the sources it polls: each
 * assigned partition is read from its beginning (no offset is ever
 * committed) and every message adds, changes or removes a source; new
 * messages keep doing so while the partition stays assigned. When a
 * partition goes (revoked on a rebalance, or lost after a session
 * timeout), its sources stop being polled at once and finish their work
 * in flight (rounds, deliveries) as a reload's removed sources do.
 *
 * The assignment is followed by comparing rd_kafka_assignment() with the
 * partitions held, a few times a second: the rebalance callback stays
 * the common one (wh_kafka_consumer_new).
 */
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "producer.h"
#include "wh/hash.h"
#include "wh/log.h"
#include "wh/wh.h"

#define FLEET_TAG "fleet"
#define NBUCKETS 4096
#define POLL_BATCH 1000
#define ASSIGNMENT_CHECK_MS 200

struct fleet_entry {
    char *id;
    int32_t partition;
    struct source *src;
    struct fleet_entry *next;
};

struct fleet {
    rd_kafka_t *rk;
    char *topic;
    struct fleet_entry *buckets[NBUCKETS];
    size_t nentries;
    int32_t *owned; /* partitions held, sorted */
    size_t nowned;
    size_t rebalances;
    long long last_check;
};

static struct fleet_entry **bucket(struct fleet *f, const char *id)
{
    return &f->buckets[wh_hash64(id, strlen(id)) % NBUCKETS];
}

static struct fleet_entry *entry_find(struct fleet *f, const char *id)
{
    struct fleet_entry *e;

    for (e = *bucket(f, id); e != NULL; e = e->next) {
        if (strcmp(e->id, id) == 0) {
            return e;
        }
    }
    return NULL;
}

/* Takes src out of p's sources and retires it. */
static void source_drop(struct producer *p, struct source *src)
{
    struct source **link;

    for (link = &p->set.sources; *link != NULL; link = &(*link)->next) {
        if (*link == src) {
            *link = src->next;
            src->next = NULL;
            p->set.nsources--;
            source_retire(p, src);
            return;
        }
    }
}

static void entry_remove(struct producer *p, struct fleet_entry *e)
{
    struct fleet_entry **link;

    for (link = bucket(p->fleet, e->id); *link != e; link = &(*link)->next) {
    }
    *link = e->next;
    p->fleet->nentries--;
    if (e->src != NULL) {
        source_drop(p, e->src);
    }
    free(e->id);
    free(e);
}

/* A source message's settings as a source line, parsed by the common
 * parser (same checks as a `source` key). Returns WH_OK with sl filled. */
static int settings_parse(const char *id, const json_t *v,
                          struct source_line *sl, char *errstr,
                          size_t errstr_size)
{
    const char *url = json_string_value(json_object_get(v, "url"));
    const char *body = json_string_value(json_object_get(v, "body"));
    json_int_t iv = json_integer_value(json_object_get(v, "interval_ms"));
    char *line;
    int rc;

    if (url == NULL || url[0] == '\0' || strpbrk(url, " \t\r\n") != NULL ||
        strpbrk(id, " \t\r\n") != NULL) {
        snprintf(errstr, errstr_size,
                 "%s: no \"url\", or a space in the url or the id", id);
        return WH_EINVAL;
    }
    line = wh_xasprintf("%s %s", id, url);
    if (iv > 0) {
        char *l = wh_xasprintf("%s interval_ms=%lld", line, (long long)iv);

        free(line);
        line = l;
    }
    if (body != NULL) {
        char *l = wh_xasprintf("%s body=%s", line, body);

        free(line);
        line = l;
    }
    if (json_is_true(json_object_get(v, "tls_insecure"))) {
        char *l = wh_xasprintf("%s tls_insecure", line);

        free(line);
        line = l;
    }
    rc = source_line_parse(line, id, sl, errstr, errstr_size);
    free(line);
    return rc;
}

/* Moves the options of sl into the running src (same URL). */
static void source_update(struct source *src, struct source_line *sl,
                          long long default_interval_ms)
{
    long long iv = sl->interval_ms > 0 ? sl->interval_ms
                                       : default_interval_ms;

    free(src->name);
    free(src->tag);
    src->name = sl->name;
    sl->name = NULL;
    src->tag = wh_xasprintf("source:%s", src->name);
    src->tls_insecure = sl->tls_insecure;
    src->body = sl->body;
    if (src->interval_ms != iv) {
        src->interval_ms = iv;
        src->cur_ms = iv;
    }
}

/* One message of the sources topic. */
static void apply(struct producer *p, const rd_kafka_message_t *m)
{
    struct fleet *f = p->fleet;
    struct fleet_entry *e;
    struct source_line sl;
    char errstr[512];
    json_error_t jerr;
    json_t *v = NULL;
    char *id;

    if (m->key == NULL || m->key_len == 0) {
        wh_warn(FLEET_TAG, "%s [%d] at %lld: no key, skipped", f->topic,
                (int)m->partition, (long long)m->offset);
        return;
    }
    id = wh_xstrndup(m->key, m->key_len);
    e = entry_find(f, id);
    if (m->payload != NULL) {
        v = json_loadb(m->payload, m->len, 0, &jerr);
        if (!json_is_object(v)) {
            wh_warn(FLEET_TAG, "%s [%d] at %lld: %s: not a JSON object, "
                    "skipped", f->topic, (int)m->partition,
                    (long long)m->offset, id);
            goto out;
        }
    }
    if (v == NULL || json_is_false(json_object_get(v, "enabled"))) {
        if (e != NULL) {
            wh_info(FLEET_TAG, "%s: %s", id,
                    v == NULL ? "removed" : "disabled");
            entry_remove(p, e);
        }
        goto out;
    }
    if (settings_parse(id, v, &sl, errstr, sizeof(errstr)) != WH_OK) {
        wh_warn(FLEET_TAG, "%s [%d] at %lld: %s; skipped", f->topic,
                (int)m->partition, (long long)m->offset, errstr);
        goto out;
    }
    if (e != NULL && e->src != NULL && strcmp(e->src->url, sl.url) == 0) {
        source_update(e->src, &sl, p->set.interval_ms);
        e->partition = m->partition;
        source_line_free(&sl);
        goto out;
    }
    if (e == NULL) {
        struct fleet_entry **b = bucket(f, id);

        e = wh_xcalloc(1, sizeof(*e));
        e->id = id;
        id = NULL;
        e->next = *b;
        *b = e;
        f->nentries++;
    } else if (e->src != NULL) {
        source_drop(p, e->src); /* its URL changed */
    }
    e->partition = m->partition;
    e->src = source_from_line(&sl, p->set.interval_ms);
    source_line_free(&sl);
    source_activate(p, e->src);
    e->src->next = p->set.sources;
    p->set.sources = e->src;
    p->set.nsources++;
out:
    json_decref(v);
    free(id);
}

static int owns(const int32_t *parts, size_t n, int32_t part)
{
    size_t i;

    for (i = 0; i < n; i++) {
        if (parts[i] == part) {
            return 1;
        }
    }
    return 0;
}

/* Drops the sources of every partition no longer assigned. */
static void assignment_check(struct producer *p)
{
    struct fleet *f = p->fleet;
    rd_kafka_topic_partition_list_t *a = NULL;
    int32_t *now;
    size_t n = 0;
    size_t gone = 0;
    size_t added = 0;
    size_t dropped = 0;
    size_t i;
    int j;

    if (rd_kafka_assignment(f->rk, &a) != RD_KAFKA_RESP_ERR_NO_ERROR) {
        return;
    }
    now = wh_xcalloc((size_t)a->cnt + 1, sizeof(*now));
    for (j = 0; j < a->cnt; j++) {
        if (strcmp(a->elems[j].topic, f->topic) == 0) {
            now[n++] = a->elems[j].partition;
        }
    }
    rd_kafka_topic_partition_list_destroy(a);
    for (i = 0; i < n; i++) {
        added += !owns(f->owned, f->nowned, now[i]);
    }
    for (i = 0; i < f->nowned; i++) {
        gone += !owns(now, n, f->owned[i]);
    }
    if (added == 0 && gone == 0) {
        free(now);
        return;
    }
    if (gone > 0) {
        for (i = 0; i < NBUCKETS; i++) {
            struct fleet_entry *e = f->buckets[i];

            while (e != NULL) {
                struct fleet_entry *next = e->next;

                if (!owns(now, n, e->partition)) {
                    entry_remove(p, e);
                    dropped++;
                }
                e = next;
            }
        }
    }
    free(f->owned);
    f->owned = now;
    f->nowned = n;
    f->rebalances++;
    wh_notice(FLEET_TAG,
              "assignment: %zu partitions of %s (%zu new, %zu gone: %zu "
              "sources handed over); %zu sources here",
              n, f->topic, added, gone, dropped, p->set.nsources);
}

void fleet_poll(struct producer *p)
{
    struct fleet *f = p->fleet;
    long long t = wh_now_ms();
    int i;

    if (t - f->last_check >= ASSIGNMENT_CHECK_MS) {
        f->last_check = t;
        assignment_check(p);
    }
    for (i = 0; i < POLL_BATCH; i++) {
        rd_kafka_message_t *m = rd_kafka_consumer_poll(f->rk, 0);

        if (m == NULL) {
            break;
        }
        if (m->err == RD_KAFKA_RESP_ERR_NO_ERROR) {
            /* A message of a partition revoked since is dropped at
             * the next check with the rest of it. */
            apply(p, m);
        } else if (m->err != RD_KAFKA_RESP_ERR__PARTITION_EOF) {
            wh_warn(FLEET_TAG, "%s: %s", f->topic,
                    rd_kafka_message_errstr(m));
        }
        rd_kafka_message_destroy(m);
    }
}

int fleet_start(struct producer *p, char *errstr, size_t errstr_size)
{
    const char *topic = p->set.topic;
    const char *stopic = wh_config_get(p->cfg, "sources.topic", NULL);
    const char *group = wh_config_get(p->cfg, "sources.group", NULL);
    struct wh_config *cfg = wh_config_copy(p->cfg, NULL);
    rd_kafka_topic_partition_list_t *sub;
    struct fleet *f = wh_xcalloc(1, sizeof(*f));
    char *owned_group = NULL;
    rd_kafka_resp_err_t err;

    f->topic = stopic != NULL ? wh_xstrdup(stopic)
                              : wh_xasprintf("%s.sources", topic);
    if (group == NULL) {
        owned_group = wh_xasprintf("%s.producers", topic);
        group = owned_group;
    }
    /* Each assigned partition is read whole: no offset is kept. */
    if (wh_config_get(cfg, "kafka.partition.assignment.strategy", NULL) ==
        NULL) {
        (void)wh_config_set(cfg, "kafka.partition.assignment.strategy",
                            "cooperative-sticky", errstr, errstr_size);
    }
    (void)wh_config_set(cfg, "kafka.auto.offset.reset", "earliest", errstr,
                        errstr_size);
    f->rk = wh_kafka_consumer_new(cfg, group, errstr, errstr_size);
    wh_config_free(cfg);
    if (f->rk == NULL) {
        free(owned_group);
        free(f->topic);
        free(f);
        return WH_EINVAL;
    }
    sub = rd_kafka_topic_partition_list_new(1);
    rd_kafka_topic_partition_list_add(sub, f->topic, RD_KAFKA_PARTITION_UA);
    err = rd_kafka_subscribe(f->rk, sub);
    rd_kafka_topic_partition_list_destroy(sub);
    if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
        snprintf(errstr, errstr_size, "%s: subscribe: %s", f->topic,
                 rd_kafka_err2str(err));
        rd_kafka_destroy(f->rk);
        free(owned_group);
        free(f->topic);
        free(f);
        return WH_EINVAL;
    }
    wh_info(FLEET_TAG, "sources from %s, group %s", f->topic, group);
    free(owned_group);
    p->fleet = f;
    return WH_OK;
}

void fleet_stop(struct producer *p)
{
    struct fleet *f = p->fleet;
    size_t i;

    if (f == NULL) {
        return;
    }
    (void)rd_kafka_consumer_close(f->rk);
    rd_kafka_destroy(f->rk);
    for (i = 0; i < NBUCKETS; i++) {
        while (f->buckets[i] != NULL) {
            struct fleet_entry *e = f->buckets[i];

            f->buckets[i] = e->next;
            free(e->id);
            free(e);
        }
    }
    free(f->owned);
    free(f->topic);
    free(f);
    p->fleet = NULL;
}
