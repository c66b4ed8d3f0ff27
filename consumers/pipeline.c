/*
 * pipeline.c - the stages set up for this run, in the order a record meets
 * them: the dedup and enrich stages of the table that are selected, then
 * the sinks of the configuration, then (with dedup.copies = topic) the
 * copies topic's own Kafka sink. Also the metric series each stage
 * counts into.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "consumer.h"
#include "wh/json.h"
#include "wh/log.h"
#include "wh/wh.h"

/* Counts one record leaving a stage: m_ok / m_skip / m_retry / m_reject
 * by the stage's answer (a NULL handle counts nothing). */
void count_outcome(const struct inst *in, int rc)
{
    wh_metrics_inc(rc == WH_OK       ? in->m_ok
                   : rc == WH_DROP   ? in->m_skip
                   : rc == WH_RETRY  ? in->m_retry
                   : rc == WH_REJECT ? in->m_reject
                                     : NULL);
}

/* wirehose_dedup_decisions_total: what a dedup stage made of a record,
 * read from the answer and the "dedup" member it wrote. */
void count_decision(struct wh_metrics *reg, const struct wh_record *rec, int rc)
{
    const char *d = rec->ext != NULL
                        ? json_string_value(json_object_get(rec->ext, "dedup"))
                        : NULL;
    const char *decision;

    if (reg == NULL) {
        return;
    }
    if (rc == WH_RETRY || rc == WH_FATAL) {
        decision = "error";
    } else if (d != NULL && strcmp(d, "copy") == 0) {
        decision = rc == WH_DROP ? "dropped" : "duplicate";
    } else if (rc == WH_DROP) {
        decision = "repeat";
    } else if (d != NULL && strcmp(d, "version") == 0) {
        decision = "update";
    } else if (d != NULL && strcmp(d, "skipped") == 0) {
        decision = "skipped";
    } else if (rc == WH_OK) {
        decision = "new";
    } else {
        decision = "error";
    }
    wh_metrics_inc(
        wh_metrics_get(reg, WH_M_DEDUP, WH_METRICS_LABELS(decision)));
}

/* The metric series of a stage set up for this run. */
static void inst_metrics(struct consumer *c, struct inst *in)
{
    in->m_ok =
        wh_metrics_get(c->reg, WH_M_RECORDS, WH_METRICS_LABELS(in->tag, "ok"));
    in->m_skip = wh_metrics_get(c->reg, WH_M_RECORDS,
                                WH_METRICS_LABELS(in->tag, "skip"));
    in->m_retry = wh_metrics_get(c->reg, WH_M_RECORDS,
                                 WH_METRICS_LABELS(in->tag, "retry"));
    in->m_reject = wh_metrics_get(c->reg, WH_M_RECORDS,
                                  WH_METRICS_LABELS(in->tag, "reject"));
    if (in->st->type == WH_STAGE_SINK) {
        in->m_latency = wh_metrics_get(c->reg, WH_M_SINK_LATENCY,
                                       WH_METRICS_LABELS(in->st->name));
    }
}

/* The configuration the stages see: everything but the consumer-only
 * kafka.* properties, which a sink's own producer (kafka:TOPIC, the
 * copies topic) would warn about. Kept for the life of the consumer. */
static int stage_key(const char *key)
{
    return strncmp(key, "kafka.", 6) != 0 || !consumer_only(key + 6);
}

static struct wh_config *stage_config(const struct wh_config *cfg)
{
    /* A copy keeps each value's origin, so a stage's errors say
     * file:line. */
    return wh_config_copy(cfg, stage_key);
}

/* With dedup.copies = topic (and a dedup stage running), the dedup stage
 * marks copies ("dedupRoute": "copies") and they go, instead of to the
 * sinks, to their own topic through a Kafka sink of their own: delivered
 * before their offsets are stored, like any sink. Returns WH_OK or
 * WH_EINVAL with errstr filled. */
static int copies_init(struct consumer *c, char *errstr, size_t errstr_size)
{
    const char *mode = wh_config_str(c->cfg, NULL, "dedup.copies");
    const char *topic = wh_config_get(c->cfg, "dedup.copies_topic", NULL);
    char *deflt = NULL;
    char serr[512];
    struct inst *in;
    size_t i;
    int dedup = 0;

    c->copies_at = SIZE_MAX;
    for (i = 0; i < c->first_sink; i++) {
        dedup |= c->insts[i].st->type == WH_STAGE_DEDUP;
    }
    if (!dedup || strcmp(mode, "topic") != 0) {
        return WH_OK;
    }
    if (c->ninsts == MAX_STAGES) {
        snprintf(errstr, errstr_size, "dedup.copies: at most %d stages",
                 MAX_STAGES);
        return WH_EINVAL;
    }
    if (topic == NULL) {
        const char *t = wh_config_get(c->cfg, "topic", "");

        t += strspn(t, ", ");
        deflt = wh_xasprintf("%.*s.copies", (int)strcspn(t, ", "), t);
        topic = deflt;
    }
    in = &c->insts[c->ninsts];
    snprintf(in->tag, sizeof(in->tag), "sink:copies");
    in->st = wh_stage_find(WH_STAGE_SINK, "kafka");
    WH_ASSERT(in->st != NULL);
    serr[0] = '\0';
    in->ctx = in->st->init(topic, c->stage_cfg, serr, sizeof(serr));
    if (in->ctx == NULL) {
        snprintf(errstr, errstr_size, "dedup.copies_topic %s: %s", topic, serr);
        free(deflt);
        return WH_EINVAL;
    }
    inst_metrics(c, in);
    c->copies_at = c->ninsts++;
    wh_info(TAG, "near-duplicate copies go to %s, not to the sinks", topic);
    free(deflt);
    return WH_OK;
}

/* Non-zero when a dedup stage marked the record for the copies topic. */
int is_copy(const struct wh_record *rec)
{
    const char *route =
        rec->ext != NULL
            ? json_string_value(json_object_get(rec->ext, "dedupRoute"))
            : NULL;

    return route != NULL && strcmp(route, "copies") == 0;
}

/* Sets up the dedup and enrich stages of the table, then the sinks of the
 * configuration. Returns WH_OK or an error with errstr filled. */
int stages_init(struct consumer *c, char *errstr, size_t errstr_size)
{
    c->stage_cfg = stage_config(c->cfg);
    static const enum wh_stage_type order[] = {WH_STAGE_DEDUP, WH_STAGE_ENRICH};
    const struct wh_config_entry *e;
    const struct wh_stage *st;
    char serr[512];
    size_t t, i;

    wh_json_recycle(); /* the records' trees and the stages' evidence */
    for (t = 0; t < WH_ARRAY_SIZE(order); t++) {
        for (i = 0; (st = wh_stage_at(i)) != NULL; i++) {
            struct inst *in;

            if (st->type != order[t] ||
                !wh_consumer_stage_selected(c->cfg, st)) {
                continue;
            }
            WH_ASSERT(c->ninsts < MAX_STAGES);
            in = &c->insts[c->ninsts];
            snprintf(in->tag, sizeof(in->tag), "%s:%s",
                     st->type == WH_STAGE_DEDUP ? "dedup" : "enrich", st->name);
            serr[0] = '\0';
            in->ctx = st->init(NULL, c->stage_cfg, serr, sizeof(serr));
            if (in->ctx == NULL) {
                snprintf(errstr, errstr_size, "%s: %s", in->tag, serr);
                return WH_EINVAL;
            }
            in->st = st;
            inst_metrics(c, in);
            c->ninsts++;
        }
    }
    c->first_sink = c->ninsts;
    for (e = wh_config_first(c->cfg, "sink"); e != NULL;
         e = wh_config_next(e)) {
        const char *arg;
        char *kind = wh_consumer_sink_kind(e->value, &arg);
        struct inst *in;

        st = wh_stage_find(WH_STAGE_SINK, kind);
        free(kind);
        WH_ASSERT(st != NULL); /* validate() checked */
        if (c->ninsts == MAX_STAGES) {
            snprintf(errstr, errstr_size, "%s: sink: at most %d stages",
                     e->origin, MAX_STAGES);
            return WH_EINVAL;
        }
        in = &c->insts[c->ninsts];
        snprintf(in->tag, sizeof(in->tag), "sink:%s", st->name);
        serr[0] = '\0';
        in->ctx = st->init(arg, c->stage_cfg, serr, sizeof(serr));
        if (in->ctx == NULL) {
            snprintf(errstr, errstr_size, "%s: sink %s: %s", e->origin,
                     e->value, serr);
            return WH_EINVAL;
        }
        in->st = st;
        inst_metrics(c, in);
        c->ninsts++;
    }
    return copies_init(c, errstr, errstr_size);
}

void stages_close(struct consumer *c)
{
    size_t i;

    for (i = c->ninsts; i > 0; i--) {
        c->insts[i - 1].st->close(c->insts[i - 1].ctx);
    }
    c->ninsts = 0;
}
