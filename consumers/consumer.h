/*
 * consumer.h - what the files of wirehose-consumer share: the stages set
 * up for a run, a record on its way, the partitions, the daemon's state,
 * and the functions one file calls in another. Private to consumers/
 * (main.c is the loop; cli.c and settings.c the command line and keys;
 * pipeline.c the stages set up for the run; engine.c the at-least-once
 * engine; partitions.c the partitions; lag.c their lag, in a thread of
 * its own; dlq.c the dead-letter path; reload.c SIGHUP).
 */
#ifndef WH_CONSUMER_H
#define WH_CONSUMER_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <librdkafka/rdkafka.h>

#include "settings.h"
#include "stage.h"
#include "wh/clock.h"
#include "wh/config.h"
#include "wh/metrics.h"
#include "wh/record.h"

#define TAG "consumer"
#define PROG "wirehose-consumer"

#define MAX_STAGES 64 /* bits of struct work.done */
#define POLL_MS 100
#define ASSIGNMENT_SYNC_MS 100
#define BACKOFF_MIN_MS 200 /* held records, flushes: wh_backoff_double() */
#define BACKOFF_MAX_MS 30000
#define SHUTDOWN_FLUSH_TRIES 5
#define SHUTDOWN_REBALANCE_TRIES 50 /* x POLL_MS */
#define DLQ_FLUSH_MS 10000
#define LAG_EVERY_MS 5000
#define LAG_TIMEOUT_MS 1000 /* each broker request of lag.c */
#define BROKER_CHECK_MS 10000
#define STATUS_EVERY_MS 10000
#define PROBE_EVERY_MS 5000
#define WATCHDOG_EVERY_MS 1000 /* at most one WATCHDOG=1 a second */

/* A stage set up for this run. */
struct inst {
    const struct wh_stage *st;
    void *ctx;
    char tag[64]; /* "sink:jsonl" */
    /* wirehose_records_total{stage=tag,outcome}, latency (sinks) */
    struct wh_metric *m_ok;
    struct wh_metric *m_skip;
    struct wh_metric *m_retry;
    struct wh_metric *m_reject;
    struct wh_metric *m_latency;
    /* health.c: its dependency is down (since, wall clock "HH:MM:SS") */
    int down;
    time_t down_since;
    int64_t down_at_ms;
    char since[16];
    struct wh_metric *m_up; /* wirehose_dependency_up */
};

/* A record on its way through the stages. */
struct work {
    rd_kafka_message_t *rkm; /* NULL when there is none */
    struct wh_record *rec;
    uint64_t token; /* names it to the sinks (wh_msg_meta) */
    size_t pos;     /* next dedup/enrich stage to run */
    uint64_t done;  /* sinks that took it, by stage index */
    int rejected;   /* a sink refused it for good */
};

/* A record the sinks took, kept until the flush covering it succeeds so
 * that a refusal reported at flush time can dead-letter it. */
struct pend {
    rd_kafka_message_t *rkm;
    uint64_t token;
    int rejected; /* dead-lettered (or refused) already */
};

/* What we know of one partition. */
struct part {
    char *topic;
    int32_t partition;
    int assigned;
    int eof;          /* at the end, nothing since (--once) */
    int dirty;        /* processed up to next, not yet stored */
    int64_t next;     /* offset to store once flushed */
    struct work held; /* a record waiting for a retry */
    int paused;
    int backoff_ms;
    int64_t retry_at;
    int64_t reread; /* offset to seek to on resume, or -1 */
};

struct consumer {
    struct wh_config *cfg;
    struct wh_config *stage_cfg; /* cfg for the stages (stage_config()) */
    rd_kafka_t *rk;
    struct inst insts[MAX_STAGES];
    size_t ninsts;
    size_t first_sink;
    size_t copies_at; /* the copies sink, or SIZE_MAX: none */
    struct part *parts;
    size_t nparts;
    size_t parts_cap;
    size_t nassigned;
    long long flush_records;
    long long flush_ms;
    long long close_ms; /* close.timeout_ms: the brokers' time at stop */
    size_t pending;     /* finished records not yet stored */
    unsigned long long unflushed_written; /* written, not yet flushed */
    int64_t first_pending_at;
    int64_t progress_at; /* a record finished or a flush succeeded */
    int64_t flush_retry_at;
    int flush_backoff_ms;
    int fatal;
    struct pend *pends; /* records in the sinks, not yet flushed */
    size_t npends;
    size_t pends_cap;
    uint64_t next_token;
    const char *cur_tag;   /* the stage being called, for reject_cb */
    rd_kafka_t *dlq_rk;    /* dead-letter producer; NULL when off */
    const char *dlq_topic; /* a fixed topic, or NULL: <topic>.dlq */
    long dlq_outstanding;  /* produced, delivery not yet reported */
    int dlq_failed;        /* a dead letter was not delivered */
    unsigned long long n_in;
    unsigned long long n_written; /* and flushed */
    unsigned long long n_dup;
    unsigned long long n_dropped;
    unsigned long long n_bad;
    unsigned long long n_rejected;
    unsigned long long n_dead;
    struct wh_metrics *reg; /* NULL when metrics are off */
    struct wh_metrics_server *srv;
    struct wh_metric *m_in_ok;
    struct wh_metric *m_in_bad;
    struct lag_watch *lag; /* NULL when metrics are off */
    int status_due;        /* send STATUS= now: something changed */
};

struct opts {
    struct wh_consumer_flags flags; /* -c -b -t -g -X -v -q */
    const char *enrich;
    const char *dedup;
    const char **sinks;
    size_t nsinks;
    const char *metrics;
    int once;
    int check;
    long timeout_s;
};

/* ---- cli.c: the command line ------------------------------------------ */

/* Returns 0 to go on, 1 when --help was printed, 2 on a usage error. */
int parse_args(int argc, char **argv, struct opts *o);
/* Loads the file, then the flags over it. Returns WH_OK or an error with
 * errstr filled. */
int build_config(struct wh_config *cfg, const struct opts *o, char *errstr,
                 size_t errstr_size);
/* The settings the command line adds to a configuration. */
int apply_defaults(struct wh_config *cfg, int once, char *errstr,
                   size_t errstr_size);

/* ---- pipeline.c: the stages set up for this run ----------------------- */

/* Sets up the dedup and enrich stages of the table, then the sinks of the
 * configuration. Returns WH_OK or an error with errstr filled. */
int stages_init(struct consumer *c, char *errstr, size_t errstr_size);
void stages_close(struct consumer *c);
/* Counts one record leaving a stage by the stage's answer. */
void count_outcome(const struct inst *in, int rc);
/* wirehose_dedup_decisions_total: what a dedup stage made of a record. */
void count_decision(struct wh_metrics *reg, const struct wh_record *rec,
                    int rc);
/* Non-zero when a dedup stage marked the record for the copies topic. */
int is_copy(const struct wh_record *rec);

/* ---- partitions.c: partitions, assignment ----------------------------- */

struct part *part_get(struct consumer *c, const char *topic, int32_t partition);
void work_clear(struct work *w);
/* The record of p->held (or a bad message) is fully handled: its offset
 * may be stored with the next successful flush. */
void part_finish(struct consumer *c, struct part *p, int64_t offset);
/* Holds p->held for a retry: pauses the partition, backs off. */
void part_hold(struct consumer *c, struct part *p, const char *tag,
               const char *reason);
/* Follows the assignment: partitions we no longer own lose what we held
 * for them (their new owner reads them from the committed offset). */
void sync_assignment(struct consumer *c);
/* Something waits for a stage: a held record or an unstored flush. */
int stuck(const struct consumer *c);
/* --once: every assigned partition is at its end and nothing waits. */
int caught_up(const struct consumer *c);
int subscribe(struct consumer *c, char *errstr, size_t errstr_size);

/* ---- lag.c: lag and the broker check, off the main loop --------------- */

struct lag_watch;
/* Starts the thread that refreshes wirehose_consumer_lag (and _stale)
 * every LAG_EVERY_MS and checks the brokers for /healthz every
 * BROKER_CHECK_MS, on rk and into reg (both borrowed, outliving it).
 * Returns NULL (logged) when no thread can be made. Main thread. */
struct lag_watch *lag_watch_start(rd_kafka_t *rk, struct wh_metrics *reg);
/* The partitions assigned now (borrowed; copied when they changed, and
 * then refreshed at once). lw may be NULL. Main thread. */
void lag_watch_assign(struct lag_watch *lw,
                      const rd_kafka_topic_partition_list_t *assignment);
/* Stops and frees the thread: at most one broker request's timeout
 * (LAG_TIMEOUT_MS) when it is waiting for one. lw may be NULL. Main
 * thread, before rk is destroyed. */
void lag_watch_stop(struct lag_watch *lw);

/* ---- dlq.c: the dead-letter path -------------------------------------- */

/* Consumer-only librdkafka properties, kept away from producers. */
int consumer_only(const char *prop);
/* Creates the dead-letter producer unless dlq.topic is "off". */
int dlq_init(struct consumer *c, char *errstr, size_t errstr_size);
/* The headers of a dead letter: a copy of orig (the original message's;
 * may be NULL), then wh.dlq.reason, wh.dlq.detail, wh.dlq.stage (unless
 * stage is NULL), wh.dlq.topic, wh.dlq.partition, wh.dlq.offset and
 * wh.dlq.time (now, RFC 3339 UTC). The caller owns the result. */
rd_kafka_headers_t *dlq_headers(const rd_kafka_headers_t *orig,
                                const char *src_topic, int32_t partition,
                                int64_t offset, const char *reason,
                                const char *stage, const char *detail);
/* Sends message rkm of src_topic to the dead-letter topic (dlq.topic, else
 * <src_topic>.dlq): its key, bytes and dlq_headers(). Does nothing when
 * dead letters are off. Returns WH_OK, or WH_FATAL (and sets c->fatal)
 * when it cannot even be queued. */
int dead_letter(struct consumer *c, const rd_kafka_message_t *rkm,
                const char *src_topic, const char *reason, const char *stage,
                const char *detail);
/* The dead-letter reason code of a message wh_record_parse() refused. */
const char *bad_reason(const rd_kafka_message_t *rkm);
/* A sink refused the record of token for good after accepting it (the
 * reject callback of struct wh_msg_meta; opaque: the consumer). */
void reject_cb(void *opaque, uint64_t token, const char *reason);

/* ---- engine.c: records through the stages, offsets after flushes ------ */

void handle_message(struct consumer *c, rd_kafka_message_t *rkm);
void handle_event(struct consumer *c, rd_kafka_message_t *rkm);
/* Flushes every stage, then stores the offsets of what is now durable.
 * Returns WH_OK, WH_RETRY (try again later) or WH_FATAL. */
int flush_all(struct consumer *c);
void maybe_flush(struct consumer *c, int64_t now);
void retry_held(struct consumer *c, int64_t now);
void pends_clear(struct consumer *c);

/* ---- health.c: what the consumer waits for ------------------------- */

/* A stage's dependency answered (up) or did not (reason): logs a change
 * of state once, keeps the /healthz line. */
void dep_report(struct consumer *c, struct inst *in, int up,
                const char *reason);
/* Calls the probe of every stage that has one. */
void deps_probe(struct consumer *c);
/* "waiting for sink postgres since 12:01:07" into out when a stage is
 * down; returns 1 then, else 0. */
int dep_waiting(const struct consumer *c, char *out, size_t out_size);

/* ---- reload.c --------------------------------------------------------- */

/* SIGHUP: reads the configuration again, applies what can change while
 * running, names what cannot. */
void reload(struct consumer *c, const struct opts *o);

#endif
