/*
 * producer.h - what the files of wirehose-producer share: the source and
 * its schedule, the settings, the jobs of a round, the daemon's state, and
 * the functions one file calls in another. Private to producers/ (the
 * daemon's modules are main.c (the loop), cli.c, settings.c, rounds.c,
 * delivery.c, counts.c, reload.c, and the pure assemble.c and interval.c).
 */
#ifndef WH_PRODUCER_H
#define WH_PRODUCER_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <strings.h>

#include "assemble.h"
#include "fetcher.h"
#include "source_line.h"
#include "sources/source.h"
#include "state.h"
#include "wh/backoff.h"
#include "wh/clock.h"
#include "wh/config.h"
#include "wh/kafka.h"
#include "wh/metrics.h"
#include "wh/prng.h"
#include "wh/record.h"

struct wh_quality;
struct fleet;
struct json_t;

#define TAG "producer"
#define EXIT_RUNTIME 1
#define EXIT_CONFIG 2
#define EXIT_SOURCES 3

struct source {
    char *name;          /* configured name, else the URL */
    char *url;           /* also the key of its state */
    char *tag;           /* "source:NAME" for the log */
    struct source *next; /* in struct settings or the retired list */
    int is_file;
    int tls_insecure;
    int body; /* BODY_* (assemble.h): where an item's body comes from */
    long long interval_ms; /* configured (per source or poll.interval_ms) */
    /* ---- schedule ---- */
    long long cur_ms; /* adaptive interval */
    long long due;    /* monotonic ms of the next round */
    struct wh_backoff bo;
    int polled;  /* rounds finished */
    int polling; /* a round is in progress */
    int removed; /* dropped by a reload: freed once refs is 0 */
    /* ---- work in flight ---- */
    struct job *qhead; /* jobs waiting for a per-source slot */
    struct job *qtail;
    size_t active;  /* jobs started (in the fetcher or ready) */
    size_t queued;  /* jobs in the queue */
    size_t records; /* produced, delivery report not yet served */
    /* ---- the round in progress ---- */
    uint64_t *seen; /* ids handed out (hash set, 0 = empty): an item
                       in several documents of a round goes once */
    size_t nseen;
    size_t seen_slots; /* a power of two, or 0 */
    size_t round_new;  /* new items */
    int round_failed;  /* the source's own document failed */
    long retry_after_s;
    int fleet_drop; /* fleet.c: its partition was revoked */
};

struct settings {
    const char *topic;
    const char *state_dir;
    const char *metrics;
    char *user_agent;
    long long timeout_ms;
    long long connect_timeout_ms;
    long long max_bytes;
    long long max_decoded_bytes;
    long long max_redirects;
    long long low_speed_limit;
    long long low_speed_time_s;
    long long host_delay_ms;
    long long max_per_host;
    long long max_total;
    long long robots_ttl_s;
    long long queue_max;
    long long queue_full_timeout_ms;
    long long flush_timeout_ms;
    long long interval_ms;
    long long max_interval_ms;
    long long jitter_pct;
    long long retry_min_ms;
    long long max_per_source;
    struct source *sources; /* in configuration order */
    size_t nsources;
};

struct counters {
    size_t sources_ok;
    size_t sources_failed;
    size_t items;       /* new items seen */
    size_t skipped;     /* items with nothing to fetch */
    size_t item_failed; /* fetch, extract or produce failed */
    size_t published;   /* delivery report: success */
    size_t delivery_failed;
    size_t undelivered; /* still queued at exit, purged */
};

struct cli {
    const char *config_path;
    int once;
    int check;
    int verbosity;
    const char *inspect; /* --inspect URL, or NULL */
    int no_pages;        /* --no-pages */
};

/* The validators of a fetched document, stored once every item of it is
 * published: storing them earlier would make a restarted producer skip
 * (304) a document whose items never made it. */
struct pending_val {
    char *source; /* source URL (the state key) */
    char *url;    /* document URL as requested */
    char *etag;
    char *last_modified;
    size_t outstanding; /* page jobs and records not yet finished */
    int failed;         /* an item failed: do not store */
    int done;           /* every item was handed out */
};

#define JOB_DOC 1
#define JOB_PAGE 2

/* One fetch of a round: a document of the source or an item's page. */
struct job {
    int kind;
    struct source *src;
    char *url;
    int depth;                  /* JOB_DOC: 0 for the source's own */
    char *id;                   /* JOB_PAGE: the item's id */
    struct wh_feed_item item;   /* JOB_PAGE: the feed's metadata, owned */
    struct pending_val *pv;     /* JOB_PAGE: its document's */
    struct wh_fetch_result res; /* a result made here (file://, refused) */
    struct job *next;           /* source queue or ready list */
    struct job *all_prev;       /* every live job, for shutdown */
    struct job *all_next;
};

/* What a delivery report needs to mark the item published. */
struct delivery {
    struct source *src;
    char *id;
    struct pending_val *pv;
};

struct producer {
    const struct cli *cli;
    const struct wh_config *flags; /* command-line settings */
    struct wh_config *cfg;         /* in force; set's strings point in */
    struct settings set;
    struct counters n;
    rd_kafka_t *rk;
    struct wh_fetcher *fetcher;
    struct wh_fetcher *old_fetcher; /* before a reload, draining */
    struct wh_state *state;
    char *state_dir;            /* in use; a reload cannot change it */
    struct source *retired;     /* dropped by a reload, still busy */
    struct wh_metrics *reg;     /* NULL when metrics are off */
    struct wh_quality *quality; /* extraction figures per source, or NULL */
    struct wh_metrics_server *srv;
    struct job *ready; /* results made here, handled next turn */
    struct job *ready_tail;
    struct job *all;     /* every live job */
    size_t outstanding;  /* produced, delivery report not yet served */
    int purging;         /* delivery reports now are purged records */
    struct wh_prng rng;  /* jitter */
    struct fleet *fleet; /* sources = kafka, else NULL */
    struct broker_watch *broker_watch; /* with /healthz, else NULL */
};

/* Non-zero for an http:// or https:// URL. */
static inline int is_http(const char *url)
{
    return strncasecmp(url, "http://", 7) == 0 ||
           strncasecmp(url, "https://", 8) == 0;
}

/* Non-zero for a file:// URL. */
static inline int is_file(const char *url)
{
    return strncasecmp(url, "file://", 7) == 0;
}

/* ---- settings.c: configuration keys and the settings they make ---------- */

extern const struct wh_config_key producer_keys[];

/* Checks everything in the configuration that can be checked without
 * side effects (required keys, every value against its declaration -
 * ranges, CIDRs, URLs -, kafka.* properties, sources) and fills set.
 * Returns WH_OK, or WH_EINVAL with one line per problem in pr. */
int settings_load(const struct wh_config *cfg, struct settings *set,
                  struct wh_config_problems *pr);
void settings_free(struct settings *set);
void source_free(struct source *src);
/* Non-zero when cfg says sources = kafka. */
int fleet_mode(const struct wh_config *cfg);
/* A new source made of sl's parts (sl's strings move into it; sl is left
 * to source_line_free); interval_ms 0 takes default_interval_ms. */
struct source *source_from_line(struct source_line *sl,
                                long long default_interval_ms);
/* Builds a fetcher from the settings, with every fetch.allow_address
 * CIDR. Returns NULL with errstr filled on a bad CIDR. */
struct wh_fetcher *
fetcher_build(const struct wh_config *cfg, const struct settings *set,
              void (*on_result)(struct wh_fetch_result *, void *), void *opaque,
              char *errstr, size_t errstr_size);
/* --check-config -v: each source with its options and state files. */
void print_sources(const struct settings *set);

/* ---- cli.c: the command line ------------------------------------------ */

/* Parses argv: the config file path and flags into cli; every setting
 * into flags (applied after the file is loaded, so flags win). Returns
 * WH_OK, 1 when --help was printed, or WH_EINVAL (message printed). */
int parse_args(int argc, char **argv, struct cli *cli, struct wh_config *flags);
/* Reads the configuration: the file (when given), then the flags over
 * it, then checks it into set. Returns the config (set's strings point
 * into it), or NULL with one line per problem in pr. */
struct wh_config *load_config(const struct cli *cli,
                              const struct wh_config *flags,
                              struct settings *set,
                              struct wh_config_problems *pr);

/* ---- counts.c: metrics ----------------------------------------------- */

void count_fetch(struct producer *p, const struct source *src,
                 const struct wh_fetch_result *res, int from_file);
void count_record(struct producer *p, const char *stage, const char *outcome);
void count_fill(struct producer *p, const struct source *src,
                const struct wh_record *rec);

/* ---- delivery.c: Kafka produce and delivery reports ------------------- */

/* Stores pv's validators when its document is done and every item of it
 * was delivered; frees pv once nothing refers to it any more. */
void pending_check(struct producer *p, struct pending_val *pv);
/* The delivery-report callback (opaque: the producer). */
void on_delivery(rd_kafka_t *rk, const rd_kafka_message_t *rkm, void *opaque);
/* Finishes a record (assemble_finish()) and produces it. Takes ownership
 * of rec. */
void finish_item(struct producer *p, struct source *src, struct wh_record *rec,
                 const struct wh_feed_item *it, const char *id,
                 struct pending_val *pv);

/* ---- rounds.c: jobs and rounds ---------------------------------------- */

/* Forgets the ids of the source's round. */
void round_forget(struct source *src);
/* The fetcher's on_result (opaque: the producer). */
void on_fetch_result(struct wh_fetch_result *res, void *opaque);
/* Handles the results made here. Returns how many. */
int ready_run(struct producer *p);
/* Starts the rounds that are due. Returns the ms until the next one
 * (capped at 1000). */
long long start_due(struct producer *p);
/* Frees every job left (at shutdown, after the fetcher is gone). */
void jobs_abort(struct producer *p);

/* ---- inspect.c: --inspect URL ------------------------------------------ */

/* Prints what the producer makes of cli->inspect (see inspect.c): no
 * Kafka, no state. Returns the exit status: 0 when the source was
 * fetched and parsed, EXIT_SOURCES when not (the reason on stderr),
 * EXIT_CONFIG on a bad fetch setting. */
int inspect_run(const struct cli *cli, const struct wh_config *cfg,
                const struct settings *set);

/* ---- reload.c: sources at start and reload ---------------------------- */

/* Sets up the schedule of a source new to this process: due at once. */
void source_activate(struct producer *p, struct source *src);
/* Drops freed sources from the retired list. */
void retired_sweep(struct producer *p);
/* Frees src now, or keeps it on p->retired until its work in flight is
 * done (src already out of p->set.sources). */
void source_retire(struct producer *p, struct source *src);
/* SIGHUP: reads the configuration again (see reload.c). */
void reload(struct producer *p);

/* ---- fleet.c: sources = kafka (a group shares the sources topic) ------ */

/* Joins the fleet's group on the sources topic. Returns WH_OK, or
 * WH_EINVAL with errstr filled (a bad kafka.* property). */
int fleet_start(struct producer *p, char *errstr, size_t errstr_size);
/* Follows assignment changes and applies the source messages waiting
 * (never blocks). Main loop, every turn. */
void fleet_poll(struct producer *p);
/* delivery.c: id of src was delivered (kept for src's state message). */
void fleet_marked(struct producer *p, const struct source *src, const char *id);
/* Leaves the group (the partitions go to the others at once) and frees
 * the fleet; the sources stay in p->set until freed with it. */
void fleet_stop(struct producer *p);
/* The fleet's names from cfg: sources.topic, sources.state_topic and
 * sources.group, else TOPIC.sources, TOPIC.state and TOPIC.producers.
 * Each a new string the caller frees. */
void fleet_names(const struct wh_config *cfg, const char *topic,
                 char **sources_topic, char **state_topic, char **group);

/* ---- fleet_inspect.c: --inspect with sources = kafka ------------------ */

/* What the fleet knows of the source whose URL is url, as a JSON object
 * for --inspect's header (see fleet_inspect.c): the sources topic and
 * its partitions, the source's id, partition and settings, its state,
 * the group's members. Never NULL: what could not be read is said in it
 * ("error" members) and on stderr. The caller owns the object. */
struct json_t *fleet_inspect(const struct wh_config *cfg, const char *topic,
                             const char *url);

/* ---- broker_watch.c: the broker check behind /healthz, in a thread ---- */

/* Starts a thread running wh_daemon_broker_check(rk) at once and every
 * 10 s; rk is borrowed and must outlive broker_watch_stop(). NULL (a
 * warning logged) when the thread cannot start. */
struct broker_watch *broker_watch_start(rd_kafka_t *rk);

/* Stops and joins the thread (within the check in progress, 500 ms at
 * most); NULL is a no-op. */
void broker_watch_stop(struct broker_watch *bw);

#endif
