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
 * high watermark librdkafka last saw minus the position, every few
 * seconds, no broker round trip); wirehose_sink_latency_seconds{sink}
 * (each process() and each flush() call of a sink);
 * wirehose_dead_letters_total{reason}. /healthz answers 200 while the
 * main loop runs and a metadata request reaches the brokers.
 *
 * systemd: READY once subscribed, STATUS every few seconds, WATCHDOG only
 * after a loop turn that returned from the poll with nothing waiting or
 * with progress since the last ping, STOPPING on SIGTERM. SIGHUP reads
 * the configuration again and applies log.level, flush.records and
 * flush.ms; any other key that changed is named as needing a restart.
 *
 * Everything runs on the main thread; the signal handlers only set a flag
 * (the metrics server has its own thread and reads only the registry and
 * two atomics).
 */
#include <getopt.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <librdkafka/rdkafka.h>

#include "dedup/near.h"
#include "enrich/enrich.h"
#include "stage.h"
#include "wh/config.h"
#include "wh/daemon.h"
#include "wh/kafka.h"
#include "wh/log.h"
#include "wh/metrics.h"
#include "wh/notify.h"
#include "wh/record.h"
#include "wh/wh.h"

#define TAG "consumer"
#define PROG "wirehose-consumer"

#define DEFAULT_GROUP "wirehose-consumer"
#define MAX_STAGES 64          /* bits of struct work.done */
#define POLL_MS 100
#define ASSIGNMENT_SYNC_MS 100
#define BACKOFF_MIN_MS 200
#define BACKOFF_MAX_MS 30000
#define SHUTDOWN_FLUSH_TRIES 5
#define SHUTDOWN_REBALANCE_TRIES 50  /* x POLL_MS */
#define DLQ_FLUSH_MS 10000
#define LAG_EVERY_MS 5000
#define BROKER_CHECK_MS 10000
#define STATUS_EVERY_MS 10000

/* The consumer's own keys; config_keys() adds the dedup stage's. */
static const struct wh_config_key base_keys[] = {
    {"brokers", 0, "Kafka bootstrap servers, host:port[,host:port] (-b)"},
    {"topic", 0, "topic to consume; several separated by commas (-t)"},
    {"group", 0, "consumer group id (-g); default " DEFAULT_GROUP},
    {"sink", 1, "where records go: KIND:ARG (--sink)"},
    {"enrich", 0, "enrichers to run, comma-separated (--enrich); default "
                  "all, none for none"},
    {"dedup", 0, "dedup stages to run, comma-separated (--dedup); default "
                 "all, none for none"},
    {"flush.records", 0, "flush sinks, store offsets every N records (1000)"},
    {"flush.ms", 0, "... and at least every N milliseconds (1000)"},
    {"log.level", 0, "debug, info, notice, warning or err (default info)"},
    {"dlq.topic", 0, "dead-letter topic (default <topic>.dlq; off: none)"},
    {"metrics", 0, "ADDR:PORT serving /metrics and /healthz (--metrics)"},
    {"dedup.copies_topic", 0, "with dedup.copies = topic: the topic copies "
                              "go to instead of the sinks (<topic>.copies)"},
    WH_ENRICH_CONFIG_KEYS,
    {"jsonl.max_bytes", 0, "jsonl sink: rotate past N bytes (0: never)"},
    {"jsonl.max_age_s", 0, "jsonl sink: rotate N s old files (0: never)"},
    {"jsonl.window_s", 0, "jsonl sink: forget the lines of files rotated "
                          "longer ago (2592000 = 30 d; 0: never)"},
    {"jsonl.fsync", 0, "jsonl sink: batch (default), always, never"},
    {"postgres.table", 0, "postgres sink: table name (default articles)"},
    {"postgres.batch", 0, "postgres sink: rows per transaction (500)"},
    {"http.batch_docs", 0, "http sink: documents per _bulk request (500)"},
    {"http.batch_bytes", 0, "http sink: bytes per _bulk request (5242880)"},
    {"http.timeout_ms", 0, "http sink: request timeout (30000)"},
    {"http.max_retries", 0, "http sink: retries of 429/5xx items (5)"},
    {NULL, 0, NULL}
};

/* base_keys followed by wh_dedup_config_keys, built once, kept for the
 * life of the process (configurations borrow it). */
static const struct wh_config_key *config_keys(void)
{
    static struct wh_config_key *all;
    size_t nb = 0;
    size_t nd = 0;

    if (all != NULL) {
        return all;
    }
    while (base_keys[nb].name != NULL) {
        nb++;
    }
    while (wh_dedup_config_keys[nd].name != NULL) {
        nd++;
    }
    all = wh_xcalloc(nb + nd + 1, sizeof(*all));
    memcpy(all, base_keys, nb * sizeof(*all));
    memcpy(all + nb, wh_dedup_config_keys, nd * sizeof(*all));
    return all;
}

/* A stage set up for this run. */
struct inst {
    const struct wh_stage *st;
    void *ctx;
    char tag[64];              /* "sink:jsonl" */
    /* wirehose_records_total{stage=tag,outcome}, latency (sinks) */
    struct wh_metric *m_ok;
    struct wh_metric *m_skip;
    struct wh_metric *m_retry;
    struct wh_metric *m_reject;
    struct wh_metric *m_latency;
};

/* A record on its way through the stages. */
struct work {
    rd_kafka_message_t *rkm;   /* NULL when there is none */
    struct wh_record *rec;
    uint64_t token;            /* names it to the sinks (wh_msg_meta) */
    size_t pos;                /* next dedup/enrich stage to run */
    uint64_t done;             /* sinks that took it, by stage index */
    int rejected;              /* a sink refused it for good */
};

/* A record the sinks took, kept until the flush covering it succeeds so
 * that a refusal reported at flush time can dead-letter it. */
struct pend {
    rd_kafka_message_t *rkm;
    uint64_t token;
    int rejected;              /* dead-lettered (or refused) already */
};

/* What we know of one partition. */
struct part {
    char *topic;
    int32_t partition;
    int assigned;
    int eof;                   /* at the end, nothing since (--once) */
    int dirty;                 /* processed up to next, not yet stored */
    int64_t next;              /* offset to store once flushed */
    struct work held;          /* a record waiting for a retry */
    int paused;
    int backoff_ms;
    int64_t retry_at;
    int64_t reread;            /* offset to seek to on resume, or -1 */
    struct wh_metric *m_lag;   /* NULL until first measured */
};

struct consumer {
    struct wh_config *cfg;
    struct wh_config *stage_cfg; /* cfg for the stages (stage_config()) */
    rd_kafka_t *rk;
    struct inst insts[MAX_STAGES];
    size_t ninsts;
    size_t first_sink;
    size_t copies_at;          /* the copies sink, or SIZE_MAX: none */
    struct part *parts;
    size_t nparts;
    size_t parts_cap;
    size_t nassigned;
    long long flush_records;
    long long flush_ms;
    size_t pending;            /* finished records not yet stored */
    unsigned long long unflushed_written; /* written, not yet flushed */
    int64_t first_pending_at;
    int64_t progress_at;       /* a record finished or a flush succeeded */
    int64_t flush_retry_at;
    int flush_backoff_ms;
    int fatal;
    struct pend *pends;        /* records in the sinks, not yet flushed */
    size_t npends;
    size_t pends_cap;
    uint64_t next_token;
    const char *cur_tag;       /* the stage being called, for reject_cb */
    rd_kafka_t *dlq_rk;        /* dead-letter producer; NULL when off */
    const char *dlq_topic;     /* a fixed topic, or NULL: <topic>.dlq */
    long dlq_outstanding;      /* produced, delivery not yet reported */
    int dlq_failed;            /* a dead letter was not delivered */
    unsigned long long n_in;
    unsigned long long n_written;      /* and flushed */
    unsigned long long n_dup;
    unsigned long long n_dropped;
    unsigned long long n_bad;
    unsigned long long n_rejected;
    unsigned long long n_dead;
    struct wh_metrics *reg;    /* NULL when metrics are off */
    struct wh_metrics_server *srv;
    struct wh_metric *m_in_ok;
    struct wh_metric *m_in_bad;
};

struct opts {
    const char *config_path;
    const char *enrich;
    const char *dedup;
    const char *brokers;
    const char *topic;
    const char *group;
    const char **sinks;
    size_t nsinks;
    const char **xprops;
    size_t nxprops;
    const char *metrics;
    int once;
    int check;
    int verbosity;
    long timeout_s;
};

static int64_t now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static double now_s(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Counts one record leaving a stage: m_ok / m_skip / m_retry / m_reject
 * by the stage's answer (a NULL handle counts nothing). */
static void count_outcome(const struct inst *in, int rc)
{
    wh_metrics_inc(rc == WH_OK       ? in->m_ok
                   : rc == WH_DROP   ? in->m_skip
                   : rc == WH_RETRY  ? in->m_retry
                   : rc == WH_REJECT ? in->m_reject
                                     : NULL);
}

/* wirehose_dedup_decisions_total: what a dedup stage made of a record,
 * read from the answer and the "dedup" member it wrote. */
static void count_decision(struct wh_metrics *reg,
                           const struct wh_record *rec, int rc)
{
    const char *d = rec->ext != NULL
                        ? json_string_value(json_object_get(rec->ext,
                                                            "dedup"))
                        : NULL;
    const char *decision;

    if (reg == NULL) {
        return;
    }
    if (rc == WH_RETRY || rc == WH_FATAL) {
        decision = "error";
    } else if (d != NULL && strcmp(d, "copy") == 0) {
        decision = rc == WH_DROP ? "dropped" : "duplicate";
    } else if (rc == WH_DROP) {
        decision = "repeat";
    } else if (d != NULL && strcmp(d, "version") == 0) {
        decision = "update";
    } else if (d != NULL && strcmp(d, "skipped") == 0) {
        decision = "skipped";
    } else if (rc == WH_OK) {
        decision = "new";
    } else {
        decision = "error";
    }
    wh_metrics_inc(wh_metrics_get(reg, WH_M_DEDUP,
                                  WH_METRICS_LABELS(decision)));
}

static void usage(FILE *fp)
{
    size_t i;
    const struct wh_stage *st;

    fprintf(fp,
"Usage: " PROG " [OPTIONS]\n"
"\n"
"Joins a Kafka consumer group, takes each record through the dedup and\n"
"enrich stages and writes it to every sink; offsets are stored only once\n"
"the sinks hold the record (at-least-once).\n"
"\n"
"  -c FILE            read the configuration file FILE\n"
"  -b BROKERS         bootstrap brokers (key: brokers)\n"
"  -t TOPIC           topic(s) to consume, comma-separated (key: topic)\n"
"  -g GROUP           consumer group (key: group)\n"
"  -X PROP=VALUE      librdkafka property (key: kafka.PROP; repeatable)\n"
"  --sink KIND:ARG    a sink, e.g. jsonl:out.jsonl or jsonl:- (key: sink;\n"
"                     repeatable)\n"
"  --enrich LIST      enrichers to run, comma-separated, in table order\n"
"                     whatever the list's order; all (default) or none\n"
"                     (key: enrich)\n"
"  --dedup LIST       dedup stages to run, likewise (key: dedup)\n"
"  --metrics ADDR:PORT  serve Prometheus /metrics and /healthz there\n"
"                     (key: metrics)\n"
"  --once             exit 0 once caught up with the end of every\n"
"                     assigned partition\n"
"  --timeout SEC      with --once: give up (exit 1) when no partition is\n"
"                     assigned, or the sinks take nothing, for SEC\n"
"                     seconds (default 60)\n"
"  --check-config     validate the configuration and exit\n"
"  -v, -q             more, less logging (repeatable)\n"
"  -h, --help         this help\n"
"\n"
"Flags override the configuration file. New groups start at the earliest\n"
"offset unless kafka.auto.offset.reset says otherwise.\n"
"A message that is not a record, or that a stage refuses for good, goes\n"
"to the dead-letter topic (<topic>.dlq; key dlq.topic) as it was, key\n"
"and headers included, with wh.dlq.reason / .detail / .stage / .topic /\n"
".partition / .offset / .time headers added.\n"
"SIGTERM/SIGINT: flush, commit, leave the group, exit 0. SIGHUP: read the\n"
"configuration again; log.level, flush.records and flush.ms apply at once,\n"
"other changed keys are named and need a restart.\n"
"Exit status: 0 done, 1 runtime failure, 2 bad usage or configuration.\n"
"\n"
"Configuration keys:\n");
    wh_config_print_keys(config_keys(), fp);
    fprintf(fp, "\nStages (the dedup and enrich stages selected run in "
            "this order;\nsinks as named):\n");
    for (i = 0; (st = wh_stage_at(i)) != NULL; i++) {
        fprintf(fp, "  %s:%s\n      %s\n",
                st->type == WH_STAGE_DEDUP    ? "dedup"
                : st->type == WH_STAGE_ENRICH ? "enrich"
                                              : "sink",
                st->name, st->description);
    }
}

/* Returns 0 to go on, 1 when --help was printed, 2 on a usage error. */
static int parse_args(int argc, char **argv, struct opts *o)
{
    static const struct option longopts[] = {
        {"sink", required_argument, NULL, 's'},
        {"enrich", required_argument, NULL, 'E'},
        {"dedup", required_argument, NULL, 'D'},
        {"metrics", required_argument, NULL, 'M'},
        {"once", no_argument, NULL, 'o'},
        {"timeout", required_argument, NULL, 'T'},
        {"check-config", no_argument, NULL, 'C'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0}
    };
    int opt;

    o->timeout_s = 60;
    while ((opt = getopt_long(argc, argv, "c:b:t:g:X:vqh", longopts,
                              NULL)) != -1) {
        switch (opt) {
        case 'c':
            o->config_path = optarg;
            break;
        case 'b':
            o->brokers = optarg;
            break;
        case 't':
            o->topic = optarg;
            break;
        case 'g':
            o->group = optarg;
            break;
        case 'X':
            o->xprops[o->nxprops++] = optarg;
            break;
        case 's':
            o->sinks[o->nsinks++] = optarg;
            break;
        case 'o':
            o->once = 1;
            break;
        case 'T':
            if (wh_daemon_opt_seconds(PROG, "--timeout", optarg,
                                      &o->timeout_s) != 0) {
                return 2;
            }
            break;
        case 'C':
            o->check = 1;
            break;
        case 'E':
            o->enrich = optarg;
            break;
        case 'D':
            o->dedup = optarg;
            break;
        case 'M':
            o->metrics = optarg;
            break;
        case 'v':
            o->verbosity++;
            break;
        case 'q':
            o->verbosity--;
            break;
        case 'h':
            usage(stdout);
            return 1;
        default:
            fprintf(stderr, "Try '" PROG " --help'.\n");
            return 2;
        }
    }
    if (optind < argc) {
        fprintf(stderr, PROG ": unexpected argument '%s'\n", argv[optind]);
        return 2;
    }
    return 0;
}

/* The last entry of a single-valued key (for its origin), or NULL. */
static const struct wh_config_entry *last_entry(const struct wh_config *cfg,
                                                const char *key)
{
    const struct wh_config_entry *e = wh_config_first(cfg, key);
    const struct wh_config_entry *last = NULL;

    for (; e != NULL; e = wh_config_next(e)) {
        last = e;
    }
    return last;
}

/* Loads the file, then the flags over it. Returns WH_OK or an error with
 * errstr filled. */
static int build_config(struct wh_config *cfg, const struct opts *o,
                        char *errstr, size_t errstr_size)
{
    const struct {
        const char *key;
        const char *value;
    } flags[] = {
        {"brokers", o->brokers}, {"topic", o->topic},
        {"group", o->group},     {"enrich", o->enrich},
        {"dedup", o->dedup},     {"metrics", o->metrics},
    };
    size_t i;
    int rc;

    if (o->config_path != NULL) {
        rc = wh_config_load(cfg, o->config_path, errstr, errstr_size);
        if (rc != WH_OK) {
            return rc;
        }
    }
    for (i = 0; i < WH_ARRAY_SIZE(flags); i++) {
        if (flags[i].value == NULL) {
            continue;
        }
        rc = wh_config_set(cfg, flags[i].key, flags[i].value, errstr,
                           errstr_size);
        if (rc != WH_OK) {
            return rc;
        }
    }
    for (i = 0; i < o->nsinks; i++) {
        rc = wh_config_set(cfg, "sink", o->sinks[i], errstr, errstr_size);
        if (rc != WH_OK) {
            return rc;
        }
    }
    for (i = 0; i < o->nxprops; i++) {
        rc = wh_config_set_kafka(cfg, o->xprops[i], errstr, errstr_size);
        if (rc != WH_OK) {
            return rc;
        }
    }
    return WH_OK;
}

/* Splits "kind:arg" of a sink entry; *arg is NULL without a ':'. The
 * returned kind is newly allocated. */
static char *sink_kind(const char *value, const char **arg)
{
    const char *colon = strchr(value, ':');

    if (colon == NULL) {
        *arg = NULL;
        return wh_xstrdup(value);
    }
    *arg = colon + 1;
    return wh_xstrndup(value, (size_t)(colon - value));
}

/* The config key selecting the stages of a type ("enrich", "dedup"). */
static const char *select_key(enum wh_stage_type type)
{
    return type == WH_STAGE_DEDUP ? "dedup" : "enrich";
}

/* Non-zero when name is in the comma-separated list (blanks allowed). */
static int in_list(const char *list, const char *name)
{
    size_t len = strlen(name);
    const char *p = list;

    while (*p != '\0') {
        size_t n;

        p += strspn(p, ", \t");
        n = strcspn(p, ", \t");
        if (n == len && strncmp(p, name, n) == 0) {
            return 1;
        }
        p += n;
    }
    return 0;
}

/* Whether stage st runs: every one of its type unless the "enrich" /
 * "dedup" key lists some (or says none). */
static int selected(const struct wh_config *cfg, const struct wh_stage *st)
{
    const char *list = wh_config_get(cfg, select_key(st->type), NULL);

    if (list == NULL || strcmp(list, "all") == 0) {
        return 1;
    }
    return in_list(list, st->name);
}

/* Checks the "enrich" or "dedup" key: known stage names, or all / none
 * alone. Returns WH_OK or WH_EINVAL with errstr filled. */
static int check_selection(const struct wh_config *cfg,
                           enum wh_stage_type type, char *errstr,
                           size_t errstr_size)
{
    const char *key = select_key(type);
    const char *list = wh_config_get(cfg, key, NULL);
    const struct wh_config_entry *e = last_entry(cfg, key);
    const char *p = list;

    if (list == NULL || strcmp(list, "all") == 0 ||
        strcmp(list, "none") == 0) {
        return WH_OK;
    }
    while (*p != '\0') {
        size_t n;
        char *name;
        int known;

        p += strspn(p, ", \t");
        n = strcspn(p, ", \t");
        if (n == 0) {
            break;
        }
        name = wh_xstrndup(p, n);
        known = wh_stage_find(type, name) != NULL;
        if (!known) {
            snprintf(errstr, errstr_size, "%s: %s: unknown stage '%s' "
                     "(see --help for the %s stages there are; or all, "
                     "none)", e != NULL ? e->origin : "?", key, name, key);
        }
        free(name);
        if (!known) {
            return WH_EINVAL;
        }
        p += n;
    }
    return WH_OK;
}

/* Checks everything that can be checked without side effects: required
 * keys, numbers, log level, sink kinds and every kafka.* property.
 * Returns WH_OK or WH_EINVAL with errstr filled. */
static int validate(const struct wh_config *cfg, long long *flush_records,
                    long long *flush_ms, char *errstr, size_t errstr_size)
{
    static const struct {
        const char *key;
        const char *values;   /* the words allowed, for in_list() */
        const char *say;
    } choices[] = {{"dedup.copies", "keep,drop,topic", "keep, drop or topic"},
                   {"dedup.fsync", "flush,each", "flush or each"}};
    size_t i;
    const struct wh_config_entry *e;
    rd_kafka_conf_t *conf = NULL;
    const char *topic;
    const char *level;
    int nsinks = 0;
    int rc = WH_EINVAL;

    if (wh_config_get(cfg, "brokers", NULL) == NULL) {
        snprintf(errstr, errstr_size, "brokers: not set (use -b BROKERS "
                 "or the brokers key)");
        goto out;
    }
    topic = wh_config_get(cfg, "topic", NULL);
    if (topic == NULL || strspn(topic, ", ") == strlen(topic)) {
        snprintf(errstr, errstr_size, "topic: not set (use -t TOPIC or the "
                 "topic key)");
        goto out;
    }
    level = wh_config_get(cfg, "log.level", NULL);
    if (level != NULL && wh_log_level_parse(level) < 0) {
        e = last_entry(cfg, "log.level");
        snprintf(errstr, errstr_size, "%s: log.level: unknown level '%s'",
                 e != NULL ? e->origin : "?", level);
        goto out;
    }
    if (wh_config_get_int(cfg, "flush.records", 1000, flush_records, errstr,
                          errstr_size) != WH_OK ||
        wh_config_get_int(cfg, "flush.ms", 1000, flush_ms, errstr,
                          errstr_size) != WH_OK) {
        goto out;
    }
    if (*flush_records < 1 || *flush_ms < 1) {
        e = last_entry(cfg, *flush_records < 1 ? "flush.records"
                                               : "flush.ms");
        snprintf(errstr, errstr_size, "%s: %s: must be at least 1",
                 e != NULL ? e->origin : "?",
                 *flush_records < 1 ? "flush.records" : "flush.ms");
        goto out;
    }
    for (e = wh_config_first(cfg, "sink"); e != NULL; e = wh_config_next(e)) {
        const char *arg;
        char *kind = sink_kind(e->value, &arg);
        int known = wh_stage_find(WH_STAGE_SINK, kind) != NULL;

        if (!known) {
            snprintf(errstr, errstr_size, "%s: sink: unknown kind '%s' in "
                     "'%s' (see --help for the sinks there are)", e->origin,
                     kind, e->value);
        }
        free(kind);
        if (!known) {
            goto out;
        }
        nsinks++;
    }
    /* The dedup stage checks its keys when it starts; the choices are
     * checked here too so that --check-config catches a typo. */
    for (i = 0; i < WH_ARRAY_SIZE(choices); i++) {
        const char *v = wh_config_get(cfg, choices[i].key, NULL);

        if (v != NULL && (strchr(v, ',') != NULL ||
                          !in_list(choices[i].values, v))) {
            e = last_entry(cfg, choices[i].key);
            snprintf(errstr, errstr_size, "%s: %s: \"%s\": expected %s",
                     e != NULL ? e->origin : "?", choices[i].key, v,
                     choices[i].say);
            goto out;
        }
    }
    if (check_selection(cfg, WH_STAGE_DEDUP, errstr, errstr_size) !=
            WH_OK ||
        check_selection(cfg, WH_STAGE_ENRICH, errstr, errstr_size) !=
            WH_OK) {
        goto out;
    }
    if (nsinks == 0) {
        snprintf(errstr, errstr_size, "sink: none set (use --sink KIND:ARG, "
                 "e.g. --sink jsonl:out.jsonl, or the sink key)");
        goto out;
    }
    /* librdkafka checks names and values; report them with their origin. */
    conf = rd_kafka_conf_new();
    for (e = cfg->head; e != NULL; e = e->next) {
        char kerr[256];

        if (strncmp(e->key, "kafka.", 6) != 0) {
            continue;
        }
        if (rd_kafka_conf_set(conf, e->key + 6, e->value, kerr,
                              sizeof(kerr)) != RD_KAFKA_CONF_OK) {
            snprintf(errstr, errstr_size, "%s: %s: %s", e->origin, e->key,
                     kerr);
            goto out;
        }
    }
    rc = WH_OK;
out:
    if (conf != NULL) {
        rd_kafka_conf_destroy(conf);
    }
    return rc;
}

/* The metric series of a stage set up for this run. */
static void inst_metrics(struct consumer *c, struct inst *in)
{
    in->m_ok = wh_metrics_get(c->reg, WH_M_RECORDS,
                              WH_METRICS_LABELS(in->tag, "ok"));
    in->m_skip = wh_metrics_get(c->reg, WH_M_RECORDS,
                                WH_METRICS_LABELS(in->tag, "skip"));
    in->m_retry = wh_metrics_get(c->reg, WH_M_RECORDS,
                                 WH_METRICS_LABELS(in->tag, "retry"));
    in->m_reject = wh_metrics_get(c->reg, WH_M_RECORDS,
                                  WH_METRICS_LABELS(in->tag, "reject"));
    if (in->st->type == WH_STAGE_SINK) {
        in->m_latency = wh_metrics_get(c->reg, WH_M_SINK_LATENCY,
                                       WH_METRICS_LABELS(in->st->name));
    }
}

static int consumer_only(const char *prop);

/* The configuration the stages see: everything but the consumer-only
 * kafka.* properties, which a sink's own producer (kafka:TOPIC, the
 * copies topic) would warn about. Kept for the life of the consumer. */
static struct wh_config *stage_config(const struct wh_config *cfg)
{
    struct wh_config *scfg = wh_config_new(config_keys());
    const struct wh_config_entry *e;
    char errstr[256];

    for (e = cfg->head; e != NULL; e = e->next) {
        int rc;

        if (strncmp(e->key, "kafka.", 6) == 0 && consumer_only(e->key + 6)) {
            continue;
        }
        /* Known keys of a valid configuration: cannot fail. */
        rc = wh_config_set(scfg, e->key, e->value, errstr, sizeof(errstr));
        WH_ASSERT(rc == WH_OK);
    }
    return scfg;
}

/* With dedup.copies = topic (and a dedup stage running), the dedup stage
 * marks copies ("dedupRoute": "copies") and they go, instead of to the
 * sinks, to their own topic through a Kafka sink of their own: delivered
 * before their offsets are stored, like any sink. Returns WH_OK or
 * WH_EINVAL with errstr filled. */
static int copies_init(struct consumer *c, char *errstr, size_t errstr_size)
{
    const char *mode = wh_config_get(c->cfg, "dedup.copies", "keep");
    const char *topic = wh_config_get(c->cfg, "dedup.copies_topic", NULL);
    char *deflt = NULL;
    char serr[512];
    struct inst *in;
    size_t i;
    int dedup = 0;

    c->copies_at = SIZE_MAX;
    for (i = 0; i < c->first_sink; i++) {
        dedup |= c->insts[i].st->type == WH_STAGE_DEDUP;
    }
    if (!dedup || strcmp(mode, "topic") != 0) {
        return WH_OK;
    }
    if (c->ninsts == MAX_STAGES) {
        snprintf(errstr, errstr_size, "dedup.copies: at most %d stages",
                 MAX_STAGES);
        return WH_EINVAL;
    }
    if (topic == NULL) {
        const char *t = wh_config_get(c->cfg, "topic", "");

        t += strspn(t, ", ");
        deflt = wh_xasprintf("%.*s.copies", (int)strcspn(t, ", "), t);
        topic = deflt;
    }
    in = &c->insts[c->ninsts];
    snprintf(in->tag, sizeof(in->tag), "sink:copies");
    in->st = wh_stage_find(WH_STAGE_SINK, "kafka");
    WH_ASSERT(in->st != NULL);
    serr[0] = '\0';
    in->ctx = in->st->init(topic, c->stage_cfg, serr, sizeof(serr));
    if (in->ctx == NULL) {
        snprintf(errstr, errstr_size, "dedup.copies_topic %s: %s", topic,
                 serr);
        free(deflt);
        return WH_EINVAL;
    }
    inst_metrics(c, in);
    c->copies_at = c->ninsts++;
    wh_info(TAG, "near-duplicate copies go to %s, not to the sinks", topic);
    free(deflt);
    return WH_OK;
}

/* Non-zero when a dedup stage marked the record for the copies topic. */
static int is_copy(const struct wh_record *rec)
{
    const char *route =
        rec->ext != NULL
            ? json_string_value(json_object_get(rec->ext, "dedupRoute"))
            : NULL;

    return route != NULL && strcmp(route, "copies") == 0;
}

/* Sets up the dedup and enrich stages of the table, then the sinks of the
 * configuration. Returns WH_OK or an error with errstr filled. */
static int stages_init(struct consumer *c, char *errstr, size_t errstr_size)
{
    c->stage_cfg = stage_config(c->cfg);
    static const enum wh_stage_type order[] = {WH_STAGE_DEDUP,
                                               WH_STAGE_ENRICH};
    const struct wh_config_entry *e;
    const struct wh_stage *st;
    char serr[512];
    size_t t, i;

    for (t = 0; t < WH_ARRAY_SIZE(order); t++) {
        for (i = 0; (st = wh_stage_at(i)) != NULL; i++) {
            struct inst *in;

            if (st->type != order[t] || !selected(c->cfg, st)) {
                continue;
            }
            WH_ASSERT(c->ninsts < MAX_STAGES);
            in = &c->insts[c->ninsts];
            snprintf(in->tag, sizeof(in->tag), "%s:%s",
                     st->type == WH_STAGE_DEDUP ? "dedup" : "enrich",
                     st->name);
            serr[0] = '\0';
            in->ctx = st->init(NULL, c->stage_cfg, serr, sizeof(serr));
            if (in->ctx == NULL) {
                snprintf(errstr, errstr_size, "%s: %s", in->tag, serr);
                return WH_EINVAL;
            }
            in->st = st;
            inst_metrics(c, in);
            c->ninsts++;
        }
    }
    c->first_sink = c->ninsts;
    for (e = wh_config_first(c->cfg, "sink"); e != NULL;
         e = wh_config_next(e)) {
        const char *arg;
        char *kind = sink_kind(e->value, &arg);
        struct inst *in;

        st = wh_stage_find(WH_STAGE_SINK, kind);
        free(kind);
        WH_ASSERT(st != NULL);     /* validate() checked */
        if (c->ninsts == MAX_STAGES) {
            snprintf(errstr, errstr_size, "%s: sink: at most %d stages",
                     e->origin, MAX_STAGES);
            return WH_EINVAL;
        }
        in = &c->insts[c->ninsts];
        snprintf(in->tag, sizeof(in->tag), "sink:%s", st->name);
        serr[0] = '\0';
        in->ctx = st->init(arg, c->stage_cfg, serr, sizeof(serr));
        if (in->ctx == NULL) {
            snprintf(errstr, errstr_size, "%s: sink %s: %s", e->origin,
                     e->value, serr);
            return WH_EINVAL;
        }
        in->st = st;
        inst_metrics(c, in);
        c->ninsts++;
    }
    return copies_init(c, errstr, errstr_size);
}

static void stages_close(struct consumer *c)
{
    size_t i;

    for (i = c->ninsts; i > 0; i--) {
        c->insts[i - 1].st->close(c->insts[i - 1].ctx);
    }
    c->ninsts = 0;
}

static struct part *part_get(struct consumer *c, const char *topic,
                             int32_t partition)
{
    struct part *p;
    size_t i;

    for (i = 0; i < c->nparts; i++) {
        if (c->parts[i].partition == partition &&
            strcmp(c->parts[i].topic, topic) == 0) {
            return &c->parts[i];
        }
    }
    if (c->nparts == c->parts_cap) {
        c->parts_cap = c->parts_cap != 0 ? c->parts_cap * 2 : 16;
        c->parts = wh_xrealloc(c->parts, c->parts_cap * sizeof(*c->parts));
    }
    p = &c->parts[c->nparts++];
    memset(p, 0, sizeof(*p));
    p->topic = wh_xstrdup(topic);
    p->partition = partition;
    p->reread = -1;
    return p;
}

static void work_clear(struct work *w)
{
    wh_record_free(w->rec);
    if (w->rkm != NULL) {
        rd_kafka_message_destroy(w->rkm);
    }
    memset(w, 0, sizeof(*w));
}

/* Pauses or resumes one partition. */
static void part_pause(struct consumer *c, struct part *p, int pause)
{
    rd_kafka_topic_partition_list_t *list;
    rd_kafka_resp_err_t err;

    list = rd_kafka_topic_partition_list_new(1);
    rd_kafka_topic_partition_list_add(list, p->topic, p->partition);
    err = pause ? rd_kafka_pause_partitions(c->rk, list)
                : rd_kafka_resume_partitions(c->rk, list);
    if (err == RD_KAFKA_RESP_ERR_NO_ERROR) {
        err = list->elems[0].err;
    }
    if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
        wh_warn(TAG, "%s [%d]: %s: %s", p->topic, (int)p->partition,
                pause ? "pause" : "resume", rd_kafka_err2str(err));
    }
    p->paused = pause;
    rd_kafka_topic_partition_list_destroy(list);
}

/* Re-reads a partition from p->reread: a safety net should a message
 * have arrived while the partition was paused. */
static void part_reread(struct consumer *c, struct part *p)
{
    rd_kafka_topic_partition_list_t *list;
    rd_kafka_error_t *error;

    list = rd_kafka_topic_partition_list_new(1);
    rd_kafka_topic_partition_list_add(list, p->topic, p->partition)->offset =
        p->reread;
    error = rd_kafka_seek_partitions(c->rk, list, 5000);
    if (error != NULL) {
        wh_err(TAG, "%s [%d]: seek to %lld: %s", p->topic, (int)p->partition,
               (long long)p->reread, rd_kafka_error_string(error));
        rd_kafka_error_destroy(error);
    }
    rd_kafka_topic_partition_list_destroy(list);
    p->reread = -1;
}

/* The record of p->held (or a bad message) is fully handled: its offset
 * may be stored with the next successful flush. */
static void part_finish(struct consumer *c, struct part *p, int64_t offset)
{
    c->progress_at = now_ms();
    p->next = offset + 1;
    p->dirty = 1;
    if (c->pending == 0) {
        c->first_pending_at = now_ms();
    }
    c->pending++;
    work_clear(&p->held);
    p->backoff_ms = 0;
    if (p->paused) {
        part_pause(c, p, 0);
        if (p->reread >= 0) {
            part_reread(c, p);
        }
    }
}

/* The next delay of an exponential backoff: 200 ms, doubling, 30 s. */
static int backoff_next(int ms)
{
    if (ms == 0) {
        return BACKOFF_MIN_MS;
    }
    return ms >= BACKOFF_MAX_MS / 2 ? BACKOFF_MAX_MS : ms * 2;
}

static void part_hold(struct consumer *c, struct part *p, const char *tag,
                      const char *reason)
{
    if (!p->paused) {
        part_pause(c, p, 1);
    }
    p->backoff_ms = backoff_next(p->backoff_ms);
    p->retry_at = now_ms() + p->backoff_ms;
    wh_warn(tag, "%s [%d] @ %lld: %s; partition paused, retry in %d ms",
            p->topic, (int)p->partition, (long long)p->held.rkm->offset,
            reason, p->backoff_ms);
}

static void reject_cb(void *opaque, uint64_t token, const char *reason);

static void meta_of(struct consumer *c, const struct work *w,
                    const char *topic, struct wh_msg_meta *meta)
{
    const rd_kafka_message_t *rkm = w->rkm;

    meta->token = w->token;
    meta->reject = reject_cb;
    meta->reject_opaque = c;
    meta->topic = topic;
    meta->partition = rkm->partition;
    meta->offset = rkm->offset;
    meta->key = rkm->key;
    meta->key_len = rkm->key_len;
    meta->payload = rkm->payload;
    meta->len = rkm->len;
}

/* Dead-letter delivery reports (served by rd_kafka_poll / rd_kafka_flush
 * on the main thread). A failed one stops the consumer before the offset
 * of its record is stored: the record is consumed again after a restart. */
static void dlq_dr_cb(rd_kafka_t *rk, const rd_kafka_message_t *rkm,
                      void *opaque)
{
    struct consumer *c = opaque;

    (void)rk;
    c->dlq_outstanding--;
    if (rkm->err != RD_KAFKA_RESP_ERR_NO_ERROR) {
        wh_err("dlq", "%s: delivery failed: %s",
               rd_kafka_topic_name(rkm->rkt), rd_kafka_err2str(rkm->err));
        c->dlq_failed = 1;
    }
}

/* Consumer-only librdkafka properties, kept away from the dead-letter
 * producer (which would warn about each). */
static int consumer_only(const char *prop)
{
    static const char *const names[] = {
        "group.id", "group.instance.id", "session.timeout.ms",
        "heartbeat.interval.ms", "max.poll.interval.ms",
        "auto.offset.reset", "enable.auto.commit", "auto.commit.interval.ms",
        "enable.auto.offset.store", "enable.partition.eof",
        "partition.assignment.strategy", "isolation.level", "check.crcs",
        "allow.auto.create.topics", "queued.min.messages",
        "queued.max.messages.kbytes", "coordinator.query.interval.ms",
        "group.protocol.type", "consume.callback.max.messages",
    };
    size_t i;

    if (strncmp(prop, "fetch.", 6) == 0) {
        return 1;
    }
    for (i = 0; i < WH_ARRAY_SIZE(names); i++) {
        if (strcmp(prop, names[i]) == 0) {
            return 1;
        }
    }
    return 0;
}

/* Creates the dead-letter producer from the brokers and the kafka.* keys
 * that apply to producers, unless dlq.topic is "off". */
static int dlq_init(struct consumer *c, char *errstr, size_t errstr_size)
{
    const char *topic = wh_config_get(c->cfg, "dlq.topic", NULL);
    const struct wh_config_entry *e;
    struct wh_config *pcfg;
    int rc = WH_OK;

    if (topic != NULL && strcmp(topic, "off") == 0) {
        return WH_OK;
    }
    c->dlq_topic = topic;
    pcfg = wh_config_new(config_keys());
    rc = wh_config_set(pcfg, "brokers", wh_config_get(c->cfg, "brokers", ""),
                       errstr, errstr_size);
    for (e = c->cfg->head; e != NULL && rc == WH_OK; e = e->next) {
        if (strncmp(e->key, "kafka.", 6) == 0 && !consumer_only(e->key + 6)) {
            rc = wh_config_set(pcfg, e->key, e->value, errstr, errstr_size);
        }
    }
    if (rc == WH_OK) {
        c->dlq_rk = wh_kafka_producer_new(pcfg, dlq_dr_cb, c, errstr,
                                          errstr_size);
        if (c->dlq_rk == NULL) {
            rc = WH_EINVAL;
        }
    }
    wh_config_free(pcfg);
    return rc;
}

/* Sends message rkm of topic to the dead-letter topic: the original key,
 * bytes and headers, plus wh.dlq.* headers saying why. Its offset is
 * stored only once the delivery is reported (flush_all()). Returns WH_OK,
 * or WH_FATAL when it cannot even be queued. */
static int dead_letter(struct consumer *c, const rd_kafka_message_t *rkm,
                       const char *src_topic, const char *reason,
                       const char *stage, const char *detail)
{
    rd_kafka_headers_t *orig = NULL;
    rd_kafka_headers_t *hdrs;
    rd_kafka_resp_err_t err;
    char *topic;
    char num[32];
    char now[21];
    int tries;

    if (c->dlq_rk == NULL) {
        return WH_OK;
    }
    topic = c->dlq_topic != NULL ? wh_xstrdup(c->dlq_topic)
                                 : wh_xasprintf("%s.dlq", src_topic);
    if (rd_kafka_message_headers(rkm, &orig) == RD_KAFKA_RESP_ERR_NO_ERROR) {
        hdrs = rd_kafka_headers_copy(orig);
    } else {
        hdrs = rd_kafka_headers_new(8);
    }
    rd_kafka_header_add(hdrs, "wh.dlq.reason", -1, reason, -1);
    rd_kafka_header_add(hdrs, "wh.dlq.detail", -1, detail, -1);
    if (stage != NULL) {
        rd_kafka_header_add(hdrs, "wh.dlq.stage", -1, stage, -1);
    }
    rd_kafka_header_add(hdrs, "wh.dlq.topic", -1, src_topic, -1);
    snprintf(num, sizeof(num), "%d", (int)rkm->partition);
    rd_kafka_header_add(hdrs, "wh.dlq.partition", -1, num, -1);
    snprintf(num, sizeof(num), "%lld", (long long)rkm->offset);
    rd_kafka_header_add(hdrs, "wh.dlq.offset", -1, num, -1);
    wh_now_rfc3339(now);
    rd_kafka_header_add(hdrs, "wh.dlq.time", -1, now, -1);

    for (tries = 0;; tries++) {
        err = rd_kafka_producev(
            c->dlq_rk, RD_KAFKA_V_TOPIC(topic),
            RD_KAFKA_V_KEY(rkm->key, rkm->key_len),
            RD_KAFKA_V_VALUE(rkm->payload, rkm->len),
            RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
            RD_KAFKA_V_HEADERS(hdrs), RD_KAFKA_V_END);
        if (err != RD_KAFKA_RESP_ERR__QUEUE_FULL || tries == 100) {
            break;
        }
        rd_kafka_poll(c->dlq_rk, 100);
    }
    if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
        rd_kafka_headers_destroy(hdrs);  /* still ours on failure */
        wh_err("dlq", "%s: cannot queue %s [%d] @ %lld: %s", topic,
               src_topic, (int)rkm->partition, (long long)rkm->offset,
               rd_kafka_err2str(err));
        free(topic);
        c->fatal = 1;
        return WH_FATAL;
    }
    c->dlq_outstanding++;
    c->n_dead++;
    wh_metrics_inc(wh_metrics_get(c->reg, WH_M_DEAD_LETTERS,
                                  WH_METRICS_LABELS(reason)));
    wh_info("dlq", "%s [%d] @ %lld -> %s: %s", src_topic,
            (int)rkm->partition, (long long)rkm->offset, topic, reason);
    free(topic);
    return WH_OK;
}

/* Keeps the message of a record the sinks took until the next successful
 * flush (takes ownership of w->rkm). */
static void pend_add(struct consumer *c, struct work *w)
{
    struct pend *e;

    if (c->npends == c->pends_cap) {
        c->pends_cap = c->pends_cap != 0 ? c->pends_cap * 2 : 64;
        c->pends = wh_xrealloc(c->pends, c->pends_cap * sizeof(*c->pends));
    }
    e = &c->pends[c->npends++];
    e->rkm = w->rkm;
    e->token = w->token;
    e->rejected = w->rejected;
    w->rkm = NULL;
}

static void pends_clear(struct consumer *c)
{
    size_t i;

    for (i = 0; i < c->npends; i++) {
        rd_kafka_message_destroy(c->pends[i].rkm);
    }
    c->npends = 0;
}

/* A sink refused the record of token for good after accepting it (see
 * struct wh_msg_meta): dead-letters it, once, with the sink's reason.
 * Called from inside a sink's process() or flush() on the main thread. */
static void reject_cb(void *opaque, uint64_t token, const char *reason)
{
    struct consumer *c = opaque;
    const char *tag = c->cur_tag != NULL ? c->cur_tag : "sink";
    size_t i;

    for (i = 0; i < c->npends; i++) {
        struct pend *e = &c->pends[i];

        if (e->token != token) {
            continue;
        }
        if (e->rejected) {
            return;
        }
        wh_warn(tag, "%s [%d] @ %lld: refused after it was accepted: %s",
                rd_kafka_topic_name(e->rkm->rkt), (int)e->rkm->partition,
                (long long)e->rkm->offset, reason);
        e->rejected = 1;
        if (c->unflushed_written > 0) {
            c->unflushed_written--;
        }
        c->n_rejected++;
        (void)dead_letter(c, e->rkm, rd_kafka_topic_name(e->rkm->rkt),
                          "rejected", tag, reason);
        return;
    }
    /* Not finished yet: held for another sink's retry. */
    for (i = 0; i < c->nparts; i++) {
        struct work *w = &c->parts[i].held;

        if (w->rkm == NULL || w->token != token) {
            continue;
        }
        if (w->rejected) {
            return;
        }
        wh_warn(tag, "%s [%d] @ %lld: refused after it was accepted: %s",
                c->parts[i].topic, (int)w->rkm->partition,
                (long long)w->rkm->offset, reason);
        if (dead_letter(c, w->rkm, c->parts[i].topic, "rejected", tag,
                        reason) == WH_OK) {
            w->rejected = 1;
        }
        return;
    }
    wh_warn(tag, "a record refused after it was accepted is no longer "
            "held (its partition was revoked; the new owner reads it "
            "again): %s", reason);
}

/* Takes p->held through the stages it has not been through yet. */
static void advance(struct consumer *c, struct part *p)
{
    struct work *w = &p->held;
    struct wh_msg_meta meta;
    char errstr[512];
    char retry_reason[512];
    const char *retry_tag = NULL;
    int64_t offset = w->rkm->offset;
    double t0;
    size_t i;
    int copy;
    int rc;

    meta_of(c, w, p->topic, &meta);
    while (w->pos < c->first_sink) {
        struct inst *in = &c->insts[w->pos];

        errstr[0] = '\0';
        rc = in->st->process(in->ctx, w->rec, &meta, errstr, sizeof(errstr));
        count_outcome(in, rc);
        if (in->st->type == WH_STAGE_DEDUP) {
            count_decision(c->reg, w->rec, rc);
        }
        if (rc == WH_OK) {
            w->pos++;
        } else if (rc == WH_DROP) {
            if (in->st->type == WH_STAGE_DEDUP) {
                c->n_dup++;
            } else {
                c->n_dropped++;
            }
            part_finish(c, p, offset);
            return;
        } else if (rc == WH_REJECT) {
            wh_warn(in->tag, "%s [%d] @ %lld: rejected: %s", p->topic,
                    (int)p->partition, (long long)offset, errstr);
            c->n_rejected++;
            if (dead_letter(c, w->rkm, p->topic, "rejected", in->tag,
                            errstr) == WH_OK) {
                part_finish(c, p, offset);
            }
            return;
        } else if (rc == WH_RETRY) {
            part_hold(c, p, in->tag, errstr);
            return;
        } else {
            wh_err(in->tag, "%s [%d] @ %lld: %s: %s", p->topic,
                   (int)p->partition, (long long)offset, wh_strerror(rc),
                   errstr);
            c->fatal = 1;
            return;
        }
    }
    copy = c->copies_at != SIZE_MAX && is_copy(w->rec);
    for (i = c->first_sink; i < c->ninsts; i++) {
        struct inst *in = &c->insts[i];

        if ((w->done & ((uint64_t)1 << i)) != 0 ||
            (c->copies_at != SIZE_MAX && copy != (i == c->copies_at))) {
            continue;
        }
        errstr[0] = '\0';
        c->cur_tag = in->tag;
        t0 = c->reg != NULL ? now_s() : 0;
        rc = in->st->process(in->ctx, w->rec, &meta, errstr, sizeof(errstr));
        if (c->reg != NULL) {
            wh_metrics_observe(in->m_latency, now_s() - t0);
        }
        c->cur_tag = NULL;
        count_outcome(in, rc);
        if (c->fatal) {
            return;
        }
        if (rc == WH_OK || rc == WH_DROP) {
            w->done |= (uint64_t)1 << i;
        } else if (rc == WH_REJECT) {
            wh_warn(in->tag, "%s [%d] @ %lld: rejected: %s", p->topic,
                    (int)p->partition, (long long)offset, errstr);
            if (!w->rejected &&
                dead_letter(c, w->rkm, p->topic, "rejected", in->tag,
                            errstr) != WH_OK) {
                return;
            }
            w->rejected = 1;
            w->done |= (uint64_t)1 << i;
        } else if (rc == WH_RETRY) {
            if (retry_tag == NULL) {
                retry_tag = in->tag;
                snprintf(retry_reason, sizeof(retry_reason), "%s", errstr);
            }
        } else {
            wh_err(in->tag, "%s [%d] @ %lld: %s: %s", p->topic,
                   (int)p->partition, (long long)offset, wh_strerror(rc),
                   errstr);
            c->fatal = 1;
            return;
        }
    }
    if (retry_tag != NULL) {
        part_hold(c, p, retry_tag, retry_reason);
        return;
    }
    if (w->rejected) {
        c->n_rejected++;
    } else {
        c->unflushed_written++;
    }
    pend_add(c, w);
    part_finish(c, p, offset);
}

/* The dead-letter reason code of a message wh_record_parse() refused. */
static const char *bad_reason(const rd_kafka_message_t *rkm)
{
    json_error_t jerr;
    json_t *doc;

    if (rkm->payload == NULL || rkm->len == 0) {
        return "empty";
    }
    doc = json_loadb(rkm->payload, rkm->len, 0, &jerr);
    if (doc == NULL) {
        return "not_json";
    }
    json_decref(doc);
    return "invalid_record";
}

static void handle_message(struct consumer *c, rd_kafka_message_t *rkm)
{
    const char *topic = rd_kafka_topic_name(rkm->rkt);
    struct part *p = part_get(c, topic, rkm->partition);
    char errstr[512];

    p->eof = 0;
    if (p->held.rkm != NULL) {
        /* Cannot happen while the partition is paused; never skip it. */
        wh_err(TAG, "%s [%d] @ %lld: arrived while %lld waits; will read "
               "it again", topic, (int)rkm->partition,
               (long long)rkm->offset, (long long)p->held.rkm->offset);
        if (p->reread < 0 || rkm->offset < p->reread) {
            p->reread = rkm->offset;
        }
        rd_kafka_message_destroy(rkm);
        return;
    }
    c->n_in++;
    p->held.rkm = rkm;
    p->held.token = ++c->next_token;
    if (rkm->payload == NULL || rkm->len == 0) {
        snprintf(errstr, sizeof(errstr), "empty message");
    } else {
        errstr[0] = '\0';
        p->held.rec = wh_record_parse(rkm->payload, rkm->len, errstr,
                                      sizeof(errstr));
    }
    if (p->held.rec == NULL) {
        wh_warn(TAG, "%s [%d] @ %lld: not a record, skipped: %s", topic,
                (int)rkm->partition, (long long)rkm->offset, errstr);
        c->n_bad++;
        wh_metrics_inc(c->m_in_bad);
        if (dead_letter(c, rkm, topic, bad_reason(rkm), NULL, errstr) ==
            WH_OK) {
            part_finish(c, p, rkm->offset);
        }
        return;
    }
    wh_metrics_inc(c->m_in_ok);
    advance(c, p);
}

static void handle_event(struct consumer *c, rd_kafka_message_t *rkm)
{
    const char *topic = rkm->rkt != NULL ? rd_kafka_topic_name(rkm->rkt)
                                         : NULL;

    if (rkm->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) {
        if (topic != NULL) {
            part_get(c, topic, rkm->partition)->eof = 1;
            wh_debug(TAG, "%s [%d]: at the end (offset %lld)", topic,
                     (int)rkm->partition, (long long)rkm->offset);
        }
    } else if (topic != NULL) {
        wh_err(TAG, "%s: %s", topic, rd_kafka_message_errstr(rkm));
    } else {
        wh_err(TAG, "%s", rd_kafka_message_errstr(rkm));
    }
    rd_kafka_message_destroy(rkm);
}

/* Follows the assignment: partitions we no longer own lose what we held
 * for them (their new owner reads them from the committed offset). */
static void sync_assignment(struct consumer *c)
{
    rd_kafka_topic_partition_list_t *list = NULL;
    rd_kafka_resp_err_t err;
    size_t i;
    int j;

    err = rd_kafka_assignment(c->rk, &list);
    if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
        wh_warn(TAG, "assignment: %s", rd_kafka_err2str(err));
        return;
    }
    for (i = 0; i < c->nparts; i++) {
        c->parts[i].assigned = 0;
    }
    for (j = 0; j < list->cnt; j++) {
        part_get(c, list->elems[j].topic, list->elems[j].partition)
            ->assigned = 1;
    }
    c->nassigned = (size_t)list->cnt;
    rd_kafka_topic_partition_list_destroy(list);
    for (i = 0; i < c->nparts; i++) {
        struct part *p = &c->parts[i];

        if (p->assigned) {
            continue;
        }
        if (p->held.rkm != NULL) {
            wh_info(TAG, "%s [%d]: revoked; its new owner will retry "
                    "offset %lld", p->topic, (int)p->partition,
                    (long long)p->held.rkm->offset);
            work_clear(&p->held);
        }
        p->eof = 0;
        p->dirty = 0;
        p->paused = 0;
        p->backoff_ms = 0;
        p->reread = -1;
    }
}

/* Flushes every stage, then stores the offsets of what is now durable.
 * Returns WH_OK, WH_RETRY (try again later) or WH_FATAL. */
static int flush_all(struct consumer *c)
{
    rd_kafka_topic_partition_list_t *list;
    rd_kafka_resp_err_t err;
    char errstr[512];
    double t0;
    size_t i;
    int j;
    int rc;
    int retry = 0;

    for (i = 0; i < c->ninsts; i++) {
        struct inst *in = &c->insts[i];

        if (in->st->flush == NULL) {
            continue;
        }
        errstr[0] = '\0';
        c->cur_tag = in->tag;
        t0 = c->reg != NULL ? now_s() : 0;
        rc = in->st->flush(in->ctx, errstr, sizeof(errstr));
        if (c->reg != NULL) {
            wh_metrics_observe(in->m_latency, now_s() - t0);
        }
        c->cur_tag = NULL;
        if (c->fatal) {
            return WH_FATAL;   /* a dead letter could not be queued */
        }
        if (rc == WH_OK || rc == WH_DROP) {
            continue;
        }
        if (rc == WH_REJECT) {
            /* Records refused for good at flush time, each already sent
             * to the dead-letter topic through reject_cb(); the rest is
             * durable. */
            wh_notice(in->tag, "flush: %s", errstr);
            continue;
        }
        if (rc == WH_RETRY) {
            /* Flush the other stages anyway: they may make progress. */
            wh_warn(in->tag, "flush: %s", errstr);
            retry = 1;
            continue;
        }
        wh_err(in->tag, "flush: %s: %s", wh_strerror(rc), errstr);
        c->fatal = 1;
        return WH_FATAL;
    }
    if (c->dlq_rk != NULL && c->dlq_outstanding > 0) {
        rd_kafka_flush(c->dlq_rk, DLQ_FLUSH_MS);
    }
    if (c->dlq_failed) {
        c->fatal = 1;
        return WH_FATAL;
    }
    if (retry) {
        c->flush_backoff_ms = backoff_next(c->flush_backoff_ms);
        c->flush_retry_at = now_ms() + c->flush_backoff_ms;
        wh_warn(TAG, "%zu record(s) wait for the sinks; offsets not stored; "
                "retry in %d ms", c->pending, c->flush_backoff_ms);
        return WH_RETRY;
    }
    if (c->dlq_outstanding > 0) {
        c->flush_backoff_ms = backoff_next(c->flush_backoff_ms);
        c->flush_retry_at = now_ms() + c->flush_backoff_ms;
        wh_warn("dlq", "%ld dead letter(s) not yet delivered; retry in %d ms",
                c->dlq_outstanding, c->flush_backoff_ms);
        return WH_RETRY;
    }
    c->flush_backoff_ms = 0;
    c->flush_retry_at = 0;
    c->n_written += c->unflushed_written;
    c->unflushed_written = 0;

    list = rd_kafka_topic_partition_list_new(4);
    for (i = 0; i < c->nparts; i++) {
        struct part *p = &c->parts[i];

        if (p->dirty && p->assigned) {
            rd_kafka_topic_partition_list_add(list, p->topic, p->partition)
                ->offset = p->next;
        }
        p->dirty = 0;
    }
    if (list->cnt > 0) {
        err = rd_kafka_offsets_store(c->rk, list);
        for (j = 0; j < list->cnt; j++) {
            if (list->elems[j].err != RD_KAFKA_RESP_ERR_NO_ERROR) {
                /* Typically revoked in the meantime: the new owner
                 * consumes from the committed offset. */
                wh_info(TAG, "%s [%d]: offset %lld not stored: %s",
                        list->elems[j].topic, (int)list->elems[j].partition,
                        (long long)list->elems[j].offset,
                        rd_kafka_err2str(list->elems[j].err));
            }
        }
        if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
            wh_debug(TAG, "offsets store: %s", rd_kafka_err2str(err));
        }
    }
    rd_kafka_topic_partition_list_destroy(list);
    if (c->pending > 0) {
        c->progress_at = now_ms();
    }
    c->pending = 0;
    pends_clear(c);
    return WH_OK;
}

static void maybe_flush(struct consumer *c, int64_t now)
{
    if (c->pending == 0 || now < c->flush_retry_at) {
        return;
    }
    if ((long long)c->pending >= c->flush_records ||
        now - c->first_pending_at >= c->flush_ms) {
        (void)flush_all(c);
    }
}

static void retry_held(struct consumer *c, int64_t now)
{
    size_t i;

    for (i = 0; i < c->nparts && !c->fatal; i++) {
        struct part *p = &c->parts[i];

        if (p->held.rkm != NULL && now >= p->retry_at) {
            advance(c, p);
        }
    }
}

/* Something waits for a stage: a held record or an unstored flush. */
static int stuck(const struct consumer *c)
{
    size_t i;

    if (c->pending > 0 && c->flush_retry_at > 0) {
        return 1;
    }
    for (i = 0; i < c->nparts; i++) {
        if (c->parts[i].held.rkm != NULL) {
            return 1;
        }
    }
    return 0;
}

/* --once: every assigned partition is at its end and nothing waits. */
static int caught_up(const struct consumer *c)
{
    size_t i;

    if (c->nassigned == 0) {
        return 0;
    }
    for (i = 0; i < c->nparts; i++) {
        const struct part *p = &c->parts[i];

        if (p->assigned && (!p->eof || p->held.rkm != NULL)) {
            return 0;
        }
    }
    return 1;
}

static int subscribe(struct consumer *c, char *errstr, size_t errstr_size)
{
    rd_kafka_topic_partition_list_t *list;
    rd_kafka_resp_err_t err;
    char *topics = wh_xstrdup(wh_config_get(c->cfg, "topic", ""));
    char *save = NULL;
    char *t;

    list = rd_kafka_topic_partition_list_new(1);
    for (t = strtok_r(topics, ", ", &save); t != NULL;
         t = strtok_r(NULL, ", ", &save)) {
        rd_kafka_topic_partition_list_add(list, t, RD_KAFKA_PARTITION_UA);
    }
    err = rd_kafka_subscribe(c->rk, list);
    rd_kafka_topic_partition_list_destroy(list);
    free(topics);
    if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
        snprintf(errstr, errstr_size, "subscribe: %s", rd_kafka_err2str(err));
        return WH_EINVAL;
    }
    return WH_OK;
}

/* wirehose_consumer_lag of every assigned partition: the high watermark
 * librdkafka last saw in a fetch minus the position (local calls only). */
static void update_lag(struct consumer *c)
{
    rd_kafka_topic_partition_list_t *list;
    size_t i;
    int j;

    list = rd_kafka_topic_partition_list_new(4);
    for (i = 0; i < c->nparts; i++) {
        struct part *p = &c->parts[i];

        if (p->assigned) {
            rd_kafka_topic_partition_list_add(list, p->topic, p->partition);
        } else if (p->m_lag != NULL) {
            wh_metrics_clear(p->m_lag);
        }
    }
    if (list->cnt > 0 &&
        rd_kafka_position(c->rk, list) == RD_KAFKA_RESP_ERR_NO_ERROR) {
        for (j = 0; j < list->cnt; j++) {
            const rd_kafka_topic_partition_t *tp = &list->elems[j];
            struct part *p = part_get(c, tp->topic, tp->partition);
            int64_t lo = -1;
            int64_t hi = -1;
            char num[16];

            if (tp->offset < 0 ||
                rd_kafka_get_watermark_offsets(c->rk, tp->topic,
                                               tp->partition, &lo, &hi) !=
                    RD_KAFKA_RESP_ERR_NO_ERROR ||
                hi < 0) {
                continue;
            }
            if (p->m_lag == NULL) {
                snprintf(num, sizeof(num), "%d", (int)tp->partition);
                p->m_lag = wh_metrics_get(c->reg, WH_M_LAG,
                                          WH_METRICS_LABELS(tp->topic, num));
            }
            wh_metrics_set(p->m_lag,
                           (double)(hi > tp->offset ? hi - tp->offset : 0));
        }
    }
    rd_kafka_topic_partition_list_destroy(list);
}

static void send_status(const struct consumer *c)
{
    (void)wh_notify_status("%zu partition(s); records in %llu, written %llu, "
                           "duplicates %llu, dead-lettered %llu%s",
                           c->nassigned, c->n_in, c->n_written, c->n_dup,
                           c->n_dead,
                           stuck(c) ? "; waiting for a sink" : "");
}

/* All the values of key in cfg, joined by newlines, in a new string; NULL
 * when the key is unset. */
static char *values_of(const struct wh_config *cfg, const char *key)
{
    const struct wh_config_entry *e;
    char *all = NULL;

    for (e = wh_config_first(cfg, key); e != NULL; e = wh_config_next(e)) {
        char *next = all == NULL ? wh_xstrdup(e->value)
                                 : wh_xasprintf("%s\n%s", all, e->value);

        free(all);
        all = next;
    }
    return all;
}

/* Keys SIGHUP applies to the running consumer. */
static int reloadable(const char *key)
{
    return strcmp(key, "log.level") == 0 ||
           strcmp(key, "flush.records") == 0 ||
           strcmp(key, "flush.ms") == 0;
}

/* Names the keys of one list that differ in the other and cannot be
 * applied; returns how many. */
static int report_fixed(const struct wh_config *from,
                        const struct wh_config *old,
                        const struct wh_config *neu)
{
    const struct wh_config_entry *e;
    const struct wh_config_entry *f;
    int n = 0;

    for (e = from->head; e != NULL; e = e->next) {
        char *a;
        char *b;

        if (reloadable(e->key)) {
            continue;
        }
        /* each key once: at its first entry in this list */
        for (f = from->head; f != e && strcmp(f->key, e->key) != 0;
             f = f->next) {
        }
        if (f != e) {
            continue;
        }
        /* keys set in both lists are reported from the new one only */
        if (from == old && wh_config_first(neu, e->key) != NULL) {
            continue;
        }
        a = values_of(old, e->key);
        b = values_of(neu, e->key);
        if (a == NULL || b == NULL || strcmp(a, b) != 0) {
            wh_warn(TAG, "reload: %s changed; it needs a restart (still "
                    "running with %s)", e->key, a != NULL ? a : "its default");
            n++;
        }
        free(a);
        free(b);
    }
    return n;
}

/* The settings the command line adds to a configuration. */
static int apply_defaults(struct wh_config *cfg, int once, char *errstr,
                          size_t errstr_size)
{
    /* New groups read the topic from the start unless told otherwise;
     * --once needs to hear where each partition ends. */
    if (wh_config_get(cfg, "kafka.auto.offset.reset", NULL) == NULL &&
        wh_config_set(cfg, "kafka.auto.offset.reset", "earliest", errstr,
                      errstr_size) != WH_OK) {
        return WH_EINVAL;
    }
    if (once &&
        wh_config_set(cfg, "kafka.enable.partition.eof", "true", errstr,
                      errstr_size) != WH_OK) {
        return WH_EINVAL;
    }
    return WH_OK;
}

/* SIGHUP: reads the configuration again, applies what can change while
 * running, names what cannot. A configuration that does not load or
 * validate changes nothing. */
static void reload(struct consumer *c, const struct opts *o)
{
    struct wh_config *cfg = wh_config_new(config_keys());
    char errstr[1024];
    long long flush_records;
    long long flush_ms;
    int fixed;

    (void)wh_notify_reloading();
    wh_notice(TAG, "SIGHUP: reading the configuration again");
    errstr[0] = '\0';
    if (build_config(cfg, o, errstr, sizeof(errstr)) != WH_OK ||
        apply_defaults(cfg, o->once, errstr, sizeof(errstr)) != WH_OK ||
        validate(cfg, &flush_records, &flush_ms, errstr, sizeof(errstr)) !=
            WH_OK) {
        wh_err(TAG, "reload: %s; nothing changed", errstr);
        goto out;
    }
    fixed = report_fixed(cfg, c->cfg, cfg) + report_fixed(c->cfg, c->cfg, cfg);
    wh_daemon_log_level(wh_config_get(cfg, "log.level", NULL), o->verbosity);
    c->flush_records = flush_records;
    c->flush_ms = flush_ms;
    wh_notice(TAG, "reload: log.level %s, flush.records %lld, flush.ms %lld "
              "applied%s", wh_config_get(cfg, "log.level", "(default)"),
              flush_records, flush_ms,
              fixed > 0 ? "; other changes need a restart" : "");
out:
    wh_config_free(cfg);
    (void)wh_notify_ready();
}

/* The main loop. Returns the exit status. */
static int run(struct consumer *c, const struct opts *o)
{
    int64_t start = now_ms();
    int64_t last_sync = 0;
    int64_t last_lag = 0;
    int64_t last_check = 0;
    int64_t last_status = 0;
    int64_t last_wd = 0;
    int64_t wd_ms = (int64_t)(wh_notify_watchdog_usec() / 4000);
    long timeout_s = o->timeout_s;
    int warned_wait = 0;

    c->progress_at = start;
    if (c->srv != NULL) {
        wh_daemon_broker_check(c->rk, TAG);
        last_check = now_ms();
    }
    wh_daemon_set_running(1);
    (void)wh_notify_ready();
    while (wh_daemon_stop_signal() == 0 && !c->fatal) {
        rd_kafka_message_t *rkm;
        int64_t now = now_ms();

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
                    last_sync = 0;  /* check the assignment right away */
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
        now = now_ms();
        if (now - last_sync >= ASSIGNMENT_SYNC_MS) {
            sync_assignment(c);
            last_sync = now;
        }
        maybe_flush(c, now);
        if (c->fatal) {
            break;
        }
        now = now_ms();
        /* Watchdog rule (wh/notify.h): the poll returned and either
         * nothing waits for a sink or something moved since the last
         * ping. A consumer stuck on a sink stops pinging. */
        if ((!stuck(c) || c->progress_at > last_wd) &&
            (wd_ms == 0 || now - last_wd >= wd_ms)) {
            if (wd_ms > 0) {
                (void)wh_notify_watchdog();
            }
            last_wd = now;
        }
        if (now - last_status >= STATUS_EVERY_MS) {
            send_status(c);
            last_status = now;
        }
        if (c->reg != NULL && now - last_lag >= LAG_EVERY_MS) {
            update_lag(c);
            last_lag = now;
        }
        if (c->srv != NULL && now - last_check >= BROKER_CHECK_MS) {
            wh_daemon_broker_check(c->rk, TAG);
            last_check = now_ms();
        }
        if (wh_daemon_reload_requested()) {
            reload(c, o);
        }
        if (!o->once) {
            continue;
        }
        if (c->nassigned == 0) {
            if (now - start >= timeout_s * 1000) {
                wh_err(TAG, "--once: no partition assigned after %ld s "
                       "(does the topic exist? are the brokers up? "
                       "--timeout sets the wait)", timeout_s);
                return 1;
            }
            if (!warned_wait && now - start >= 10000) {
                wh_notice(TAG, "still waiting for a partition assignment");
                warned_wait = 1;
            }
            continue;
        }
        start = now;  /* the timeout counts time without an assignment */
        if (stuck(c) && now - c->progress_at >= timeout_s * 1000) {
            wh_err(TAG, "--once: the sinks have taken nothing for %ld s; "
                   "giving up (what is not committed will be consumed "
                   "again; --timeout sets the wait)", timeout_s);
            return 1;
        }
        if (caught_up(c) && now >= c->flush_retry_at &&
            flush_all(c) == WH_OK) {
            wh_info(TAG, "caught up with %zu partition(s)", c->nassigned);
            return 0;
        }
    }
    return c->fatal ? 1 : 0;
}

/* Stop: flush, store, commit synchronously, leave the group. Returns 0,
 * or 1 when records could not be flushed or committed. */
static int shut_down(struct consumer *c, int status)
{
    struct timespec pause_ts = {0, 200000000L};  /* 200 ms */
    rd_kafka_resp_err_t err;
    int tries;
    size_t i;

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
            wh_err(TAG, "%zu record(s) not flushed; they will be consumed "
                   "again", c->pending);
            status = 1;
        }
    }
    for (i = 0; i < c->nparts; i++) {
        work_clear(&c->parts[i].held);
    }
    pends_clear(c);
    for (tries = 0;; tries++) {
        rd_kafka_message_t *rkm;

        err = rd_kafka_commit(c->rk, NULL, 0);
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
        wh_notice(TAG, "commit: %s: the group rebalanced while stopping; "
                  "what this consumer did not commit is read again by "
                  "the partitions' next owner", rd_kafka_err2str(err));
    } else if (err != RD_KAFKA_RESP_ERR_NO_ERROR &&
               err != RD_KAFKA_RESP_ERR__NO_OFFSET) {
        wh_err(TAG, "commit: %s", rd_kafka_err2str(err));
        status = 1;
    }
    err = rd_kafka_consumer_close(c->rk);
    if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
        wh_warn(TAG, "close: %s", rd_kafka_err2str(err));
    }
    return status;
}

int main(int argc, char **argv)
{
    struct opts o;
    struct consumer c;
    struct sigaction sa;
    char errstr[1024];
    const char *group;
    const char *metrics;
    int status = 2;
    int rc;
    size_t i;

    memset(&o, 0, sizeof(o));
    memset(&c, 0, sizeof(c));
    c.copies_at = SIZE_MAX;
    o.sinks = wh_xcalloc((size_t)argc + 1, sizeof(*o.sinks));
    o.xprops = wh_xcalloc((size_t)argc + 1, sizeof(*o.xprops));
    rc = parse_args(argc, argv, &o);
    if (rc != 0) {
        status = rc == 1 ? 0 : 2;
        goto out;
    }

    c.cfg = wh_config_new(config_keys());
    errstr[0] = '\0';
    if (build_config(c.cfg, &o, errstr, sizeof(errstr)) != WH_OK ||
        validate(c.cfg, &c.flush_records, &c.flush_ms, errstr,
                 sizeof(errstr)) != WH_OK) {
        wh_err(TAG, "%s", errstr);
        goto out;
    }
    wh_daemon_log_level(wh_config_get(c.cfg, "log.level", NULL), o.verbosity);
    if (o.check) {
        printf("%s: configuration OK\n",
               o.config_path != NULL ? o.config_path : "command line");
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
        c.srv = wh_metrics_server_start(c.reg, metrics, wh_daemon_health,
                                        &c, errstr, sizeof(errstr));
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
        wh_err(TAG, "%s", errstr);
        goto out;
    }
    group = wh_config_get(c.cfg, "group", NULL);
    if (group == NULL &&
        wh_config_get(c.cfg, "kafka.group.id", NULL) == NULL) {
        group = DEFAULT_GROUP;
    }
    c.rk = wh_kafka_consumer_new(c.cfg, group, errstr, sizeof(errstr));
    if (c.rk == NULL) {
        wh_err(TAG, "%s", errstr);
        goto out;
    }
    if (subscribe(&c, errstr, sizeof(errstr)) != WH_OK) {
        wh_err(TAG, "%s", errstr);
        goto out;
    }
    wh_info(TAG, "consuming %s from %s as group %s",
            wh_config_get(c.cfg, "topic", ""),
            wh_config_get(c.cfg, "brokers", ""),
            group != NULL ? group
                          : wh_config_get(c.cfg, "kafka.group.id", ""));

    status = run(&c, &o);
    wh_daemon_set_running(0);
    if (wh_daemon_stop_signal() != 0) {
        (void)wh_notify_stopping();
        wh_info(TAG, "%s: stopping", strsignal(wh_daemon_stop_signal()));
    }
    status = shut_down(&c, status);
    wh_notice(TAG, "records in %llu, written %llu, duplicates %llu, "
              "bad %llu, rejected %llu, dead-lettered %llu, dropped by "
              "enrichers %llu", c.n_in, c.n_written, c.n_dup, c.n_bad,
              c.n_rejected, c.n_dead, c.n_dropped);
out:
    for (i = 0; i < c.nparts; i++) {
        work_clear(&c.parts[i].held);
        free(c.parts[i].topic);
    }
    free(c.parts);
    pends_clear(&c);
    free(c.pends);
    if (c.rk != NULL) {
        rd_kafka_destroy(c.rk);
    }
    if (c.dlq_rk != NULL) {
        /* Everything that mattered was flushed; say if anything was not. */
        if (rd_kafka_flush(c.dlq_rk, DLQ_FLUSH_MS) !=
            RD_KAFKA_RESP_ERR_NO_ERROR) {
            wh_warn("dlq", "%d dead letter(s) not delivered (their records "
                    "will be consumed again)", rd_kafka_outq_len(c.dlq_rk));
        }
        rd_kafka_destroy(c.dlq_rk);
    }
    stages_close(&c);
    wh_config_free(c.stage_cfg);
    wh_metrics_server_stop(c.srv);
    wh_metrics_free(c.reg);
    wh_config_free(c.cfg);
    free(o.sinks);
    free(o.xprops);
    return status;
}
