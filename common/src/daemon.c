/*
 * daemon.c - signal flags, log level and /healthz state shared by the
 * producer and consumer daemons (see wh/daemon.h).
 */
#include "wh/daemon.h"

#include <errno.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "wh/kafka.h"
#include "wh/log.h"
#include "wh/wh.h"

static volatile sig_atomic_t stop_signal;
static volatile sig_atomic_t reload_signal;

/* Read by the metrics server's thread (/healthz). */
static atomic_int health_running;
static atomic_int health_broker_up;

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

int wh_daemon_health(void *opaque, char *reason, size_t reason_size)
{
    (void)opaque;
    if (!atomic_load(&health_running)) {
        snprintf(reason, reason_size, "not running (starting or stopping)");
        return 0;
    }
    if (!atomic_load(&health_broker_up)) {
        snprintf(reason, reason_size, "Kafka broker unreachable");
        return 0;
    }
    return 1;
}
