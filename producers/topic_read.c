/*
 * topic_read.c - a compacted topic read whole, up to the end it has when
 * the read starts (topic_read.h).
 */
#include <stdlib.h>

#include <jansson.h>

#include "topic_read.h"
#include "wh/log.h"
#include "wh/wh.h"

/* The topic's partition count, or -1 with errstr filled. */
static int partition_count(rd_kafka_t *rk, const char *topic, int timeout_ms,
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
    if (err != RD_KAFKA_RESP_ERR_NO_ERROR || n < 0) {
        wh_errf(errstr, errstr_size, "%s: no metadata: %s", topic,
                rd_kafka_err2str(err));
        n = -1;
    }
    if (md != NULL) {
        rd_kafka_metadata_destroy(md);
    }
    return n;
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

    np = partition_count(rk, topic, timeout_ms, errstr, errstr_size);
    if (np < 0) {
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
