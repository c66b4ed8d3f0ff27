/*
 * delivery.c - records to Kafka: each produced keyed by its uri with the
 * provenance headers, counted as published only in its delivery report,
 * which marks its item in the state; a document's validators are stored
 * once every item of it was delivered (struct pending_val).
 */
#include <stdlib.h>
#include <string.h>

#include "assemble.h"
#include "extract/extract.h"
#include "producer.h"
#include "wh/daemon.h"
#include "wh/log.h"
#include "wh/wh.h"

/* Stores pv's validators when its document is done and every item of it
 * was delivered; frees pv once nothing refers to it any more. */
void pending_check(struct producer *p, struct pending_val *pv)
{
    char errstr[256];

    if (!pv->done || pv->outstanding > 0) {
        return;
    }
    if (!pv->failed && (pv->etag != NULL || pv->last_modified != NULL) &&
        wh_state_set_validators(p->state, pv->source, pv->url, pv->etag,
                                pv->last_modified, errstr,
                                sizeof(errstr)) != WH_OK) {
        wh_err(TAG, "state: %s", errstr);
    }
    free(pv->source);
    free(pv->url);
    free(pv->etag);
    free(pv->last_modified);
    free(pv);
}

void on_delivery(rd_kafka_t *rk, const rd_kafka_message_t *rkm, void *opaque)
{
    struct producer *p = opaque;
    struct delivery *d = rkm->_private;
    char errstr[256];

    (void)rk;
    WH_ASSERT(p->outstanding > 0);
    p->outstanding--;
    if (rkm->err == RD_KAFKA_RESP_ERR_NO_ERROR) {
        p->n.published++;
        wh_daemon_set_broker_up(1);
        count_record(p, "produce", "delivered");
        if (d != NULL && wh_state_mark(p->state, d->src->url, d->id, errstr,
                                       sizeof(errstr)) != WH_OK) {
            wh_err(TAG, "state: %s", errstr);
        }
        if (d != NULL && p->fleet != NULL) {
            fleet_marked(p, d->src, d->id);
        }
    } else if (p->purging) {
        p->n.undelivered++;
        count_record(p, "produce", "failed");
    } else {
        p->n.delivery_failed++;
        count_record(p, "produce", "failed");
        wh_err(TAG, "delivery failed for %.*s: %s", (int)rkm->key_len,
               rkm->key != NULL ? (const char *)rkm->key : "",
               rd_kafka_err2str(rkm->err));
    }
    if (d != NULL) {
        if (d->pv != NULL) {
            d->pv->outstanding--;
            if (rkm->err != RD_KAFKA_RESP_ERR_NO_ERROR) {
                d->pv->failed = 1;
            }
            pending_check(p, d->pv);
        }
        WH_ASSERT(d->src->records > 0);
        d->src->records--;
        free(d->id);
        free(d);
    }
}

/* Adds header name = value unless value is NULL or empty. */
static void add_header(rd_kafka_headers_t *hdrs, const char *name,
                       const char *value)
{
    if (value != NULL && value[0] != '\0') {
        rd_kafka_header_add(hdrs, name, -1, value, -1);
    }
}

/* The Kafka headers carrying the record's provenance: wh-source,
 * wh-fetched-at, wh-http-status (HTTP fetches only), wh-content-hash and
 * wh-extractor-version (when known). */
static rd_kafka_headers_t *provenance_headers(const struct wh_record *rec)
{
    rd_kafka_headers_t *hdrs = rd_kafka_headers_new(5);
    char status[16];

    add_header(hdrs, "wh-source", rec->source);
    add_header(hdrs, "wh-fetched-at", rec->fetched_at);
    if (rec->http_status > 0) {
        snprintf(status, sizeof(status), "%d", rec->http_status);
        add_header(hdrs, "wh-http-status", status);
    }
    add_header(hdrs, "wh-content-hash", rec->content_hash);
    add_header(hdrs, "wh-extractor-version", rec->extractor_version);
    return hdrs;
}

/* Produces rec keyed by its uri, with the provenance headers. Waits (for
 * at most queue.full_timeout_ms, serving delivery reports) while the
 * queue is full. Returns WH_OK once the record is queued. */
static int produce(struct producer *p, struct source *src, const char *id,
                   const struct wh_record *rec, struct pending_val *pv)
{
    struct delivery *d;
    char *payload;
    long long deadline = wh_now_ms() + p->set.queue_full_timeout_ms;
    rd_kafka_resp_err_t err;

    WH_ASSERT(rec->uri != NULL);
    payload = wh_record_dump(rec);
    d = wh_xcalloc(1, sizeof(*d));
    d->src = src;
    d->id = wh_xstrdup(id);
    d->pv = pv;
    for (;;) {
        if ((long long)p->outstanding >= p->set.queue_max) {
            err = RD_KAFKA_RESP_ERR__QUEUE_FULL;
        } else {
            /* The payload is copied (F_COPY); the headers belong to the
             * message once produced, and stay ours on failure. */
            rd_kafka_headers_t *hdrs = provenance_headers(rec);

            err = rd_kafka_producev(p->rk, RD_KAFKA_V_TOPIC(p->set.topic),
                                    RD_KAFKA_V_KEY(rec->uri, strlen(rec->uri)),
                                    RD_KAFKA_V_VALUE(payload, strlen(payload)),
                                    RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
                                    RD_KAFKA_V_HEADERS(hdrs),
                                    RD_KAFKA_V_OPAQUE(d), RD_KAFKA_V_END);
            if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
                rd_kafka_headers_destroy(hdrs);
            }
        }
        if (err != RD_KAFKA_RESP_ERR__QUEUE_FULL ||
            wh_daemon_stop_signal() != 0 || wh_now_ms() >= deadline) {
            break;
        }
        /* Delivery reports free room; the fetcher waits meanwhile (its
         * transfers time out on their own if this lasts). */
        rd_kafka_poll(p->rk, 100);
    }
    free(payload);
    if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
        wh_err(src->tag, "produce %s: %s%s", rec->uri, rd_kafka_err2str(err),
               err == RD_KAFKA_RESP_ERR__QUEUE_FULL
                   ? " (no room for queue.full_timeout_ms: is the broker "
                     "up?)"
                   : "");
        count_record(p, "produce", "failed");
        free(d->id);
        free(d);
        return WH_RETRY;
    }
    p->outstanding++;
    src->records++;
    if (pv != NULL) {
        pv->outstanding++;
    }
    return WH_OK;
}

/* Finishes a record (assemble_finish()) and produces it. Takes ownership
 * of rec. */
void finish_item(struct producer *p, struct source *src, struct wh_record *rec,
                 const struct wh_feed_item *it, const char *id,
                 struct pending_val *pv)
{
    assemble_finish(rec, it, id, src->name, src->url);
    if (produce(p, src, id, rec, pv) != WH_OK) {
        p->n.item_failed++;
        pv->failed = 1;
    } else {
        wh_debug(src->tag, "queued %s", rec->uri);
    }
    wh_record_free(rec);
}
