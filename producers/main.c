/*
 * main.c - wirehose-producer: polls news sources, fetches and extracts the
 * page of every new item, and publishes one ninjs record per article to
 * Kafka, keyed by its uri.
 *
 * One thread, one event loop. Each source has a due time; when it falls
 * due, a "round" starts: its document is fetched (conditional GET), parsed
 * (the kind is detected from the content), and every item not yet
 * published becomes a job fetching its page, all of them queued on the
 * asynchronous fetcher (libcurl multi, producers/fetcher/) at once, at
 * most poll.max_per_source of one source at a time; linked documents
 * (sitemap-index children, autodiscovered feeds) become jobs too. Wire
 * items (ninjs, NewsML-G2, NITF) carry their record and are produced at
 * once. Each loop turn drives the fetcher (its results call
 * on_fetch_result) and rd_kafka_poll(); an item counts as published only
 * in its delivery report, which marks it in the state.
 *
 * When every job of a round is done, the source's next due time is set:
 * its interval, shorter after new items and longer (up to
 * poll.max_interval_ms) after a round without any, with jitter; a failed
 * round waits for the source's exponential backoff (or the server's
 * Retry-After) instead.
 *
 * A source stays allocated while jobs or records in flight refer to it,
 * so a reload (SIGHUP) that drops it lets its work finish.
 *
 * This file is the loop (turn(), run()) and start-up; beside it: cli.c
 * and settings.c (command line, keys, settings), rounds.c (jobs and
 * rounds), assemble.c (feed item + page -> record), interval.c (the poll
 * interval), delivery.c (Kafka produce, delivery reports), counts.c
 * (metrics), reload.c (sources at start and on SIGHUP), broker_watch.c
 * (the broker check behind /healthz, in a thread); producer.h is
 * what they share.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "extract/extract.h"
#include "extract/quality.h"
#include "producer.h"
#include "wh/daemon.h"
#include "wh/log.h"
#include "wh/notify.h"
#include "wh/wh.h"

/* ---- health, status ---------------------------------------------------- */

static size_t polling_count(const struct producer *p)
{
    const struct source *src;
    size_t n = 0;

    for (src = p->set.sources; src != NULL; src = src->next) {
        n += src->polling != 0;
    }
    return n;
}

static void send_status(const struct producer *p)
{
    wh_notify_status("sources %zu (%zu polling), fetches in flight %zu; "
                     "published %zu, failed %zu; rounds %zu ok, %zu failed",
                     p->set.nsources, polling_count(p),
                     p->fetcher != NULL ? wh_fetcher_pending(p->fetcher) : 0,
                     p->n.published, p->n.item_failed + p->n.delivery_failed,
                     p->n.sources_ok, p->n.sources_failed);
}

/* --once: every source polled once and nothing of it in progress. */
static int once_done(const struct producer *p)
{
    const struct source *src;

    if (p->ready != NULL) {
        return 0;
    }
    for (src = p->set.sources; src != NULL; src = src->next) {
        if (src->polled == 0 || src->polling) {
            return 0;
        }
    }
    return 1;
}

/* Flushes with the timeout, then purges what is left so that every
 * delivery report (and its opaque) is served before destroy. */
static void drain(struct producer *p)
{
    rd_kafka_resp_err_t err;

    err = rd_kafka_flush(p->rk, (int)p->set.flush_timeout_ms);
    if (err == RD_KAFKA_RESP_ERR__TIMED_OUT || p->outstanding > 0) {
        wh_err(TAG,
               "%zu records not delivered: still queued after the %lld ms "
               "flush timeout (is the broker up?)",
               p->outstanding, p->set.flush_timeout_ms);
        p->purging = 1;
        rd_kafka_purge(p->rk,
                       RD_KAFKA_PURGE_F_QUEUE | RD_KAFKA_PURGE_F_INFLIGHT);
        /* Purged messages get their delivery reports on the next poll. */
        (void)rd_kafka_flush(p->rk, 5000);
        rd_kafka_poll(p->rk, 0);
    }
}

static void print_summary(const struct producer *p)
{
    wh_notice(TAG,
              "summary: sources %zu ok, %zu failed; items %zu new, %zu "
              "skipped; published %zu; failed %zu (%zu items, %zu "
              "deliveries); not delivered %zu",
              p->n.sources_ok, p->n.sources_failed, p->n.items, p->n.skipped,
              p->n.published, p->n.item_failed + p->n.delivery_failed,
              p->n.item_failed, p->n.delivery_failed, p->n.undelivered);
}

/* One turn of the loop: start what is due, handle results, serve
 * delivery reports. */
static void turn(struct producer *p)
{
    long long wait_ms = start_due(p);
    int busy;

    (void)ready_run(p);
    busy = p->ready != NULL;
    if (wh_fetcher_pending(p->fetcher) > 0) {
        (void)wh_fetcher_run(p->fetcher, busy ? 0 : 100);
        busy = 1;
    }
    if (p->old_fetcher != NULL) {
        (void)wh_fetcher_run(p->old_fetcher, 0);
        if (wh_fetcher_pending(p->old_fetcher) == 0) {
            wh_fetcher_free(p->old_fetcher);
            p->old_fetcher = NULL;
            wh_info(TAG, "reload: the previous fetcher finished");
        } else {
            busy = 1;
        }
    }
    if (busy || p->ready != NULL) {
        rd_kafka_poll(p->rk, 0);
    } else {
        /* Idle: wait for a delivery report or the next due source. */
        rd_kafka_poll(p->rk, (int)(wait_ms < 0     ? 0
                                   : wait_ms > 200 ? 200
                                                   : wait_ms));
    }
    retired_sweep(p);
}

/* /healthz: the state directory can be written (published ids,
 * validators); one line while it cannot. */
static void state_dir_check(const struct producer *p)
{
    char line[256];

    if (p->set.state_dir == NULL) {
        return;
    }
    if (access(p->set.state_dir, W_OK | X_OK) == 0) {
        wh_daemon_set_problem("state", NULL);
        return;
    }
    snprintf(line, sizeof(line), "state directory %.120s: %s", p->set.state_dir,
             strerror(errno));
    wh_daemon_set_problem("state", line);
}

static int run(struct producer *p)
{
    long long last_status = 0;
    long long last_check = 0;
    long long last_wd = 0;
    long long wd_ms = (long long)(wh_notify_watchdog_usec() / 4000);
    char errstr[512];
    struct source *src;

    p->state = wh_state_open(p->set.state_dir, errstr, sizeof(errstr));
    if (p->state == NULL) {
        wh_err(TAG, "%s", errstr);
        return EXIT_CONFIG;
    }
    p->fetcher = fetcher_build(p->cfg, &p->set, on_fetch_result, p, errstr,
                               sizeof(errstr));
    if (p->fetcher == NULL) {
        wh_err(TAG, "%s", errstr);
        return EXIT_CONFIG;
    }
    if (p->srv != NULL) {
        /* The broker check runs beside the loop: a frozen broker never
         * holds a turn (broker_watch.c). */
        p->broker_watch = broker_watch_start(p->rk);
        state_dir_check(p);
        last_check = wh_now_ms();
    }
    for (src = p->set.sources; src != NULL; src = src->next) {
        source_activate(p, src);
    }
    if (fleet_mode(p->cfg) && fleet_start(p, errstr, sizeof(errstr)) != WH_OK) {
        wh_err(TAG, "%s", errstr);
        return EXIT_CONFIG;
    }
    wh_daemon_set_running(1);
    wh_notify_ready();
    wh_info(TAG, "started: %zu sources, topic %s%s%s", p->set.nsources,
            p->set.topic, p->set.state_dir != NULL ? ", state in " : "",
            p->set.state_dir != NULL ? p->set.state_dir : "");
    while (wh_daemon_stop_signal() == 0 && !wh_kafka_fatal()) {
        long long t;

        turn(p);
        if (p->fleet != NULL) {
            fleet_poll(p);
        }
        if (wh_kafka_fatal()) {
            break;
        }
        t = wh_now_ms();
        /* The turn returned with the fetcher driven and the delivery
         * reports served: the loop is alive (watchdog rule). */
        wh_daemon_heartbeat();
        if (wd_ms == 0 || t - last_wd >= wd_ms) {
            (void)wh_notify_watchdog();
            last_wd = t;
        }
        if (t - last_status >= 10000) {
            send_status(p);
            last_status = t;
        }
        if (p->srv != NULL && t - last_check >= 10000) {
            if (p->broker_watch == NULL) { /* no thread: checked here */
                wh_daemon_broker_check(p->rk, TAG);
            }
            state_dir_check(p);
            last_check = wh_now_ms();
        }
        if (p->cli->once && once_done(p)) {
            break;
        }
        if (wh_daemon_stop_signal() == 0 && wh_daemon_reload_requested()) {
            wh_notify_reloading();
            reload(p);
            wh_notify_ready();
        }
    }
    wh_daemon_set_running(0);
    if (wh_daemon_stop_signal() != 0) {
        wh_notify_stopping();
        wh_notice(TAG,
                  "stopping: %zu fetches dropped, %zu records awaiting "
                  "delivery",
                  wh_fetcher_pending(p->fetcher), p->outstanding);
    }
    /* Fetches still running are dropped (their items are not marked, so
     * the next run fetches them again); records produced are flushed. */
    wh_fetcher_free(p->fetcher);
    p->fetcher = NULL;
    wh_fetcher_free(p->old_fetcher);
    p->old_fetcher = NULL;
    jobs_abort(p);
    drain(p);
    fleet_stop(p); /* after the last deliveries: their state is written */
    send_status(p);
    if (wh_kafka_fatal()) {
        wh_err(TAG, "stopped on a fatal Kafka error");
        return EXIT_RUNTIME;
    }
    if (p->n.delivery_failed > 0 || p->n.undelivered > 0) {
        return EXIT_RUNTIME;
    }
    if (p->cli->once && p->n.sources_failed > 0) {
        wh_err(TAG, "%zu of %zu sources failed (see above)",
               p->n.sources_failed, p->set.nsources);
        return EXIT_SOURCES;
    }
    return 0;
}

int main(int argc, char **argv)
{
    struct wh_config *flags = wh_config_new(producer_keys);
    struct producer p;
    struct cli cli;
    struct wh_config_problems pr = {NULL, 0, 0};
    char errstr[512];
    int rc;

    memset(&p, 0, sizeof(p));
    p.cli = &cli;
    p.flags = flags;
    wh_prng_seed(&p.rng, wh_prng_entropy());
    rc = parse_args(argc, argv, &cli, flags);
    if (rc != WH_OK) {
        rc = rc == 1 ? 0 : EXIT_CONFIG;
        goto out;
    }
    p.cfg = load_config(&cli, flags, &p.set, &pr);
    if (p.cfg == NULL) {
        wh_config_problems_log(&pr, TAG, "", "");
        wh_config_problems_free(&pr);
        rc = EXIT_CONFIG;
        goto out;
    }
    if (cli.inspect != NULL) {
        rc = inspect_run(&cli, p.cfg, &p.set);
        goto out;
    }
    if (cli.check) {
        if (fleet_mode(p.cfg)) {
            char *stopic;
            char *state_topic;
            char *group;

            fleet_names(p.cfg, p.set.topic, &stopic, &state_topic, &group);
            printf("%s: configuration OK (sources = kafka: shared by the "
                   "group %s on %s, state in %s)\n",
                   cli.config_path != NULL ? cli.config_path : "command line",
                   group, stopic, state_topic);
            free(stopic);
            free(state_topic);
            free(group);
        } else {
            printf("%s: configuration OK (%zu sources)\n",
                   cli.config_path != NULL ? cli.config_path : "command line",
                   p.set.nsources);
        }
        if (cli.verbosity > 0) {
            print_sources(&p.set);
        }
        rc = 0;
        goto out;
    }
    if (p.set.state_dir != NULL) {
        p.state_dir = wh_xstrdup(p.set.state_dir);
        p.set.state_dir = p.state_dir;
    }

    wh_daemon_signals();
    /* libcurl's and libxml2's global set-up come before any thread. */
    wh_extract_global_init();
    wh_fetch_global_init();
    if (p.set.metrics != NULL) {
        /* Before Kafka: a bad or busy address stops the start-up. */
        p.reg = wh_metrics_new();
        p.quality = wh_quality_new(p.reg);
        p.srv =
            wh_metrics_server_start(p.reg, p.set.metrics, wh_daemon_health,
                                    wh_daemon_live, &p, errstr, sizeof(errstr));
        if (p.srv == NULL) {
            wh_err(TAG, "%s", errstr);
            rc = EXIT_CONFIG;
            wh_fetch_global_cleanup();
            goto out;
        }
        wh_info(TAG, "metrics on %s (port %d)", p.set.metrics,
                wh_metrics_server_port(p.srv));
    }
    p.rk =
        wh_kafka_producer_new(p.cfg, on_delivery, &p, errstr, sizeof(errstr));
    if (p.rk == NULL) {
        wh_err(TAG, "%s", errstr);
        rc = EXIT_CONFIG;
        wh_fetch_global_cleanup();
        goto out;
    }
    rc = run(&p);
    broker_watch_stop(p.broker_watch);
    print_summary(&p);
    wh_fetcher_free(p.fetcher);
    rd_kafka_destroy(p.rk);
    wh_state_close(p.state);
    wh_fetch_global_cleanup();
out:
    wh_metrics_server_stop(p.srv);
    wh_quality_free(p.quality);
    wh_metrics_free(p.reg);
    while (p.retired != NULL) {
        struct source *src = p.retired;

        p.retired = src->next;
        source_free(src);
    }
    settings_free(&p.set);
    free(p.state_dir);
    wh_config_free(p.cfg);
    wh_config_free(flags);
    return rc;
}
