/*
 * daemon.h - plumbing the producer and consumer daemons share: the stop
 * and reload signal flags, the log level from log.level and -v / -q, and
 * the state behind GET /healthz and /livez (running, the loop's last
 * turn, broker reachable, what else is down).
 *
 * The state is process-wide (one daemon per process). The signal and log
 * calls are for the main thread; wh_daemon_health() is the health
 * callback given to wh_metrics_server_start() and runs on the metrics
 * server's thread, reading atomics only.
 */
#ifndef WH_DAEMON_H
#define WH_DAEMON_H

#include <librdkafka/rdkafka.h>
#include <stddef.h>

/* Installs the signal handler: SIGTERM and SIGINT ask to stop, SIGHUP asks
 * to reload; SIGPIPE is ignored (a closed socket or pipe is an EPIPE error
 * to report, not a reason to die). The handler only sets flags. Main
 * thread, once, before the main loop. */
void wh_daemon_signals(void);

/* The number of the signal that asked to stop (the last one received), or
 * 0 while none has. Async-signal-safe to read from any thread. */
int wh_daemon_stop_signal(void);

/* Returns 1 once for each SIGHUP received since the last call (several
 * SIGHUPs before a call count as one), else 0. Main thread. */
int wh_daemon_reload_requested(void);

/* Sets the log level: level (a log.level value, NULL for the default
 * "info") moved by verbosity steps (-v +1, -q -1), then kept between
 * "err" and "debug". An unknown level name counts as the default; callers
 * validate log.level first. Main thread. */
void wh_daemon_log_level(const char *level, int verbosity);

/* Parses arg, the value of command-line option opt ("--timeout"), as a
 * positive whole number of seconds into *secs. On a bad value prints
 * "prog: opt: expected a positive number of seconds, got 'arg'" on
 * stderr and returns WH_EINVAL (*secs unchanged); else returns 0. */
int wh_daemon_opt_seconds(const char *prog, const char *opt, const char *arg,
                          long *secs);

/* Marks the main loop as running (1) or not (0, starting or stopping);
 * /healthz answers 503 while not running. Any thread. */
void wh_daemon_set_running(int running);

/* Records whether the Kafka cluster is reachable, as learnt elsewhere
 * (a delivery report that succeeded says it is). Any thread. */
void wh_daemon_set_broker_up(int up);

/* Asks the cluster behind rk for its brokers (wh_kafka_broker_check(),
 * at most 500 ms when not connected), records the answer for /healthz
 * and logs under tag when it changed ("broker reachable" / "broker
 * unreachable: why"). rk is borrowed. Any thread that may use rk (the
 * consumer calls it from its lag thread, off the main loop). */
void wh_daemon_broker_check(rd_kafka_t *rk, const char *tag);

/* A main loop that has not turned for this long is stuck (/livez 503)
 * unless wh_daemon_set_live_ms() says otherwise. */
#define WH_DAEMON_LIVE_MS 30000

/* The main loop turned: call once a turn. Main thread. */
void wh_daemon_heartbeat(void);

/* How long the main loop may go without a turn before /livez calls it
 * stuck: longer than its longest own timeout. Main thread, at start. */
void wh_daemon_set_live_ms(long long ms);

/* Records that the dependency name ("sink:postgres") is down, with one
 * line for /healthz (text), or up again (text NULL). Main thread. */
void wh_daemon_set_problem(const char *name, const char *text);

/* The /livez callback for wh_metrics_server_start() (opaque unused):
 * returns 1 when the main loop runs and turned within the live time,
 * else 0 with the reason. Metrics server's thread. */
int wh_daemon_live(void *opaque, char *reason, size_t reason_size);

/* The /healthz callback for wh_metrics_server_start() (opaque unused):
 * returns 1 when the loop is alive (wh_daemon_live()), the broker is up
 * and no dependency is down, else 0 with one reason a line. Metrics
 * server's thread. */
int wh_daemon_health(void *opaque, char *reason, size_t reason_size);

#endif
