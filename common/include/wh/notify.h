/*
 * notify.h - the systemd notify protocol (Type=notify services), one small
 * wrapper over libsystemd's sd_notify().
 *
 * Every call is a no-op returning 0 when NOTIFY_SOCKET is unset (the daemon
 * was started by hand, by a test or by anything but systemd), so a main
 * loop calls them unconditionally. Each call sends one datagram; none
 * blocks for long. Callable from any thread, but a daemon calls them from
 * its main loop only (see the watchdog rule below).
 *
 * What a daemon main loop does, in order:
 *
 *   wd_usec = wh_notify_watchdog_usec();     after start-up, 0 = no watchdog
 *   wh_notify_ready();                       once config, Kafka and the
 *                                            metrics server are up
 *   loop:
 *       ... one turn of work ...
 *       wh_notify_watchdog();                the loop turned: see
 *                                            "watchdog rule"
 *       wh_notify_status("%zu records, %zu errors", n, e);   now and then
 *   on SIGHUP:
 *       wh_notify_reloading(); reload; wh_notify_ready();
 *   on SIGTERM:
 *       wh_notify_stopping(); flush, commit, close; exit(0)
 *
 * Watchdog rule: WATCHDOG=1 tells systemd "this process's main loop is
 * alive"; when none arrives for WatchdogSec, systemd kills the service
 * (SIGABRT, leaving a core) and Restart=on-failure starts it again. So send
 * it from the main loop after each turn that returned: the producer after
 * its poll turn (rd_kafka_poll() ran, the fetcher was driven), the
 * consumer after a consumer poll returned. An outage the loop waits out
 * (a sink or the brokers down, records held for a retry) keeps the pings
 * coming: restarting would not help. A loop stuck past its own timeouts
 * (a call that never returns, a deadlock) stops them; never send it from
 * a timer or another thread, which would keep a hung daemon alive.
 * Sending it more often than needed is harmless but wasteful: rate-limit
 * to about wd_usec / 4 in busy loops.
 */
#ifndef WH_NOTIFY_H
#define WH_NOTIFY_H

#include <stdint.h>

/* Sends READY=1: start-up finished (or a reload finished). Returns 0 (sent,
 * or no NOTIFY_SOCKET) or WH_EIO when the socket could not be written. */
int wh_notify_ready(void);

/* Sends STATUS=<text>, shown by "systemctl status". The text is truncated to
 * 255 bytes and newlines in it become spaces. Returns 0 or WH_EIO. */
int wh_notify_status(const char *fmt, ...)
    __attribute__((format(printf, 1, 2)));

/* Sends STOPPING=1: shutdown has begun (send it first thing on SIGTERM, so
 * systemd shows "deactivating" while the daemon flushes). Returns 0 or
 * WH_EIO. */
int wh_notify_stopping(void);

/* Sends RELOADING=1 with MONOTONIC_USEC=<now> (required by systemd >= 253's
 * Type=notify-reload, ignored by older ones): a reload (SIGHUP) has begun.
 * Send wh_notify_ready() when it is done, whether it succeeded or not.
 * Returns 0 or WH_EIO. */
int wh_notify_reloading(void);

/* Sends WATCHDOG=1 only. Call it under the watchdog rule above. Returns 0
 * or WH_EIO. */
int wh_notify_watchdog(void);

/* The watchdog interval systemd expects (WatchdogSec, in microseconds), or
 * 0 when the watchdog is off for this process (no WATCHDOG_USEC, or
 * WATCHDOG_PID names another process). Ping at least every half of it. */
uint64_t wh_notify_watchdog_usec(void);

#endif
