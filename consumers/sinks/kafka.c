/*
 * kafka.c - the Kafka sink ("kafka:TOPIC"): the enriched stream, each
 * record keyed by its uri, through an idempotent producer of its own
 * (same brokers and kafka.* properties as the consumer).
 *
 * process() hands the record to librdkafka; flush() waits for the
 * delivery report of everything produced (rd_kafka_flush with a
 * timeout), since a record counts as written only when its report says
 * so. A message that failed for a transient reason (timeout, broker
 * gone) is kept, a copy of key and payload taken in the delivery report,
 * produced again by the next flush(), and flush() returns WH_RETRY until
 * it is delivered, so no offset passes it. A re-sent record may land
 * after later ones of the same key; each carries its version.
 *
 * A message the cluster will never take (too large, invalid) is refused
 * for good: at once from process() when librdkafka already knows
 * (message.max.bytes), otherwise by its delivery report: the record is
 * then reported to the consumer through its meta->reject (its token
 * travels in a cell of its own, the message's opaque, freed by the
 * delivery report), so it is dead-lettered, and the next
 * flush() returns WH_REJECT naming the uri(s), after the rest is
 * delivered. Errors that
 * would fail every record (no such topic, not authorized, idempotence
 * broken) are WH_FATAL.
 */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <librdkafka/rdkafka.h>

#include "stage.h"
#include "wh/buf.h"
#include "wh/config.h"
#include "wh/kafka.h"
#include "wh/log.h"
#include "wh/record.h"
#include "wh/wh.h"

#define TAG "sink:kafka"

#define KSINK_FLUSH_MS 10000 /* most flush() waits for reports */
#define KSINK_CLOSE_MS 5000
#define KSINK_QUEUE_FULL_WAIT_MS 100

/* A message to produce again. */
struct ksink_msg {
    char *key;
    size_t key_len;
    void *payload;
    size_t len;
    uint64_t token;
};

struct ksink {
    rd_kafka_t *rk;
    char *topic;
    size_t inflight;         /* produced, no delivery report yet */
    struct ksink_msg *again; /* failed transiently */
    size_t nagain;
    size_t cap;
    char again_reason[256];
    struct wh_buf rejects; /* refused since the last flush() */
    int fatal;
    char fatal_reason[512];
    /* from the records' meta (the same for every record) */
    void (*reject)(void *opaque, uint64_t token, const char *reason);
    void *reject_opaque;
};

enum err_kind { ERR_TRANSIENT, ERR_RECORD, ERR_FATAL };

static enum err_kind classify(rd_kafka_resp_err_t err)
{
    switch (err) {
    case RD_KAFKA_RESP_ERR_MSG_SIZE_TOO_LARGE:
    case RD_KAFKA_RESP_ERR_INVALID_MSG:
    case RD_KAFKA_RESP_ERR_INVALID_MSG_SIZE:
    case RD_KAFKA_RESP_ERR_INVALID_RECORD:
    case RD_KAFKA_RESP_ERR_RECORD_LIST_TOO_LARGE:
        return ERR_RECORD;
    case RD_KAFKA_RESP_ERR__FATAL:
    case RD_KAFKA_RESP_ERR__UNKNOWN_TOPIC:
    case RD_KAFKA_RESP_ERR_TOPIC_AUTHORIZATION_FAILED:
    case RD_KAFKA_RESP_ERR_CLUSTER_AUTHORIZATION_FAILED:
    case RD_KAFKA_RESP_ERR_TOPIC_EXCEPTION:
    case RD_KAFKA_RESP_ERR__INVALID_ARG:
        return ERR_FATAL;
    default:
        return ERR_TRANSIENT;
    }
}

static void set_fatal(struct ksink *ctx, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void set_fatal(struct ksink *ctx, const char *fmt, ...)
{
    va_list ap;

    if (ctx->fatal) {
        return; /* keep the first reason */
    }
    ctx->fatal = 1;
    va_start(ap, fmt);
    vsnprintf(ctx->fatal_reason, sizeof(ctx->fatal_reason), fmt, ap);
    va_end(ap);
}

static void keep_again(struct ksink *ctx, const void *key, size_t key_len,
                       const void *payload, size_t len, uint64_t token)
{
    struct ksink_msg *m;

    if (ctx->nagain == ctx->cap) {
        ctx->cap = ctx->cap == 0 ? 16 : ctx->cap * 2;
        ctx->again = wh_xrealloc(ctx->again, ctx->cap * sizeof(*m));
    }
    m = &ctx->again[ctx->nagain++];
    m->key = wh_xstrndup(key != NULL ? key : "", key_len);
    m->key_len = key_len;
    m->payload = wh_xmalloc(len > 0 ? len : 1);
    if (len > 0) {
        memcpy(m->payload, payload, len);
    }
    m->len = len;
    m->token = token;
}

/* A record refused for good: logged, named by the next flush(), and
 * reported to the consumer when it gave a way to. */
static void refused(struct ksink *ctx, const char *key, int key_len,
                    uint64_t token, rd_kafka_resp_err_t err)
{
    char reason[256];

    wh_warn(TAG, "%.*s: refused by %s: %s", key_len, key, ctx->topic,
            rd_kafka_err2str(err));
    (void)wh_buf_printf(&ctx->rejects, "%s%.*s: %s",
                        ctx->rejects.len > 0 ? "; " : "", key_len, key,
                        rd_kafka_err2str(err));
    if (ctx->reject != NULL) {
        snprintf(reason, sizeof(reason), "refused by %s: %s", ctx->topic,
                 rd_kafka_err2str(err));
        ctx->reject(ctx->reject_opaque, token, reason);
    }
}

/* Delivery reports, on the thread calling rd_kafka_poll / flush (ours). */
static void dr_msg_cb(rd_kafka_t *rk, const rd_kafka_message_t *rkm,
                      void *opaque)
{
    struct ksink *ctx = opaque;
    int key_len = rkm->key != NULL ? (int)rkm->key_len : 0;
    const char *key = rkm->key != NULL ? rkm->key : "";

    uint64_t *cell = rkm->_private;
    uint64_t token = cell != NULL ? *cell : 0;

    (void)rk;
    free(cell);
    WH_ASSERT(ctx->inflight > 0);
    ctx->inflight--;
    if (rkm->err == RD_KAFKA_RESP_ERR_NO_ERROR) {
        return;
    }
    switch (classify(rkm->err)) {
    case ERR_RECORD:
        refused(ctx, key, key_len, token, rkm->err);
        break;
    case ERR_FATAL:
        set_fatal(ctx, "%s: %.*s: %s", ctx->topic, key_len, key,
                  rd_kafka_err2str(rkm->err));
        break;
    case ERR_TRANSIENT:
        snprintf(ctx->again_reason, sizeof(ctx->again_reason), "%.*s: %s",
                 key_len > 100 ? 100 : key_len, key,
                 rd_kafka_err2str(rkm->err));
        keep_again(ctx, rkm->key, rkm->key != NULL ? rkm->key_len : 0,
                   rkm->payload, rkm->len, token);
        break;
    }
}

static void ksink_close(void *arg)
{
    struct ksink *ctx = arg;
    size_t i;

    if (ctx == NULL) {
        return;
    }
    if (ctx->rk != NULL) {
        if (rd_kafka_flush(ctx->rk, KSINK_CLOSE_MS) !=
            RD_KAFKA_RESP_ERR_NO_ERROR) {
            wh_warn(TAG,
                    "%d message(s) still queued at close (their "
                    "records will be consumed again)",
                    rd_kafka_outq_len(ctx->rk));
            /* Their delivery reports (purged) free their token cells;
             * nothing is reported to the consumer any more. */
            ctx->reject = NULL;
            rd_kafka_purge(ctx->rk,
                           RD_KAFKA_PURGE_F_QUEUE | RD_KAFKA_PURGE_F_INFLIGHT);
            (void)rd_kafka_flush(ctx->rk, KSINK_CLOSE_MS);
        }
        rd_kafka_destroy(ctx->rk);
    }
    if (ctx->nagain > 0) {
        wh_warn(TAG,
                "%zu failed message(s) never sent again (their "
                "records will be consumed again)",
                ctx->nagain);
    }
    for (i = 0; i < ctx->nagain; i++) {
        free(ctx->again[i].key);
        free(ctx->again[i].payload);
    }
    free(ctx->again);
    wh_buf_free(&ctx->rejects);
    free(ctx->topic);
    free(ctx);
}

/* Non-zero when topic is one the consumer reads (a loop). */
static int is_input_topic(const struct wh_config *cfg, const char *topic)
{
    const char *list = cfg != NULL ? wh_config_get(cfg, "topic", NULL) : NULL;
    size_t len = strlen(topic);
    const char *p = list;

    while (p != NULL && *p != '\0') {
        const char *end = strchr(p, ',');
        size_t n = end != NULL ? (size_t)(end - p) : strlen(p);

        while (n > 0 && (*p == ' ' || *p == '\t')) {
            p++;
            n--;
        }
        while (n > 0 && (p[n - 1] == ' ' || p[n - 1] == '\t')) {
            n--;
        }
        if (n == len && strncmp(p, topic, n) == 0) {
            return 1;
        }
        p = end != NULL ? end + 1 : NULL;
    }
    return 0;
}

/* --check-config and init: a topic, and not one the consumer reads. */
static int ksink_check(const char *arg, const struct wh_config *cfg,
                       char *errstr, size_t errstr_size)
{
    if (arg == NULL || arg[0] == '\0') {
        snprintf(errstr, errstr_size, "kafka: needs a topic (kafka:TOPIC)");
        return WH_EINVAL;
    }
    if (is_input_topic(cfg, arg)) {
        snprintf(errstr, errstr_size,
                 "kafka: %s is also the topic "
                 "consumed: the consumer would read its own output",
                 arg);
        return WH_EINVAL;
    }
    return WH_OK;
}

static void *ksink_init(const char *arg, const struct wh_config *cfg,
                        char *errstr, size_t errstr_size)
{
    struct ksink *ctx;
    char msg[512];

    if (ksink_check(arg, cfg, errstr, errstr_size) != WH_OK) {
        return NULL;
    }
    if (cfg == NULL) {
        snprintf(errstr, errstr_size,
                 "kafka: needs a configuration "
                 "(brokers)");
        return NULL;
    }
    ctx = wh_xcalloc(1, sizeof(*ctx));
    ctx->topic = wh_xstrdup(arg);
    wh_buf_init(&ctx->rejects, (size_t)64 * 1024);
    ctx->rk = wh_kafka_producer_new(cfg, dr_msg_cb, ctx, msg, sizeof(msg));
    if (ctx->rk == NULL) {
        snprintf(errstr, errstr_size, "kafka: %s", msg);
        ksink_close(ctx);
        return NULL;
    }
    wh_info(TAG, "producing to %s, keyed by uri", ctx->topic);
    return ctx;
}

/* Produces one message; the payload is ours to free only on failure. */
static rd_kafka_resp_err_t produce(struct ksink *ctx, const char *key,
                                   size_t key_len, void *payload, size_t len,
                                   uint64_t token)
{
    rd_kafka_resp_err_t err;
    uint64_t *cell = wh_xmalloc(sizeof(*cell));
    int tries;

    *cell = token;
    for (tries = 0; tries < 2; tries++) {
        err = rd_kafka_producev(ctx->rk, RD_KAFKA_V_TOPIC(ctx->topic),
                                RD_KAFKA_V_KEY(key, key_len),
                                RD_KAFKA_V_VALUE(payload, len),
                                RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_FREE),
                                RD_KAFKA_V_OPAQUE(cell), RD_KAFKA_V_END);
        if (err != RD_KAFKA_RESP_ERR__QUEUE_FULL) {
            break;
        }
        /* Serve delivery reports to make room, once. */
        rd_kafka_poll(ctx->rk, KSINK_QUEUE_FULL_WAIT_MS);
    }
    if (err == RD_KAFKA_RESP_ERR_NO_ERROR) {
        ctx->inflight++; /* payload and cell now belong to librdkafka */
    } else {
        free(cell);
    }
    return err;
}

static int ksink_process(void *arg, struct wh_record *rec,
                         const struct wh_msg_meta *meta, char *errstr,
                         size_t errstr_size)
{
    struct ksink *ctx = arg;
    char *payload;
    size_t len;
    rd_kafka_resp_err_t err;

    ctx->reject = meta->reject;
    ctx->reject_opaque = meta->reject_opaque;
    rd_kafka_poll(ctx->rk, 0);
    if (ctx->fatal || wh_kafka_fatal()) {
        snprintf(errstr, errstr_size, "%s",
                 ctx->fatal ? ctx->fatal_reason
                            : "the producer hit a fatal error");
        return WH_FATAL;
    }
    payload = wh_record_dump(rec);
    len = strlen(payload);
    err = produce(ctx, rec->uri, strlen(rec->uri), payload, len, meta->token);
    if (err == RD_KAFKA_RESP_ERR_NO_ERROR) {
        return WH_OK;
    }
    free(payload);
    switch (classify(err)) {
    case ERR_RECORD:
        snprintf(errstr, errstr_size, "%s: %zu-byte message refused: %s",
                 rec->uri, len, rd_kafka_err2str(err));
        return WH_REJECT;
    case ERR_FATAL:
        snprintf(errstr, errstr_size, "%s: %s", ctx->topic,
                 rd_kafka_err2str(err));
        return WH_FATAL;
    case ERR_TRANSIENT:
        break;
    }
    snprintf(errstr, errstr_size, "%s: %s", rec->uri, rd_kafka_err2str(err));
    return WH_RETRY;
}

/* Produces again what failed transiently. */
static void produce_again(struct ksink *ctx)
{
    size_t i;
    size_t kept = 0;

    for (i = 0; i < ctx->nagain; i++) {
        struct ksink_msg *m = &ctx->again[i];
        rd_kafka_resp_err_t err =
            produce(ctx, m->key, m->key_len, m->payload, m->len, m->token);

        if (err == RD_KAFKA_RESP_ERR_NO_ERROR) {
            free(m->key);
            continue;
        }
        if (classify(err) == ERR_TRANSIENT) {
            snprintf(ctx->again_reason, sizeof(ctx->again_reason), "%.100s: %s",
                     m->key, rd_kafka_err2str(err));
            ctx->again[kept++] = *m;
            continue;
        }
        if (classify(err) == ERR_FATAL) {
            set_fatal(ctx, "%s: %s", ctx->topic, rd_kafka_err2str(err));
        } else {
            refused(ctx, m->key, (int)m->key_len, m->token, err);
        }
        free(m->key);
        free(m->payload);
    }
    ctx->nagain = kept;
}

static int ksink_flush(void *arg, char *errstr, size_t errstr_size)
{
    struct ksink *ctx = arg;

    if (ctx->nagain > 0 && !ctx->fatal) {
        produce_again(ctx);
    }
    if (ctx->inflight > 0 && rd_kafka_flush(ctx->rk, KSINK_FLUSH_MS) ==
                                 RD_KAFKA_RESP_ERR__TIMED_OUT) {
        snprintf(errstr, errstr_size,
                 "%zu message(s) to %s not delivered "
                 "after %d ms",
                 ctx->inflight, ctx->topic, KSINK_FLUSH_MS);
        return ctx->fatal || wh_kafka_fatal() ? WH_FATAL : WH_RETRY;
    }
    if (ctx->fatal || wh_kafka_fatal()) {
        snprintf(errstr, errstr_size, "%s",
                 ctx->fatal ? ctx->fatal_reason
                            : "the producer hit a fatal error");
        return WH_FATAL;
    }
    if (ctx->nagain > 0) {
        snprintf(errstr, errstr_size,
                 "%zu message(s) failed, sent again "
                 "at the next flush; last: %s",
                 ctx->nagain, ctx->again_reason);
        return WH_RETRY;
    }
    if (ctx->rejects.len > 0) {
        snprintf(errstr, errstr_size,
                 "refused by the cluster, the rest is "
                 "delivered: %s",
                 ctx->rejects.data);
        wh_buf_reset(&ctx->rejects);
        return WH_REJECT;
    }
    return WH_OK;
}

const struct wh_stage wh_sink_kafka = {
    .name = "kafka",
    .type = WH_STAGE_SINK,
    .version = "1",
    .description = "produces each record, keyed by uri, to TOPIC with an "
                   "idempotent producer; delivered at flush",
    .keys = NULL,
    .check = ksink_check,
    .init = ksink_init,
    .process = ksink_process,
    .flush = ksink_flush,
    .close = ksink_close,
};
