/*
 * engine.c - the at-least-once engine: each message parsed into a record
 * and taken through the stages (dedup and enrich in order, then every
 * sink); a record a stage cannot take yet is held for a retry; the
 * message of every record the sinks took is kept until the flush covering
 * it succeeded (so a refusal reported at flush time can dead-letter it),
 * and only then are the partitions' offsets stored.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "consumer.h"
#include "wh/backoff.h"
#include "wh/json.h"
#include "wh/log.h"
#include "wh/wh.h"

static void meta_of(struct consumer *c, const struct work *w, const char *topic,
                    struct wh_msg_meta *meta)
{
    const rd_kafka_message_t *rkm = w->rkm;

    meta->token = w->token;
    meta->reject = reject_cb;
    meta->reject_opaque = c;
    meta->topic = topic;
    meta->partition = rkm->partition;
    meta->offset = rkm->offset;
    meta->key = rkm->key;
    meta->key_len = rkm->key_len;
    meta->payload = rkm->payload;
    meta->len = rkm->len;
}

/* Keeps the message of a record the sinks took until the next successful
 * flush (takes ownership of w->rkm). */
static void pend_add(struct consumer *c, struct work *w)
{
    struct pend *e;

    if (c->npends == c->pends_cap) {
        c->pends_cap = c->pends_cap != 0 ? c->pends_cap * 2 : 64;
        c->pends = wh_xrealloc(c->pends, c->pends_cap * sizeof(*c->pends));
    }
    e = &c->pends[c->npends++];
    e->rkm = w->rkm;
    e->token = w->token;
    e->rejected = w->rejected;
    w->rkm = NULL;
}

void pends_clear(struct consumer *c)
{
    size_t i;

    for (i = 0; i < c->npends; i++) {
        rd_kafka_message_destroy(c->pends[i].rkm);
    }
    c->npends = 0;
}

/* Logs a stage's answer about the held record of p: a refusal for good
 * (WH_REJECT, a warning) or a failure that stops the daemon (anything
 * else, an error; sets c->fatal). */
static void stage_said(struct consumer *c, const struct part *p,
                       const struct inst *in, int rc, const char *errstr)
{
    long long offset = (long long)p->held.rkm->offset;

    if (rc == WH_REJECT) {
        wh_warn(in->tag, "%s [%d] @ %lld: rejected: %s", p->topic,
                (int)p->partition, offset, errstr);
        return;
    }
    wh_err(in->tag, "%s [%d] @ %lld: %s: %s", p->topic, (int)p->partition,
           offset, wh_strerror(rc), errstr);
    c->fatal = 1;
}

/* Takes p->held through the stages it has not been through yet. */
static void advance(struct consumer *c, struct part *p)
{
    struct work *w = &p->held;
    struct wh_msg_meta meta;
    char errstr[512];
    char retry_reason[512];
    const char *retry_tag = NULL;
    int64_t offset = w->rkm->offset;
    double t0;
    size_t i;
    int copy;
    int rc;

    meta_of(c, w, p->topic, &meta);
    while (w->pos < c->first_sink) {
        struct inst *in = &c->insts[w->pos];

        errstr[0] = '\0';
        rc = in->st->process(in->ctx, w->rec, &meta, errstr, sizeof(errstr));
        count_outcome(in, rc);
        if (in->st->type == WH_STAGE_DEDUP) {
            count_decision(c->reg, w->rec, rc);
        }
        if (rc != WH_RETRY && in->down) {
            dep_report(c, in, 1, NULL);
        }
        if (rc == WH_OK) {
            w->pos++;
        } else if (rc == WH_DROP) {
            if (in->st->type == WH_STAGE_DEDUP) {
                c->n_dup++;
            } else {
                c->n_dropped++;
            }
            part_finish(c, p, offset);
            return;
        } else if (rc == WH_REJECT) {
            stage_said(c, p, in, rc, errstr);
            c->n_rejected++;
            if (dead_letter(c, w->rkm, p->topic, "rejected", in->tag, errstr) ==
                WH_OK) {
                part_finish(c, p, offset);
            }
            return;
        } else if (rc == WH_RETRY) {
            dep_report(c, in, 0, errstr);
            part_hold(c, p, in->tag, errstr);
            return;
        } else {
            stage_said(c, p, in, rc, errstr);
            return;
        }
    }
    copy = c->copies_at != SIZE_MAX && is_copy(w->rec);
    for (i = c->first_sink; i < c->ninsts; i++) {
        struct inst *in = &c->insts[i];

        if ((w->done & ((uint64_t)1 << i)) != 0 ||
            (c->copies_at != SIZE_MAX && copy != (i == c->copies_at))) {
            continue;
        }
        errstr[0] = '\0';
        c->cur_tag = in->tag;
        t0 = c->reg != NULL ? wh_now_s() : 0;
        rc = in->st->process(in->ctx, w->rec, &meta, errstr, sizeof(errstr));
        if (c->reg != NULL) {
            wh_metrics_observe(in->m_latency, wh_now_s() - t0);
        }
        c->cur_tag = NULL;
        count_outcome(in, rc);
        if (c->fatal) {
            return;
        }
        if (rc != WH_RETRY && in->down) {
            dep_report(c, in, 1, NULL);
        }
        if (rc == WH_OK || rc == WH_DROP) {
            w->done |= (uint64_t)1 << i;
        } else if (rc == WH_REJECT) {
            stage_said(c, p, in, rc, errstr);
            if (!w->rejected && dead_letter(c, w->rkm, p->topic, "rejected",
                                            in->tag, errstr) != WH_OK) {
                return;
            }
            w->rejected = 1;
            w->done |= (uint64_t)1 << i;
        } else if (rc == WH_RETRY) {
            dep_report(c, in, 0, errstr);
            if (retry_tag == NULL) {
                retry_tag = in->tag;
                snprintf(retry_reason, sizeof(retry_reason), "%s", errstr);
            }
        } else {
            stage_said(c, p, in, rc, errstr);
            return;
        }
    }
    if (retry_tag != NULL) {
        part_hold(c, p, retry_tag, retry_reason);
        return;
    }
    if (w->rejected) {
        c->n_rejected++;
    } else {
        c->unflushed_written++;
    }
    pend_add(c, w);
    part_finish(c, p, offset);
}

/* Parses the message into p->held.rec and checks it strictly
 * (wh_record_check()): a record that fails is a dead letter
 * "invalid_record" with the first failing field in its detail, and
 * reaches no stage. Returns WH_OK (p->held.rec set), WH_DROP (failed the
 * check: handled) or WH_EINVAL (not a record: errstr says why). */
static int read_record(struct consumer *c, struct part *p,
                       rd_kafka_message_t *rkm, const char *topic, char *errstr,
                       size_t errstr_size)
{
    char field[128];
    char why[384];
    char detail[520];
    json_t *doc;
    int rc;

    /* what json_loadb(..., JSON_REJECT_DUPLICATES, ...) accepts, read a
     * run at a time: a third of the instructions it takes */
    doc = wh_json_parse(rkm->payload, rkm->len, errstr, errstr_size);
    if (doc == NULL) {
        return WH_EINVAL;
    }
    rc = wh_record_check(doc, field, sizeof(field), why, sizeof(why));
    if (rc == WH_OK) {
        p->held.rec = wh_record_from_json(doc, errstr, errstr_size);
        if (p->held.rec != NULL) {
            wh_record_mark_filled(p->held.rec, doc);
        }
        json_decref(doc);
        return p->held.rec != NULL ? WH_OK : WH_EINVAL;
    }
    json_decref(doc);
    snprintf(detail, sizeof(detail), "%s: %s", field, why);
    wh_warn(TAG, "%s [%d] @ %lld: not a record, skipped (invalid_record): %s",
            topic, (int)rkm->partition, (long long)rkm->offset, detail);
    c->n_bad++;
    wh_metrics_inc(c->m_in_bad);
    if (dead_letter(c, rkm, topic, "invalid_record", NULL, detail) == WH_OK) {
        part_finish(c, p, rkm->offset);
    }
    return WH_DROP;
}

void handle_message(struct consumer *c, rd_kafka_message_t *rkm)
{
    const char *topic = rd_kafka_topic_name(rkm->rkt);
    struct part *p = part_get(c, topic, rkm->partition);
    char errstr[512];

    p->eof = 0;
    if (p->held.rkm != NULL) {
        /* Cannot happen while the partition is paused; never skip it. */
        wh_err(TAG,
               "%s [%d] @ %lld: arrived while %lld waits; will read "
               "it again",
               topic, (int)rkm->partition, (long long)rkm->offset,
               (long long)p->held.rkm->offset);
        if (p->reread < 0 || rkm->offset < p->reread) {
            p->reread = rkm->offset;
        }
        rd_kafka_message_destroy(rkm);
        return;
    }
    c->n_in++;
    p->held.rkm = rkm;
    p->held.token = ++c->next_token;
    if (rkm->payload == NULL || rkm->len == 0) {
        snprintf(errstr, sizeof(errstr), "empty message");
    } else if (read_record(c, p, rkm, topic, errstr, sizeof(errstr)) ==
               WH_DROP) {
        return; /* dead-lettered as invalid_record */
    }
    if (p->held.rec == NULL) {
        wh_warn(TAG, "%s [%d] @ %lld: not a record, skipped: %s", topic,
                (int)rkm->partition, (long long)rkm->offset, errstr);
        c->n_bad++;
        wh_metrics_inc(c->m_in_bad);
        if (dead_letter(c, rkm, topic, bad_reason(rkm), NULL, errstr) ==
            WH_OK) {
            part_finish(c, p, rkm->offset);
        }
        return;
    }
    wh_metrics_inc(c->m_in_ok);
    advance(c, p);
}

void handle_event(struct consumer *c, rd_kafka_message_t *rkm)
{
    const char *topic = rkm->rkt != NULL ? rd_kafka_topic_name(rkm->rkt) : NULL;

    if (rkm->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) {
        if (topic != NULL) {
            part_get(c, topic, rkm->partition)->eof = 1;
            wh_debug(TAG, "%s [%d]: at the end (offset %lld)", topic,
                     (int)rkm->partition, (long long)rkm->offset);
        }
    } else if (topic != NULL) {
        wh_err(TAG, "%s: %s", topic, rd_kafka_message_errstr(rkm));
    } else {
        wh_err(TAG, "%s", rd_kafka_message_errstr(rkm));
    }
    rd_kafka_message_destroy(rkm);
}

/* Flushes every stage, then stores the offsets of what is now durable.
 * Returns WH_OK, WH_RETRY (try again later) or WH_FATAL. */
int flush_all(struct consumer *c)
{
    rd_kafka_topic_partition_list_t *list;
    rd_kafka_resp_err_t err;
    char errstr[512];
    double t0;
    size_t i;
    int j;
    int rc;
    int retry = 0;

    for (i = 0; i < c->ninsts; i++) {
        struct inst *in = &c->insts[i];

        if (in->st->flush == NULL) {
            continue;
        }
        errstr[0] = '\0';
        c->cur_tag = in->tag;
        t0 = c->reg != NULL ? wh_now_s() : 0;
        rc = in->st->flush(in->ctx, errstr, sizeof(errstr));
        if (c->reg != NULL) {
            wh_metrics_observe(in->m_latency, wh_now_s() - t0);
        }
        c->cur_tag = NULL;
        if (c->fatal) {
            return WH_FATAL; /* a dead letter could not be queued */
        }
        if (rc != WH_RETRY && in->down) {
            dep_report(c, in, 1, NULL);
        }
        if (rc == WH_OK || rc == WH_DROP) {
            continue;
        }
        if (rc == WH_REJECT) {
            /* Records refused for good at flush time, each already sent
             * to the dead-letter topic through reject_cb(); the rest is
             * durable. */
            wh_notice(in->tag, "flush: %s", errstr);
            continue;
        }
        if (rc == WH_RETRY) {
            /* Flush the other stages anyway: they may make progress.
             * The outage is logged once, as a change of state. */
            wh_debug(in->tag, "flush: %s", errstr);
            dep_report(c, in, 0, errstr);
            retry = 1;
            continue;
        }
        wh_err(in->tag, "flush: %s: %s", wh_strerror(rc), errstr);
        c->fatal = 1;
        return WH_FATAL;
    }
    if (c->dlq_rk != NULL && c->dlq_outstanding > 0) {
        rd_kafka_flush(c->dlq_rk, DLQ_FLUSH_MS);
    }
    if (c->dlq_failed) {
        c->fatal = 1;
        return WH_FATAL;
    }
    if (retry) {
        int first = c->flush_backoff_ms == 0;

        c->flush_backoff_ms = (int)wh_backoff_double(
            c->flush_backoff_ms, BACKOFF_MIN_MS, BACKOFF_MAX_MS);
        c->flush_retry_at = wh_now_ms() + c->flush_backoff_ms;
        wh_log(first ? WH_LOG_WARNING : WH_LOG_DEBUG, TAG,
               "%zu record(s) wait for the sinks; offsets not stored; "
               "retry in %d ms",
               c->pending, c->flush_backoff_ms);
        return WH_RETRY;
    }
    if (c->dlq_outstanding > 0) {
        c->flush_backoff_ms = (int)wh_backoff_double(
            c->flush_backoff_ms, BACKOFF_MIN_MS, BACKOFF_MAX_MS);
        c->flush_retry_at = wh_now_ms() + c->flush_backoff_ms;
        wh_warn("dlq", "%ld dead letter(s) not yet delivered; retry in %d ms",
                c->dlq_outstanding, c->flush_backoff_ms);
        return WH_RETRY;
    }
    c->flush_backoff_ms = 0;
    c->flush_retry_at = 0;
    c->n_written += c->unflushed_written;
    c->unflushed_written = 0;

    list = rd_kafka_topic_partition_list_new(4);
    for (i = 0; i < c->nparts; i++) {
        struct part *p = &c->parts[i];

        if (p->dirty && p->assigned) {
            rd_kafka_topic_partition_list_add(list, p->topic, p->partition)
                ->offset = p->next;
        }
        p->dirty = 0;
    }
    if (list->cnt > 0) {
        err = rd_kafka_offsets_store(c->rk, list);
        for (j = 0; j < list->cnt; j++) {
            if (list->elems[j].err != RD_KAFKA_RESP_ERR_NO_ERROR) {
                /* Typically revoked in the meantime: the new owner
                 * consumes from the committed offset. */
                wh_info(TAG, "%s [%d]: offset %lld not stored: %s",
                        list->elems[j].topic, (int)list->elems[j].partition,
                        (long long)list->elems[j].offset,
                        rd_kafka_err2str(list->elems[j].err));
            }
        }
        if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
            wh_debug(TAG, "offsets store: %s", rd_kafka_err2str(err));
        }
    }
    rd_kafka_topic_partition_list_destroy(list);
    if (c->pending > 0) {
        c->progress_at = wh_now_ms();
    }
    c->pending = 0;
    pends_clear(c);
    return WH_OK;
}

void maybe_flush(struct consumer *c, int64_t now)
{
    if (c->pending == 0 || now < c->flush_retry_at) {
        return;
    }
    if ((long long)c->pending >= c->flush_records ||
        now - c->first_pending_at >= c->flush_ms) {
        (void)flush_all(c);
    }
}

void retry_held(struct consumer *c, int64_t now)
{
    size_t i;

    for (i = 0; i < c->nparts && !c->fatal; i++) {
        struct part *p = &c->parts[i];

        if (p->held.rkm != NULL && now >= p->retry_at) {
            advance(c, p);
        }
    }
}
