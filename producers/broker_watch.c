/*
 * broker_watch.c - the producer's broker check behind /healthz, in a
 * thread of its own: wh_daemon_broker_check() every BROKER_CHECK_MS. A
 * broker that is stopped or frozen costs this thread the check's timeout
 * (500 ms), never a turn of the loop: WATCHDOG=1 and /healthz keep their
 * pace while health says "Kafka broker unreachable".
 *
 * librdkafka's calls are thread-safe; the handle outlives the thread
 * (broker_watch_stop() before rd_kafka_destroy()).
 */
#include <pthread.h>
#include <stdlib.h>
#include <time.h>

#include "producer.h"
#include "wh/daemon.h"
#include "wh/log.h"
#include "wh/wh.h"

#define BROKER_CHECK_MS 10000

struct broker_watch {
    rd_kafka_t *rk; /* borrowed */
    pthread_t thread;
    pthread_mutex_t lock;
    pthread_cond_t cond;
    int stop; /* under lock */
};

static void *watch_main(void *arg)
{
    struct broker_watch *bw = arg;
    struct timespec ts;

    pthread_mutex_lock(&bw->lock);
    while (!bw->stop) {
        pthread_mutex_unlock(&bw->lock);
        wh_daemon_broker_check(bw->rk, TAG);
        pthread_mutex_lock(&bw->lock);
        clock_gettime(CLOCK_REALTIME, &ts);
        ts.tv_sec += BROKER_CHECK_MS / 1000;
        while (!bw->stop &&
               pthread_cond_timedwait(&bw->cond, &bw->lock, &ts) == 0) {
        }
    }
    pthread_mutex_unlock(&bw->lock);
    return NULL;
}

struct broker_watch *broker_watch_start(rd_kafka_t *rk)
{
    struct broker_watch *bw = wh_xcalloc(1, sizeof(*bw));

    bw->rk = rk;
    pthread_mutex_init(&bw->lock, NULL);
    pthread_cond_init(&bw->cond, NULL);
    if (pthread_create(&bw->thread, NULL, watch_main, bw) != 0) {
        wh_warn(TAG, "broker check thread: cannot start; checking on the "
                     "loop instead");
        pthread_cond_destroy(&bw->cond);
        pthread_mutex_destroy(&bw->lock);
        free(bw);
        return NULL;
    }
    return bw;
}

void broker_watch_stop(struct broker_watch *bw)
{
    if (bw == NULL) {
        return;
    }
    pthread_mutex_lock(&bw->lock);
    bw->stop = 1;
    pthread_cond_signal(&bw->cond);
    pthread_mutex_unlock(&bw->lock);
    (void)pthread_join(bw->thread, NULL);
    pthread_cond_destroy(&bw->cond);
    pthread_mutex_destroy(&bw->lock);
    free(bw);
}
