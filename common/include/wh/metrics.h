/*
 * metrics.h - a metrics registry (counters, gauges, histograms with label
 * sets) rendered in the Prometheus text exposition format, and a small HTTP
 * server (libmicrohttpd) serving /metrics and /healthz for --metrics
 * ADDR:PORT. Static library wh_metrics.
 *
 * The families every daemon shares are declared by wh_metrics_new() itself,
 * with their help text, label names and buckets; use these names (the
 * WH_M_* constants) so the producer, the consumer and the dashboards agree:
 *
 *   WH_M_RECORDS      wirehose_records_total{stage,outcome}        counter
 *       records leaving a stage. stage: "fetch", "extract", "produce",
 *       "consume", "dedup", "enrich", "sink", ...; outcome: "ok", "retry",
 *       "reject", "error", "skip".
 *   WH_M_DEDUP        wirehose_dedup_decisions_total{decision}     counter
 *       decision: "new", "duplicate", "update", "error".
 *   WH_M_FETCHES      wirehose_fetches_total{source,status}        counter
 *       source: the source's configured name; status: the HTTP status
 *       ("200", "304", "404", ...) or "error" / "timeout" / "robots".
 *   WH_M_FILL         wirehose_extraction_fill_total{source,field} counter
 *       one increment per extracted record per field found; field: "date",
 *       "byline", "body", "headline", ... The fill rate is this divided by
 *       wirehose_records_total{stage="extract",outcome="ok"}.
 *   WH_M_LAG          wirehose_consumer_lag{topic,partition}       gauge
 *       high watermark minus committed offset, in messages.
 *   WH_M_LAG_STALE    wirehose_consumer_lag_stale{topic,partition} gauge
 *       1 while the lag is the last value measured (the brokers did not
 *       answer its last refresh), else 0.
 *   WH_M_DEP_UP       wirehose_dependency_up{dependency}           gauge
 *   WH_M_SINK_LATENCY wirehose_sink_latency_seconds{sink}          histogram
 *       time a sink took to hold a record (or a batch), in seconds.
 *   WH_M_ITEMS        wirehose_items_total{outcome,reason}         counter
 *       producer: feed items not published. outcome "skipped" (permanent,
 *       remembered: reason "robots", "not_found", "gone", "client_error",
 *       "too_big", "no_article", "no_link", "bad_link") or "failed"
 *       (transient, retried: "timeout", "server_error", "rate_limited",
 *       "refused", "robots_unreachable", "error"); docs/producer.md has
 *       the table.
 *   WH_M_DEAD_LETTERS wirehose_dead_letters_total{reason}          counter
 *       records sent to the dead-letter topic; reason: a short fixed word
 *       ("parse", "schema", "sink", ...), never free text.
 *
 * Label values must come from a small set (source names, topics, fixed
 * words), never from record content: each distinct set is a series kept
 * until wh_metrics_free(), and the registry refuses new series past
 * WH_METRICS_MAX_SERIES.
 *
 * Use from a daemon (every call below is thread-safe):
 *
 *   struct wh_metrics *reg = wh_metrics_new();
 *   if --metrics ADDR:PORT (or the config key) was given, before READY:
 *   srv = wh_metrics_server_start(reg, addr, health, ctx, errstr,
 *                                 sizeof(errstr));
 *   NULL: print errstr and exit non-zero (a bad or busy address must stop
 *   start-up, not leave a half-started service)
 *   ...per record:
 *   wh_metrics_inc(wh_metrics_get(reg, WH_M_RECORDS,
 *                                 WH_METRICS_LABELS("sink", "ok")));
 *   wh_metrics_observe(wh_metrics_get(reg, WH_M_SINK_LATENCY,
 *                                     WH_METRICS_LABELS("jsonl")), seconds);
 *   ...on shutdown, last of all (handles die with the registry):
 *   wh_metrics_server_stop(srv);
 *   wh_metrics_free(reg);
 *
 * wh_metrics_get() costs a hash lookup under the registry mutex; a hot path
 * may keep the returned handle instead (valid until wh_metrics_free()).
 * Every update function accepts a NULL handle and does nothing, and
 * wh_metrics_get(NULL, ...) returns NULL, so a daemon may pass a NULL
 * registry around when metrics are off.
 */
#ifndef WH_METRICS_H
#define WH_METRICS_H

#include <stddef.h>

#include "wh/wh.h"

#define WH_M_RECORDS "wirehose_records_total"
#define WH_M_DEDUP "wirehose_dedup_decisions_total"
#define WH_M_FETCHES "wirehose_fetches_total"
#define WH_M_FILL "wirehose_extraction_fill_total"
#define WH_M_LAG "wirehose_consumer_lag"
#define WH_M_LAG_STALE "wirehose_consumer_lag_stale"
#define WH_M_SINK_LATENCY "wirehose_sink_latency_seconds"
#define WH_M_DEAD_LETTERS "wirehose_dead_letters_total"
#define WH_M_DEP_UP "wirehose_dependency_up"
#define WH_M_ITEMS "wirehose_items_total"

#define WH_METRICS_COUNTER 1
#define WH_METRICS_GAUGE 2
#define WH_METRICS_HISTOGRAM 3

#define WH_METRICS_MAX_LABELS 4     /* label names per family */
#define WH_METRICS_MAX_BUCKETS 32   /* histogram buckets, +Inf excluded */
#define WH_METRICS_MAX_SERIES 10000 /* series per registry */
#define WH_METRICS_MAX_VALUE 256    /* bytes in one label value */

/* A family: one metric name with its type, help and label names. */
struct wh_metrics_family {
    const char *name; /* [a-zA-Z_:][a-zA-Z0-9_:]* */
    int type;         /* WH_METRICS_COUNTER / _GAUGE / _HISTOGRAM */
    const char *help; /* one line; escaped on output */
    const char *labels[WH_METRICS_MAX_LABELS + 1]; /* names, NULL-ended */
    const double *buckets; /* histograms: upper bounds, strictly
                            * ascending, finite, +Inf implied; NULL
                            * gives the default latency buckets */
    size_t nbuckets;
};

struct wh_metrics; /* the registry */
struct wh_metric;  /* one series: a family and its label values */

/* Creates a registry with the standard wirehose_ families above declared.
 * Free with wh_metrics_free() (NULL is a no-op), after the server using it
 * is stopped. */
struct wh_metrics *wh_metrics_new(void);
void wh_metrics_free(struct wh_metrics *reg);

/* Declares another family; fam and everything it points to is copied.
 * Declaring a name again with the same type and labels is a no-op. Returns
 * 0, or WH_EINVAL with errstr filled (bad name or label name, bad buckets,
 * too many labels, or the name declared with another type or labels). */
int wh_metrics_declare(struct wh_metrics *reg,
                       const struct wh_metrics_family *fam, char *errstr,
                       size_t errstr_size);

/* Returns the series of family name with the given label values: nvalues
 * of them, one per declared label name in declared order (for a family
 * without labels: NULL, 0). Write them with WH_METRICS_LABELS(). The series
 * is created (at 0) on first use. Values may hold any bytes but NUL
 * (escaped on output) and are copied. Returns NULL (and logs once per
 * registry) when reg is NULL, the family is unknown, nvalues is wrong, a
 * value is NULL or longer than WH_METRICS_MAX_VALUE, or the registry is
 * full. The handle is owned by the registry and valid until
 * wh_metrics_free(). */
struct wh_metric *wh_metrics_get(struct wh_metrics *reg, const char *name,
                                 const char *const *values, size_t nvalues);

/* Expands to the "values, nvalues" arguments of wh_metrics_get() from a
 * list of strings: wh_metrics_get(reg, WH_M_LAG,
 * WH_METRICS_LABELS(topic, partition_str)). */
#define WH_METRICS_LABELS(...)                                                 \
    ((const char *const[]){__VA_ARGS__}),                                      \
        WH_ARRAY_SIZE(((const char *const[]){__VA_ARGS__}))

/* Counters and gauges: add 1, or add v. On a counter a v < 0 is ignored
 * (counters only go up); on a gauge v may be negative. NaN is ignored, and
 * so is a histogram. */
void wh_metrics_inc(struct wh_metric *m);
void wh_metrics_add(struct wh_metric *m, double v);

/* Gauges: set to v. Ignored on counters and histograms. */
void wh_metrics_set(struct wh_metric *m, double v);

/* Gauges: hide the series from the output until the next wh_metrics_set()
 * or wh_metrics_add() (e.g. the lag of a partition this consumer lost in a
 * rebalance). The handle stays valid. */
void wh_metrics_clear(struct wh_metric *m);

/* Histograms: count one observation of v (NaN is ignored). */
void wh_metrics_observe(struct wh_metric *m, double v);

/* Renders every family that has at least one visible series, in
 * declaration order, series in creation order, in the Prometheus text
 * exposition format 0.0.4. Returns a NUL-terminated string the caller frees
 * (its length in *len when len is not NULL). */
char *wh_metrics_render(struct wh_metrics *reg, size_t *len);

/* ---- HTTP server -------------------------------------------------------- */

/*
 * Health callback, called on the server's thread for each GET /healthz:
 * returns 1 when the daemon is running and every dependency is reachable,
 * else 0 with its reasons, one a line, written to reason (reason_size bytes,
 * always > 0). It must be thread-safe and quick: read flags the main loop keeps
 * in atomics (e.g. "running" set after READY, cleared on SIGTERM; "broker down"
 * set from the librdkafka error callback on
 * RD_KAFKA_RESP_ERR__ALL_BROKERS_DOWN, cleared when a poll or a delivery
 * succeeds again).
 */
struct wh_metrics_server;

/* Starts serving GET (and HEAD) on addr:
 *   /metrics  200, wh_metrics_render(reg), text/plain; version=0.0.4
 *   /metrics  also carries wirehose_build_info{version} and the standard
 *             process_* metrics (process_cpu_seconds_total,
 *             process_resident_memory_bytes, process_virtual_memory_bytes,
 *             process_open_fds, process_start_time_seconds) of this process
 *   /healthz  200 "ok\n" when health() says so (or health is NULL),
 *             503 "<reasons>\n" otherwise (one reason a line)
 *   /livez    the same with live(): the main loop turns
 *   other     404; other methods 405
 * addr is "HOST:PORT" or "[IPV6]:PORT"; HOST may be a name, an IP address
 * or empty (all addresses); PORT 0 picks a free port (see
 * wh_metrics_server_port()). The server runs its own thread, with SIGTERM,
 * SIGINT, SIGHUP and SIGPIPE blocked so they reach the main thread. reg and
 * opaque are borrowed and must outlive the server. Returns NULL with errstr
 * filled ("metrics ADDR: reason") when addr is malformed or cannot be
 * bound. Call from the main thread. */
struct wh_metrics_server *wh_metrics_server_start(
    struct wh_metrics *reg, const char *addr,
    int (*health)(void *opaque, char *reason, size_t reason_size),
    int (*live)(void *opaque, char *reason, size_t reason_size), void *opaque,
    char *errstr, size_t errstr_size);

/* The TCP port the server is bound to (useful after port 0). */
int wh_metrics_server_port(const struct wh_metrics_server *srv);

/* Stops the server: closes the socket and waits for requests in progress.
 * NULL is a no-op. Call from the thread that started it. */
void wh_metrics_server_stop(struct wh_metrics_server *srv);

#endif
