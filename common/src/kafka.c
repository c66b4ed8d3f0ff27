/*
 * kafka.c - librdkafka handles from a wh_config, with our log, error and
 * rebalance callbacks. Properties are passed through, never re-wrapped
 * [kcat -X].
 */
#include "wh/kafka.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "wh/buf.h"
#include "wh/clock.h"
#include "wh/config.h"
#include "wh/log.h"
#include "wh/wh.h"

#define TAG "kafka"
#define KAFKA_PREFIX "kafka."
#define DESTROY_MIN_MS                                                         \
    2000 /* wh_kafka_consumer_close(): the destroy's time                      \
          */

static atomic_int kafka_fatal;

int wh_kafka_fatal(void)
{
    return atomic_load(&kafka_fatal);
}

/* librdkafka's log lines, from any of its threads, at its syslog level. */
static void log_cb(const rd_kafka_t *rk, int level, const char *fac,
                   const char *buf)
{
    (void)rk;
    wh_log(level, TAG, "%s: %s", fac, buf);
}

/* Errors librdkafka reports outside a request. Most are transient (it
 * reconnects by itself); a fatal one (idempotence broken) is latched so
 * the daemon stops. */
static void error_cb(rd_kafka_t *rk, int err, const char *reason, void *opaque)
{
    char fatal[512];
    rd_kafka_resp_err_t orig;

    (void)opaque;
    if (err == RD_KAFKA_RESP_ERR__FATAL) {
        orig = rd_kafka_fatal_error(rk, fatal, sizeof(fatal));
        wh_log(WH_LOG_CRIT, TAG, "fatal error: %s: %s", rd_kafka_err2name(orig),
               fatal);
        atomic_store(&kafka_fatal, 1);
        return;
    }
    wh_log(WH_LOG_ERR, TAG, "%s: %s",
           rd_kafka_err2name((rd_kafka_resp_err_t)err), reason);
}

/* Sets one property; on failure errstr says "origin: key: message", key
 * being the name the user wrote. */
static int conf_set(rd_kafka_conf_t *conf, const char *origin, const char *key,
                    const char *name, const char *value, char *errstr,
                    size_t errstr_size)
{
    char msg[512];

    if (rd_kafka_conf_set(conf, name, value, msg, sizeof(msg)) !=
        RD_KAFKA_CONF_OK) {
        wh_errf(errstr, errstr_size, "%s: %s: %s", origin, key, msg);
        return -1;
    }
    return 0;
}

/* The common part: brokers, every kafka.* key, our callbacks. NULL with
 * errstr filled on a bad property. */
static rd_kafka_conf_t *conf_from_config(const struct wh_config *cfg,
                                         char *errstr, size_t errstr_size)
{
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    const struct wh_config_entry *e;
    const struct wh_config_entry *brokers = NULL;
    size_t plen = strlen(KAFKA_PREFIX);

    rd_kafka_conf_set_log_cb(conf, log_cb);
    rd_kafka_conf_set_error_cb(conf, error_cb);
    /* The value in force is the last one. */
    for (e = wh_config_first(cfg, "brokers"); e != NULL;
         e = wh_config_next(e)) {
        brokers = e;
    }
    if (brokers != NULL &&
        conf_set(conf, brokers->origin, "brokers", "bootstrap.servers",
                 brokers->value, errstr, errstr_size) != 0) {
        goto fail;
    }
    for (e = cfg->head; e != NULL; e = e->next) {
        if (strncmp(e->key, KAFKA_PREFIX, plen) != 0) {
            continue;
        }
        if (conf_set(conf, e->origin, e->key, e->key + plen, e->value, errstr,
                     errstr_size) != 0) {
            goto fail;
        }
    }
    return conf;
fail:
    rd_kafka_conf_destroy(conf);
    return NULL;
}

/* Sets a property we rely on, warning when the config asked otherwise. */
static int conf_force(rd_kafka_conf_t *conf, const struct wh_config *cfg,
                      const char *name, const char *value, char *errstr,
                      size_t errstr_size)
{
    char key[128];
    const char *asked;

    snprintf(key, sizeof(key), KAFKA_PREFIX "%s", name);
    asked = wh_config_get(cfg, key, NULL);
    if (asked != NULL && strcmp(asked, value) != 0) {
        wh_warn(TAG, "%s=%s ignored: wirehose needs %s=%s", key, asked, name,
                value);
    }
    return conf_set(conf, "wirehose", name, name, value, errstr, errstr_size);
}

/* rd_kafka_new() with conf (taken: destroyed on failure too); NULL with
 * errstr "what: reason" when librdkafka refuses. */
static rd_kafka_t *handle_new(rd_kafka_type_t type, rd_kafka_conf_t *conf,
                              const char *what, char *errstr,
                              size_t errstr_size)
{
    char msg[512];
    rd_kafka_t *rk = rd_kafka_new(type, conf, msg, sizeof(msg));

    if (rk == NULL) {
        /* conf is still ours when rd_kafka_new() fails. */
        rd_kafka_conf_destroy(conf);
        wh_errf(errstr, errstr_size, "%s: %s", what, msg);
    }
    return rk;
}

rd_kafka_t *wh_kafka_producer_new(
    const struct wh_config *cfg,
    void (*dr_msg_cb)(rd_kafka_t *rk, const rd_kafka_message_t *rkm,
                      void *opaque),
    void *opaque, char *errstr, size_t errstr_size)
{
    rd_kafka_conf_t *conf = conf_from_config(cfg, errstr, errstr_size);

    if (conf == NULL) {
        return NULL;
    }
    if (conf_force(conf, cfg, "enable.idempotence", "true", errstr,
                   errstr_size) != 0) {
        rd_kafka_conf_destroy(conf);
        return NULL;
    }
    if (dr_msg_cb != NULL) {
        rd_kafka_conf_set_dr_msg_cb(conf, dr_msg_cb);
    }
    rd_kafka_conf_set_opaque(conf, opaque);
    return handle_new(RD_KAFKA_PRODUCER, conf, "kafka producer", errstr,
                      errstr_size);
}

/* "topic[0,1], other[3]"-like text for the log; cut when long. */
static char *partitions_text(const rd_kafka_topic_partition_list_t *parts)
{
    struct wh_buf b;
    int i;

    wh_buf_init(&b, 2048);
    if (parts == NULL || parts->cnt == 0) {
        (void)wh_buf_puts(&b, "(none)");
    }
    for (i = 0; parts != NULL && i < parts->cnt; i++) {
        if (b.len > 1024 ||
            wh_buf_printf(&b, "%s%s[%d]", i > 0 ? ", " : "",
                          parts->elems[i].topic,
                          (int)parts->elems[i].partition) != WH_OK) {
            (void)wh_buf_printf(&b, " and %d more", parts->cnt - i);
            break;
        }
    }
    return wh_buf_steal(&b);
}

static void rebalance_cb(rd_kafka_t *rk, rd_kafka_resp_err_t err,
                         rd_kafka_topic_partition_list_t *parts, void *opaque)
{
    const char *proto = rd_kafka_rebalance_protocol(rk);
    int cooperative = proto != NULL && strcmp(proto, "COOPERATIVE") == 0;
    rd_kafka_error_t *error = NULL;
    rd_kafka_resp_err_t ret = RD_KAFKA_RESP_ERR_NO_ERROR;
    char *text = partitions_text(parts);

    (void)opaque;
    switch (err) {
    case RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS:
        wh_info(TAG, "rebalance (%s): assigned %s",
                cooperative ? "cooperative" : "eager", text);
        if (cooperative) {
            error = rd_kafka_incremental_assign(rk, parts);
        } else {
            ret = rd_kafka_assign(rk, parts);
        }
        break;
    case RD_KAFKA_RESP_ERR__REVOKE_PARTITIONS:
        wh_info(TAG, "rebalance (%s): %s %s",
                cooperative ? "cooperative" : "eager",
                rd_kafka_assignment_lost(rk) ? "lost" : "revoked", text);
        if (cooperative) {
            error = rd_kafka_incremental_unassign(rk, parts);
        } else {
            ret = rd_kafka_assign(rk, NULL);
        }
        break;
    default:
        wh_err(TAG, "rebalance failed: %s", rd_kafka_err2str(err));
        ret = rd_kafka_assign(rk, NULL);
        break;
    }
    if (error != NULL) {
        wh_err(TAG, "incremental assignment failed: %s",
               rd_kafka_error_string(error));
        rd_kafka_error_destroy(error);
    } else if (ret != RD_KAFKA_RESP_ERR_NO_ERROR) {
        wh_err(TAG, "assignment failed: %s", rd_kafka_err2str(ret));
    }
    free(text);
}

rd_kafka_t *wh_kafka_consumer_new(const struct wh_config *cfg,
                                  const char *group, char *errstr,
                                  size_t errstr_size)
{
    rd_kafka_conf_t *conf = conf_from_config(cfg, errstr, errstr_size);
    rd_kafka_t *rk;

    if (conf == NULL) {
        return NULL;
    }
    if (group != NULL) {
        if (conf_set(conf, "consumer group", "group.id", "group.id", group,
                     errstr, errstr_size) != 0) {
            goto fail;
        }
    } else if (wh_config_get(cfg, KAFKA_PREFIX "group.id", NULL) == NULL) {
        wh_errf(errstr, errstr_size,
                "kafka consumer: no consumer group (set kafka.group.id)");
        goto fail;
    }
    /* At-least-once: offsets are stored by the daemon once every sink
     * holds the record; auto commit then commits only stored offsets. */
    if (conf_force(conf, cfg, "enable.auto.offset.store", "false", errstr,
                   errstr_size) != 0 ||
        conf_force(conf, cfg, "enable.auto.commit", "true", errstr,
                   errstr_size) != 0) {
        goto fail;
    }
    rd_kafka_conf_set_rebalance_cb(conf, rebalance_cb);
    rk = handle_new(RD_KAFKA_CONSUMER, conf, "kafka consumer", errstr,
                    errstr_size);
    if (rk != NULL) {
        rd_kafka_poll_set_consumer(rk);
    }
    return rk;
fail:
    rd_kafka_conf_destroy(conf);
    return NULL;
}

rd_kafka_resp_err_t
wh_kafka_commit_wait(rd_kafka_t *rk,
                     const rd_kafka_topic_partition_list_t *offsets,
                     int timeout_ms, rd_kafka_topic_partition_list_t **out)
{
    rd_kafka_queue_t *q = rd_kafka_queue_new(rk);
    rd_kafka_event_t *ev = NULL;
    rd_kafka_resp_err_t err;
    int64_t deadline = wh_now_ms() + timeout_ms;

    if (out != NULL) {
        *out = NULL;
    }
    /* Not rd_kafka_commit(): its wait has no end while the coordinator
     * is unreachable. The answer comes on our own queue instead. */
    err = rd_kafka_commit_queue(rk, offsets, q, NULL, NULL);
    while (err == RD_KAFKA_RESP_ERR_NO_ERROR && ev == NULL) {
        int64_t left = deadline - wh_now_ms();

        if (left <= 0) {
            err = RD_KAFKA_RESP_ERR__TIMED_OUT;
            break;
        }
        ev = rd_kafka_queue_poll(q, left < 100 ? (int)left : 100);
        if (ev != NULL &&
            rd_kafka_event_type(ev) != RD_KAFKA_EVENT_OFFSET_COMMIT) {
            rd_kafka_event_destroy(ev);
            ev = NULL;
        }
    }
    if (ev != NULL) {
        const rd_kafka_topic_partition_list_t *parts =
            rd_kafka_event_topic_partition_list(ev);

        err = rd_kafka_event_error(ev);
        if (out != NULL && parts != NULL) {
            *out = rd_kafka_topic_partition_list_copy(parts);
        }
        rd_kafka_event_destroy(ev);
    }
    rd_kafka_queue_destroy(q);
    return err;
}

/* A destroy that runs in a thread of its own, so that its caller can stop
 * waiting: shared by both sides, freed by the last one. */
struct destroyer {
    pthread_mutex_t lock;
    pthread_cond_t cond;
    rd_kafka_t *rk;
    int done;
    int refs;
};

static void destroyer_unref(struct destroyer *d)
{
    int last;

    pthread_mutex_lock(&d->lock);
    last = --d->refs == 0;
    pthread_mutex_unlock(&d->lock);
    if (last) {
        pthread_cond_destroy(&d->cond);
        pthread_mutex_destroy(&d->lock);
        free(d);
    }
}

static void *destroyer_main(void *arg)
{
    struct destroyer *d = arg;

    rd_kafka_destroy_flags(d->rk, RD_KAFKA_DESTROY_F_NO_CONSUMER_CLOSE);
    pthread_mutex_lock(&d->lock);
    d->done = 1;
    pthread_cond_signal(&d->cond);
    pthread_mutex_unlock(&d->lock);
    destroyer_unref(d);
    return NULL;
}

/* rd_kafka_destroy_flags(NO_CONSUMER_CLOSE), waiting at most wait_ms: the
 * group still waits for the commits it sent to a coordinator that does
 * not answer, up to about session.timeout.ms. Past wait_ms the destroy
 * goes on in its thread, which the process's exit ends. Returns WH_OK
 * when it finished in time. */
static int destroy_within(rd_kafka_t *rk, int wait_ms, const char *tag)
{
    struct destroyer *d = wh_xcalloc(1, sizeof(*d));
    struct timespec ts;
    pthread_t thread;
    int done;

    pthread_mutex_init(&d->lock, NULL);
    pthread_cond_init(&d->cond, NULL);
    d->rk = rk;
    d->refs = 2;
    if (pthread_create(&thread, NULL, destroyer_main, d) != 0) {
        d->refs = 1;
        destroyer_unref(d);
        rd_kafka_destroy_flags(rk, RD_KAFKA_DESTROY_F_NO_CONSUMER_CLOSE);
        return WH_OK;
    }
    (void)pthread_detach(thread);
    clock_gettime(CLOCK_REALTIME, &ts);
    ts.tv_sec += wait_ms / 1000;
    ts.tv_nsec += (long)(wait_ms % 1000) * 1000000L;
    if (ts.tv_nsec >= 1000000000L) {
        ts.tv_sec++;
        ts.tv_nsec -= 1000000000L;
    }
    pthread_mutex_lock(&d->lock);
    while (!d->done &&
           pthread_cond_timedwait(&d->cond, &d->lock, &ts) != ETIMEDOUT) {
    }
    done = d->done;
    pthread_mutex_unlock(&d->lock);
    destroyer_unref(d);
    if (!done) {
        wh_warn(tag,
                "close: librdkafka still waits for the group coordinator "
                "after %d ms; not waiting any longer",
                wait_ms);
        return WH_ETIMEDOUT;
    }
    return WH_OK;
}

int wh_kafka_consumer_close(rd_kafka_t *rk, int timeout_ms, const char *tag)
{
    rd_kafka_queue_t *q = rd_kafka_queue_new(rk);
    rd_kafka_error_t *error;
    rd_kafka_event_t *ev;
    int64_t start = wh_now_ms();
    int64_t left;
    int rc = WH_OK;

    /* rd_kafka_consumer_close() waits for the group coordinator with no
     * bound of its own when the broker stops answering: close in
     * librdkafka's thread, serve its events (the revocation) here, and
     * give up at the deadline. */
    error = rd_kafka_consumer_close_queue(rk, q);
    if (error != NULL) {
        wh_warn(tag, "close: %s", rd_kafka_error_string(error));
        rd_kafka_error_destroy(error);
        rc = WH_EIO;
    } else {
        while (!rd_kafka_consumer_closed(rk)) {
            left = start + timeout_ms - wh_now_ms();
            if (left <= 0) {
                wh_warn(tag,
                        "close: the brokers did not answer within %d ms; "
                        "leaving without them (the group notices after "
                        "session.timeout.ms)",
                        timeout_ms);
                rc = WH_ETIMEDOUT;
                break;
            }
            ev = rd_kafka_queue_poll(q, left < 100 ? (int)left : 100);
            if (ev != NULL &&
                rd_kafka_event_type(ev) == RD_KAFKA_EVENT_REBALANCE) {
                /* Our revocation, whatever callback rk was made with:
                 * nothing is consumed any more. */
                rebalance_cb(rk, rd_kafka_event_error(ev),
                             rd_kafka_event_topic_partition_list(ev), NULL);
            }
            if (ev != NULL) {
                rd_kafka_event_destroy(ev); /* anything else is dropped */
            }
        }
    }
    rd_kafka_queue_destroy(q);
    left = start + timeout_ms - wh_now_ms();
    if (destroy_within(rk, left > DESTROY_MIN_MS ? (int)left : DESTROY_MIN_MS,
                       tag) != WH_OK) {
        rc = WH_ETIMEDOUT;
    }
    return rc;
}

int wh_kafka_broker_check(rd_kafka_t *rk, int timeout_ms, char *errstr,
                          size_t errstr_size)
{
    const struct rd_kafka_metadata *md = NULL;
    rd_kafka_resp_err_t err;
    int up;

    err = rd_kafka_metadata(rk, 0, NULL, &md, timeout_ms);
    up = err == RD_KAFKA_RESP_ERR_NO_ERROR && md != NULL && md->broker_cnt > 0;
    if (md != NULL) {
        rd_kafka_metadata_destroy(md);
    }
    if (up) {
        return WH_OK;
    }
    wh_errf(errstr, errstr_size, "%s", rd_kafka_err2str(err));
    return WH_EIO;
}

size_t wh_kafka_conf_check(const struct wh_config *cfg,
                           struct wh_config_problems *pr)
{
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    const struct wh_config_entry *e;
    size_t before = pr->n;
    char msg[256];

    for (e = cfg->head; e != NULL; e = e->next) {
        if (strncmp(e->key, "kafka.", 6) != 0) {
            continue;
        }
        if (rd_kafka_conf_set(conf, e->key + 6, e->value, msg, sizeof(msg)) !=
            RD_KAFKA_CONF_OK) {
            wh_config_problem(pr, "%s: %s: %s", e->origin, e->key, msg);
        }
    }
    rd_kafka_conf_destroy(conf);
    return pr->n - before;
}
