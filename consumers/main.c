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
 * Everything runs on the main thread; the signal handlers only set a flag.
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <librdkafka/rdkafka.h>

#include "enrich/enrich.h"
#include "stage.h"
#include "wh/config.h"
#include "wh/kafka.h"
#include "wh/log.h"
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
#define DLQ_FLUSH_MS 10000

static const struct wh_config_key keys[] = {
    {"brokers", 0, "Kafka bootstrap servers, host:port[,host:port] (-b)"},
    {"topic", 0, "topic to consume; several separated by commas (-t)"},
    {"group", 0, "consumer group id (-g); default " DEFAULT_GROUP},
    {"sink", 1, "where records go: KIND:ARG (--sink)"},
    {"flush.records", 0, "flush sinks, store offsets every N records (1000)"},
    {"flush.ms", 0, "... and at least every N milliseconds (1000)"},
    {"log.level", 0, "debug, info, notice, warning or err (default info)"},
    {"dlq.topic", 0, "dead-letter topic (default <topic>.dlq; off: none)"},
    WH_ENRICH_CONFIG_KEYS,
    {"postgres.table", 0, "postgres sink: table name (default articles)"},
    {"postgres.batch", 0, "postgres sink: rows per transaction (500)"},
    {"http.batch_docs", 0, "http sink: documents per _bulk request (500)"},
    {"http.batch_bytes", 0, "http sink: bytes per _bulk request (5242880)"},
    {"http.timeout_ms", 0, "http sink: request timeout (30000)"},
    {"http.max_retries", 0, "http sink: retries of 429/5xx items (5)"},
    {NULL, 0, NULL}
};

static volatile sig_atomic_t stop_signal;

static void on_signal(int sig)
{
    stop_signal = sig;
}

/* A stage set up for this run. */
struct inst {
    const struct wh_stage *st;
    void *ctx;
    char tag[64];              /* "sink:jsonl" */
};

/* A record on its way through the stages. */
struct work {
    rd_kafka_message_t *rkm;   /* NULL when there is none */
    struct wh_record *rec;
    size_t pos;                /* next dedup/enrich stage to run */
    uint64_t done;             /* sinks that took it, by stage index */
    int rejected;              /* a sink refused it for good */
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
};

struct consumer {
    struct wh_config *cfg;
    rd_kafka_t *rk;
    struct inst insts[MAX_STAGES];
    size_t ninsts;
    size_t first_sink;
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
};

struct opts {
    const char *config_path;
    const char *brokers;
    const char *topic;
    const char *group;
    const char **sinks;
    size_t nsinks;
    const char **xprops;
    size_t nxprops;
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
"Exit status: 0 done, 1 runtime failure, 2 bad usage or configuration.\n"
"\n"
"Configuration keys:\n");
    wh_config_print_keys(keys, fp);
    fprintf(fp, "\nStages (dedup and enrich stages all run, in this "
            "order; sinks as named):\n");
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
        case 'T': {
            char *end = NULL;

            errno = 0;
            o->timeout_s = strtol(optarg, &end, 10);
            if (errno != 0 || end == optarg || *end != '\0' ||
                o->timeout_s <= 0) {
                fprintf(stderr, PROG ": --timeout: expected a positive "
                        "number of seconds, got '%s'\n", optarg);
                return 2;
            }
            break;
        }
        case 'C':
            o->check = 1;
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
    size_t i;
    int rc;

    if (o->config_path != NULL) {
        rc = wh_config_load(cfg, o->config_path, errstr, errstr_size);
        if (rc != WH_OK) {
            return rc;
        }
    }
    if (o->brokers != NULL) {
        rc = wh_config_set(cfg, "brokers", o->brokers, errstr, errstr_size);
        if (rc != WH_OK) {
            return rc;
        }
    }
    if (o->topic != NULL) {
        rc = wh_config_set(cfg, "topic", o->topic, errstr, errstr_size);
        if (rc != WH_OK) {
            return rc;
        }
    }
    if (o->group != NULL) {
        rc = wh_config_set(cfg, "group", o->group, errstr, errstr_size);
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

/* Checks everything that can be checked without side effects: required
 * keys, numbers, log level, sink kinds and every kafka.* property.
 * Returns WH_OK or WH_EINVAL with errstr filled. */
static int validate(const struct wh_config *cfg, long long *flush_records,
                    long long *flush_ms, char *errstr, size_t errstr_size)
{
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

/* Sets up the dedup and enrich stages of the table, then the sinks of the
 * configuration. Returns WH_OK or an error with errstr filled. */
static int stages_init(struct consumer *c, char *errstr, size_t errstr_size)
{
    static const enum wh_stage_type order[] = {WH_STAGE_DEDUP,
                                               WH_STAGE_ENRICH};
    const struct wh_config_entry *e;
    const struct wh_stage *st;
    char serr[512];
    size_t t, i;

    for (t = 0; t < WH_ARRAY_SIZE(order); t++) {
        for (i = 0; (st = wh_stage_at(i)) != NULL; i++) {
            struct inst *in;

            if (st->type != order[t]) {
                continue;
            }
            WH_ASSERT(c->ninsts < MAX_STAGES);
            in = &c->insts[c->ninsts];
            snprintf(in->tag, sizeof(in->tag), "%s:%s",
                     st->type == WH_STAGE_DEDUP ? "dedup" : "enrich",
                     st->name);
            serr[0] = '\0';
            in->ctx = st->init(NULL, c->cfg, serr, sizeof(serr));
            if (in->ctx == NULL) {
                snprintf(errstr, errstr_size, "%s: %s", in->tag, serr);
                return WH_EINVAL;
            }
            in->st = st;
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
        in->ctx = st->init(arg, c->cfg, serr, sizeof(serr));
        if (in->ctx == NULL) {
            snprintf(errstr, errstr_size, "%s: sink %s: %s", e->origin,
                     e->value, serr);
            return WH_EINVAL;
        }
        in->st = st;
        c->ninsts++;
    }
    return WH_OK;
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

static void meta_of(const rd_kafka_message_t *rkm, const char *topic,
                    struct wh_msg_meta *meta)
{
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
    pcfg = wh_config_new(keys);
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

/* Sends the message of p->held to the dead-letter topic: the original key,
 * bytes and headers, plus wh.dlq.* headers saying why. Its offset is
 * stored only once the delivery is reported (flush_all()). Returns WH_OK,
 * or WH_FATAL when it cannot even be queued. */
static int dead_letter(struct consumer *c, struct part *p,
                       const char *reason, const char *stage,
                       const char *detail)
{
    const rd_kafka_message_t *rkm = p->held.rkm;
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
                                 : wh_xasprintf("%s.dlq", p->topic);
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
    rd_kafka_header_add(hdrs, "wh.dlq.topic", -1, p->topic, -1);
    snprintf(num, sizeof(num), "%d", (int)p->partition);
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
        wh_err("dlq", "%s: cannot queue %s [%d] @ %lld: %s", topic, p->topic,
               (int)p->partition, (long long)rkm->offset,
               rd_kafka_err2str(err));
        free(topic);
        c->fatal = 1;
        return WH_FATAL;
    }
    c->dlq_outstanding++;
    c->n_dead++;
    wh_info("dlq", "%s [%d] @ %lld -> %s: %s", p->topic, (int)p->partition,
            (long long)rkm->offset, topic, reason);
    free(topic);
    return WH_OK;
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
    size_t i;
    int rc;

    meta_of(w->rkm, p->topic, &meta);
    while (w->pos < c->first_sink) {
        struct inst *in = &c->insts[w->pos];

        errstr[0] = '\0';
        rc = in->st->process(in->ctx, w->rec, &meta, errstr, sizeof(errstr));
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
            if (dead_letter(c, p, "rejected", in->tag, errstr) == WH_OK) {
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
    for (i = c->first_sink; i < c->ninsts; i++) {
        struct inst *in = &c->insts[i];

        if ((w->done & ((uint64_t)1 << i)) != 0) {
            continue;
        }
        errstr[0] = '\0';
        rc = in->st->process(in->ctx, w->rec, &meta, errstr, sizeof(errstr));
        if (rc == WH_OK || rc == WH_DROP) {
            w->done |= (uint64_t)1 << i;
        } else if (rc == WH_REJECT) {
            wh_warn(in->tag, "%s [%d] @ %lld: rejected: %s", p->topic,
                    (int)p->partition, (long long)offset, errstr);
            if (dead_letter(c, p, "rejected", in->tag, errstr) != WH_OK) {
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
        if (dead_letter(c, p, bad_reason(rkm), NULL, errstr) == WH_OK) {
            part_finish(c, p, rkm->offset);
        }
        return;
    }
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
        rc = in->st->flush(in->ctx, errstr, sizeof(errstr));
        if (rc == WH_OK || rc == WH_DROP) {
            continue;
        }
        if (rc == WH_REJECT) {
            /* Records refused for good at flush time (the stage's own log
             * names them); the rest is durable. The stage interface does
             * not say which records they were, so they cannot be
             * dead-lettered from here. */
            wh_warn(in->tag, "flush: %s", errstr);
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

/* The main loop. Returns the exit status. */
static int run(struct consumer *c, int once, long timeout_s)
{
    int64_t start = now_ms();
    int64_t last_sync = 0;

    c->progress_at = start;
    int warned_wait = 0;

    while (stop_signal == 0 && !c->fatal) {
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
        if (!once) {
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
    err = rd_kafka_commit(c->rk, NULL, 0);
    if (err != RD_KAFKA_RESP_ERR_NO_ERROR &&
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
    const char *level;
    int status = 2;
    int rc;
    size_t i;

    memset(&o, 0, sizeof(o));
    memset(&c, 0, sizeof(c));
    o.sinks = wh_xcalloc((size_t)argc + 1, sizeof(*o.sinks));
    o.xprops = wh_xcalloc((size_t)argc + 1, sizeof(*o.xprops));
    rc = parse_args(argc, argv, &o);
    if (rc != 0) {
        status = rc == 1 ? 0 : 2;
        goto out;
    }

    c.cfg = wh_config_new(keys);
    errstr[0] = '\0';
    if (build_config(c.cfg, &o, errstr, sizeof(errstr)) != WH_OK ||
        validate(c.cfg, &c.flush_records, &c.flush_ms, errstr,
                 sizeof(errstr)) != WH_OK) {
        wh_err(TAG, "%s", errstr);
        goto out;
    }
    level = wh_config_get(c.cfg, "log.level", NULL);
    if (level != NULL) {
        wh_log_set_level(wh_log_level_parse(level));
    }
    if (o.verbosity != 0) {
        int l = wh_log_get_level() + o.verbosity;

        wh_log_set_level(l < WH_LOG_ERR     ? WH_LOG_ERR
                         : l > WH_LOG_DEBUG ? WH_LOG_DEBUG
                                            : l);
    }
    if (o.check) {
        printf("%s: configuration OK\n",
               o.config_path != NULL ? o.config_path : "command line");
        status = 0;
        goto out;
    }

    /* New groups read the topic from the start unless told otherwise;
     * --once needs to hear where each partition ends. */
    if (wh_config_get(c.cfg, "kafka.auto.offset.reset", NULL) == NULL &&
        wh_config_set(c.cfg, "kafka.auto.offset.reset", "earliest", errstr,
                      sizeof(errstr)) != WH_OK) {
        wh_err(TAG, "%s", errstr);
        goto out;
    }
    if (o.once &&
        wh_config_set(c.cfg, "kafka.enable.partition.eof", "true", errstr,
                      sizeof(errstr)) != WH_OK) {
        wh_err(TAG, "%s", errstr);
        goto out;
    }

    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    /* A closed pipe or a file-size limit is an error to report (EPIPE,
     * EFBIG), not a reason to die with records half-written. */
    sa.sa_handler = SIG_IGN;
    sigaction(SIGPIPE, &sa, NULL);
    sigaction(SIGXFSZ, &sa, NULL);

    status = 1;
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

    status = run(&c, o.once, o.timeout_s);
    if (stop_signal != 0) {
        wh_info(TAG, "%s: stopping", strsignal(stop_signal));
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
    wh_config_free(c.cfg);
    free(o.sinks);
    free(o.xprops);
    return status;
}
