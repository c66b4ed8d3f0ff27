/*
 * partitions.c - what the consumer knows of each partition: the record it
 * holds for a retry (the partition paused meanwhile, with backoff), the
 * offset to store once flushed, and the assignment it follows (handed to
 * lag.c, which reports the lag).
 */
#include <stdlib.h>
#include <string.h>

#include "consumer.h"
#include "wh/backoff.h"
#include "wh/log.h"
#include "wh/wh.h"

struct part *part_get(struct consumer *c, const char *topic, int32_t partition)
{
    struct part *p;
    size_t i;

    for (i = 0; i < c->nparts; i++) {
        if (c->parts[i].partition == partition &&
            strcmp(c->parts[i].topic, topic) == 0) {
            return &c->parts[i];
        }
    }
    if (c->nparts == c->parts_cap) {
        c->parts_cap = c->parts_cap != 0 ? c->parts_cap * 2 : 16;
        c->parts = wh_xrealloc(c->parts, c->parts_cap * sizeof(*c->parts));
    }
    p = &c->parts[c->nparts++];
    memset(p, 0, sizeof(*p));
    p->topic = wh_xstrdup(topic);
    p->partition = partition;
    p->reread = -1;
    return p;
}

void work_clear(struct work *w)
{
    wh_record_free(w->rec);
    if (w->rkm != NULL) {
        rd_kafka_message_destroy(w->rkm);
    }
    memset(w, 0, sizeof(*w));
}

/* Pauses or resumes one partition. */
static void part_pause(struct consumer *c, struct part *p, int pause)
{
    rd_kafka_topic_partition_list_t *list;
    rd_kafka_resp_err_t err;

    list = rd_kafka_topic_partition_list_new(1);
    rd_kafka_topic_partition_list_add(list, p->topic, p->partition);
    err = pause ? rd_kafka_pause_partitions(c->rk, list)
                : rd_kafka_resume_partitions(c->rk, list);
    if (err == RD_KAFKA_RESP_ERR_NO_ERROR) {
        err = list->elems[0].err;
    }
    if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
        wh_warn(TAG, "%s [%d]: %s: %s", p->topic, (int)p->partition,
                pause ? "pause" : "resume", rd_kafka_err2str(err));
    }
    p->paused = pause;
    rd_kafka_topic_partition_list_destroy(list);
}

/* Re-reads a partition from p->reread: a safety net should a message
 * have arrived while the partition was paused. */
static void part_reread(struct consumer *c, struct part *p)
{
    rd_kafka_topic_partition_list_t *list;
    rd_kafka_error_t *error;

    list = rd_kafka_topic_partition_list_new(1);
    rd_kafka_topic_partition_list_add(list, p->topic, p->partition)->offset =
        p->reread;
    error = rd_kafka_seek_partitions(c->rk, list, 5000);
    if (error != NULL) {
        wh_err(TAG, "%s [%d]: seek to %lld: %s", p->topic, (int)p->partition,
               (long long)p->reread, rd_kafka_error_string(error));
        rd_kafka_error_destroy(error);
    }
    rd_kafka_topic_partition_list_destroy(list);
    p->reread = -1;
}

/* The record of p->held (or a bad message) is fully handled: its offset
 * may be stored with the next successful flush. */
void part_finish(struct consumer *c, struct part *p, int64_t offset)
{
    c->progress_at = wh_now_ms();
    p->next = offset + 1;
    p->dirty = 1;
    if (c->pending == 0) {
        c->first_pending_at = wh_now_ms();
    }
    c->pending++;
    work_clear(&p->held);
    p->backoff_ms = 0;
    if (p->paused) {
        part_pause(c, p, 0);
        if (p->reread >= 0) {
            part_reread(c, p);
        }
    }
}

void part_hold(struct consumer *c, struct part *p, const char *tag,
               const char *reason)
{
    int first = p->backoff_ms == 0;

    if (!p->paused) {
        part_pause(c, p, 1);
    }
    p->backoff_ms =
        (int)wh_backoff_double(p->backoff_ms, BACKOFF_MIN_MS, BACKOFF_MAX_MS);
    p->retry_at = wh_now_ms() + p->backoff_ms;
    /* Once a hold; the retries that fail again are debug lines (the
     * stage's outage is logged once, by dep_report()). */
    wh_log(first ? WH_LOG_WARNING : WH_LOG_DEBUG, tag,
           "%s [%d] @ %lld: %s; partition paused, retry in %d ms", p->topic,
           (int)p->partition, (long long)p->held.rkm->offset, reason,
           p->backoff_ms);
}

/* Follows the assignment: partitions we no longer own lose what we held
 * for them (their new owner reads them from the committed offset). */
void sync_assignment(struct consumer *c)
{
    rd_kafka_topic_partition_list_t *list = NULL;
    rd_kafka_resp_err_t err;
    size_t i;
    int j;

    err = rd_kafka_assignment(c->rk, &list);
    if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
        wh_warn(TAG, "assignment: %s", rd_kafka_err2str(err));
        return;
    }
    for (i = 0; i < c->nparts; i++) {
        c->parts[i].assigned = 0;
    }
    for (j = 0; j < list->cnt; j++) {
        part_get(c, list->elems[j].topic, list->elems[j].partition)->assigned =
            1;
    }
    c->nassigned = (size_t)list->cnt;
    lag_watch_assign(c->lag, list);
    rd_kafka_topic_partition_list_destroy(list);
    for (i = 0; i < c->nparts; i++) {
        struct part *p = &c->parts[i];

        if (p->assigned) {
            continue;
        }
        if (p->held.rkm != NULL) {
            wh_info(TAG,
                    "%s [%d]: revoked; its new owner will retry "
                    "offset %lld",
                    p->topic, (int)p->partition,
                    (long long)p->held.rkm->offset);
            work_clear(&p->held);
        }
        p->eof = 0;
        p->dirty = 0;
        p->paused = 0;
        p->backoff_ms = 0;
        p->reread = -1;
    }
}

/* Something waits for a stage: a held record or an unstored flush. */
int stuck(const struct consumer *c)
{
    size_t i;

    if (c->pending > 0 && c->flush_retry_at > 0) {
        return 1;
    }
    for (i = 0; i < c->nparts; i++) {
        if (c->parts[i].held.rkm != NULL) {
            return 1;
        }
    }
    return 0;
}

/* --once: every assigned partition is at its end and nothing waits. */
int caught_up(const struct consumer *c)
{
    size_t i;

    if (c->nassigned == 0) {
        return 0;
    }
    for (i = 0; i < c->nparts; i++) {
        const struct part *p = &c->parts[i];

        if (p->assigned && (!p->eof || p->held.rkm != NULL)) {
            return 0;
        }
    }
    return 1;
}

int subscribe(struct consumer *c, char *errstr, size_t errstr_size)
{
    rd_kafka_topic_partition_list_t *list;
    rd_kafka_resp_err_t err;
    char *topics = wh_xstrdup(wh_config_get(c->cfg, "topic", ""));
    char *save = NULL;
    char *t;

    list = rd_kafka_topic_partition_list_new(1);
    for (t = strtok_r(topics, ", ", &save); t != NULL;
         t = strtok_r(NULL, ", ", &save)) {
        rd_kafka_topic_partition_list_add(list, t, RD_KAFKA_PARTITION_UA);
    }
    err = rd_kafka_subscribe(c->rk, list);
    rd_kafka_topic_partition_list_destroy(list);
    free(topics);
    if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
        snprintf(errstr, errstr_size, "subscribe: %s", rd_kafka_err2str(err));
        return WH_EINVAL;
    }
    return WH_OK;
}
