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
 *
 * State that moves with its source: the state topic (sources.state_topic,
 * default TOPIC.state, compacted, at least as many partitions as the
 * sources topic) holds one message per source, keyed by its id and
 * written to the partition of its source message:
 *   {"url": URL, "ids": [the last STATE_IDS ids published],
 *    "interval_ms": its adaptive interval,
 *    "validators": {"etag", "last_modified"} of its own document}
 * plus "owner" (HOST:PID of the instance writing it) and "written_at"
 * (Unix seconds), which --inspect shows. It is written once the source's round
 * is over and every record of it delivered (the ids are taken from delivery
 * reports only), at most once a STATE_WRITE_MS per source, and only when
 * something changed. An instance assigned a partition reads the same partition
 * of the state topic to its end before any source of it is polled, and marks
 * those ids published (the local state directory is the cache). A failover may
 * republish what its old owner delivered after its last state write:
 * the items of a round in progress, or finished less than STATE_WRITE_MS
 * before.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "producer.h"
#include "topic_read.h"
#include "wh/hash.h"
#include "wh/log.h"
#include "wh/wh.h"

#define FLEET_TAG "fleet"
#define NBUCKETS 4096
#define POLL_BATCH 1000
#define ASSIGNMENT_CHECK_MS 200
#define STATE_IDS 1000
#define STATE_WRITE_MS 1000
#define WATERMARK_TIMEOUT_MS 5000
#define CREATE_TIMEOUT_MS 5000

/* The fleet's metrics (when metrics are on). */
#define M_SOURCES "wirehose_fleet_sources"
#define M_PARTITIONS "wirehose_fleet_partitions"
#define M_REBALANCES "wirehose_fleet_rebalances_total"
#define M_STATE "wirehose_fleet_state_writes_total"

static const struct wh_metrics_family families[] = {
    {.name = M_SOURCES,
     .type = WH_METRICS_GAUGE,
     .help = "sources this instance polls (sources = kafka)",
     .labels = {NULL}},
    {.name = M_PARTITIONS,
     .type = WH_METRICS_GAUGE,
     .help = "partitions of the sources topic assigned to this instance",
     .labels = {NULL}},
    {.name = M_REBALANCES,
     .type = WH_METRICS_COUNTER,
     .help = "changes of this instance's share of the sources topic",
     .labels = {NULL}},
    {.name = M_STATE,
     .type = WH_METRICS_COUNTER,
     .help = "source states written to the state topic, by outcome",
     .labels = {"outcome", NULL}},
};

struct fleet_entry {
    char *id;
    int32_t partition;
    struct source *src; /* NULL: state only (no source message yet) */
    int held;           /* src not polled: its state is still loading */
    char **ids;         /* ring of the last STATE_IDS ids published */
    size_t nids;
    size_t head; /* next slot to write */
    int dirty;   /* ids or interval changed since written */
    long long interval_written;
    uint64_t validators_written; /* validators_hash() when written */
    struct fleet_entry *next;
};

/* A partition whose state is being read, up to its end. */
struct loading {
    int32_t partition;
    int64_t high;
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
    /* the state topic */
    char *state_topic;
    rd_kafka_t *prk; /* writes it */
    rd_kafka_t *srk; /* reads the partitions assigned */
    struct loading *loading;
    size_t nloading;
    long long last_write;
    size_t state_writes;
    size_t state_failed;
    struct wh_metrics *reg; /* borrowed; NULL when metrics are off */
    char *owner;            /* HOST:PID, in each state written */
};

/* The gauges, after a change of the sources or the assignment. */
static void gauges(const struct producer *p)
{
    const struct fleet *f = p->fleet;

    wh_metrics_set(wh_metrics_get(f->reg, M_SOURCES, NULL, 0),
                   (double)p->set.nsources);
    wh_metrics_set(wh_metrics_get(f->reg, M_PARTITIONS, NULL, 0),
                   (double)f->nowned);
}

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

/* Stops e's source (polled or held). */
static void entry_unsource(struct producer *p, struct fleet_entry *e)
{
    if (e->src == NULL) {
        return;
    }
    if (e->held) {
        source_free(e->src);
    } else {
        source_drop(p, e->src);
    }
    e->src = NULL;
    e->held = 0;
}

static void entry_free(struct fleet_entry *e)
{
    size_t i;

    for (i = 0; i < e->nids; i++) {
        free(e->ids[i]);
    }
    free(e->ids);
    free(e->id);
    free(e);
}

static void entry_remove(struct producer *p, struct fleet_entry *e)
{
    struct fleet_entry **link;

    for (link = bucket(p->fleet, e->id); *link != e; link = &(*link)->next) {
    }
    *link = e->next;
    p->fleet->nentries--;
    entry_unsource(p, e);
    entry_free(e);
}

static struct fleet_entry *entry_add(struct fleet *f, char *id,
                                     int32_t partition)
{
    struct fleet_entry **b = bucket(f, id);
    struct fleet_entry *e = wh_xcalloc(1, sizeof(*e));

    e->id = id;
    e->partition = partition;
    e->next = *b;
    *b = e;
    f->nentries++;
    return e;
}

/* Adds id to e's ring of published ids. */
static void entry_id(struct fleet_entry *e, const char *id)
{
    if (e->ids == NULL) {
        e->ids = wh_xcalloc(STATE_IDS, sizeof(*e->ids));
    }
    if (e->nids == STATE_IDS) {
        free(e->ids[e->head]);
    } else {
        e->nids++;
    }
    e->ids[e->head] = wh_xstrdup(id);
    e->head = (e->head + 1) % STATE_IDS;
    e->dirty = 1;
}

static int loading(const struct fleet *f, int32_t partition)
{
    size_t i;

    for (i = 0; i < f->nloading; i++) {
        if (f->loading[i].partition == partition) {
            return 1;
        }
    }
    return 0;
}

/* Starts polling e's held source. */
static void entry_link(struct producer *p, struct fleet_entry *e)
{
    e->held = 0;
    source_activate(p, e->src);
    e->src->next = p->set.sources;
    p->set.sources = e->src;
    p->set.nsources++;
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
    long long iv = sl->interval_ms > 0 ? sl->interval_ms : default_interval_ms;

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
            wh_warn(FLEET_TAG,
                    "%s [%d] at %lld: %s: not a JSON object, "
                    "skipped",
                    f->topic, (int)m->partition, (long long)m->offset, id);
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
        e = entry_add(f, id, m->partition);
        id = NULL;
    } else {
        entry_unsource(p, e); /* its URL changed */
    }
    e->partition = m->partition;
    e->src = source_from_line(&sl, p->set.interval_ms);
    source_line_free(&sl);
    /* Polled once its partition is held and its state read. */
    e->held = 1;
    if (owns(f->owned, f->nowned, m->partition) && !loading(f, m->partition)) {
        entry_link(p, e);
    }
out:
    json_decref(v);
    free(id);
}

/* ---- the state topic ---------------------------------------------------- */

/* Starts polling the held sources of partition. */
static void release(struct producer *p, int32_t partition)
{
    struct fleet *f = p->fleet;
    size_t i;

    for (i = 0; i < NBUCKETS; i++) {
        struct fleet_entry *e;

        for (e = f->buckets[i]; e != NULL; e = e->next) {
            if (e->partition == partition && e->held && e->src != NULL) {
                entry_link(p, e);
            }
        }
    }
}

static void state_partition(struct fleet *f, int32_t partition, int assign)
{
    rd_kafka_topic_partition_list_t *l = rd_kafka_topic_partition_list_new(1);
    rd_kafka_error_t *err;

    rd_kafka_topic_partition_list_add(l, f->state_topic, partition)->offset =
        RD_KAFKA_OFFSET_BEGINNING;
    err = assign ? rd_kafka_incremental_assign(f->srk, l)
                 : rd_kafka_incremental_unassign(f->srk, l);
    if (err != NULL) {
        wh_warn(FLEET_TAG, "%s [%d]: %s", f->state_topic, (int)partition,
                rd_kafka_error_string(err));
        rd_kafka_error_destroy(err);
    }
    rd_kafka_topic_partition_list_destroy(l);
}

/* Stops reading the state of partition (loaded, or gone). Returns 1 when
 * it was being read. */
static int loading_end(struct fleet *f, int32_t partition)
{
    size_t i;

    for (i = 0; i < f->nloading; i++) {
        if (f->loading[i].partition == partition) {
            f->loading[i] = f->loading[--f->nloading];
            state_partition(f, partition, 0);
            return 1;
        }
    }
    return 0;
}

/* A partition newly assigned: reads its state first, or polls its
 * sources at once when there is none. */
static void loading_start(struct producer *p, int32_t partition)
{
    struct fleet *f = p->fleet;
    int64_t lo = 0;
    int64_t hi = 0;
    rd_kafka_resp_err_t err;

    err = rd_kafka_query_watermark_offsets(f->srk, f->state_topic, partition,
                                           &lo, &hi, WATERMARK_TIMEOUT_MS);
    if (err != RD_KAFKA_RESP_ERR_NO_ERROR || hi <= lo) {
        if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
            wh_warn(FLEET_TAG,
                    "%s [%d]: %s: its sources start without "
                    "their state",
                    f->state_topic, (int)partition, rd_kafka_err2str(err));
        }
        release(p, partition);
        return;
    }
    f->loading =
        wh_xrealloc(f->loading, (f->nloading + 1) * sizeof(*f->loading));
    f->loading[f->nloading].partition = partition;
    f->loading[f->nloading].high = hi;
    f->nloading++;
    state_partition(f, partition, 1);
}

/* A hash of the validators stored for url's own document, 0 when none:
 * a change of them is a change of the source's state. */
static uint64_t validators_hash(struct wh_state *st, const char *url)
{
    const char *etag = NULL;
    const char *lm = NULL;
    uint64_t h = 1; /* never 0 when there are validators */

    wh_state_validators(st, url, url, &etag, &lm);
    if (etag == NULL && lm == NULL) {
        return 0;
    }
    if (etag != NULL) {
        h ^= wh_hash64(etag, strlen(etag)) << 1;
    }
    if (lm != NULL) {
        h ^= wh_hash64(lm, strlen(lm)) * 31 << 1;
    }
    return h;
}

/* The validators of a state message ({"etag", "last_modified"}, of the
 * source's own document) into the local state: the new owner's first
 * request is a conditional GET. They are stored only once every item of
 * that version of the document was delivered (delivery.c), so a 304 hides
 * nothing the topic lacks. */
static void validators_apply(struct producer *p, const char *url,
                             const json_t *val)
{
    const char *etag = json_string_value(json_object_get(val, "etag"));
    const char *lm = json_string_value(json_object_get(val, "last_modified"));
    char errstr[256];

    if ((etag != NULL || lm != NULL) &&
        wh_state_set_validators(p->state, url, url, etag, lm, errstr,
                                sizeof(errstr)) != WH_OK) {
        wh_err(FLEET_TAG, "state: %s", errstr);
    }
}

/* One message of the state topic: the ids go to the local state. */
static void state_apply(struct producer *p, const rd_kafka_message_t *m)
{
    struct fleet *f = p->fleet;
    struct fleet_entry *e;
    json_error_t jerr;
    json_t *v;
    json_t *ids;
    const char *url;
    json_int_t iv;
    char errstr[256];
    char *id;
    size_t i;

    if (m->key == NULL || m->key_len == 0 || m->payload == NULL) {
        return;
    }
    v = json_loadb(m->payload, m->len, 0, &jerr);
    url = json_string_value(json_object_get(v, "url"));
    ids = json_object_get(v, "ids");
    if (url == NULL || !json_is_array(ids)) {
        wh_warn(FLEET_TAG, "%s [%d] at %lld: not a source's state, skipped",
                f->state_topic, (int)m->partition, (long long)m->offset);
        json_decref(v);
        return;
    }
    id = wh_xstrndup(m->key, m->key_len);
    e = entry_find(f, id);
    if (e == NULL) {
        e = entry_add(f, id, m->partition);
    } else {
        free(id);
    }
    for (i = 0; i < json_array_size(ids); i++) {
        const char *s = json_string_value(json_array_get(ids, i));

        if (s == NULL) {
            continue;
        }
        entry_id(e, s);
        if (wh_state_mark(p->state, url, s, errstr, sizeof(errstr)) != WH_OK) {
            wh_err(FLEET_TAG, "state: %s", errstr);
        }
    }
    iv = json_integer_value(json_object_get(v, "interval_ms"));
    if (iv > 0) {
        (void)wh_state_set_interval(p->state, url, (long long)iv, errstr,
                                    sizeof(errstr));
    }
    validators_apply(p, url, json_object_get(v, "validators"));
    e->dirty = 0;
    e->interval_written = (long long)iv;
    e->validators_written = validators_hash(p->state, url);
    json_decref(v);
}

/* The state consumer's messages; a partition read to its end releases
 * its sources. */
static void state_read(struct producer *p)
{
    struct fleet *f = p->fleet;
    int i;

    for (i = 0; i < POLL_BATCH && f->nloading > 0; i++) {
        rd_kafka_message_t *m = rd_kafka_consumer_poll(f->srk, 0);
        int end = 0;
        size_t j;

        if (m == NULL) {
            break;
        }
        if (m->err == RD_KAFKA_RESP_ERR_NO_ERROR) {
            state_apply(p, m);
        } else if (m->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) {
            end = 1;
        } else {
            wh_warn(FLEET_TAG, "%s: %s", f->state_topic,
                    rd_kafka_message_errstr(m));
        }
        for (j = 0; j < f->nloading; j++) {
            if (f->loading[j].partition == m->partition &&
                (end || m->offset + 1 >= f->loading[j].high)) {
                int32_t part = m->partition;

                (void)loading_end(f, part);
                wh_info(FLEET_TAG, "%s [%d]: state read", f->state_topic,
                        (int)part);
                release(p, part);
                break;
            }
        }
        rd_kafka_message_destroy(m);
    }
}

static void on_state_delivery(rd_kafka_t *rk, const rd_kafka_message_t *m,
                              void *opaque)
{
    struct fleet *f = opaque;

    (void)rk;
    if (m->err == RD_KAFKA_RESP_ERR_NO_ERROR) {
        f->state_writes++;
        wh_metrics_inc(
            wh_metrics_get(f->reg, M_STATE, WH_METRICS_LABELS("ok")));
        return;
    }
    f->state_failed++;
    wh_metrics_inc(wh_metrics_get(f->reg, M_STATE, WH_METRICS_LABELS("error")));
    wh_err(FLEET_TAG, "%s: state of %.*s not written: %s", f->state_topic,
           (int)m->key_len, m->key != NULL ? (const char *)m->key : "",
           rd_kafka_err2str(m->err));
}

/* Writes e's state to the partition of its source. */
static void state_write(struct producer *p, struct fleet_entry *e)
{
    struct fleet *f = p->fleet;
    json_t *ids = json_array();
    const char *etag = NULL;
    const char *lm = NULL;
    json_t *v;
    char *text;
    rd_kafka_resp_err_t err;
    size_t i;

    for (i = 0; i < e->nids; i++) {
        size_t k = (e->head + STATE_IDS - e->nids + i) % STATE_IDS;

        json_array_append_new(ids, json_string(e->ids[k]));
    }
    v = json_pack("{s:s, s:o, s:I, s:s, s:I}", "url", e->src->url, "ids", ids,
                  "interval_ms", (json_int_t)e->src->cur_ms, "owner", f->owner,
                  "written_at", (json_int_t)time(NULL));
    wh_state_validators(p->state, e->src->url, e->src->url, &etag, &lm);
    if (etag != NULL || lm != NULL) {
        json_object_set_new(
            v, "validators",
            json_pack("{s:s?, s:s?}", "etag", etag, "last_modified", lm));
    }
    text = json_dumps(v, JSON_COMPACT);
    json_decref(v);
    if (text == NULL) {
        return;
    }
    err = rd_kafka_producev(f->prk, RD_KAFKA_V_TOPIC(f->state_topic),
                            RD_KAFKA_V_PARTITION(e->partition),
                            RD_KAFKA_V_KEY(e->id, strlen(e->id)),
                            RD_KAFKA_V_VALUE(text, strlen(text)),
                            RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_FREE),
                            RD_KAFKA_V_END);
    if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
        free(text);
        f->state_failed++;
        wh_metrics_inc(
            wh_metrics_get(f->reg, M_STATE, WH_METRICS_LABELS("error")));
        wh_warn(FLEET_TAG, "%s: state of %s not written: %s", f->state_topic,
                e->id, rd_kafka_err2str(err));
        return;
    }
    e->dirty = 0;
    e->interval_written = e->src->cur_ms;
    e->validators_written = validators_hash(p->state, e->src->url);
}

/* Non-zero when e's source has something to write: ids, its interval or
 * its validators changed since the last write. */
static int entry_changed(struct producer *p, const struct fleet_entry *e)
{
    return e->dirty || e->src->cur_ms != e->interval_written ||
           validators_hash(p->state, e->src->url) != e->validators_written;
}

/* Writes the state of every source that changed and has nothing in
 * flight: its round over, its records delivered. */
static void state_write_due(struct producer *p)
{
    struct fleet *f = p->fleet;
    size_t i;

    for (i = 0; i < NBUCKETS; i++) {
        struct fleet_entry *e;

        for (e = f->buckets[i]; e != NULL; e = e->next) {
            const struct source *src = e->src;

            if (src != NULL && !e->held && !src->polling && src->records == 0 &&
                entry_changed(p, e)) {
                state_write(p, e);
            }
        }
    }
}

void fleet_marked(struct producer *p, const struct source *src, const char *id)
{
    struct fleet_entry *e = entry_find(p->fleet, src->name);

    if (e != NULL && e->src == src) {
        entry_id(e, id);
    }
}

/* ---- the assignment ------------------------------------------------------ */

/* Drops the sources of every partition no longer assigned; reads the
 * state of the new ones. */
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
    for (i = 0; i < f->nowned; i++) {
        if (!owns(now, n, f->owned[i])) {
            (void)loading_end(f, f->owned[i]);
        }
    }
    {
        int32_t *before = f->owned;
        size_t nbefore = f->nowned;

        f->owned = now;
        f->nowned = n;
        for (i = 0; i < n; i++) {
            if (!owns(before, nbefore, now[i])) {
                loading_start(p, now[i]);
            }
        }
        free(before);
    }
    f->rebalances++;
    wh_metrics_inc(wh_metrics_get(f->reg, M_REBALANCES, NULL, 0));
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
    state_read(p);
    if (t - f->last_write >= STATE_WRITE_MS) {
        f->last_write = t;
        state_write_due(p);
        gauges(p);
    }
    rd_kafka_poll(f->prk, 0);
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
            wh_warn(FLEET_TAG, "%s: %s", f->topic, rd_kafka_message_errstr(m));
        }
        rd_kafka_message_destroy(m);
    }
}

static void fleet_free(struct fleet *f)
{
    size_t i;

    if (f->srk != NULL) {
        (void)wh_kafka_consumer_close(f->srk, WATERMARK_TIMEOUT_MS, FLEET_TAG);
    }
    if (f->prk != NULL) {
        if (rd_kafka_flush(f->prk, WATERMARK_TIMEOUT_MS) !=
            RD_KAFKA_RESP_ERR_NO_ERROR) {
            wh_warn(FLEET_TAG, "%s: state writes left unflushed",
                    f->state_topic);
        }
        rd_kafka_destroy(f->prk);
    }
    for (i = 0; i < NBUCKETS; i++) {
        while (f->buckets[i] != NULL) {
            struct fleet_entry *e = f->buckets[i];

            f->buckets[i] = e->next;
            if (e->held) {
                source_free(e->src);
            }
            entry_free(e);
        }
    }
    free(f->loading);
    free(f->owned);
    free(f->topic);
    free(f->state_topic);
    free(f->owner);
    free(f);
}

/* The state topic: created compacted, with the sources topic's partition
 * count, when missing; a log line with the command when the broker will
 * not (the dev broker), or when it has fewer partitions than the sources
 * topic (the states of the others cannot be written). */
static void state_topic_check(struct fleet *f)
{
    char errstr[512];
    int n;
    int ns;

    n = topic_partitions(f->srk, f->topic, WATERMARK_TIMEOUT_MS, errstr,
                         sizeof(errstr));
    ns = n > 0 ? topic_partitions(f->srk, f->state_topic, WATERMARK_TIMEOUT_MS,
                                  errstr, sizeof(errstr))
               : 0;
    if (n == 0) {
        wh_warn(FLEET_TAG,
                "%s: no such topic yet (wirehose-sources add or import "
                "creates it); waiting for it",
                f->topic);
    } else if (n < 0 || ns < 0) {
        wh_warn(FLEET_TAG, "%s", errstr);
    } else if (ns == 0 && topic_create_compacted(f->prk, f->state_topic, n,
                                                 CREATE_TIMEOUT_MS, errstr,
                                                 sizeof(errstr)) == WH_OK) {
        wh_notice(FLEET_TAG, "%s: created (%d partitions, compacted)",
                  f->state_topic, n);
    } else if (ns == 0) {
        wh_warn(FLEET_TAG,
                "state topic not created: %s; create it: kafka-topics.sh "
                "--create --topic %s --partitions %d --config "
                "cleanup.policy=compact (dev broker: wirehose-devbroker "
                "--topic %s --partitions %d)",
                errstr, f->state_topic, n, f->state_topic, n);
    } else if (ns < n) {
        wh_warn(FLEET_TAG,
                "%s has %d partitions, %s %d: the state of the sources of "
                "partitions %d and above cannot be written; give it %d",
                f->state_topic, ns, f->topic, n, ns, n);
    }
}

void fleet_names(const struct wh_config *cfg, const char *topic,
                 char **sources_topic, char **state_topic, char **group)
{
    const char *stopic = wh_config_get(cfg, "sources.topic", NULL);
    const char *state = wh_config_get(cfg, "sources.state_topic", NULL);
    const char *g = wh_config_get(cfg, "sources.group", NULL);

    *sources_topic =
        stopic != NULL ? wh_xstrdup(stopic) : wh_xasprintf("%s.sources", topic);
    *state_topic =
        state != NULL ? wh_xstrdup(state) : wh_xasprintf("%s.state", topic);
    *group = g != NULL ? wh_xstrdup(g) : wh_xasprintf("%s.producers", topic);
}

int fleet_start(struct producer *p, char *errstr, size_t errstr_size)
{
    struct wh_config *cfg = wh_config_copy(p->cfg, NULL);
    rd_kafka_topic_partition_list_t *sub;
    struct fleet *f = wh_xcalloc(1, sizeof(*f));
    char *owned_group = NULL;
    const char *group;
    char *state_group;
    rd_kafka_resp_err_t err;

    fleet_names(p->cfg, p->set.topic, &f->topic, &f->state_topic, &owned_group);
    group = owned_group;
    state_group = wh_xasprintf("%s.state", group);
    /* Each assigned partition is read whole: no offset is kept. */
    if (wh_config_get(cfg, "kafka.partition.assignment.strategy", NULL) ==
        NULL) {
        (void)wh_config_set(cfg, "kafka.partition.assignment.strategy",
                            "cooperative-sticky", errstr, errstr_size);
    }
    (void)wh_config_set(cfg, "kafka.auto.offset.reset", "earliest", errstr,
                        errstr_size);
    f->rk = wh_kafka_consumer_new(cfg, group, errstr, errstr_size);
    /* The state reader assigns partitions itself (it joins no group)
     * and needs to know where each ends. */
    (void)wh_config_set(cfg, "kafka.enable.partition.eof", "true", errstr,
                        errstr_size);
    if (f->rk != NULL) {
        f->srk = wh_kafka_consumer_new(cfg, state_group, errstr, errstr_size);
    }
    wh_config_free(cfg);
    free(state_group);
    if (f->srk != NULL) {
        f->prk = wh_kafka_producer_new(p->cfg, on_state_delivery, f, errstr,
                                       errstr_size);
    }
    if (f->prk == NULL) {
        if (f->rk != NULL) {
            rd_kafka_destroy(f->rk);
        }
        free(owned_group);
        fleet_free(f);
        return WH_EINVAL;
    }
    state_topic_check(f);
    sub = rd_kafka_topic_partition_list_new(1);
    rd_kafka_topic_partition_list_add(sub, f->topic, RD_KAFKA_PARTITION_UA);
    err = rd_kafka_subscribe(f->rk, sub);
    rd_kafka_topic_partition_list_destroy(sub);
    if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
        snprintf(errstr, errstr_size, "%s: subscribe: %s", f->topic,
                 rd_kafka_err2str(err));
        rd_kafka_destroy(f->rk);
        free(owned_group);
        fleet_free(f);
        return WH_EINVAL;
    }
    {
        char host[256];

        if (gethostname(host, sizeof(host) - 1) != 0) {
            snprintf(host, sizeof(host), "?");
        }
        host[sizeof(host) - 1] = '\0';
        f->owner = wh_xasprintf("%s:%ld", host, (long)getpid());
    }
    f->reg = p->reg;
    for (size_t i = 0; f->reg != NULL && i < WH_ARRAY_SIZE(families); i++) {
        if (wh_metrics_declare(f->reg, &families[i], errstr, errstr_size) !=
            WH_OK) {
            wh_warn(FLEET_TAG, "metrics: %s", errstr);
        }
    }
    wh_info(FLEET_TAG, "sources from %s, state in %s, group %s", f->topic,
            f->state_topic, group);
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
    /* The ids come from delivery reports only: every state is whole. */
    for (i = 0; i < NBUCKETS; i++) {
        struct fleet_entry *e;

        for (e = f->buckets[i]; e != NULL; e = e->next) {
            if (e->src != NULL && !e->held && entry_changed(p, e)) {
                state_write(p, e);
            }
        }
    }
    (void)wh_kafka_consumer_close(f->rk, WATERMARK_TIMEOUT_MS, FLEET_TAG);
    fleet_free(f);
    p->fleet = NULL;
}
