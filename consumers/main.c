/*
 * wirehose-consumer - joins a Kafka consumer group and takes each record
 * through the stages: parse -> dedup -> enrich -> every sink.
 *
 * At-least-once: librdkafka's automatic offset store is off, and a
 * partition's offset is stored only after every stage's flush() covering
 * the records before it returned WH_OK; the automatic commit then sends
 * only what was stored. A record a stage cannot take yet (WH_RETRY) is
 * held, its partition paused, and retried with backoff, so no stored
 * offset ever passes an unwritten record.
 *
 * A sink may learn only at flush() that it refused a record for good (a
 * bulk item's 4xx, a Kafka delivery report). So the message of every
 * record that reached the sinks is kept until the flush covering it
 * succeeded, each with a token the sinks carry (struct wh_msg_meta); a
 * sink names a refused record by its token through reject_cb(), and the
 * record goes to the dead-letter topic with the sink's reason before its
 * offset is stored.
 *
 * Metrics (--metrics ADDR:PORT): wirehose_records_total{stage,outcome}
 * with stage "consume" (outcome ok or error: not a record) or a stage's
 * tag ("dedup:dedup", "enrich:language", "sink:jsonl"; outcome ok, skip
 * for a record the stage dropped, retry, reject);
 * wirehose_dedup_decisions_total{decision} (new, duplicate = a copy of
 * another uri, update = a new version, repeat = same uri and body,
 * dropped, skipped, error); wirehose_consumer_lag{topic,partition} (the
 * high watermark minus the group's committed offset, asked of the
 * brokers every few seconds and at each assignment change, off the loop;
 * wirehose_consumer_lag_stale 1 while it is the last value measured);
 * wirehose_sink_latency_seconds{sink} (each process() and each flush()
 * call of a sink); wirehose_dead_letters_total{reason};
 * wirehose_dependency_up{dependency}. /healthz answers 200 only while the
 * loop is alive, the brokers answer and no sink or store is down (one
 * line per reason otherwise); /livez while the loop turns.
 *
 * A dependency down - at start-up too - is an outage (health.c): the
 * stage answers WH_RETRY or its probe fails, the partition is paused and
 * retried with backoff, the change of state is logged once.
 *
 * systemd: READY once subscribed, STATUS every few seconds and on each
 * change of what it waits for, WATCHDOG after every loop turn (an outage
 * does not stop it; a call that never returns does), STOPPING on SIGTERM.
 * SIGHUP reads the configuration again and applies log.level,
 * flush.records and flush.ms; any other key that changed is named as
 * needing a restart.
 *
 * Everything runs on the main thread but what asks the brokers on the
 * side (lag.c: the lag gauges and the broker check behind /healthz, in a
 * thread of their own so that a broker that does not answer never holds
 * a turn of the loop); the signal handlers only set a flag (the metrics
 * server has its own thread and reads only the registry and a few
 * atomics).
 *
 * This file is the loop (run()), start-up and shutdown; beside it: cli.c
 * and settings.c (command line, keys and their checks), pipeline.c (the
 * stages set up for the run), engine.c (records through the stages,
 * offsets after flushes), partitions.c (pause, retry, assignment), lag.c
 * (lag and broker check, off the loop),
 * dlq.c (the dead-letter path), health.c (what it waits for), reload.c
 * (SIGHUP); consumer.h is what
 * they share.
 */
#include <malloc.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <librdkafka/rdkafka.h>

#include "consumer.h"
#include "wh/config.h"
#include "wh/daemon.h"
#include "wh/kafka.h"
#include "wh/log.h"
#include "wh/metrics.h"
#include "wh/notify.h"
#include "wh/wh.h"

static void send_status(const struct consumer *c)
{
    char waiting[128];

    if (dep_waiting(c, waiting, sizeof(waiting))) {
        (void)wh_notify_status("%s; %zu partition(s); records in %llu, "
                               "written %llu",
                               waiting, c->nassigned, c->n_in, c->n_written);
        return;
    }
    (void)wh_notify_status("%zu partition(s); records in %llu, written %llu, "
                           "duplicates %llu, dead-lettered %llu%s",
                           c->nassigned, c->n_in, c->n_written, c->n_dup,
                           c->n_dead, stuck(c) ? "; waiting for a sink" : "");
}

/* The main loop. Returns the exit status. */
static int run(struct consumer *c, const struct opts *o)
{
    int64_t start = wh_now_ms();
    int64_t last_sync = 0;
    int64_t last_status = 0;
    int64_t last_wd = 0;
    int64_t last_probe = 0;
    int64_t wd_ms = (int64_t)(wh_notify_watchdog_usec() / 4000);
    long timeout_s = o->timeout_s;
    int warned_wait = 0;

    c->progress_at = start;
    wh_daemon_set_running(1);
    (void)wh_notify_ready();
    while (wh_daemon_stop_signal() == 0 && !c->fatal) {
        rd_kafka_message_t *rkm;
        int64_t now = wh_now_ms();

        retry_held(c, now);
        if (c->dlq_rk != NULL) {
            rd_kafka_poll(c->dlq_rk, 0);
        }
        rkm = rd_kafka_consumer_poll(c->rk, POLL_MS);
        if (rkm != NULL) {
            if (rkm->err != RD_KAFKA_RESP_ERR_NO_ERROR) {
                int eof = rkm->err == RD_KAFKA_RESP_ERR__PARTITION_EOF;

                handle_event(c, rkm);
                if (eof) {
                    last_sync = 0; /* check the assignment right away */
                }
            } else {
                handle_message(c, rkm);
            }
        }
        if (wh_kafka_fatal() || c->dlq_failed) {
            wh_err(TAG, "fatal Kafka error: stopping");
            c->fatal = 1;
            break;
        }
        now = wh_now_ms();
        if (now - last_sync >= ASSIGNMENT_SYNC_MS) {
            sync_assignment(c);
            last_sync = now;
        }
        maybe_flush(c, now);
        if (c->fatal) {
            break;
        }
        now = wh_now_ms();
        if (now - last_probe >= PROBE_EVERY_MS) {
            deps_probe(c);
            last_probe = wh_now_ms();
        }
        /* Watchdog rule (wh/notify.h): the loop turned. An outage (a
         * sink down, records held) does not stop the pings; a call that
         * never returns, past its own timeouts, does. */
        wh_daemon_heartbeat();
        if (wd_ms > 0 &&
            now - last_wd >=
                (wd_ms < WATCHDOG_EVERY_MS ? wd_ms : WATCHDOG_EVERY_MS)) {
            (void)wh_notify_watchdog();
            last_wd = now;
        }
        if (c->status_due || now - last_status >= STATUS_EVERY_MS) {
            send_status(c);
            last_status = now;
            c->status_due = 0;
        }
        if (wh_daemon_reload_requested()) {
            reload(c, o);
        }
        if (!o->once) {
            continue;
        }
        if (c->nassigned == 0) {
            if (now - start >= timeout_s * 1000) {
                wh_err(TAG,
                       "--once: no partition assigned after %ld s "
                       "(does the topic exist? are the brokers up? "
                       "--timeout sets the wait)",
                       timeout_s);
                return 1;
            }
            if (!warned_wait && now - start >= 10000) {
                wh_notice(TAG, "still waiting for a partition assignment");
                warned_wait = 1;
            }
            continue;
        }
        start = now; /* the timeout counts time without an assignment */
        if (stuck(c) && now - c->progress_at >= timeout_s * 1000) {
            wh_err(TAG,
                   "--once: the sinks have taken nothing for %ld s; "
                   "giving up (what is not committed will be consumed "
                   "again; --timeout sets the wait)",
                   timeout_s);
            return 1;
        }
        if (caught_up(c) && now >= c->flush_retry_at && flush_all(c) == WH_OK) {
            wh_info(TAG, "caught up with %zu partition(s)", c->nassigned);
            return 0;
        }
    }
    return c->fatal ? 1 : 0;
}

/* The commit failed because the brokers did not answer (stopped,
 * unreachable, no coordinator): an outage, not an error of ours. */
static int broker_outage(rd_kafka_resp_err_t err)
{
    switch (err) {
    case RD_KAFKA_RESP_ERR__TIMED_OUT:
    case RD_KAFKA_RESP_ERR__TRANSPORT:
    case RD_KAFKA_RESP_ERR__ALL_BROKERS_DOWN:
    case RD_KAFKA_RESP_ERR__WAIT_COORD:
    case RD_KAFKA_RESP_ERR_REQUEST_TIMED_OUT:
    case RD_KAFKA_RESP_ERR_COORDINATOR_NOT_AVAILABLE:
    case RD_KAFKA_RESP_ERR_NOT_COORDINATOR:
    case RD_KAFKA_RESP_ERR_COORDINATOR_LOAD_IN_PROGRESS:
        return 1;
    default:
        return 0;
    }
}

/* Names, one line each, the offsets this consumer flushed but could not
 * commit: their records are read again (at-least-once). */
static void log_uncommitted(const struct consumer *c,
                            const rd_kafka_topic_partition_list_t *answer,
                            rd_kafka_resp_err_t err)
{
    size_t i;
    int j;

    if (answer != NULL) {
        for (j = 0; j < answer->cnt; j++) {
            const rd_kafka_topic_partition_t *tp = &answer->elems[j];

            if (tp->err != RD_KAFKA_RESP_ERR_NO_ERROR) {
                wh_warn(TAG,
                        "%s [%d]: offset %lld not committed: %s; what "
                        "follows the last commit is read again",
                        tp->topic, (int)tp->partition, (long long)tp->offset,
                        rd_kafka_err2str(tp->err));
            }
        }
        return;
    }
    for (i = 0; i < c->nparts; i++) {
        const struct part *p = &c->parts[i];

        if (p->assigned && p->next > 0) {
            wh_warn(TAG,
                    "%s [%d]: offset %lld not committed: %s; what follows "
                    "the last commit is read again",
                    p->topic, (int)p->partition, (long long)p->next,
                    rd_kafka_err2str(err));
        }
    }
}

/* Stop: flush, store, commit, leave the group, all within
 * close.timeout_ms of the brokers' time. Returns status, or 1 when
 * records could not be flushed or the commit failed for another reason
 * than the brokers not answering (what was not committed is read again
 * either way). Destroys c->rk. */
static int shut_down(struct consumer *c, int status)
{
    struct timespec pause_ts = {0, 200000000L}; /* 200 ms */
    rd_kafka_topic_partition_list_t *answer = NULL;
    rd_kafka_resp_err_t err;
    int64_t deadline;
    int64_t left;
    int tries;
    size_t i;

    lag_watch_stop(c->lag);
    c->lag = NULL;
    if (!c->fatal) {
        sync_assignment(c);
        for (tries = 0; tries < SHUTDOWN_FLUSH_TRIES; tries++) {
            int rc = flush_all(c);

            if (rc == WH_OK || rc == WH_FATAL) {
                break;
            }
            nanosleep(&pause_ts, NULL);
        }
        if (c->pending > 0) {
            wh_err(TAG,
                   "%zu record(s) not flushed; they will be consumed "
                   "again",
                   c->pending);
            status = 1;
        }
    }
    for (i = 0; i < c->nparts; i++) {
        work_clear(&c->parts[i].held);
    }
    pends_clear(c);
    deadline = wh_now_ms() + c->close_ms;
    for (tries = 0;; tries++) {
        rd_kafka_message_t *rkm;

        left = deadline - wh_now_ms();
        if (answer != NULL) {
            rd_kafka_topic_partition_list_destroy(answer);
            answer = NULL;
        }
        err = left > 0 ? wh_kafka_commit_wait(c->rk, NULL, (int)left, &answer)
                       : RD_KAFKA_RESP_ERR__TIMED_OUT;
        if (err != RD_KAFKA_RESP_ERR_REBALANCE_IN_PROGRESS ||
            tries == SHUTDOWN_REBALANCE_TRIES) {
            break;
        }
        /* Another member joined or left (several consumers of the
         * group stopping at once): serve the rebalance, then commit
         * what is still ours. A message polled now is not processed;
         * its partition's next owner reads it. */
        rkm = rd_kafka_consumer_poll(c->rk, POLL_MS);
        if (rkm != NULL) {
            rd_kafka_message_destroy(rkm);
        }
    }
    if (err == RD_KAFKA_RESP_ERR_REBALANCE_IN_PROGRESS ||
        err == RD_KAFKA_RESP_ERR_ILLEGAL_GENERATION ||
        err == RD_KAFKA_RESP_ERR_UNKNOWN_MEMBER_ID) {
        /* Not a failure: the partitions moved on; their next owner
         * reads from the last committed offset (at-least-once). */
        wh_notice(TAG,
                  "commit: %s: the group rebalanced while stopping; "
                  "what this consumer did not commit is read again by "
                  "the partitions' next owner",
                  rd_kafka_err2str(err));
    } else if (broker_outage(err)) {
        wh_warn(TAG, "commit: %s: the brokers did not answer within %lld ms",
                rd_kafka_err2str(err), c->close_ms);
        log_uncommitted(c, answer, err);
    } else if (err != RD_KAFKA_RESP_ERR_NO_ERROR &&
               err != RD_KAFKA_RESP_ERR__NO_OFFSET) {
        wh_err(TAG, "commit: %s", rd_kafka_err2str(err));
        log_uncommitted(c, answer, err);
        status = 1;
    } else if (answer != NULL) {
        log_uncommitted(c, answer, err); /* errors of single partitions */
    }
    if (answer != NULL) {
        rd_kafka_topic_partition_list_destroy(answer);
    }
    /* What is left of the deadline, and at least a moment to leave the
     * group when the commit was answered late. */
    left = deadline - wh_now_ms();
    (void)wh_kafka_consumer_close(c->rk, left > 1000 ? (int)left : 1000, TAG);
    c->rk = NULL;
    return status;
}

int main(int argc, char **argv)
{
    struct opts o;
    struct consumer c;
    struct sigaction sa;
    struct wh_config_problems pr = {NULL, 0, 0};
    char errstr[1024];
    const char *group;
    const char *metrics;
    int status = 2;
    int rc;
    size_t i;

    /* Arrays of a few MB that are made again and again (the dedup
     * window's uri map and locations, the JSONL sink's line hashes) are
     * mapped and given back when freed. glibc's default raises its mmap
     * threshold after such a free, and then serves them from the heap,
     * which a long run fragments: RSS kept growing in bench/soak with a
     * bounded state. */
    (void)mallopt(M_MMAP_THRESHOLD, 128 * 1024);
    memset(&o, 0, sizeof(o));
    memset(&c, 0, sizeof(c));
    c.copies_at = SIZE_MAX;
    o.sinks = wh_xcalloc((size_t)argc + 1, sizeof(*o.sinks));
    o.flags.xprops = wh_xcalloc((size_t)argc + 1, sizeof(*o.flags.xprops));
    rc = parse_args(argc, argv, &o);
    if (rc != 0) {
        status = rc == 1 ? 0 : 2;
        goto out;
    }

    c.cfg = wh_config_new(wh_consumer_config_keys());
    errstr[0] = '\0';
    if (build_config(c.cfg, &o, errstr, sizeof(errstr)) != WH_OK) {
        wh_err(TAG, "%s", errstr);
        goto out;
    }
    /* Every problem, one line each (exit 2); --check-config and a
     * start check the same things. */
    if (wh_consumer_validate(c.cfg, &c.flush_records, &c.flush_ms, &pr) !=
        WH_OK) {
        wh_config_problems_log(&pr, TAG, "", "");
        goto out;
    }
    /* Checked above: cannot fail. */
    (void)wh_config_int(c.cfg, wh_consumer_keys, "close.timeout_ms",
                        &c.close_ms, errstr, sizeof(errstr));
    wh_daemon_log_level(wh_config_get(c.cfg, "log.level", NULL),
                        o.flags.verbosity);
    if (o.check) {
        printf("%s: configuration OK\n", o.flags.config_path != NULL
                                             ? o.flags.config_path
                                             : "command line");
        status = 0;
        goto out;
    }

    if (apply_defaults(c.cfg, o.once, errstr, sizeof(errstr)) != WH_OK) {
        wh_err(TAG, "%s", errstr);
        goto out;
    }

    wh_daemon_signals();
    /* A file-size limit is an error to report (EFBIG), not a reason to
     * die with records half-written (SIGPIPE is ignored already). */
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = SIG_IGN;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGXFSZ, &sa, NULL);

    status = 1;
    metrics = wh_config_get(c.cfg, "metrics", NULL);
    if (metrics != NULL) {
        /* Before the stages, so a bad or busy address stops start-up at
         * once; /healthz answers 503 until the main loop runs. */
        c.reg = wh_metrics_new();
        c.srv =
            wh_metrics_server_start(c.reg, metrics, wh_daemon_health,
                                    wh_daemon_live, &c, errstr, sizeof(errstr));
        if (c.srv == NULL) {
            wh_err(TAG, "%s", errstr);
            status = 2;
            goto out;
        }
        wh_info(TAG, "metrics on %s (port %d)", metrics,
                wh_metrics_server_port(c.srv));
        c.m_in_ok = wh_metrics_get(c.reg, WH_M_RECORDS,
                                   WH_METRICS_LABELS("consume", "ok"));
        c.m_in_bad = wh_metrics_get(c.reg, WH_M_RECORDS,
                                    WH_METRICS_LABELS("consume", "error"));
    }
    if (stages_init(&c, errstr, sizeof(errstr)) != WH_OK ||
        dlq_init(&c, errstr, sizeof(errstr)) != WH_OK) {
        /* A dependency that is down is an outage the stages wait out;
         * what makes init fail is the configuration (a server refusing
         * our credentials included): exit 2, not restarted. */
        wh_err(TAG, "%s", errstr);
        status = 2;
        goto out;
    }
    group = wh_config_get(c.cfg, "group", NULL);
    if (group == NULL && wh_config_get(c.cfg, "kafka.group.id", NULL) == NULL) {
        group = WH_CONSUMER_DEFAULT_GROUP;
    }
    c.rk = wh_kafka_consumer_new(c.cfg, group, errstr, sizeof(errstr));
    if (c.rk == NULL) {
        wh_err(TAG, "%s", errstr);
        goto out;
    }
    if (c.reg != NULL) {
        /* Lag and the broker check, asked of the brokers off the loop
         * (lag.c), the first ones right away. */
        c.lag = lag_watch_start(c.rk, c.reg);
    }
    if (subscribe(&c, errstr, sizeof(errstr)) != WH_OK) {
        wh_err(TAG, "%s", errstr);
        goto out;
    }
    wh_info(TAG, "consuming %s from %s as group %s",
            wh_config_get(c.cfg, "topic", ""),
            wh_config_get(c.cfg, "brokers", ""),
            group != NULL ? group : wh_config_get(c.cfg, "kafka.group.id", ""));

    status = run(&c, &o);
    wh_daemon_set_running(0);
    if (wh_daemon_stop_signal() != 0) {
        (void)wh_notify_stopping();
        wh_info(TAG, "%s: stopping", strsignal(wh_daemon_stop_signal()));
    }
    status = shut_down(&c, status);
    wh_notice(TAG,
              "records in %llu, written %llu, duplicates %llu, "
              "bad %llu, rejected %llu, dead-lettered %llu, dropped by "
              "enrichers %llu",
              c.n_in, c.n_written, c.n_dup, c.n_bad, c.n_rejected, c.n_dead,
              c.n_dropped);
out:
    lag_watch_stop(c.lag);
    wh_config_problems_free(&pr);
    for (i = 0; i < c.nparts; i++) {
        work_clear(&c.parts[i].held);
        free(c.parts[i].topic);
    }
    free(c.parts);
    pends_clear(&c);
    free(c.pends);
    if (c.rk != NULL) {
        /* Never subscribed or run: nothing to commit or leave. */
        rd_kafka_destroy_flags(c.rk, RD_KAFKA_DESTROY_F_NO_CONSUMER_CLOSE);
    }
    if (c.dlq_rk != NULL) {
        /* Everything that mattered was flushed; say if anything was not. */
        if (rd_kafka_flush(c.dlq_rk, (int)c.close_ms) !=
            RD_KAFKA_RESP_ERR_NO_ERROR) {
            wh_warn("dlq",
                    "%d dead letter(s) not delivered (their records "
                    "will be consumed again)",
                    rd_kafka_outq_len(c.dlq_rk));
        }
        rd_kafka_destroy(c.dlq_rk);
    }
    stages_close(&c);
    wh_config_free(c.stage_cfg);
    wh_metrics_server_stop(c.srv);
    wh_metrics_free(c.reg);
    wh_config_free(c.cfg);
    free(o.sinks);
    free(o.flags.xprops);
    return status;
}
