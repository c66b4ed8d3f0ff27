/*
 * dlq.c - the dead-letter path. A message that is not a record, or that
 * a stage refuses for good (WH_REJECT, or a sink's refusal reported after
 * it accepted the record), goes to the dead-letter topic as it was (key,
 * bytes, headers) with wh.dlq.* headers saying why; its offset is stored
 * only once that delivery is reported. dlq.topic = off turns it off.
 */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "consumer.h"
#include "wh/kafka.h"
#include "wh/log.h"
#include "wh/wh.h"

/* Dead-letter delivery reports (served by rd_kafka_poll / rd_kafka_flush
 * on the main thread). A failed one stops the consumer before the offset
 * of its record is stored: the record is consumed again after a restart. */
static void dlq_dr_cb(rd_kafka_t *rk, const rd_kafka_message_t *rkm,
                      void *opaque)
{
    struct consumer *c = opaque;

    (void)rk;
    c->dlq_outstanding--;
    if (rkm->err != RD_KAFKA_RESP_ERR_NO_ERROR) {
        wh_err("dlq", "%s: delivery failed: %s", rd_kafka_topic_name(rkm->rkt),
               rd_kafka_err2str(rkm->err));
        c->dlq_failed = 1;
    }
}

/* Consumer-only librdkafka properties, kept away from the dead-letter
 * producer (which would warn about each). */
int consumer_only(const char *prop)
{
    static const char *const names[] = {
        "group.id",
        "group.instance.id",
        "session.timeout.ms",
        "heartbeat.interval.ms",
        "max.poll.interval.ms",
        "auto.offset.reset",
        "enable.auto.commit",
        "auto.commit.interval.ms",
        "enable.auto.offset.store",
        "enable.partition.eof",
        "partition.assignment.strategy",
        "isolation.level",
        "check.crcs",
        "allow.auto.create.topics",
        "queued.min.messages",
        "queued.max.messages.kbytes",
        "coordinator.query.interval.ms",
        "group.protocol.type",
        "consume.callback.max.messages",
    };
    size_t i;

    if (strncmp(prop, "fetch.", 6) == 0) {
        return 1;
    }
    for (i = 0; i < WH_ARRAY_SIZE(names); i++) {
        if (strcmp(prop, names[i]) == 0) {
            return 1;
        }
    }
    return 0;
}

/* Creates the dead-letter producer from the brokers and the kafka.* keys
 * that apply to producers, unless dlq.topic is "off". */
int dlq_init(struct consumer *c, char *errstr, size_t errstr_size)
{
    const char *topic = wh_config_get(c->cfg, "dlq.topic", NULL);
    const struct wh_config_entry *e;
    struct wh_config *pcfg;
    int rc = WH_OK;

    if (topic != NULL && strcmp(topic, "off") == 0) {
        return WH_OK;
    }
    c->dlq_topic = topic;
    pcfg = wh_config_new(wh_consumer_config_keys());
    rc = wh_config_set(pcfg, "brokers", wh_config_get(c->cfg, "brokers", ""),
                       errstr, errstr_size);
    for (e = c->cfg->head; e != NULL && rc == WH_OK; e = e->next) {
        if (strncmp(e->key, "kafka.", 6) == 0 && !consumer_only(e->key + 6)) {
            rc = wh_config_set(pcfg, e->key, e->value, errstr, errstr_size);
        }
    }
    if (rc == WH_OK) {
        c->dlq_rk =
            wh_kafka_producer_new(pcfg, dlq_dr_cb, c, errstr, errstr_size);
        if (c->dlq_rk == NULL) {
            rc = WH_EINVAL;
        }
    }
    wh_config_free(pcfg);
    return rc;
}

rd_kafka_headers_t *dlq_headers(const rd_kafka_headers_t *orig,
                                const char *src_topic, int32_t partition,
                                int64_t offset, const char *reason,
                                const char *stage, const char *detail)
{
    rd_kafka_headers_t *hdrs;
    char num[32];
    char now[21];

    hdrs = orig != NULL ? rd_kafka_headers_copy(orig) : rd_kafka_headers_new(8);
    rd_kafka_header_add(hdrs, "wh.dlq.reason", -1, reason, -1);
    rd_kafka_header_add(hdrs, "wh.dlq.detail", -1, detail, -1);
    if (stage != NULL) {
        rd_kafka_header_add(hdrs, "wh.dlq.stage", -1, stage, -1);
    }
    rd_kafka_header_add(hdrs, "wh.dlq.topic", -1, src_topic, -1);
    snprintf(num, sizeof(num), "%d", (int)partition);
    rd_kafka_header_add(hdrs, "wh.dlq.partition", -1, num, -1);
    snprintf(num, sizeof(num), "%lld", (long long)offset);
    rd_kafka_header_add(hdrs, "wh.dlq.offset", -1, num, -1);
    wh_now_rfc3339(now);
    rd_kafka_header_add(hdrs, "wh.dlq.time", -1, now, -1);
    return hdrs;
}

/* Sends message rkm of topic to the dead-letter topic: the original key,
 * bytes and headers, plus wh.dlq.* headers saying why. Its offset is
 * stored only once the delivery is reported (flush_all()). Returns WH_OK,
 * or WH_FATAL when it cannot even be queued. */
int dead_letter(struct consumer *c, const rd_kafka_message_t *rkm,
                const char *src_topic, const char *reason, const char *stage,
                const char *detail)
{
    rd_kafka_headers_t *orig = NULL;
    rd_kafka_headers_t *hdrs;
    rd_kafka_resp_err_t err;
    char *topic;
    int tries;

    if (c->dlq_rk == NULL) {
        return WH_OK;
    }
    topic = c->dlq_topic != NULL ? wh_xstrdup(c->dlq_topic)
                                 : wh_xasprintf("%s.dlq", src_topic);
    if (rd_kafka_message_headers(rkm, &orig) != RD_KAFKA_RESP_ERR_NO_ERROR) {
        orig = NULL;
    }
    hdrs = dlq_headers(orig, src_topic, rkm->partition, rkm->offset, reason,
                       stage, detail);

    for (tries = 0;; tries++) {
        err = rd_kafka_producev(c->dlq_rk, RD_KAFKA_V_TOPIC(topic),
                                RD_KAFKA_V_KEY(rkm->key, rkm->key_len),
                                RD_KAFKA_V_VALUE(rkm->payload, rkm->len),
                                RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
                                RD_KAFKA_V_HEADERS(hdrs), RD_KAFKA_V_END);
        if (err != RD_KAFKA_RESP_ERR__QUEUE_FULL || tries == 100) {
            break;
        }
        rd_kafka_poll(c->dlq_rk, 100);
    }
    if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
        rd_kafka_headers_destroy(hdrs); /* still ours on failure */
        wh_err("dlq", "%s: cannot queue %s [%d] @ %lld: %s", topic, src_topic,
               (int)rkm->partition, (long long)rkm->offset,
               rd_kafka_err2str(err));
        free(topic);
        c->fatal = 1;
        return WH_FATAL;
    }
    c->dlq_outstanding++;
    c->n_dead++;
    wh_metrics_inc(
        wh_metrics_get(c->reg, WH_M_DEAD_LETTERS, WH_METRICS_LABELS(reason)));
    wh_info("dlq", "%s [%d] @ %lld -> %s: %s", src_topic, (int)rkm->partition,
            (long long)rkm->offset, topic, reason);
    free(topic);
    return WH_OK;
}

/* The dead-letter reason code of a message wh_record_parse() refused. */
const char *bad_reason(const rd_kafka_message_t *rkm)
{
    json_error_t jerr;
    json_t *doc;

    if (rkm->payload == NULL || rkm->len == 0) {
        return "empty";
    }
    doc = json_loadb(rkm->payload, rkm->len, 0, &jerr);
    if (doc == NULL) {
        return "not_json";
    }
    json_decref(doc);
    return "invalid_record";
}

/* A sink refused the record of token for good after accepting it (see
 * struct wh_msg_meta): dead-letters it, once, with the sink's reason.
 * Called from inside a sink's process() or flush() on the main thread. */
void reject_cb(void *opaque, uint64_t token, const char *reason)
{
    struct consumer *c = opaque;
    const char *tag = c->cur_tag != NULL ? c->cur_tag : "sink";
    size_t i;

    for (i = 0; i < c->npends; i++) {
        struct pend *e = &c->pends[i];

        if (e->token != token) {
            continue;
        }
        if (e->rejected) {
            return;
        }
        wh_warn(tag, "%s [%d] @ %lld: refused after it was accepted: %s",
                rd_kafka_topic_name(e->rkm->rkt), (int)e->rkm->partition,
                (long long)e->rkm->offset, reason);
        e->rejected = 1;
        if (c->unflushed_written > 0) {
            c->unflushed_written--;
        }
        c->n_rejected++;
        (void)dead_letter(c, e->rkm, rd_kafka_topic_name(e->rkm->rkt),
                          "rejected", tag, reason);
        return;
    }
    /* Not finished yet: held for another sink's retry. */
    for (i = 0; i < c->nparts; i++) {
        struct work *w = &c->parts[i].held;

        if (w->rkm == NULL || w->token != token) {
            continue;
        }
        if (w->rejected) {
            return;
        }
        wh_warn(tag, "%s [%d] @ %lld: refused after it was accepted: %s",
                c->parts[i].topic, (int)w->rkm->partition,
                (long long)w->rkm->offset, reason);
        if (dead_letter(c, w->rkm, c->parts[i].topic, "rejected", tag,
                        reason) == WH_OK) {
            w->rejected = 1;
        }
        return;
    }
    wh_warn(tag,
            "a record refused after it was accepted is no longer "
            "held (its partition was revoked; the new owner reads it "
            "again): %s",
            reason);
}
