/*
 * notify.c - sd_notify() for Type=notify services.
 *
 * Kept out of libwh_common in its own static library (wh_notify) so tools
 * that never run under systemd, such as wirehose-extract, do not link
 * libsystemd.
 */
#include "wh/notify.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include <systemd/sd-daemon.h>

#include "wh/wh.h"

/* STATUS= texts longer than this are cut: systemctl shows one line. */
#define STATUS_MAX 256

/* sd_notify() itself returns 0 without NOTIFY_SOCKET; checking first saves
 * the formatting work in the common case of a daemon run by hand. */
static int notify_enabled(void)
{
    const char *e = getenv("NOTIFY_SOCKET");

    return e != NULL && e[0] != '\0';
}

static int send_state(const char *state)
{
    if (!notify_enabled()) {
        return 0;
    }
    return sd_notify(0, state) < 0 ? WH_EIO : 0;
}

int wh_notify_ready(void)
{
    return send_state("READY=1");
}

int wh_notify_status(const char *fmt, ...)
{
    char text[STATUS_MAX];
    char msg[STATUS_MAX + sizeof("STATUS=")];
    va_list ap;
    int n;
    char *p;

    if (!notify_enabled()) {
        return 0;
    }
    va_start(ap, fmt);
    n = vsnprintf(text, sizeof(text), fmt, ap);
    va_end(ap);
    if (n < 0) {
        return WH_EINVAL;
    }
    /* one line in, one line out: a newline would start a new assignment */
    for (p = text; *p != '\0'; p++) {
        if (*p == '\n' || *p == '\r') {
            *p = ' ';
        }
    }
    snprintf(msg, sizeof(msg), "STATUS=%s", text);
    return send_state(msg);
}

int wh_notify_stopping(void)
{
    return send_state("STOPPING=1");
}

int wh_notify_reloading(void)
{
    char msg[64];
    struct timespec ts;
    unsigned long long usec = 0;

    if (clock_gettime(CLOCK_MONOTONIC, &ts) == 0) {
        usec = (unsigned long long)ts.tv_sec * 1000000ULL +
               (unsigned long long)ts.tv_nsec / 1000ULL;
    }
    snprintf(msg, sizeof(msg), "RELOADING=1\nMONOTONIC_USEC=%llu", usec);
    return send_state(msg);
}

int wh_notify_watchdog(void)
{
    return send_state("WATCHDOG=1");
}

uint64_t wh_notify_watchdog_usec(void)
{
    uint64_t usec = 0;

    if (sd_watchdog_enabled(0, &usec) <= 0) {
        return 0;
    }
    return usec;
}
