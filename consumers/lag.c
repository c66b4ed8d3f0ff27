/*
 * lag.c - what the consumer asks of the brokers on the side, in a thread
 * of its own so that the main loop never waits for them: every
 * LAG_EVERY_MS (and at once when the assignment changed) the lag of each
 * assigned partition, and every BROKER_CHECK_MS whether the brokers
 * answer at all (/healthz). A broker that is stopped or frozen costs this
 * thread its request timeouts, never a turn of the loop.
 *
 * wirehose_consumer_lag{topic,partition} is the high watermark minus the
 * group's committed offset (the low watermark while the group has none),
 * both asked of the brokers: the number `wirehose-replay --watch` prints
 * as "to go". A record waiting for a sink counts until its offset is
 * committed. When the brokers do not answer a refresh, the gauge keeps
 * the last value measured and wirehose_consumer_lag_stale{topic,partition}
 * says 1 until a refresh succeeds again.
 *
 * The main thread hands the assignment over (lag_watch_assign()); the
 * thread owns the gauges. librdkafka's calls are thread-safe; the handle
 * outlives the thread (lag_watch_stop() before rd_kafka_destroy()).
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "consumer.h"
#include "wh/daemon.h"
#include "wh/log.h"
#include "wh/wh.h"

/* The gauges of one partition, once measured. */
struct lag_series {
    char *topic;
    int32_t partition;
    int assigned; /* in the last refresh's assignment */
    struct wh_metric *m_lag;
    struct wh_metric *m_stale;
};

struct lag_watch {
    rd_kafka_t *rk;         /* borrowed */
    struct wh_metrics *reg; /* borrowed */
    pthread_t thread;
    pthread_mutex_t lock;
    pthread_cond_t cond;
    /* under lock */
    int stop;
    int changed;
    rd_kafka_topic_partition_list_t *want; /* the assignment, or NULL */
    /* the thread's own */
    struct lag_series *series;
    size_t nseries;
};

static struct lag_series *series_get(struct lag_watch *lw, const char *topic,
                                     int32_t partition)
{
    struct lag_series *s;
    char num[16];
    size_t i;

    for (i = 0; i < lw->nseries; i++) {
        if (lw->series[i].partition == partition &&
            strcmp(lw->series[i].topic, topic) == 0) {
            return &lw->series[i];
        }
    }
    lw->series =
        wh_xrealloc(lw->series, (lw->nseries + 1) * sizeof(*lw->series));
    s = &lw->series[lw->nseries++];
    memset(s, 0, sizeof(*s));
    s->topic = wh_xstrdup(topic);
    s->partition = partition;
    snprintf(num, sizeof(num), "%d", (int)partition);
    s->m_lag = wh_metrics_get(lw->reg, WH_M_LAG, WH_METRICS_LABELS(topic, num));
    s->m_stale =
        wh_metrics_get(lw->reg, WH_M_LAG_STALE, WH_METRICS_LABELS(topic, num));
    return s;
}

static int stopping(struct lag_watch *lw)
{
    int stop;

    pthread_mutex_lock(&lw->lock);
    stop = lw->stop;
    pthread_mutex_unlock(&lw->lock);
    return stop;
}

/* One refresh of the partitions of list (the thread's copy). A partition
 * no longer assigned loses its series; one the brokers did not answer
 * for keeps its value, marked stale. */
static void refresh(struct lag_watch *lw, rd_kafka_topic_partition_list_t *list)
{
    rd_kafka_resp_err_t err = RD_KAFKA_RESP_ERR_NO_ERROR;
    size_t i;
    int j;

    for (i = 0; i < lw->nseries; i++) {
        lw->series[i].assigned = 0;
    }
    for (j = 0; j < list->cnt; j++) {
        const rd_kafka_topic_partition_t *tp = &list->elems[j];

        for (i = 0; i < lw->nseries; i++) {
            if (lw->series[i].partition == tp->partition &&
                strcmp(lw->series[i].topic, tp->topic) == 0) {
                lw->series[i].assigned = 1;
            }
        }
    }
    for (i = 0; i < lw->nseries; i++) {
        if (!lw->series[i].assigned) {
            wh_metrics_clear(lw->series[i].m_lag);
            wh_metrics_clear(lw->series[i].m_stale);
        }
    }
    if (list->cnt > 0) {
        err = rd_kafka_committed(lw->rk, list, LAG_TIMEOUT_MS);
    }
    for (j = 0; j < list->cnt; j++) {
        const rd_kafka_topic_partition_t *tp = &list->elems[j];
        int64_t lo = -1;
        int64_t hi = -1;
        int64_t at;
        int ok = err == RD_KAFKA_RESP_ERR_NO_ERROR &&
                 tp->err == RD_KAFKA_RESP_ERR_NO_ERROR && !stopping(lw) &&
                 rd_kafka_query_watermark_offsets(
                     lw->rk, tp->topic, tp->partition, &lo, &hi,
                     LAG_TIMEOUT_MS) == RD_KAFKA_RESP_ERR_NO_ERROR &&
                 hi >= 0;
        struct lag_series *s;

        if (!ok) {
            /* Never measured: no value to keep, no series. */
            for (i = 0; i < lw->nseries; i++) {
                s = &lw->series[i];
                if (s->partition == tp->partition &&
                    strcmp(s->topic, tp->topic) == 0) {
                    wh_metrics_set(s->m_stale, 1);
                }
            }
            continue;
        }
        at = tp->offset >= 0 ? tp->offset : lo;
        s = series_get(lw, tp->topic, tp->partition);
        wh_metrics_set(s->m_lag, (double)(hi > at ? hi - at : 0));
        wh_metrics_set(s->m_stale, 0);
    }
}

/* Sleeps on the condition until ms from now, a new assignment or stop. */
static void wait_ms(struct lag_watch *lw, int64_t ms)
{
    struct timespec ts;

    clock_gettime(CLOCK_REALTIME, &ts);
    ts.tv_sec += (time_t)(ms / 1000);
    ts.tv_nsec += (long)(ms % 1000) * 1000000L;
    if (ts.tv_nsec >= 1000000000L) {
        ts.tv_sec++;
        ts.tv_nsec -= 1000000000L;
    }
    (void)pthread_cond_timedwait(&lw->cond, &lw->lock, &ts);
}

static void *watch_main(void *arg)
{
    struct lag_watch *lw = arg;
    int64_t next_lag = 0;
    int64_t next_check = 0;

    pthread_mutex_lock(&lw->lock);
    while (!lw->stop) {
        int64_t now = wh_now_ms();
        int64_t due = next_lag < next_check ? next_lag : next_check;

        if (!lw->changed && now < due) {
            wait_ms(lw, due - now);
            continue;
        }
        if (now >= next_check) {
            pthread_mutex_unlock(&lw->lock);
            wh_daemon_broker_check(lw->rk, TAG);
            pthread_mutex_lock(&lw->lock);
            next_check = wh_now_ms() + BROKER_CHECK_MS;
        }
        if (lw->changed || wh_now_ms() >= next_lag) {
            rd_kafka_topic_partition_list_t *list =
                lw->want != NULL ? rd_kafka_topic_partition_list_copy(lw->want)
                                 : rd_kafka_topic_partition_list_new(0);

            lw->changed = 0;
            pthread_mutex_unlock(&lw->lock);
            refresh(lw, list);
            rd_kafka_topic_partition_list_destroy(list);
            pthread_mutex_lock(&lw->lock);
            next_lag = wh_now_ms() + LAG_EVERY_MS;
        }
    }
    pthread_mutex_unlock(&lw->lock);
    return NULL;
}

struct lag_watch *lag_watch_start(rd_kafka_t *rk, struct wh_metrics *reg)
{
    struct lag_watch *lw = wh_xcalloc(1, sizeof(*lw));

    lw->rk = rk;
    lw->reg = reg;
    pthread_mutex_init(&lw->lock, NULL);
    pthread_cond_init(&lw->cond, NULL);
    if (pthread_create(&lw->thread, NULL, watch_main, lw) != 0) {
        wh_warn(TAG, "lag thread: cannot start; no lag, no broker check");
        pthread_cond_destroy(&lw->cond);
        pthread_mutex_destroy(&lw->lock);
        free(lw);
        return NULL;
    }
    return lw;
}

/* Whether two assignments name the same partitions in the same order. */
static int same_parts(const rd_kafka_topic_partition_list_t *a,
                      const rd_kafka_topic_partition_list_t *b)
{
    int j;

    if (a == NULL || b == NULL || a->cnt != b->cnt) {
        return 0;
    }
    for (j = 0; j < a->cnt; j++) {
        if (a->elems[j].partition != b->elems[j].partition ||
            strcmp(a->elems[j].topic, b->elems[j].topic) != 0) {
            return 0;
        }
    }
    return 1;
}

void lag_watch_assign(struct lag_watch *lw,
                      const rd_kafka_topic_partition_list_t *assignment)
{
    if (lw == NULL) {
        return;
    }
    pthread_mutex_lock(&lw->lock);
    if (!same_parts(lw->want, assignment)) {
        if (lw->want != NULL) {
            rd_kafka_topic_partition_list_destroy(lw->want);
        }
        lw->want = rd_kafka_topic_partition_list_copy(assignment);
        lw->changed = 1;
        pthread_cond_signal(&lw->cond);
    }
    pthread_mutex_unlock(&lw->lock);
}

void lag_watch_stop(struct lag_watch *lw)
{
    size_t i;

    if (lw == NULL) {
        return;
    }
    pthread_mutex_lock(&lw->lock);
    lw->stop = 1;
    pthread_cond_signal(&lw->cond);
    pthread_mutex_unlock(&lw->lock);
    pthread_join(lw->thread, NULL);
    if (lw->want != NULL) {
        rd_kafka_topic_partition_list_destroy(lw->want);
    }
    for (i = 0; i < lw->nseries; i++) {
        free(lw->series[i].topic);
    }
    free(lw->series);
    pthread_cond_destroy(&lw->cond);
    pthread_mutex_destroy(&lw->lock);
    free(lw);
}
