/*
 * topic_read.c - a fleet's compacted topics: read whole, up to the end
 * they have when the read starts; created when missing (topic_read.h).
 */
#include <stdlib.h>

#include <jansson.h>

#include "topic_read.h"
#include "wh/log.h"
#include "wh/wh.h"

int topic_partitions(rd_kafka_t *rk, const char *topic, int timeout_ms,
                     char *errstr, size_t errstr_size)
{
    const struct rd_kafka_metadata *md = NULL;
    rd_kafka_topic_t *rkt = rd_kafka_topic_new(rk, topic, NULL);
    rd_kafka_resp_err_t err = rd_kafka_metadata(rk, 0, rkt, &md, timeout_ms);
    int n = -1;

    rd_kafka_topic_destroy(rkt);
    if (err == RD_KAFKA_RESP_ERR_NO_ERROR && md->topic_cnt == 1) {
        err = md->topics[0].err;
        n = md->topics[0].partition_cnt;
    }
    if (err == RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART ||
        (err == RD_KAFKA_RESP_ERR_NO_ERROR && n == 0)) {
        n = 0;
    } else if (err != RD_KAFKA_RESP_ERR_NO_ERROR || n < 0) {
        wh_errf(errstr, errstr_size, "%s: no metadata: %s", topic,
                rd_kafka_err2str(err));
        n = -1;
    }
    if (md != NULL) {
        rd_kafka_metadata_destroy(md);
    }
    return n;
}

int topic_create_compacted(rd_kafka_t *rk, const char *topic, int partitions,
                           int timeout_ms, char *errstr, size_t errstr_size)
{
    rd_kafka_NewTopic_t *nt;
    rd_kafka_AdminOptions_t *opts;
    rd_kafka_queue_t *q;
    rd_kafka_event_t *ev;
    const rd_kafka_CreateTopics_result_t *res;
    const rd_kafka_topic_result_t **tr;
    size_t n = 0;
    char why[256];
    int rc = WH_EIO;

    /* Replication factor -1: the broker's default. */
    nt = rd_kafka_NewTopic_new(topic, partitions, -1, why, sizeof(why));
    if (nt == NULL) {
        wh_errf(errstr, errstr_size, "%s: %s", topic, why);
        return WH_EIO;
    }
    (void)rd_kafka_NewTopic_set_config(nt, "cleanup.policy", "compact");
    opts = rd_kafka_AdminOptions_new(rk, RD_KAFKA_ADMIN_OP_CREATETOPICS);
    (void)rd_kafka_AdminOptions_set_request_timeout(opts, timeout_ms, why,
                                                    sizeof(why));
    q = rd_kafka_queue_new(rk);
    rd_kafka_CreateTopics(rk, &nt, 1, opts, q);
    ev = rd_kafka_queue_poll(q, timeout_ms + 1000);
    res = ev != NULL ? rd_kafka_event_CreateTopics_result(ev) : NULL;
    tr = res != NULL ? rd_kafka_CreateTopics_result_topics(res, &n) : NULL;
    if (ev == NULL) {
        wh_errf(errstr, errstr_size, "%s: no answer to CreateTopics", topic);
    } else if (rd_kafka_event_error(ev) != RD_KAFKA_RESP_ERR_NO_ERROR) {
        wh_errf(errstr, errstr_size, "%s: %s", topic,
                rd_kafka_event_error_string(ev));
    } else if (n == 1 &&
               rd_kafka_topic_result_error(tr[0]) !=
                   RD_KAFKA_RESP_ERR_NO_ERROR &&
               rd_kafka_topic_result_error(tr[0]) !=
                   RD_KAFKA_RESP_ERR_TOPIC_ALREADY_EXISTS) {
        wh_errf(errstr, errstr_size, "%s: %s", topic,
                rd_kafka_topic_result_error_string(tr[0]) != NULL
                    ? rd_kafka_topic_result_error_string(tr[0])
                    : rd_kafka_err2str(rd_kafka_topic_result_error(tr[0])));
    } else {
        rc = WH_OK;
    }
    if (ev != NULL) {
        rd_kafka_event_destroy(ev);
    }
    rd_kafka_queue_destroy(q);
    rd_kafka_AdminOptions_destroy(opts);
    rd_kafka_NewTopic_destroy(nt);
    return rc;
}

int topic_read(rd_kafka_t *rk, const char *topic, int32_t only, int timeout_ms,
               topic_read_cb on_msg, void *opaque, int *npartitions,
               char *errstr, size_t errstr_size)
{
    rd_kafka_topic_partition_list_t *parts = NULL;
    int64_t *high = NULL;
    size_t left = 0;
    int np;
    int rc = WH_EIO;
    int i;

    np = topic_partitions(rk, topic, timeout_ms, errstr, errstr_size);
    if (np < 0) {
        return WH_EIO;
    }
    if (np == 0) {
        wh_errf(errstr, errstr_size, "%s: no such topic", topic);
        return WH_EIO;
    }
    if (npartitions != NULL) {
        *npartitions = np;
    }
    high = wh_xcalloc((size_t)np + 1, sizeof(*high));
    parts = rd_kafka_topic_partition_list_new(np);
    for (i = 0; i < np; i++) {
        int64_t lo = 0;
        rd_kafka_resp_err_t err;

        if (only >= 0 && i != only) {
            continue;
        }
        err = rd_kafka_query_watermark_offsets(rk, topic, i, &lo, &high[i],
                                               timeout_ms);
        if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
            wh_errf(errstr, errstr_size, "%s [%d]: %s", topic, i,
                    rd_kafka_err2str(err));
            goto out;
        }
        if (high[i] > lo) {
            rd_kafka_topic_partition_list_add(parts, topic, i)->offset =
                RD_KAFKA_OFFSET_BEGINNING;
            left++;
        }
    }
    if (left > 0 && rd_kafka_assign(rk, parts) != RD_KAFKA_RESP_ERR_NO_ERROR) {
        wh_errf(errstr, errstr_size, "%s: cannot assign its partitions", topic);
        goto out;
    }
    while (left > 0) {
        rd_kafka_message_t *m = rd_kafka_consumer_poll(rk, timeout_ms);

        if (m == NULL) {
            wh_errf(errstr, errstr_size, "%s: no message in %d s", topic,
                    timeout_ms / 1000);
            goto out;
        }
        if (m->err == RD_KAFKA_RESP_ERR_NO_ERROR) {
            on_msg(m, opaque);
        } else if (m->err != RD_KAFKA_RESP_ERR__PARTITION_EOF) {
            wh_warn("kafka", "%s: %s", topic, rd_kafka_message_errstr(m));
        }
        /* A partition is done at its high watermark, or at its end when
         * the consumer reports ends (compaction may have removed the
         * message before the watermark). */
        if (m->partition >= 0 && m->partition < np && high[m->partition] > 0 &&
            (m->err == RD_KAFKA_RESP_ERR__PARTITION_EOF ||
             (m->err == RD_KAFKA_RESP_ERR_NO_ERROR &&
              m->offset + 1 >= high[m->partition]))) {
            high[m->partition] = 0;
            left--;
        }
        rd_kafka_message_destroy(m);
    }
    rc = WH_OK;
out:
    (void)rd_kafka_assign(rk, NULL);
    rd_kafka_topic_partition_list_destroy(parts);
    free(high);
    return rc;
}

/* One message of the sources topic into the object (opaque). */
static void source_msg(const rd_kafka_message_t *m, void *opaque)
{
    json_t *set = opaque;
    json_error_t jerr;
    json_t *v;
    char *id;

    if (m->key == NULL || m->key_len == 0) {
        return;
    }
    id = wh_xstrndup(m->key, m->key_len);
    if (m->payload == NULL) {
        json_object_del(set, id);
        free(id);
        return;
    }
    v = json_loadb(m->payload, m->len, 0, &jerr);
    if (json_is_object(v)) {
        json_object_set_new(set, id,
                            json_pack("{s:i, s:O}", "partition",
                                      (int)m->partition, "settings", v));
    } else {
        wh_warn("sources", "%s [%d] at %lld: %s: not a JSON object, skipped",
                rd_kafka_topic_name(m->rkt), (int)m->partition,
                (long long)m->offset, id);
    }
    json_decref(v);
    free(id);
}

int topic_read_sources(rd_kafka_t *rk, const char *topic, int timeout_ms,
                       struct json_t *set, int *npartitions, char *errstr,
                       size_t errstr_size)
{
    return topic_read(rk, topic, -1, timeout_ms, source_msg, set, npartitions,
                      errstr, errstr_size);
}
