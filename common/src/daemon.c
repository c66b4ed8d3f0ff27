/*
 * daemon.c - signal flags, log level and /healthz state shared by the
 * producer and consumer daemons (see wh/daemon.h).
 */
#include "wh/daemon.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "wh/clock.h"
#include "wh/kafka.h"
#include "wh/log.h"
#include "wh/wh.h"

static volatile sig_atomic_t stop_signal;
static volatile sig_atomic_t reload_signal;

/* Read by the metrics server's thread (/healthz). */
static atomic_int health_running;
static atomic_int health_broker_up;
static atomic_llong health_beat_ms; /* the main loop's last turn */
static atomic_llong health_live_ms = WH_DAEMON_LIVE_MS;

/* What is down, by name (main thread writes, /healthz reads). */
#define MAX_PROBLEMS 32
static pthread_mutex_t problems_lock = PTHREAD_MUTEX_INITIALIZER;
static struct {
    char name[64];
    char text[256];
} problems[MAX_PROBLEMS];
static size_t nproblems;

static void on_signal(int sig)
{
    if (sig == SIGHUP) {
        reload_signal = 1;
        return;
    }
    stop_signal = sig;
}

void wh_daemon_signals(void)
{
    struct sigaction sa;

    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGHUP, &sa, NULL);
    sa.sa_handler = SIG_IGN;
    sigaction(SIGPIPE, &sa, NULL);
}

int wh_daemon_stop_signal(void)
{
    return stop_signal;
}

int wh_daemon_reload_requested(void)
{
    if (reload_signal == 0) {
        return 0;
    }
    reload_signal = 0;
    return 1;
}

void wh_daemon_log_level(const char *level, int verbosity)
{
    int l = level != NULL ? wh_log_level_parse(level) : -1;

    if (l < 0) {
        l = WH_LOG_INFO;
    }
    l += verbosity;
    wh_log_set_level(l < WH_LOG_ERR     ? WH_LOG_ERR
                     : l > WH_LOG_DEBUG ? WH_LOG_DEBUG
                                        : l);
}

int wh_daemon_opt_seconds(const char *prog, const char *opt, const char *arg,
                          long *secs)
{
    char *end = NULL;
    long v;

    errno = 0;
    v = strtol(arg, &end, 10);
    if (errno != 0 || end == arg || *end != '\0' || v <= 0) {
        fprintf(stderr,
                "%s: %s: expected a positive number of seconds, got '%s'\n",
                prog, opt, arg);
        return WH_EINVAL;
    }
    *secs = v;
    return 0;
}

void wh_daemon_set_running(int running)
{
    wh_daemon_heartbeat();
    atomic_store(&health_running, running != 0);
}

void wh_daemon_set_broker_up(int up)
{
    atomic_store(&health_broker_up, up != 0);
}

void wh_daemon_broker_check(rd_kafka_t *rk, const char *tag)
{
    char errstr[256];
    int up;

    up = wh_kafka_broker_check(rk, 500, errstr, sizeof(errstr)) == WH_OK;
    if (up != atomic_load(&health_broker_up)) {
        if (up) {
            wh_info(tag, "broker reachable");
        } else {
            wh_warn(tag, "broker unreachable: %s", errstr);
        }
    }
    atomic_store(&health_broker_up, up);
}

void wh_daemon_heartbeat(void)
{
    atomic_store(&health_beat_ms, (long long)wh_now_ms());
}

void wh_daemon_set_live_ms(long long ms)
{
    atomic_store(&health_live_ms, ms);
}

void wh_daemon_set_problem(const char *name, const char *text)
{
    size_t i;

    pthread_mutex_lock(&problems_lock);
    for (i = 0; i < nproblems && strcmp(problems[i].name, name) != 0; i++) {
    }
    if (text == NULL) {
        if (i < nproblems) {
            problems[i] = problems[--nproblems];
        }
    } else if (i < MAX_PROBLEMS) {
        snprintf(problems[i].name, sizeof(problems[i].name), "%s", name);
        snprintf(problems[i].text, sizeof(problems[i].text), "%s", text);
        if (i == nproblems) {
            nproblems++;
        }
    }
    pthread_mutex_unlock(&problems_lock);
}

/* Appends one reason line to reason. */
static void add_reason(char *reason, size_t reason_size, size_t *len,
                       const char *text)
{
    int n;

    if (*len >= reason_size) {
        return;
    }
    n = snprintf(reason + *len, reason_size - *len, "%s%s",
                 *len > 0 ? "\n" : "", text);
    *len = n < 0 ? reason_size : *len + (size_t)n;
}

int wh_daemon_live(void *opaque, char *reason, size_t reason_size)
{
    long long beat = atomic_load(&health_beat_ms);
    long long age = (long long)wh_now_ms() - beat;

    (void)opaque;
    if (!atomic_load(&health_running)) {
        snprintf(reason, reason_size, "not running (starting or stopping)");
        return 0;
    }
    if (age > atomic_load(&health_live_ms)) {
        snprintf(reason, reason_size, "main loop stuck: no turn for %lld s",
                 age / 1000);
        return 0;
    }
    return 1;
}

int wh_daemon_health(void *opaque, char *reason, size_t reason_size)
{
    size_t len = 0;
    size_t i;
    char line[256];

    if (!wh_daemon_live(opaque, line, sizeof(line))) {
        add_reason(reason, reason_size, &len, line);
    } else {
        reason[0] = '\0';
    }
    if (!atomic_load(&health_broker_up)) {
        add_reason(reason, reason_size, &len, "Kafka broker unreachable");
    }
    pthread_mutex_lock(&problems_lock);
    for (i = 0; i < nproblems; i++) {
        add_reason(reason, reason_size, &len, problems[i].text);
    }
    pthread_mutex_unlock(&problems_lock);
    return len == 0;
}
