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
 */
#include <getopt.h>
#include <jansson.h>
#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "backoff.h"
#include "extract/extract.h"
#include "fetcher.h"
#include "sources/source.h"
#include "ssrf.h"
#include "state.h"
#include "wh/buf.h"
#include "wh/config.h"
#include "wh/daemon.h"
#include "wh/hash.h"
#include "wh/kafka.h"
#include "wh/log.h"
#include "wh/metrics.h"
#include "wh/notify.h"
#include "wh/record.h"
#include "wh/url.h"
#include "wh/wh.h"

#define TAG "producer"
#define EXIT_RUNTIME 1
#define EXIT_CONFIG 2
#define EXIT_SOURCES 3

static const struct wh_config_key keys[] = {
    {"brokers", 0, "Kafka bootstrap servers host:port,... (-b)"},
    {"topic", 0, "topic records are produced to (-t)"},
    {"source", 1,
     "[NAME ]URL[ interval_ms=N][ tls_insecure]: http(s):// or file:// "
     "feed"},
    {"fetch.user_agent", 0, "User-Agent product (wirehose/VERSION)"},
    {"user_agent", 0, "older name of fetch.user_agent"},
    {"contact_url", 0, "operator contact URL, sent in the User-Agent"},
    {"fetch.timeout_ms", 0, "whole-transfer timeout per fetch (30000)"},
    {"fetch.connect_timeout_ms", 0, "connect timeout per fetch (10000)"},
    {"fetch.max_bytes", 0, "largest body on the wire (16777216)"},
    {"fetch.max_decoded_bytes", 0,
     "largest body after decompression (fetch.max_bytes)"},
    {"fetch.max_redirects", 0, "redirects followed per fetch (5)"},
    {"fetch.low_speed_limit", 0, "bytes/s below which a transfer is slow (64)"},
    {"fetch.low_speed_time_s", 0, "slow for this long aborts it (20)"},
    {"fetch.host_delay_ms", 0, "least time between requests to a host (1000)"},
    {"fetch.max_per_host", 0, "transfers at once per host (2)"},
    {"fetch.max_total", 0, "transfers at once in all (64)"},
    {"fetch.robots_ttl_s", 0, "longest a robots.txt is cached (86400)"},
    {"fetch.allow_address", 1,
     "CIDR the SSRF guard lets through (--allow-address)"},
    {"queue.max_messages", 0, "records awaiting delivery, at most (100000)"},
    {"queue.full_timeout_ms", 0, "wait for room in a full queue (60000)"},
    {"flush.timeout_ms", 0, "wait for deliveries at exit (30000)"},
    {"poll.interval_ms", 0, "time between two polls of a source (300000)"},
    {"poll.max_interval_ms", 0,
     "longest interval of a source that rarely changes (8 x interval)"},
    {"poll.jitter_pct", 0, "random spread of each interval, percent (10)"},
    {"poll.retry_min_ms", 0, "first wait after a failed poll (30000)"},
    {"poll.max_per_source", 0, "fetches of one source at once (4)"},
    {"state_dir", 0, "published-ids directory (default: in memory)"},
    {"metrics", 0, "ADDR:PORT serving /metrics and /healthz (--metrics)"},
    {"log.level", 0, "debug, info, notice, warning or err (info)"},
    {NULL, 0, NULL},
};

/* A configured source, and its schedule. */
struct source {
    char *name;          /* configured name, else the URL */
    char *url;           /* also the key of its state */
    char *tag;           /* "source:NAME" for the log */
    struct source *next; /* in struct settings or the retired list */
    int is_file;
    int tls_insecure;
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
    char *state_dir;        /* in use; a reload cannot change it */
    struct source *retired; /* dropped by a reload, still busy */
    struct wh_metrics *reg; /* NULL when metrics are off */
    struct wh_metrics_server *srv;
    struct job *ready; /* results made here, handled next turn */
    struct job *ready_tail;
    struct job *all;    /* every live job */
    size_t outstanding; /* produced, delivery report not yet served */
    int purging;        /* delivery reports now are purged records */
    uint64_t rng;       /* jitter */
};

static void usage(FILE *fp)
{
    fprintf(fp,
            "Usage: wirehose-producer [OPTIONS]\n"
            "Polls news sources, extracts each new item's page and "
            "publishes one\nninjs record per article to Kafka, keyed by "
            "its uri. Source kinds, detected\nfrom the content: RSS 0.9x, "
            "1.0 and 2.0, Atom, JSON Feed, sitemaps (and\nindexes, Google "
            "News, gzipped), HTML pages (feed autodiscovery), and\nwire "
            "documents needing no page fetch: ninjs, NewsML-G2, NITF.\n\n"
            "  -c FILE            configuration file (key = value)\n"
            "  -b BROKERS         Kafka bootstrap servers (brokers)\n"
            "  -t TOPIC           topic to produce to (topic)\n"
            "  -X PROP=VALUE      librdkafka property (kafka.PROP), "
            "repeatable\n"
            "  --source [NAME ]URL  source to poll, repeatable; the first "
            "one\n"
            "                     replaces the sources of the file\n"
            "  --allow-address CIDR  let the SSRF guard connect to CIDR "
            "(e.g.\n"
            "                     127.0.0.1/32), repeatable "
            "(fetch.allow_address)\n"
            "  --state-dir DIR    where published ids are kept (state_dir)\n"
            "  --metrics ADDR:PORT  serve /metrics and /healthz (metrics)\n"
            "  --once             poll every source once, wait for every "
            "delivery,\n"
            "                     then exit\n"
            "  --check-config     validate the configuration and exit\n"
            "  -v, -q             more / less logging (repeatable)\n"
            "  -h, --help         this help\n\n"
            "Signals: SIGTERM/SIGINT stop (deliveries are flushed), SIGHUP "
            "reloads\nthe configuration (sources, fetch and poll keys; "
            "brokers, kafka.*,\nstate_dir and metrics need a restart).\n\n"
            "Flags override the file. Configuration keys:\n");
    wh_config_print_keys(keys, fp);
    fprintf(fp, "\nExit status: 0 ok, 1 records not delivered or a "
                "runtime failure,\n2 bad usage or configuration, 3 (with "
                "--once) some sources failed\n(each logged with its name), "
                "what the others had was delivered.\n");
}

static int is_http(const char *url)
{
    return strncasecmp(url, "http://", 7) == 0 ||
           strncasecmp(url, "https://", 8) == 0;
}

static int is_file(const char *url)
{
    return strncasecmp(url, "file://", 7) == 0;
}

static long long now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* xorshift64: jitter needs no quality, only spread. */
static uint64_t next_rand(struct producer *p)
{
    p->rng ^= p->rng << 13;
    p->rng ^= p->rng >> 7;
    p->rng ^= p->rng << 17;
    return p->rng;
}

/* ms spread by +-pct percent. */
static long long jitter(struct producer *p, long long ms, long long pct)
{
    long long span = ms * pct / 100;

    if (span <= 0) {
        return ms;
    }
    return ms - span + (long long)(next_rand(p) % (uint64_t)(2 * span + 1));
}

/* Adds id to the round's set; returns 0 when it was there already. */
static int round_claim(struct source *src, const char *id)
{
    uint64_t h = wh_hash64(id, strlen(id));
    size_t i;

    h = h != 0 ? h : 1;
    if (2 * (src->nseen + 1) > src->seen_slots) {
        uint64_t *old = src->seen;
        size_t nold = src->seen_slots;

        src->seen_slots = nold != 0 ? 2 * nold : 64;
        src->seen = wh_xcalloc(src->seen_slots, sizeof(*src->seen));
        for (i = 0; i < nold; i++) {
            if (old[i] != 0) {
                size_t j = old[i] & (src->seen_slots - 1);

                while (src->seen[j] != 0) {
                    j = (j + 1) & (src->seen_slots - 1);
                }
                src->seen[j] = old[i];
            }
        }
        free(old);
    }
    i = h & (src->seen_slots - 1);
    while (src->seen[i] != 0) {
        if (src->seen[i] == h) {
            return 0;
        }
        i = (i + 1) & (src->seen_slots - 1);
    }
    src->seen[i] = h;
    src->nseen++;
    return 1;
}

static void round_forget(struct source *src)
{
    free(src->seen);
    src->seen = NULL;
    src->nseen = 0;
    src->seen_slots = 0;
}

static void source_free(struct source *src)
{
    if (src == NULL) {
        return;
    }
    round_forget(src);
    free(src->name);
    free(src->url);
    free(src->tag);
    free(src);
}

static void settings_free(struct settings *set)
{
    while (set->sources != NULL) {
        struct source *src = set->sources;

        set->sources = src->next;
        source_free(src);
    }
    free(set->user_agent);
    memset(set, 0, sizeof(*set));
}

/* Parses the options after a source's URL: "interval_ms=N" and
 * "tls_insecure". */
static int source_option(struct source *src, const char *opt, size_t len,
                         const char *origin, char *errstr, size_t errstr_size)
{
    char *end;
    long long v;

    if (len == 12 && strncmp(opt, "tls_insecure", 12) == 0) {
        src->tls_insecure = 1;
        return WH_OK;
    }
    if (len > 12 && strncmp(opt, "interval_ms=", 12) == 0) {
        v = strtoll(opt + 12, &end, 10);
        if (end == opt + len && v >= 100) {
            src->interval_ms = v;
            return WH_OK;
        }
    }
    snprintf(errstr, errstr_size,
             "%s: source: %s: bad option \"%.*s\" (interval_ms=N with N >= "
             "100, or tls_insecure)",
             origin, src->name, (int)len, opt);
    return WH_EINVAL;
}

/* Parses "[NAME ]URL[ OPTION...]" of one source entry: the first word is
 * the URL when it has a scheme, else the name. */
static int add_source(struct settings *set, const struct wh_config_entry *e,
                      char *errstr, size_t errstr_size)
{
    const char *v = e->value;
    const char *w[2];
    size_t wl[2];
    struct source *src;
    const char *url;
    size_t url_len;
    const char *s = v;
    struct source **tail;
    int nw = 0;
    int rc;

    while (nw < 2) {
        s += strspn(s, " \t");
        if (*s == '\0') {
            break;
        }
        w[nw] = s;
        wl[nw] = strcspn(s, " \t");
        s += wl[nw];
        nw++;
    }
    if (nw == 0) {
        snprintf(errstr, errstr_size, "%s: source: empty", e->origin);
        return WH_EINVAL;
    }
    src = wh_xcalloc(1, sizeof(*src));
    if (memmem(w[0], wl[0], "://", 3) != NULL || nw == 1) {
        url = w[0];
        url_len = wl[0];
        s = w[0] + wl[0];
    } else {
        url = w[1];
        url_len = wl[1];
        src->name = wh_xstrndup(w[0], wl[0]);
    }
    src->url = wh_xstrndup(url, url_len);
    if (src->name == NULL) {
        src->name = wh_xstrdup(src->url);
    }
    src->tag = wh_xasprintf("source:%s", src->name);
    src->is_file = is_file(src->url);
    src->interval_ms = set->interval_ms;
    if (!is_http(src->url) && !src->is_file) {
        snprintf(errstr, errstr_size,
                 "%s: source: %s: not an http://, https:// or file:// URL",
                 e->origin, src->url);
        source_free(src);
        return WH_EINVAL;
    }
    for (;;) {
        size_t n;

        s += strspn(s, " \t");
        if (*s == '\0') {
            break;
        }
        n = strcspn(s, " \t");
        rc = source_option(src, s, n, e->origin, errstr, errstr_size);
        if (rc != WH_OK) {
            source_free(src);
            return rc;
        }
        s += n;
    }
    for (tail = &set->sources; *tail != NULL; tail = &(*tail)->next) {
        if (strcmp((*tail)->url, src->url) == 0) {
            snprintf(errstr, errstr_size,
                     "%s: source: %s configured twice (as %s and %s)",
                     e->origin, src->url, (*tail)->name, src->name);
            source_free(src);
            return WH_EINVAL;
        }
    }
    *tail = src;
    set->nsources++;
    return WH_OK;
}

/* Where the value in force of key was set ("file:line" or "command
 * line"); "default" when unset. */
static const char *origin_of(const struct wh_config *cfg, const char *key)
{
    const struct wh_config_entry *e;
    const struct wh_config_entry *last = NULL;

    for (e = wh_config_first(cfg, key); e != NULL; e = wh_config_next(e)) {
        last = e;
    }
    return last != NULL ? last->origin : "default";
}

/* Reads an integer key that must be >= min. */
static int get_num(const struct wh_config *cfg, const char *key, long long def,
                   long long min, long long *out, char *errstr,
                   size_t errstr_size)
{
    if (wh_config_get_int(cfg, key, def, out, errstr, errstr_size) != WH_OK) {
        return WH_EINVAL;
    }
    if (*out < min) {
        snprintf(errstr, errstr_size, "%s: %s: must be at least %lld",
                 origin_of(cfg, key), key, min);
        return WH_EINVAL;
    }
    return WH_OK;
}

/* The first directory of $STATE_DIRECTORY (set by systemd's
 * StateDirectory=), or NULL. */
static const char *state_directory_env(void)
{
    static char dir[4096];
    const char *env = getenv("STATE_DIRECTORY");
    size_t n;

    if (env == NULL || env[0] == '\0') {
        return NULL;
    }
    n = strcspn(env, ":");
    if (n >= sizeof(dir)) {
        return NULL;
    }
    memcpy(dir, env, n);
    dir[n] = '\0';
    return dir;
}

/* The integer settings: key, default, least value, field. A default of -1
 * is filled in by settings_load() from other keys. */
struct num_key {
    const char *key;
    long long def;
    long long min;
    size_t off;
};

#define NUM(k, d, m, f)                                                        \
    {                                                                          \
        k, d, m, offsetof(struct settings, f)                                  \
    }
static const struct num_key num_keys[] = {
    NUM("fetch.timeout_ms", 30000, 1, timeout_ms),
    NUM("fetch.connect_timeout_ms", 10000, 1, connect_timeout_ms),
    NUM("fetch.max_bytes", 16LL * 1024 * 1024, 1024, max_bytes),
    NUM("fetch.max_decoded_bytes", -1, 1024, max_decoded_bytes),
    NUM("fetch.max_redirects", 5, 0, max_redirects),
    NUM("fetch.low_speed_limit", 64, 1, low_speed_limit),
    NUM("fetch.low_speed_time_s", 20, 1, low_speed_time_s),
    NUM("fetch.host_delay_ms", 1000, 0, host_delay_ms),
    NUM("fetch.max_per_host", 2, 1, max_per_host),
    NUM("fetch.max_total", 64, 1, max_total),
    NUM("fetch.robots_ttl_s", 86400, 1, robots_ttl_s),
    NUM("queue.max_messages", 100000, 1, queue_max),
    NUM("queue.full_timeout_ms", 60000, 0, queue_full_timeout_ms),
    NUM("flush.timeout_ms", 30000, 0, flush_timeout_ms),
    NUM("poll.interval_ms", 300000, 100, interval_ms),
    NUM("poll.max_interval_ms", -1, 100, max_interval_ms),
    NUM("poll.jitter_pct", 10, 0, jitter_pct),
    NUM("poll.retry_min_ms", 30000, 100, retry_min_ms),
    NUM("poll.max_per_source", 4, 1, max_per_source),
};

/* Checks the configuration and fills set. Returns WH_OK or WH_EINVAL
 * with errstr filled ("origin: key: reason"). */
static int settings_load(const struct wh_config *cfg, struct settings *set,
                         char *errstr, size_t errstr_size)
{
    const struct wh_config_entry *e;
    const char *ua;
    const char *contact;
    const char *level;
    size_t i;
    int lvl;

    memset(set, 0, sizeof(*set));
    for (i = 0; i < WH_ARRAY_SIZE(num_keys); i++) {
        const struct num_key *k = &num_keys[i];
        long long *field = (long long *)((char *)set + k->off);

        if (get_num(cfg, k->key, k->def, k->def < 0 ? -1 : k->min, field,
                    errstr, errstr_size) != WH_OK) {
            return WH_EINVAL;
        }
        if (*field < k->min && *field != -1) {
            snprintf(errstr, errstr_size, "%s: %s: must be at least %lld",
                     origin_of(cfg, k->key), k->key, k->min);
            return WH_EINVAL;
        }
    }
    if (set->max_decoded_bytes < 0) {
        set->max_decoded_bytes = set->max_bytes;
    }
    if (set->max_interval_ms < 0) {
        set->max_interval_ms = 8 * set->interval_ms;
    }
    if (set->max_interval_ms < set->interval_ms) {
        snprintf(errstr, errstr_size,
                 "%s: poll.max_interval_ms: smaller than poll.interval_ms "
                 "(%lld)",
                 origin_of(cfg, "poll.max_interval_ms"), set->interval_ms);
        return WH_EINVAL;
    }
    if (set->jitter_pct > 50) {
        snprintf(errstr, errstr_size, "%s: poll.jitter_pct: at most 50",
                 origin_of(cfg, "poll.jitter_pct"));
        return WH_EINVAL;
    }
    level = wh_config_get(cfg, "log.level", NULL);
    if (level != NULL) {
        lvl = wh_log_level_parse(level);
        if (lvl < 0) {
            snprintf(errstr, errstr_size,
                     "%s: log.level: unknown level \"%s\" (debug, info, "
                     "notice, warning, err)",
                     origin_of(cfg, "log.level"), level);
            return WH_EINVAL;
        }
    }
    if (wh_config_get(cfg, "brokers", NULL) == NULL) {
        snprintf(errstr, errstr_size,
                 "brokers: not set (use -b or \"brokers =\" in the file)");
        return WH_EINVAL;
    }
    set->topic = wh_config_get(cfg, "topic", NULL);
    if (set->topic == NULL || set->topic[0] == '\0') {
        snprintf(errstr, errstr_size,
                 "topic: not set (use -t or \"topic =\" in the file)");
        return WH_EINVAL;
    }
    for (e = wh_config_first(cfg, "source"); e != NULL; e = wh_config_next(e)) {
        if (add_source(set, e, errstr, errstr_size) != WH_OK) {
            return WH_EINVAL;
        }
    }
    if (set->nsources == 0) {
        snprintf(errstr, errstr_size,
                 "source: none set (use --source or \"source =\")");
        return WH_EINVAL;
    }
    /* Under systemd (StateDirectory=), the state goes there by default. */
    set->state_dir = wh_config_get(cfg, "state_dir", state_directory_env());
    set->metrics = wh_config_get(cfg, "metrics", NULL);
    ua =
        wh_config_get(cfg, "fetch.user_agent",
                      wh_config_get(cfg, "user_agent", "wirehose/" WH_VERSION));
    contact = wh_config_get(cfg, "contact_url", NULL);
    set->user_agent = contact != NULL ? wh_xasprintf("%s (+%s)", ua, contact)
                                      : wh_xstrdup(ua);
    return WH_OK;
}

/* Validates every kafka.* property without creating a client. */
static int check_kafka(const struct wh_config *cfg, char *errstr,
                       size_t errstr_size)
{
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    const struct wh_config_entry *e;
    char msg[256];
    int rc = WH_OK;

    for (e = cfg->head; e != NULL; e = e->next) {
        if (strncmp(e->key, "kafka.", 6) != 0) {
            continue;
        }
        if (rd_kafka_conf_set(conf, e->key + 6, e->value, msg, sizeof(msg)) !=
            RD_KAFKA_CONF_OK) {
            snprintf(errstr, errstr_size, "%s: %s: %s", e->origin, e->key, msg);
            rc = WH_EINVAL;
            break;
        }
    }
    rd_kafka_conf_destroy(conf);
    return rc;
}

/* Builds a fetcher from the settings, with every fetch.allow_address
 * CIDR. Returns NULL with errstr filled on a bad CIDR. */
static struct wh_fetcher *
fetcher_build(const struct wh_config *cfg, const struct settings *set,
              void (*on_result)(struct wh_fetch_result *, void *), void *opaque,
              char *errstr, size_t errstr_size)
{
    const struct wh_config_entry *e;
    struct wh_fetch_opts fo;
    struct wh_fetcher *f;
    char msg[256];

    memset(&fo, 0, sizeof(fo));
    fo.user_agent = set->user_agent;
    fo.max_bytes = (size_t)set->max_bytes;
    fo.max_decoded_bytes = (size_t)set->max_decoded_bytes;
    fo.connect_timeout_ms = (long)set->connect_timeout_ms;
    fo.timeout_ms = (long)set->timeout_ms;
    fo.max_redirects = set->max_redirects > 0 ? (long)set->max_redirects : -1;
    fo.low_speed_limit = (long)set->low_speed_limit;
    fo.low_speed_time_s = (long)set->low_speed_time_s;
    fo.max_total = (int)set->max_total;
    fo.max_per_host = (int)set->max_per_host;
    fo.host_delay_ms = set->host_delay_ms > 0 ? (long)set->host_delay_ms : -1;
    fo.robots_ttl_s = (long)set->robots_ttl_s;
    fo.on_result = on_result;
    fo.on_result_opaque = opaque;
    f = wh_fetcher_new(&fo);
    for (e = wh_config_first(cfg, "fetch.allow_address"); e != NULL;
         e = wh_config_next(e)) {
        if (wh_fetcher_allow(f, e->value, msg, sizeof(msg)) != WH_OK) {
            snprintf(errstr, errstr_size, "%s: fetch.allow_address: %s",
                     e->origin, msg);
            wh_fetcher_free(f);
            return NULL;
        }
    }
    return f;
}

/* ---- metrics ----------------------------------------------------------- */

static void count_fetch(struct producer *p, const struct source *src,
                        const struct wh_fetch_result *res, int from_file)
{
    char label[16];
    const char *status;

    if (p->reg == NULL) {
        return;
    }
    if (from_file) {
        status = res->outcome == WH_FETCH_OK ? "file" : "error";
    } else {
        status = wh_fetch_result_label(res, label, sizeof(label));
    }
    wh_metrics_inc(wh_metrics_get(p->reg, WH_M_FETCHES,
                                  WH_METRICS_LABELS(src->name, status)));
}

static void count_record(struct producer *p, const char *stage,
                         const char *outcome)
{
    wh_metrics_inc(wh_metrics_get(p->reg, WH_M_RECORDS,
                                  WH_METRICS_LABELS(stage, outcome)));
}

/* One extracted page: field="page" counts the pages, the others the pages
 * where the extractor filled that field (fill rate = field / page). */
static void count_fill(struct producer *p, const struct source *src,
                       const struct wh_record *rec)
{
    static const char *const fields[] = {"page", "date", "byline", "body"};
    int filled[4];
    size_t i;

    if (p->reg == NULL) {
        return;
    }
    filled[0] = 1;
    filled[1] = rec->first_created != NULL || rec->version_created != NULL;
    filled[2] = rec->by != NULL && rec->by[0] != '\0';
    filled[3] = rec->body_text != NULL && rec->body_text[0] != '\0';
    for (i = 0; i < WH_ARRAY_SIZE(fields); i++) {
        struct wh_metric *m = wh_metrics_get(
            p->reg, WH_M_FILL, WH_METRICS_LABELS(src->name, fields[i]));

        /* The series exist from the first page on, at 0 when unfilled. */
        wh_metrics_add(m, filled[i] ? 1.0 : 0.0);
    }
}

/* ---- delivery ---------------------------------------------------------- */

/* Stores pv's validators when its document is done and every item of it
 * was delivered; frees pv once nothing refers to it any more. */
static void pending_check(struct producer *p, struct pending_val *pv)
{
    char errstr[256];

    if (!pv->done || pv->outstanding > 0) {
        return;
    }
    if (!pv->failed && (pv->etag != NULL || pv->last_modified != NULL) &&
        wh_state_set_validators(p->state, pv->source, pv->url, pv->etag,
                                pv->last_modified, errstr,
                                sizeof(errstr)) != WH_OK) {
        wh_err(TAG, "state: %s", errstr);
    }
    free(pv->source);
    free(pv->url);
    free(pv->etag);
    free(pv->last_modified);
    free(pv);
}

static void on_delivery(rd_kafka_t *rk, const rd_kafka_message_t *rkm,
                        void *opaque)
{
    struct producer *p = opaque;
    struct delivery *d = rkm->_private;
    char errstr[256];

    (void)rk;
    WH_ASSERT(p->outstanding > 0);
    p->outstanding--;
    if (rkm->err == RD_KAFKA_RESP_ERR_NO_ERROR) {
        p->n.published++;
        wh_daemon_set_broker_up(1);
        count_record(p, "produce", "delivered");
        if (d != NULL && wh_state_mark(p->state, d->src->url, d->id, errstr,
                                       sizeof(errstr)) != WH_OK) {
            wh_err(TAG, "state: %s", errstr);
        }
    } else if (p->purging) {
        p->n.undelivered++;
        count_record(p, "produce", "failed");
    } else {
        p->n.delivery_failed++;
        count_record(p, "produce", "failed");
        wh_err(TAG, "delivery failed for %.*s: %s", (int)rkm->key_len,
               rkm->key != NULL ? (const char *)rkm->key : "",
               rd_kafka_err2str(rkm->err));
    }
    if (d != NULL) {
        if (d->pv != NULL) {
            d->pv->outstanding--;
            if (rkm->err != RD_KAFKA_RESP_ERR_NO_ERROR) {
                d->pv->failed = 1;
            }
            pending_check(p, d->pv);
        }
        WH_ASSERT(d->src->records > 0);
        d->src->records--;
        free(d->id);
        free(d);
    }
}

/* Adds header name = value unless value is NULL or empty. */
static void add_header(rd_kafka_headers_t *hdrs, const char *name,
                       const char *value)
{
    if (value != NULL && value[0] != '\0') {
        rd_kafka_header_add(hdrs, name, -1, value, -1);
    }
}

/* The Kafka headers carrying the record's provenance: wh-source,
 * wh-fetched-at, wh-http-status (HTTP fetches only), wh-content-hash and
 * wh-extractor-version (when known). */
static rd_kafka_headers_t *provenance_headers(const struct wh_record *rec)
{
    rd_kafka_headers_t *hdrs = rd_kafka_headers_new(5);
    char status[16];

    add_header(hdrs, "wh-source", rec->source);
    add_header(hdrs, "wh-fetched-at", rec->fetched_at);
    if (rec->http_status > 0) {
        snprintf(status, sizeof(status), "%d", rec->http_status);
        add_header(hdrs, "wh-http-status", status);
    }
    add_header(hdrs, "wh-content-hash", rec->content_hash);
    add_header(hdrs, "wh-extractor-version", rec->extractor_version);
    return hdrs;
}

/* Produces rec keyed by its uri, with the provenance headers. Waits (for
 * at most queue.full_timeout_ms, serving delivery reports) while the
 * queue is full. Returns WH_OK once the record is queued. */
static int produce(struct producer *p, struct source *src, const char *id,
                   const struct wh_record *rec, struct pending_val *pv)
{
    struct delivery *d;
    char *payload;
    long long deadline = now_ms() + p->set.queue_full_timeout_ms;
    rd_kafka_resp_err_t err;

    WH_ASSERT(rec->uri != NULL);
    payload = wh_record_dump(rec);
    d = wh_xcalloc(1, sizeof(*d));
    d->src = src;
    d->id = wh_xstrdup(id);
    d->pv = pv;
    for (;;) {
        if ((long long)p->outstanding >= p->set.queue_max) {
            err = RD_KAFKA_RESP_ERR__QUEUE_FULL;
        } else {
            /* The payload is copied (F_COPY); the headers belong to the
             * message once produced, and stay ours on failure. */
            rd_kafka_headers_t *hdrs = provenance_headers(rec);

            err = rd_kafka_producev(p->rk, RD_KAFKA_V_TOPIC(p->set.topic),
                                    RD_KAFKA_V_KEY(rec->uri, strlen(rec->uri)),
                                    RD_KAFKA_V_VALUE(payload, strlen(payload)),
                                    RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
                                    RD_KAFKA_V_HEADERS(hdrs),
                                    RD_KAFKA_V_OPAQUE(d), RD_KAFKA_V_END);
            if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
                rd_kafka_headers_destroy(hdrs);
            }
        }
        if (err != RD_KAFKA_RESP_ERR__QUEUE_FULL ||
            wh_daemon_stop_signal() != 0 ||
            now_ms() >= deadline) {
            break;
        }
        /* Delivery reports free room; the fetcher waits meanwhile (its
         * transfers time out on their own if this lasts). */
        rd_kafka_poll(p->rk, 100);
    }
    free(payload);
    if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
        wh_err(src->tag, "produce %s: %s%s", rec->uri, rd_kafka_err2str(err),
               err == RD_KAFKA_RESP_ERR__QUEUE_FULL
                   ? " (no room for queue.full_timeout_ms: is the broker "
                     "up?)"
                   : "");
        count_record(p, "produce", "failed");
        free(d->id);
        free(d);
        return WH_RETRY;
    }
    p->outstanding++;
    src->records++;
    if (pv != NULL) {
        pv->outstanding++;
    }
    return WH_OK;
}

/* ---- records ----------------------------------------------------------- */

/* Notes in the extension object that field came from the feed. */
static void field_from_feed(struct wh_record *rec, const char *field)
{
    json_t *fs;

    if (rec->ext == NULL) {
        rec->ext = json_object();
    }
    fs = json_object_get(rec->ext, "fieldSources");
    if (!json_is_object(fs)) {
        fs = json_object();
        json_object_set_new(rec->ext, "fieldSources", fs);
    }
    json_object_set_new(fs, field, json_string("feed"));
}

/* Sets *field to a copy of value when *field is NULL and value is not. */
static void fill(struct wh_record *rec, char **field, const char *value,
                 const char *name)
{
    if (*field == NULL && value != NULL && value[0] != '\0') {
        *field = wh_xstrdup(value);
        field_from_feed(rec, name);
    }
}

/* Adds the feed's categories to ninjs "subjects" ({"name": ...}), skipping
 * names already there. */
static void merge_categories(struct wh_record *rec,
                             const struct wh_feed_item *it)
{
    json_t *subjects;
    size_t had;
    size_t i;
    int added = 0;

    if (it->ncategories == 0) {
        return;
    }
    if (rec->extra == NULL) {
        rec->extra = json_object();
    }
    subjects = json_object_get(rec->extra, "subjects");
    if (!json_is_array(subjects)) {
        subjects = json_array();
        json_object_set_new(rec->extra, "subjects", subjects);
    }
    had = json_array_size(subjects);
    for (i = 0; i < it->ncategories; i++) {
        size_t j;
        json_t *s;
        int dup = 0;

        json_array_foreach (subjects, j, s) {
            const char *name = json_string_value(json_object_get(s, "name"));

            if (name != NULL && strcasecmp(name, it->categories[i]) == 0) {
                dup = 1;
                break;
            }
        }
        if (!dup) {
            json_array_append_new(
                subjects, json_pack("{s:s}", "name", it->categories[i]));
            added = 1;
        }
    }
    /* Attributed to the feed only when the page had none. */
    if (added && had == 0) {
        field_from_feed(rec, "subjects");
    }
}

/* The feed's media (enclosures, Media RSS) as ninjs associations. */
static void merge_enclosure(struct wh_record *rec,
                            const struct wh_feed_item *it)
{
    json_t *assoc;
    size_t i;

    if (it->nmedia == 0) {
        return;
    }
    if (rec->extra == NULL) {
        rec->extra = json_object();
    }
    assoc = json_object_get(rec->extra, "associations");
    if (!json_is_array(assoc)) {
        assoc = json_array();
        json_object_set_new(rec->extra, "associations", assoc);
    }
    for (i = 0; i < it->nmedia; i++) {
        json_array_append_new(assoc, wh_feed_media_association(&it->media[i]));
    }
    field_from_feed(rec, "associations");
}

/* Feed metadata where the page gave none. */
static void merge_feed(struct wh_record *rec, const struct wh_feed_item *it)
{
    fill(rec, &rec->headline, it->title, "headline");
    fill(rec, &rec->description, it->summary, "description");
    fill(rec, &rec->by, it->author, "by");
    fill(rec, &rec->first_created,
         it->published != NULL ? it->published : it->updated, "firstCreated");
    fill(rec, &rec->version_created,
         it->updated != NULL ? it->updated : it->published, "versionCreated");
    merge_categories(rec, it);
    merge_enclosure(rec, it);
}

/* Finishes a record (the feed's metadata where the record has none, the
 * uri, the provenance) and produces it. Takes ownership of rec. */
static void finish_item(struct producer *p, struct source *src,
                        struct wh_record *rec, const struct wh_feed_item *it,
                        const char *id, struct pending_val *pv)
{
    char now[21];

    merge_feed(rec, it);
    if (rec->uri == NULL) {
        rec->uri = wh_xstrdup(it->link != NULL ? it->link : id);
    }
    if (it->link != NULL) {
        /* Pages: one uri however the page was reached. Wire items keep
         * their own uri. */
        char *norm = wh_url_normalize(rec->uri);

        if (norm != NULL) {
            free(rec->uri);
            rec->uri = norm;
        }
    }
    free(rec->source);
    rec->source = wh_xstrdup(src->name);
    wh_now_rfc3339(now);
    free(rec->fetched_at);
    rec->fetched_at = wh_xstrdup(now);
    if (rec->content_hash == NULL) {
        /* Records without a body (a feed-only item, a wire cancellation)
         * carry the hash of the empty body: the field is always there. */
        rec->content_hash =
            wh_body_hash(rec->body_text != NULL ? rec->body_text : "");
    }
    if (rec->extractor_version == NULL && it->link != NULL) {
        rec->extractor_version = wh_xstrdup(WH_EXTRACTOR_VERSION);
    }
    if (produce(p, src, id, rec, pv) != WH_OK) {
        p->n.item_failed++;
        pv->failed = 1;
    } else {
        wh_debug(src->tag, "queued %s", rec->uri);
    }
    wh_record_free(rec);
}

/* Extracts the fetched page of an item into a new record; NULL (logged)
 * when nothing can be published from it. */
static struct wh_record *page_record(struct producer *p, struct source *src,
                                     const struct wh_feed_item *it,
                                     const struct wh_fetch_result *res)
{
    struct wh_extract_opts opts;
    struct wh_article *art;
    struct wh_record *rec;
    char errstr[256];
    char *charset = wh_fetch_charset(res->content_type);

    memset(&opts, 0, sizeof(opts));
    opts.max_bytes = (size_t)p->set.max_decoded_bytes;
    opts.charset = charset;
    art = wh_extract(res->body, res->len, res->final_url, &opts, errstr,
                     sizeof(errstr));
    free(charset);
    rec = wh_record_new();
    if (art != NULL) {
        wh_article_to_record(art, res->final_url, rec);
        wh_article_free(art);
        count_record(p, "extract", "ok");
        count_fill(p, src, rec);
    } else if (it->title != NULL) {
        count_record(p, "extract", "error");
        wh_warn(src->tag, "item %s: %s; publishing the feed's metadata only",
                res->final_url, errstr);
        rec->uri = wh_xstrdup(res->final_url);
    } else {
        count_record(p, "extract", "error");
        wh_warn(src->tag, "item %s: %s", res->final_url, errstr);
        wh_record_free(rec);
        return NULL;
    }
    free(rec->final_url);
    rec->final_url = wh_xstrdup(res->final_url);
    rec->http_status = res->status;
    return rec;
}

/* ---- jobs -------------------------------------------------------------- */

static struct job *job_new(struct producer *p, struct source *src, int kind,
                           const char *url)
{
    struct job *job = wh_xcalloc(1, sizeof(*job));

    job->kind = kind;
    job->src = src;
    job->url = wh_xstrdup(url);
    job->all_next = p->all;
    if (p->all != NULL) {
        p->all->all_prev = job;
    }
    p->all = job;
    return job;
}

static void job_destroy(struct job *job);

/* Unlinks job from the live jobs and releases it. */
static void job_free(struct producer *p, struct job *job)
{
    if (job->all_prev != NULL) {
        job->all_prev->all_next = job->all_next;
    } else {
        p->all = job->all_next;
    }
    if (job->all_next != NULL) {
        job->all_next->all_prev = job->all_prev;
    }
    job_destroy(job);
}

/* Releases a job out of the list of live jobs. */
static void job_destroy(struct job *job)
{
    free(job->url);
    free(job->id);
    wh_feed_item_clear(&job->item);
    wh_fetch_result_free(&job->res);
    free(job);
}

/* Queues a job whose result was made here (file://, refused URL): it is
 * handled on the next loop turn, like a fetcher result. */
static void ready_push(struct producer *p, struct job *job)
{
    job->next = NULL;
    if (p->ready_tail != NULL) {
        p->ready_tail->next = job;
    } else {
        p->ready = job;
    }
    p->ready_tail = job;
}

/* Makes job->res a failure without a fetch. */
static void job_fail_here(struct job *job, int outcome, int rc, const char *why)
{
    wh_fetch_result_free(&job->res);
    job->res.outcome = outcome;
    job->res.rc = rc;
    job->res.url = wh_xstrdup(job->url);
    snprintf(job->res.error, sizeof(job->res.error), "%s", why);
}

/* Hands job to the fetcher, or reads it from disk (file:// of a source
 * configured as a local file). Its result comes later either way. */
static void job_start(struct producer *p, struct job *job)
{
    struct source *src = job->src;
    struct wh_fetch_req req;
    char errstr[256];
    int rc;

    if (is_file(job->url)) {
        if (!src->is_file) {
            job_fail_here(job, WH_FETCH_REFUSED, WH_EINVAL,
                          "file:// refused: the source is not a local file");
        } else {
            rc = wh_fetch_file(job->url, (size_t)p->set.max_decoded_bytes,
                               &job->res, errstr, sizeof(errstr));
            if (rc != WH_OK) {
                job_fail_here(
                    job, rc == WH_E2BIG ? WH_FETCH_TOO_BIG : WH_FETCH_ERROR, rc,
                    errstr);
            }
        }
        ready_push(p, job);
        return;
    }
    memset(&req, 0, sizeof(req));
    req.url = job->url;
    req.opaque = job;
    req.tls_insecure = src->tls_insecure;
    if (job->kind == JOB_DOC) {
        wh_state_validators(p->state, src->url, job->url, &req.etag,
                            &req.last_modified);
    }
    if (wh_fetcher_submit(p->fetcher, &req, errstr, sizeof(errstr)) != WH_OK) {
        job_fail_here(job, WH_FETCH_REFUSED, WH_EINVAL, errstr);
        ready_push(p, job);
    }
}

/* Starts the queued jobs of src its per-source cap allows. */
static void pump(struct producer *p, struct source *src)
{
    while (src->qhead != NULL &&
           (long long)src->active < p->set.max_per_source) {
        struct job *job = src->qhead;

        src->qhead = job->next;
        if (src->qhead == NULL) {
            src->qtail = NULL;
        }
        job->next = NULL;
        src->queued--;
        src->active++;
        job_start(p, job);
    }
}

static void job_queue(struct producer *p, struct job *job)
{
    struct source *src = job->src;

    job->next = NULL;
    if (src->qtail != NULL) {
        src->qtail->next = job;
    } else {
        src->qhead = job;
    }
    src->qtail = job;
    src->queued++;
    pump(p, src);
}

/* ---- rounds ------------------------------------------------------------ */

/* How deep linked documents are followed (a sitemap index -> sitemaps,
 * a homepage -> its feeds), and how many per document. */
#define LINK_DEPTH 2
#define LINKS_PER_DOC 50

/* New items handed out per document and round: a huge feed or sitemap
 * (the body limit allows some 100,000 entries) is worked through over
 * several rounds instead of holding a job for each at once. */
#define NEW_ITEMS_PER_DOC 5000

/* Hands out the new items of a parsed document: wire items are produced
 * at once, the others become page jobs. Returns the number of new
 * items. */
static size_t doc_items(struct producer *p, struct source *src,
                        struct wh_feed *feed, struct pending_val *pv,
                        const struct wh_fetch_result *res)
{
    size_t fresh = 0;
    size_t i;

    for (i = 0; i < feed->nitems && wh_daemon_stop_signal() == 0 &&
                !wh_kafka_fatal();
         i++) {
        struct wh_feed_item *it = &feed->items[i];
        const char *id = it->id != NULL ? it->id : it->link;
        struct job *job;

        if (id == NULL) {
            wh_debug(src->tag, "item %zu has neither id nor link, skipped", i);
            p->n.skipped++;
            continue;
        }
        if (wh_state_seen(p->state, src->url, id) || !round_claim(src, id)) {
            continue;
        }
        if (fresh == NEW_ITEMS_PER_DOC) {
            wh_warn(src->tag,
                    "more than %d new items in one document: the rest "
                    "waits for the next round",
                    NEW_ITEMS_PER_DOC);
            break;
        }
        fresh++;
        p->n.items++;
        if (it->rec != NULL) {
            /* Wire items carry their record: no page to fetch. Their
             * provenance is the document they came in. */
            struct wh_record *rec = it->rec;

            it->rec = NULL;
            free(rec->final_url);
            rec->final_url = wh_xstrdup(res->final_url);
            rec->http_status = res->status;
            finish_item(p, src, rec, it, id, pv);
        } else if (it->link == NULL) {
            wh_debug(src->tag, "item %s: no link, skipped", id);
            p->n.skipped++;
        } else if (!is_http(it->link) && !(src->is_file && is_file(it->link))) {
            wh_warn(src->tag, "item %s: link %s refused (http(s) only%s)", id,
                    it->link, src->is_file ? " or file" : "");
            p->n.item_failed++;
            pv->failed = 1;
        } else {
            job = job_new(p, src, JOB_PAGE, it->link);
            job->id = wh_xstrdup(id);
            /* The item moves to the job; the feed keeps a zeroed one. */
            job->item = *it;
            memset(it, 0, sizeof(*it));
            job->pv = pv;
            pv->outstanding++;
            job_queue(p, job);
        }
    }
    if (i < feed->nitems) {
        pv->failed = 1; /* interrupted */
    }
    return fresh;
}

/* Queues the documents a document links to (sitemap-index children,
 * autodiscovered feeds). Their failures are logged, not counted. */
static void follow_links(struct producer *p, struct source *src,
                         const struct wh_feed *feed, int depth)
{
    size_t i;

    if (feed->nlinks > 0 && depth >= LINK_DEPTH) {
        wh_warn(src->tag,
                "%zu linked documents not followed: deeper than %d levels",
                feed->nlinks, LINK_DEPTH);
        return;
    }
    for (i = 0; i < feed->nlinks && wh_daemon_stop_signal() == 0; i++) {
        const char *link = feed->links[i];
        struct job *job;

        if (i >= LINKS_PER_DOC) {
            wh_warn(src->tag, "%zu linked documents not followed: more than %d",
                    feed->nlinks - i, LINKS_PER_DOC);
            break;
        }
        if (!is_http(link) && !(src->is_file && is_file(link))) {
            wh_warn(src->tag, "linked document %s refused (http(s) only%s)",
                    link, src->is_file ? " or file" : "");
            continue;
        }
        job = job_new(p, src, JOB_DOC, link);
        job->depth = depth + 1;
        job_queue(p, job);
    }
}

/* A document of a source arrived (or failed). */
static void doc_done(struct producer *p, struct job *job,
                     struct wh_fetch_result *res)
{
    struct source *src = job->src;
    struct pending_val *pv;
    struct wh_feed *feed;
    char errstr[512];
    size_t fresh;

    if (res->outcome == WH_FETCH_UNCHANGED) {
        wh_info(src->tag, "%s: unchanged (304)", job->url);
        return;
    }
    if (res->outcome != WH_FETCH_OK) {
        wh_err(src->tag, "fetch %s: %s", job->url, res->error);
        if (job->depth == 0) {
            src->round_failed = 1;
            src->retry_after_s = res->retry_after_s;
        }
        return;
    }
    feed = wh_source_parse(res->body, res->len, res->content_type,
                           res->final_url, errstr, sizeof(errstr));
    if (feed == NULL) {
        wh_err(src->tag, "%s: %s", res->final_url, errstr);
        if (job->depth == 0) {
            src->round_failed = 1;
        }
        return;
    }
    /* The body is parsed: release it before the page fetches. */
    free(res->body);
    res->body = NULL;
    pv = wh_xcalloc(1, sizeof(*pv));
    pv->source = wh_xstrdup(src->url);
    pv->url = wh_xstrdup(job->url);
    pv->etag = res->etag;
    pv->last_modified = res->last_modified;
    res->etag = NULL;
    res->last_modified = NULL;
    /* A document that links to others (an index, a homepage) is always
     * fetched in full: a 304 would hide changes of its children. */
    pv->failed = feed->nlinks > 0;
    fresh = doc_items(p, src, feed, pv, res);
    src->round_new += fresh;
    if (feed->nitems > 0 || feed->nlinks == 0) {
        wh_info(src->tag, "%s: %s, %zu items, %zu new", res->final_url,
                feed->kind, feed->nitems, fresh);
    } else {
        wh_info(src->tag, "%s: %s, %zu linked documents", res->final_url,
                feed->kind, feed->nlinks);
    }
    follow_links(p, src, feed, job->depth);
    wh_feed_free(feed);
    pv->done = 1;
    pending_check(p, pv);
}

/* An item's page arrived (or failed). */
static void page_done(struct producer *p, struct job *job,
                      const struct wh_fetch_result *res)
{
    struct source *src = job->src;
    struct pending_val *pv = job->pv;
    struct wh_record *rec;

    if (res->outcome != WH_FETCH_OK) {
        wh_warn(src->tag, "item %s: %s", job->url, res->error);
        p->n.item_failed++;
        pv->failed = 1;
    } else {
        rec = page_record(p, src, &job->item, res);
        if (rec == NULL) {
            p->n.item_failed++;
            pv->failed = 1;
        } else {
            finish_item(p, src, rec, &job->item, job->id, pv);
        }
    }
    pv->outstanding--;
    pending_check(p, pv);
}

/* The source's round is over: every job of it is done. Sets its next due
 * time. */
static void round_end(struct producer *p, struct source *src)
{
    long long delay;
    long long cap = p->set.max_interval_ms > src->interval_ms
                        ? p->set.max_interval_ms
                        : src->interval_ms;
    long long before = src->cur_ms;
    char errstr[256];

    src->polling = 0;
    src->polled++;
    round_forget(src);
    if (src->round_failed) {
        p->n.sources_failed++;
        delay = wh_backoff_fail(&src->bo, src->retry_after_s * 1000);
        if (!p->cli->once) {
            wh_notice(src->tag, "next try in %.1f s (%u failed in a row)",
                      (double)delay / 1000.0, src->bo.failures);
        }
    } else {
        p->n.sources_ok++;
        wh_backoff_reset(&src->bo);
        if (src->round_new > 0) {
            src->cur_ms = src->cur_ms / 2;
        } else {
            src->cur_ms = src->cur_ms + src->cur_ms / 2;
        }
        if (src->cur_ms < src->interval_ms) {
            src->cur_ms = src->interval_ms;
        }
        if (src->cur_ms > cap) {
            src->cur_ms = cap;
        }
        if (src->cur_ms != before &&
            wh_state_set_interval(p->state, src->url, src->cur_ms, errstr,
                                  sizeof(errstr)) != WH_OK) {
            wh_err(TAG, "state: %s", errstr);
        }
        delay = jitter(p, src->cur_ms, p->set.jitter_pct);
        wh_debug(src->tag, "next poll in %.1f s", (double)delay / 1000.0);
    }
    src->due = now_ms() + delay;
}

/* Handles the result of job, then frees it. */
static void job_handle(struct producer *p, struct job *job,
                       struct wh_fetch_result *res)
{
    struct source *src = job->src;

    count_fetch(p, src, res, is_file(job->url) && src->is_file);
    if (job->kind == JOB_DOC) {
        doc_done(p, job, res);
    } else {
        page_done(p, job, res);
    }
    WH_ASSERT(src->active > 0);
    src->active--;
    job_free(p, job);
    pump(p, src);
    if (src->polling && src->active == 0 && src->queued == 0) {
        round_end(p, src);
    }
}

/* The fetcher's on_result. */
static void on_fetch_result(struct wh_fetch_result *res, void *opaque)
{
    job_handle(opaque, res->opaque, res);
}

/* Handles the results made here. Returns how many. */
static int ready_run(struct producer *p)
{
    int n = 0;

    while (p->ready != NULL && wh_daemon_stop_signal() == 0) {
        struct job *job = p->ready;

        p->ready = job->next;
        if (p->ready == NULL) {
            p->ready_tail = NULL;
        }
        job_handle(p, job, &job->res);
        n++;
    }
    return n;
}

/* Starts a round of src. */
static void round_start(struct producer *p, struct source *src)
{
    struct job *job;

    src->polling = 1;
    src->round_new = 0;
    src->round_failed = 0;
    src->retry_after_s = 0;
    job = job_new(p, src, JOB_DOC, src->url);
    job_queue(p, job);
}

/* Starts the rounds that are due. Returns the ms until the next one
 * (capped at 1000). */
static long long start_due(struct producer *p)
{
    long long t = now_ms();
    long long next = 1000;
    struct source *src;

    for (src = p->set.sources; src != NULL; src = src->next) {
        /* A new round waits for the deliveries of the last one: its
         * items are marked published only then. */
        if (src->polling || src->records > 0 ||
            (p->cli->once && src->polled > 0)) {
            continue;
        }
        if (src->due <= t) {
            round_start(p, src);
        } else if (src->due - t < next) {
            next = src->due - t;
        }
    }
    return next;
}

/* Frees every job left (at shutdown, after the fetcher is gone): their
 * items are not published, and their documents' validators not stored. */
static void jobs_abort(struct producer *p)
{
    struct job *job = p->all;
    struct source *src;

    p->all = NULL;
    while (job != NULL) {
        struct job *next = job->all_next;

        if (job->pv != NULL) {
            job->pv->failed = 1;
            job->pv->outstanding--;
            pending_check(p, job->pv);
        }
        job->all_prev = NULL;
        job->all_next = NULL;
        job_destroy(job);
        job = next;
    }
    p->ready = NULL;
    p->ready_tail = NULL;
    for (src = p->set.sources; src != NULL; src = src->next) {
        src->qhead = NULL;
        src->qtail = NULL;
        src->queued = 0;
        src->active = 0;
        src->polling = 0;
    }
}

/* ---- sources at start and reload -------------------------------------- */

/* Sets up the schedule of a source new to this process: due at once. */
static void source_activate(struct producer *p, struct source *src)
{
    long long cap = p->set.max_interval_ms > src->interval_ms
                        ? p->set.max_interval_ms
                        : src->interval_ms;
    long long stored = wh_state_interval(p->state, src->url);

    /* A source that rarely changes keeps its longer interval across
     * restarts; its first round is still due at once. */
    src->cur_ms =
        stored >= src->interval_ms && stored <= cap ? stored : src->interval_ms;
    src->due = now_ms();
    wh_backoff_init(&src->bo, (long)p->set.retry_min_ms, (long)cap,
                    wh_hash64(src->url, strlen(src->url)));
}

/* Keeps a removed source until its work in flight is done. */
static void retire(struct producer *p, struct source *src)
{
    src->removed = 1;
    if (!src->polling && src->active == 0 && src->queued == 0 &&
        src->records == 0) {
        wh_info(src->tag, "removed");
        source_free(src);
        return;
    }
    wh_info(src->tag, "removed: finishing its work in flight");
    src->next = p->retired;
    p->retired = src;
}

/* Drops freed sources from the retired list. */
static void retired_sweep(struct producer *p)
{
    struct source **link = &p->retired;

    while (*link != NULL) {
        struct source *src = *link;

        if (!src->polling && src->active == 0 && src->queued == 0 &&
            src->records == 0) {
            wh_info(src->tag, "removed");
            *link = src->next;
            source_free(src);
        } else {
            link = &src->next;
        }
    }
}

/* Moves the schedule and work of the running sources into the sources of
 * a new configuration (matched by URL; name and options are taken from
 * the new one), activates the new ones and retires the dropped ones. */
static void sources_merge(struct producer *p, struct settings *set)
{
    struct source **link;
    struct source *old = p->set.sources;
    size_t added = 0;
    size_t kept = 0;
    size_t removed = 0;

    p->set.sources = NULL;
    p->set.nsources = 0;
    for (link = &set->sources; *link != NULL; link = &(*link)->next) {
        struct source *ns = *link;
        struct source **ol;
        struct source *os = NULL;

        for (ol = &old; *ol != NULL; ol = &(*ol)->next) {
            if (strcmp((*ol)->url, ns->url) == 0) {
                os = *ol;
                *ol = os->next;
                break;
            }
        }
        if (os == NULL) {
            source_activate(p, ns);
            added++;
            continue;
        }
        free(os->name);
        free(os->tag);
        os->name = ns->name;
        os->tag = ns->tag;
        ns->name = NULL;
        ns->tag = NULL;
        os->tls_insecure = ns->tls_insecure;
        if (os->interval_ms != ns->interval_ms) {
            os->interval_ms = ns->interval_ms;
            os->cur_ms = ns->interval_ms;
        }
        os->next = ns->next;
        *link = os;
        source_free(ns);
        kept++;
    }
    while (old != NULL) {
        struct source *src = old;

        old = src->next;
        src->next = NULL;
        retire(p, src);
        removed++;
    }
    wh_notice(TAG, "reload: %zu sources kept, %zu added, %zu removed", kept,
              added, removed);
}

/* The settings of one group as text, to tell whether a reload changed
 * them: keys equal to one of names or starting with prefix. The caller
 * frees it. */
static char *settings_text(const struct wh_config *cfg, const char *prefix,
                           const char *const *names)
{
    const struct wh_config_entry *e;
    struct wh_buf b;

    wh_buf_init(&b, 0);
    for (e = cfg->head; e != NULL; e = e->next) {
        int match =
            prefix != NULL && strncmp(e->key, prefix, strlen(prefix)) == 0;
        size_t i;

        for (i = 0; names[i] != NULL && !match; i++) {
            match = strcmp(e->key, names[i]) == 0;
        }
        if (match) {
            (void)wh_buf_printf(&b, "%s=%s\n", e->key, e->value);
        }
    }
    return wh_buf_steal(&b);
}

/* Non-zero when the group of settings differs between a and b. */
static int settings_changed(const struct wh_config *a,
                            const struct wh_config *b, const char *prefix,
                            const char *const *names)
{
    char *ta = settings_text(a, prefix, names);
    char *tb = settings_text(b, prefix, names);
    int changed = strcmp(ta, tb) != 0;

    free(ta);
    free(tb);
    return changed;
}

static struct wh_config *load_config(const struct cli *cli,
                                     const struct wh_config *flags,
                                     struct settings *set, char *errstr,
                                     size_t errstr_size);

/* SIGHUP: reads the configuration again. Sources, fetch, poll and queue
 * settings and the topic take effect at once; a bad configuration is
 * logged and the running one kept. Work in flight is not dropped: kept
 * sources keep their schedule and state, removed ones finish their round,
 * and a changed fetcher drains beside the new one. */
static void reload(struct producer *p)
{
    static const char *const kafka_names[] = {"brokers", NULL};
    static const char *const fetch_names[] = {"user_agent", "contact_url",
                                              NULL};
    struct wh_fetcher *f = NULL;
    struct settings set;
    struct wh_config *cfg;
    char errstr[512];

    memset(&set, 0, sizeof(set));
    cfg = load_config(p->cli, p->flags, &set, errstr, sizeof(errstr));
    if (cfg == NULL) {
        wh_err(TAG, "reload: %s; keeping the running configuration", errstr);
        return;
    }
    if (settings_changed(p->cfg, cfg, "fetch.", fetch_names)) {
        if (p->old_fetcher != NULL) {
            wh_err(TAG, "reload: the fetcher of the previous reload is "
                        "still finishing its transfers; reload again later");
            settings_free(&set);
            wh_config_free(cfg);
            return;
        }
        f = fetcher_build(cfg, &set, on_fetch_result, p, errstr,
                          sizeof(errstr));
        if (f == NULL) {
            wh_err(TAG, "reload: %s; keeping the running configuration",
                   errstr);
            settings_free(&set);
            wh_config_free(cfg);
            return;
        }
    }
    if (settings_changed(p->cfg, cfg, "kafka.", kafka_names)) {
        wh_warn(TAG, "reload: brokers and kafka.* changes need a restart "
                     "(not applied)");
    }
    if (settings_changed(p->cfg, cfg, NULL,
                         (const char *const[]){"state_dir", NULL})) {
        wh_warn(TAG, "reload: a state_dir change needs a restart (not "
                     "applied)");
    }
    if (settings_changed(p->cfg, cfg, NULL,
                         (const char *const[]){"metrics", NULL})) {
        wh_warn(TAG, "reload: a metrics change needs a restart (not "
                     "applied)");
    }
    /* The state directory stays the one in use. */
    set.state_dir = p->state_dir;
    sources_merge(p, &set);
    settings_free(&p->set);
    wh_config_free(p->cfg);
    p->set = set;
    p->cfg = cfg;
    if (f != NULL) {
        /* Transfers in flight finish on the old fetcher. */
        p->old_fetcher = p->fetcher;
        p->fetcher = f;
        wh_notice(TAG, "reload: new fetch settings in force");
    }
    wh_notice(TAG, "reloaded: %zu sources, topic %s", p->set.nsources,
              p->set.topic);
}

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

/* ---- main -------------------------------------------------------------- */

enum {
    OPT_SOURCE = 256,
    OPT_ONCE,
    OPT_CHECK,
    OPT_STATE_DIR,
    OPT_ALLOW,
    OPT_METRICS
};

/* Parses argv: the config file path and flags into cli; every setting
 * into cfg (applied after the file is loaded, so flags win). Returns
 * WH_OK, 1 when --help was printed, or WH_EINVAL (message printed). */
static int parse_args(int argc, char **argv, struct cli *cli,
                      struct wh_config *flags)
{
    static const struct option longopts[] = {
        {"source", required_argument, NULL, OPT_SOURCE},
        {"once", no_argument, NULL, OPT_ONCE},
        {"check-config", no_argument, NULL, OPT_CHECK},
        {"state-dir", required_argument, NULL, OPT_STATE_DIR},
        {"allow-address", required_argument, NULL, OPT_ALLOW},
        {"metrics", required_argument, NULL, OPT_METRICS},
        {"verbose", no_argument, NULL, 'v'},
        {"quiet", no_argument, NULL, 'q'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    char errstr[256];
    int c;
    int rc;

    memset(cli, 0, sizeof(*cli));
    opterr = 0;
    while ((c = getopt_long(argc, argv, ":c:b:t:X:vqh", longopts, NULL)) !=
           -1) {
        rc = WH_OK;
        switch (c) {
        case 'c':
            cli->config_path = optarg;
            break;
        case 'b':
            rc =
                wh_config_set(flags, "brokers", optarg, errstr, sizeof(errstr));
            break;
        case 't':
            rc = wh_config_set(flags, "topic", optarg, errstr, sizeof(errstr));
            break;
        case 'X':
            rc = wh_config_set_kafka(flags, optarg, errstr, sizeof(errstr));
            break;
        case OPT_SOURCE:
            rc = wh_config_set(flags, "source", optarg, errstr, sizeof(errstr));
            break;
        case OPT_STATE_DIR:
            rc = wh_config_set(flags, "state_dir", optarg, errstr,
                               sizeof(errstr));
            break;
        case OPT_ALLOW:
            rc = wh_config_set(flags, "fetch.allow_address", optarg, errstr,
                               sizeof(errstr));
            break;
        case OPT_METRICS:
            rc =
                wh_config_set(flags, "metrics", optarg, errstr, sizeof(errstr));
            break;
        case OPT_ONCE:
            cli->once = 1;
            break;
        case OPT_CHECK:
            cli->check = 1;
            break;
        case 'v':
            cli->verbosity++;
            break;
        case 'q':
            cli->verbosity--;
            break;
        case 'h':
            usage(stdout);
            return 1;
        case ':':
            fprintf(stderr,
                    "wirehose-producer: %s needs an argument "
                    "(see --help)\n",
                    argv[optind - 1]);
            return WH_EINVAL;
        default:
            fprintf(stderr,
                    "wirehose-producer: unknown option %s "
                    "(see --help)\n",
                    argv[optind - 1]);
            return WH_EINVAL;
        }
        if (rc != WH_OK) {
            fprintf(stderr, "wirehose-producer: %s\n", errstr);
            return WH_EINVAL;
        }
    }
    if (optind < argc) {
        fprintf(stderr,
                "wirehose-producer: unexpected argument %s "
                "(see --help)\n",
                argv[optind]);
        return WH_EINVAL;
    }
    return WH_OK;
}

/* Copies the flags into cfg, in order, with command-line semantics. */
static int apply_flags(struct wh_config *cfg, const struct wh_config *flags,
                       char *errstr, size_t errstr_size)
{
    const struct wh_config_entry *e;

    for (e = flags->head; e != NULL; e = e->next) {
        if (wh_config_set(cfg, e->key, e->value, errstr, errstr_size) !=
            WH_OK) {
            return WH_EINVAL;
        }
    }
    return WH_OK;
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

/* --check-config -v: each source with its options and state files. */
static void print_sources(const struct settings *set)
{
    const struct source *src;
    char hex[17];

    for (src = set->sources; src != NULL; src = src->next) {
        wh_hash64_hex(wh_hash64(src->url, strlen(src->url)), hex);
        printf("source %s: %s, every %lld ms%s", src->name, src->url,
               src->interval_ms, src->tls_insecure ? ", TLS UNVERIFIED" : "");
        if (set->state_dir != NULL) {
            printf(", state %s/%s.{ids,val}", set->state_dir, hex);
        }
        printf("\n");
    }
}

/* Checks every fetch.allow_address CIDR. */
static int check_cidrs(const struct wh_config *cfg, char *errstr,
                       size_t errstr_size)
{
    const struct wh_config_entry *e;
    struct wh_ssrf_cidr c;
    char msg[256];

    for (e = wh_config_first(cfg, "fetch.allow_address"); e != NULL;
         e = wh_config_next(e)) {
        if (wh_ssrf_parse_cidr(e->value, &c, msg, sizeof(msg)) != WH_OK) {
            snprintf(errstr, errstr_size, "%s: fetch.allow_address: %s",
                     e->origin, msg);
            return WH_EINVAL;
        }
    }
    return WH_OK;
}

/* Reads the configuration: the file (when given), then the flags over
 * it, then checks it into set. Returns the config (set's strings point
 * into it), or NULL with errstr filled. */
static struct wh_config *load_config(const struct cli *cli,
                                     const struct wh_config *flags,
                                     struct settings *set, char *errstr,
                                     size_t errstr_size)
{
    struct wh_config *cfg = wh_config_new(keys);

    if ((cli->config_path != NULL &&
         wh_config_load(cfg, cli->config_path, errstr, errstr_size) != WH_OK) ||
        apply_flags(cfg, flags, errstr, errstr_size) != WH_OK ||
        settings_load(cfg, set, errstr, errstr_size) != WH_OK ||
        check_cidrs(cfg, errstr, errstr_size) != WH_OK ||
        check_kafka(cfg, errstr, errstr_size) != WH_OK) {
        settings_free(set);
        wh_config_free(cfg);
        return NULL;
    }
    wh_daemon_log_level(wh_config_get(cfg, "log.level", NULL), cli->verbosity);
    return cfg;
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
        wh_daemon_broker_check(p->rk, TAG);
        last_check = now_ms();
    }
    for (src = p->set.sources; src != NULL; src = src->next) {
        source_activate(p, src);
    }
    wh_daemon_set_running(1);
    wh_notify_ready();
    wh_info(TAG, "started: %zu sources, topic %s%s%s", p->set.nsources,
            p->set.topic, p->set.state_dir != NULL ? ", state in " : "",
            p->set.state_dir != NULL ? p->set.state_dir : "");
    while (wh_daemon_stop_signal() == 0 && !wh_kafka_fatal()) {
        long long t;

        turn(p);
        if (wh_kafka_fatal()) {
            break;
        }
        t = now_ms();
        /* The turn returned with the fetcher driven and the delivery
         * reports served: progress, under the watchdog rule. */
        if (wd_ms == 0 || t - last_wd >= wd_ms) {
            (void)wh_notify_watchdog();
            last_wd = t;
        }
        if (t - last_status >= 10000) {
            send_status(p);
            last_status = t;
        }
        if (p->srv != NULL && t - last_check >= 10000) {
            wh_daemon_broker_check(p->rk, TAG);
            last_check = now_ms();
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
    struct wh_config *flags = wh_config_new(keys);
    struct producer p;
    struct cli cli;
    char errstr[512];
    int rc;

    memset(&p, 0, sizeof(p));
    p.cli = &cli;
    p.flags = flags;
    p.rng = (uint64_t)time(NULL) * 2654435761u ^ (uint64_t)getpid();
    if (p.rng == 0) {
        p.rng = 1;
    }
    rc = parse_args(argc, argv, &cli, flags);
    if (rc != WH_OK) {
        rc = rc == 1 ? 0 : EXIT_CONFIG;
        goto out;
    }
    p.cfg = load_config(&cli, flags, &p.set, errstr, sizeof(errstr));
    if (p.cfg == NULL) {
        wh_err(TAG, "%s", errstr);
        rc = EXIT_CONFIG;
        goto out;
    }
    if (cli.check) {
        printf("%s: configuration OK (%zu sources)\n",
               cli.config_path != NULL ? cli.config_path : "command line",
               p.set.nsources);
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
        p.srv = wh_metrics_server_start(p.reg, p.set.metrics,
                                        wh_daemon_health, &p, errstr,
                                        sizeof(errstr));
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
    print_summary(&p);
    wh_fetcher_free(p.fetcher);
    rd_kafka_destroy(p.rk);
    wh_state_close(p.state);
    wh_fetch_global_cleanup();
out:
    wh_metrics_server_stop(p.srv);
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
