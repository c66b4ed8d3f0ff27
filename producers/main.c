/*
 * main.c - wirehose-producer: polls news sources, fetches and extracts the
 * page of every new item, and publishes one ninjs record per article to
 * Kafka, keyed by its uri.
 *
 * One thread. Each turn: fetch a source, parse it (the kind is detected
 * from the content), then for each item not yet published fetch its page,
 * extract the article, merge the feed's metadata where the page lacks it,
 * and produce. rd_kafka_poll(rk, 0) runs between items; an item counts as
 * published only in its delivery report, which also marks it in the state
 * so it is never published again.
 */
#include <getopt.h>
#include <jansson.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "extract/extract.h"
#include "fetch.h"
#include "sources/source.h"
#include "state.h"
#include "wh/buf.h"
#include "wh/config.h"
#include "wh/hash.h"
#include "wh/kafka.h"
#include "wh/log.h"
#include "wh/notify.h"
#include "wh/record.h"
#include "wh/url.h"
#include "wh/wh.h"

#define TAG "producer"
#define EXIT_RUNTIME 1
#define EXIT_CONFIG 2

static const struct wh_config_key keys[] = {
    {"brokers", 0, "Kafka bootstrap servers host:port,... (-b)"},
    {"topic", 0, "topic records are produced to (-t)"},
    {"source", 1, "[NAME ]URL: http(s):// or file:// feed"},
    {"user_agent", 0, "User-Agent product (wirehose/VERSION)"},
    {"contact_url", 0, "operator contact URL, sent in the User-Agent"},
    {"fetch.timeout_ms", 0, "whole-transfer timeout per fetch (30000)"},
    {"fetch.connect_timeout_ms", 0, "connect timeout per fetch (10000)"},
    {"fetch.max_bytes", 0, "largest feed or page accepted (16777216)"},
    {"fetch.max_redirects", 0, "redirects followed per fetch (5)"},
    {"queue.max_messages", 0, "records awaiting delivery, at most (100000)"},
    {"queue.full_timeout_ms", 0, "wait for room in a full queue (60000)"},
    {"flush.timeout_ms", 0, "wait for deliveries at exit (30000)"},
    {"poll.interval_ms", 0, "pause between polls without --once (300000)"},
    {"state_dir", 0, "published-ids directory (default: in memory)"},
    {"log.level", 0, "debug, info, notice, warning or err (info)"},
    {NULL, 0, NULL},
};

struct source {
    char *name; /* configured name, else the URL */
    char *url;
    char *tag;   /* "source:NAME" for the log */
    int is_file; /* file:// source: its items may be local too */
};

struct settings {
    const char *topic;
    const char *state_dir;
    char *user_agent;
    long long timeout_ms;
    long long connect_timeout_ms;
    long long max_bytes;
    long long max_redirects;
    long long queue_max;
    long long queue_full_timeout_ms;
    long long flush_timeout_ms;
    long long interval_ms;
    struct source *sources;
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

struct producer {
    const struct cli *cli;
    const struct wh_config *flags; /* command-line settings */
    struct wh_config *cfg;         /* in force; set's strings point in */
    struct settings set;
    struct counters n;
    rd_kafka_t *rk;
    struct wh_fetcher *fetcher;
    struct wh_state *state;
    size_t outstanding; /* produced, delivery report not yet served */
    int purging;        /* delivery reports now are purged records */
};

/* The validators of a fetched document, stored once every item of it is
 * published: storing them earlier would make a restarted producer skip
 * (304) a document whose items never made it. */
struct pending_val {
    char *source; /* source URL (the state key) */
    char *url;    /* document URL as requested */
    char *etag;
    char *last_modified;
    size_t outstanding; /* records produced, not yet reported */
    int failed;         /* an item failed: do not store */
    int done;           /* every item was processed */
};

/* The document where an item was found, for wire items' provenance. */
struct doc {
    const char *url; /* final URL */
    int status;
    struct pending_val *pv;
};

/* What a delivery report needs to mark the item published. */
struct delivery {
    char *source;
    char *id;
    struct pending_val *pv;
};

static volatile sig_atomic_t stop_requested;
static volatile sig_atomic_t reload_requested;

static void on_signal(int sig)
{
    if (sig == SIGHUP) {
        reload_requested = 1;
    } else {
        stop_requested = 1;
    }
}

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
            "  --state-dir DIR    where published ids are kept (state_dir)\n"
            "  --once             poll every source once, wait for every "
            "delivery,\n"
            "                     exit 0 only if all were delivered\n"
            "  --check-config     validate the configuration and exit\n"
            "  -v, -q             more / less logging (repeatable)\n"
            "  -h, --help         this help\n\n"
            "Flags override the file. Configuration keys:\n");
    wh_config_print_keys(keys, fp);
    fprintf(fp, "\nExit status: 0 ok, 1 records not delivered or a "
                "runtime failure,\n2 bad usage or configuration.\n");
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

static void settings_free(struct settings *set)
{
    size_t i;

    for (i = 0; i < set->nsources; i++) {
        free(set->sources[i].name);
        free(set->sources[i].url);
        free(set->sources[i].tag);
    }
    free(set->sources);
    free(set->user_agent);
    memset(set, 0, sizeof(*set));
}

/* Parses "[NAME ]URL" of one source entry. */
static int add_source(struct settings *set, const struct wh_config_entry *e,
                      char *errstr, size_t errstr_size)
{
    const char *v = e->value;
    const char *sp = v + strcspn(v, " \t");
    struct source *src;
    const char *url = v;
    size_t name_len = 0;

    if (*sp != '\0') {
        name_len = (size_t)(sp - v);
        url = sp + strspn(sp, " \t");
        if (strpbrk(url, " \t") != NULL) {
            snprintf(errstr, errstr_size,
                     "%s: source: expected [NAME ]URL, got \"%s\"", e->origin,
                     v);
            return WH_EINVAL;
        }
    }
    if (!is_http(url) && !is_file(url)) {
        snprintf(errstr, errstr_size,
                 "%s: source: %s: not an http://, https:// or file:// URL",
                 e->origin, url);
        return WH_EINVAL;
    }
    set->sources =
        wh_xrealloc(set->sources, (set->nsources + 1) * sizeof(*set->sources));
    src = &set->sources[set->nsources++];
    src->url = wh_xstrdup(url);
    src->name = name_len > 0 ? wh_xstrndup(v, name_len) : wh_xstrdup(url);
    src->tag = wh_xasprintf("source:%s", src->name);
    src->is_file = is_file(url);
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

/* Checks the configuration and fills set. Returns WH_OK or WH_EINVAL
 * with errstr filled ("origin: key: reason"). */
static int settings_load(const struct wh_config *cfg, struct settings *set,
                         char *errstr, size_t errstr_size)
{
    const struct wh_config_entry *e;
    const char *ua;
    const char *contact;
    const char *level;
    int lvl;

    memset(set, 0, sizeof(*set));
    if (get_num(cfg, "fetch.timeout_ms", 30000, 1, &set->timeout_ms, errstr,
                errstr_size) != WH_OK ||
        get_num(cfg, "fetch.connect_timeout_ms", 10000, 1,
                &set->connect_timeout_ms, errstr, errstr_size) != WH_OK ||
        get_num(cfg, "fetch.max_bytes", 16LL * 1024 * 1024, 1024,
                &set->max_bytes, errstr, errstr_size) != WH_OK ||
        get_num(cfg, "fetch.max_redirects", 5, 0, &set->max_redirects, errstr,
                errstr_size) != WH_OK ||
        get_num(cfg, "queue.max_messages", 100000, 1, &set->queue_max, errstr,
                errstr_size) != WH_OK ||
        get_num(cfg, "queue.full_timeout_ms", 60000, 0,
                &set->queue_full_timeout_ms, errstr, errstr_size) != WH_OK ||
        get_num(cfg, "flush.timeout_ms", 30000, 0, &set->flush_timeout_ms,
                errstr, errstr_size) != WH_OK ||
        get_num(cfg, "poll.interval_ms", 300000, 1000, &set->interval_ms,
                errstr, errstr_size) != WH_OK) {
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
        wh_log_set_level(lvl);
    } else {
        wh_log_set_level(WH_LOG_INFO);
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
    ua = wh_config_get(cfg, "user_agent", "wirehose/" WH_VERSION);
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

/* ---- delivery ---------------------------------------------------------- */

/* Stores pv's validators when its document is done and every record of it
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
        if (d != NULL && wh_state_mark(p->state, d->source, d->id, errstr,
                                       sizeof(errstr)) != WH_OK) {
            wh_err(TAG, "state: %s", errstr);
        }
    } else if (p->purging) {
        p->n.undelivered++;
    } else {
        p->n.delivery_failed++;
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
        free(d->source);
        free(d->id);
        free(d);
    }
}

static long long now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
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
static int produce(struct producer *p, const struct source *src, const char *id,
                   const struct wh_record *rec, struct pending_val *pv)
{
    struct delivery *d;
    char *payload;
    long long deadline = now_ms() + p->set.queue_full_timeout_ms;
    rd_kafka_resp_err_t err;

    WH_ASSERT(rec->uri != NULL);
    payload = wh_record_dump(rec);
    d = wh_xcalloc(1, sizeof(*d));
    d->source = wh_xstrdup(src->url);
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
        if (err != RD_KAFKA_RESP_ERR__QUEUE_FULL || stop_requested ||
            now_ms() >= deadline) {
            break;
        }
        rd_kafka_poll(p->rk, 100);
    }
    free(payload);
    if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
        wh_err(src->tag, "produce %s: %s%s", rec->uri, rd_kafka_err2str(err),
               err == RD_KAFKA_RESP_ERR__QUEUE_FULL
                   ? " (no room for queue.full_timeout_ms: is the broker "
                     "up?)"
                   : "");
        free(d->source);
        free(d->id);
        free(d);
        return WH_RETRY;
    }
    p->outstanding++;
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

/* The feed's enclosure as a ninjs association with one rendition. */
static void merge_enclosure(struct wh_record *rec,
                            const struct wh_feed_item *it)
{
    json_t *assoc;
    json_t *rendition;

    if (it->enclosure_url == NULL) {
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
    rendition =
        json_pack("{s:s, s:s}", "name", "original", "href", it->enclosure_url);
    if (it->enclosure_type != NULL) {
        json_object_set_new(rendition, "contentType",
                            json_string(it->enclosure_type));
    }
    json_array_append_new(
        assoc, json_pack("{s:s, s:s, s:[o]}", "name", "enclosure", "uri",
                         it->enclosure_url, "renditions", rendition));
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

/* Fetches and extracts the item's page into a new record; NULL (logged)
 * when the page cannot be had. */
static struct wh_record *page_record(struct producer *p,
                                     const struct source *src,
                                     const struct wh_feed_item *it)
{
    struct wh_fetch_result res;
    struct wh_extract_opts opts;
    struct wh_article *art;
    struct wh_record *rec = NULL;
    char errstr[256];
    char *charset = NULL;

    if (wh_fetch(p->fetcher, it->link, src->is_file, &res, errstr,
                 sizeof(errstr)) != WH_OK) {
        wh_warn(src->tag, "item %s: %s", it->link, errstr);
        goto out;
    }
    charset = wh_fetch_charset(res.content_type);
    memset(&opts, 0, sizeof(opts));
    opts.max_bytes = (size_t)p->set.max_bytes;
    opts.charset = charset;
    art = wh_extract(res.body, res.len, res.final_url, &opts, errstr,
                     sizeof(errstr));
    rec = wh_record_new();
    if (art != NULL) {
        wh_article_to_record(art, res.final_url, rec);
        wh_article_free(art);
    } else if (it->title != NULL) {
        wh_warn(src->tag, "item %s: %s; publishing the feed's metadata only",
                res.final_url, errstr);
        rec->uri = wh_xstrdup(res.final_url);
    } else {
        wh_warn(src->tag, "item %s: %s", res.final_url, errstr);
        wh_record_free(rec);
        rec = NULL;
        goto out;
    }
    free(rec->final_url);
    rec->final_url = wh_xstrdup(res.final_url);
    rec->http_status = res.status;
out:
    free(charset);
    wh_fetch_result_free(&res);
    return rec;
}

/* Handles one new item. */
static void process_item(struct producer *p, const struct source *src,
                         struct wh_feed_item *it, const char *id,
                         const struct doc *doc)
{
    struct wh_record *rec;
    char now[21];

    if (it->rec != NULL) {
        /* Wire items carry their record: no page to fetch. Their
         * provenance is the document they came in. */
        rec = it->rec;
        it->rec = NULL;
        free(rec->final_url);
        rec->final_url = wh_xstrdup(doc->url);
        rec->http_status = doc->status;
    } else if (it->link == NULL) {
        wh_debug(src->tag, "item %s: no link, skipped", id);
        p->n.skipped++;
        return;
    } else if (!is_http(it->link) && !(src->is_file && is_file(it->link))) {
        wh_warn(src->tag, "item %s: link %s refused (http(s) only%s)", id,
                it->link, src->is_file ? " or file" : "");
        p->n.item_failed++;
        return;
    } else {
        rec = page_record(p, src, it);
        if (rec == NULL) {
            p->n.item_failed++;
            return;
        }
    }
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
    if (produce(p, src, id, rec, doc->pv) != WH_OK) {
        p->n.item_failed++;
    } else {
        wh_debug(src->tag, "queued %s", rec->uri);
    }
    wh_record_free(rec);
}

/* How deep linked documents are followed (a sitemap index -> sitemaps,
 * a homepage -> its feeds), and how many per document. */
#define LINK_DEPTH 2
#define LINKS_PER_DOC 50

static int poll_document(struct producer *p, const struct source *src,
                         const char *url, int depth);

/* Processes the items of one parsed document. Returns the number of new
 * items. */
static size_t process_items(struct producer *p, const struct source *src,
                            struct wh_feed *feed, const struct doc *doc)
{
    size_t fresh = 0;
    size_t failed;
    size_t i;

    for (i = 0; i < feed->nitems && !stop_requested && !wh_kafka_fatal(); i++) {
        struct wh_feed_item *it = &feed->items[i];
        const char *id = it->id != NULL ? it->id : it->link;

        rd_kafka_poll(p->rk, 0);
        if (id == NULL) {
            wh_debug(src->tag, "item %zu has neither id nor link, skipped", i);
            p->n.skipped++;
            continue;
        }
        if (wh_state_seen(p->state, src->url, id)) {
            continue;
        }
        fresh++;
        p->n.items++;
        failed = p->n.item_failed;
        process_item(p, src, it, id, doc);
        if (p->n.item_failed != failed) {
            doc->pv->failed = 1;
        }
        (void)wh_notify_watchdog();
    }
    if (i < feed->nitems) {
        doc->pv->failed = 1; /* interrupted */
    }
    return fresh;
}

/* Follows the documents a document links to (sitemap-index children,
 * autodiscovered feeds). Their failures are logged, not counted. */
static void follow_links(struct producer *p, const struct source *src,
                         const struct wh_feed *feed, int depth)
{
    size_t i;

    if (feed->nlinks > 0 && depth >= LINK_DEPTH) {
        wh_warn(src->tag,
                "%zu linked documents not followed: deeper than "
                "%d levels",
                feed->nlinks, LINK_DEPTH);
        return;
    }
    for (i = 0; i < feed->nlinks && !stop_requested && !wh_kafka_fatal(); i++) {
        const char *link = feed->links[i];

        if (i >= LINKS_PER_DOC) {
            wh_warn(src->tag,
                    "%zu linked documents not followed: more "
                    "than %d",
                    feed->nlinks - i, LINKS_PER_DOC);
            break;
        }
        if (!is_http(link) && !(src->is_file && is_file(link))) {
            wh_warn(src->tag, "linked document %s refused (http(s) only%s)",
                    link, src->is_file ? " or file" : "");
            continue;
        }
        (void)poll_document(p, src, link, depth + 1);
    }
}

/* Fetches and parses one document of a source, processes its items and
 * follows its links. Returns WH_OK, or an error (logged). */
static int poll_document(struct producer *p, const struct source *src,
                         const char *url, int depth)
{
    struct wh_fetch_result res;
    struct wh_feed *feed;
    struct pending_val *pv;
    struct doc doc;
    const char *etag = NULL;
    const char *last_modified = NULL;
    char errstr[512];
    size_t fresh;
    int rc;

    wh_state_validators(p->state, src->url, url, &etag, &last_modified);
    rc = wh_fetch_conditional(p->fetcher, url, src->is_file, etag,
                              last_modified, &res, errstr, sizeof(errstr));
    if (rc != WH_OK) {
        wh_err(src->tag, "fetch %s: %s", url, errstr);
        return rc;
    }
    if (res.status == 304) {
        wh_info(src->tag, "%s: unchanged (304)", url);
        wh_fetch_result_free(&res);
        return WH_OK;
    }
    feed = wh_source_parse(res.body, res.len, res.content_type, res.final_url,
                           errstr, sizeof(errstr));
    if (feed == NULL) {
        wh_err(src->tag, "%s: %s", res.final_url, errstr);
        wh_fetch_result_free(&res);
        return WH_EPARSE;
    }
    /* The body is parsed: release it before the page fetches. */
    free(res.body);
    res.body = NULL;
    pv = wh_xcalloc(1, sizeof(*pv));
    pv->source = wh_xstrdup(src->url);
    pv->url = wh_xstrdup(url);
    pv->etag = res.etag;
    pv->last_modified = res.last_modified;
    res.etag = NULL;
    res.last_modified = NULL;
    /* A document that links to others (an index, a homepage) is always
     * fetched in full: a 304 would hide changes of its children. */
    pv->failed = feed->nlinks > 0;
    doc.url = res.final_url;
    doc.status = res.status;
    doc.pv = pv;
    fresh = process_items(p, src, feed, &doc);
    pv->done = 1;
    pending_check(p, pv);
    if (feed->nitems > 0 || feed->nlinks == 0) {
        wh_info(src->tag, "%s: %s, %zu items, %zu new", res.final_url,
                feed->kind, feed->nitems, fresh);
    } else {
        wh_info(src->tag, "%s: %s, %zu linked documents", res.final_url,
                feed->kind, feed->nlinks);
    }
    follow_links(p, src, feed, depth);
    wh_feed_free(feed);
    wh_fetch_result_free(&res);
    return WH_OK;
}

/* Polls one source: its document, the items, the linked documents. */
static void poll_source(struct producer *p, const struct source *src)
{
    if (poll_document(p, src, src->url, 0) == WH_OK) {
        p->n.sources_ok++;
    } else {
        p->n.sources_failed++;
    }
}

/* Waits ms milliseconds serving delivery reports; returns early on a
 * stop or reload request. */
static void idle(struct producer *p, long long ms)
{
    long long end = now_ms() + ms;

    while (!stop_requested && !reload_requested && !wh_kafka_fatal() &&
           now_ms() < end) {
        rd_kafka_poll(p->rk, 200);
        (void)wh_notify_watchdog();
    }
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

static void install_signals(void)
{
    struct sigaction sa;

    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGHUP, &sa, NULL);
    sa.sa_handler = SIG_IGN;
    sigaction(SIGPIPE, &sa, NULL);
}

/* ---- main -------------------------------------------------------------- */

enum { OPT_SOURCE = 256, OPT_ONCE, OPT_CHECK, OPT_STATE_DIR };

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

/* Reads the configuration: the file (when given), then the flags over
 * it, then checks it into set. Returns the config (set's strings point
 * into it), or NULL with errstr filled. */
static struct wh_config *load_config(const struct cli *cli,
                                     const struct wh_config *flags,
                                     struct settings *set, char *errstr,
                                     size_t errstr_size)
{
    struct wh_config *cfg = wh_config_new(keys);
    int level;

    if ((cli->config_path != NULL &&
         wh_config_load(cfg, cli->config_path, errstr, errstr_size) != WH_OK) ||
        apply_flags(cfg, flags, errstr, errstr_size) != WH_OK ||
        settings_load(cfg, set, errstr, errstr_size) != WH_OK ||
        check_kafka(cfg, errstr, errstr_size) != WH_OK) {
        settings_free(set);
        wh_config_free(cfg);
        return NULL;
    }
    level = wh_log_get_level() + cli->verbosity;
    wh_log_set_level(level < WH_LOG_ERR     ? WH_LOG_ERR
                     : level > WH_LOG_DEBUG ? WH_LOG_DEBUG
                                            : level);
    return cfg;
}

/* The settings that need a new Kafka client, as text, to tell whether a
 * reload changed them. The caller frees it. */
static char *kafka_settings(const struct wh_config *cfg)
{
    const struct wh_config_entry *e;
    struct wh_buf b;

    wh_buf_init(&b, 0);
    for (e = cfg->head; e != NULL; e = e->next) {
        if (strcmp(e->key, "brokers") == 0 ||
            strncmp(e->key, "kafka.", 6) == 0) {
            (void)wh_buf_printf(&b, "%s=%s\n", e->key, e->value);
        }
    }
    return wh_buf_steal(&b);
}

static void fetcher_start(struct producer *p)
{
    struct wh_fetch_opts fo;

    memset(&fo, 0, sizeof(fo));
    fo.user_agent = p->set.user_agent;
    fo.max_bytes = (size_t)p->set.max_bytes;
    fo.connect_timeout_ms = (long)p->set.connect_timeout_ms;
    fo.timeout_ms = (long)p->set.timeout_ms;
    fo.max_redirects =
        p->set.max_redirects > 0 ? (long)p->set.max_redirects : -1;
    wh_fetcher_free(p->fetcher);
    p->fetcher = wh_fetcher_new(&fo);
}

/* SIGHUP: reads the configuration again. Sources, fetch and queue
 * settings and the topic take effect at once; a bad configuration is
 * logged and the running one kept. Records in flight are not touched
 * (their delivery reports hold copies of what they need). */
static void reload(struct producer *p)
{
    struct settings set;
    struct wh_config *cfg;
    char errstr[512];
    char *before;
    char *after;

    memset(&set, 0, sizeof(set));
    cfg = load_config(p->cli, p->flags, &set, errstr, sizeof(errstr));
    if (cfg == NULL) {
        wh_err(TAG, "reload: %s; keeping the running configuration", errstr);
        return;
    }
    before = kafka_settings(p->cfg);
    after = kafka_settings(cfg);
    if (strcmp(before, after) != 0) {
        wh_warn(TAG, "reload: brokers and kafka.* changes need a restart");
    }
    free(before);
    free(after);
    if ((set.state_dir == NULL) != (p->set.state_dir == NULL) ||
        (set.state_dir != NULL &&
         strcmp(set.state_dir, p->set.state_dir) != 0)) {
        wh_warn(TAG, "reload: a state_dir change needs a restart");
    }
    settings_free(&p->set);
    wh_config_free(p->cfg);
    p->set = set;
    p->cfg = cfg;
    fetcher_start(p);
    wh_notice(TAG, "reloaded: %zu sources, topic %s", p->set.nsources,
              p->set.topic);
}

/* Polls every source once. */
static void poll_all(struct producer *p)
{
    size_t i;

    for (i = 0; i < p->set.nsources && !stop_requested && !wh_kafka_fatal();
         i++) {
        poll_source(p, &p->set.sources[i]);
        rd_kafka_poll(p->rk, 0);
        (void)wh_notify_watchdog();
    }
    wh_notify_status("sources %zu ok, %zu failed; published %zu",
                     p->n.sources_ok, p->n.sources_failed, p->n.published);
}

static int run(struct producer *p)
{
    char errstr[512];

    p->state = wh_state_open(p->set.state_dir, errstr, sizeof(errstr));
    if (p->state == NULL) {
        wh_err(TAG, "%s", errstr);
        return EXIT_CONFIG;
    }
    fetcher_start(p);
    wh_notify_ready();
    wh_info(TAG, "started: %zu sources, topic %s%s%s", p->set.nsources,
            p->set.topic, p->set.state_dir != NULL ? ", state in " : "",
            p->set.state_dir != NULL ? p->set.state_dir : "");
    while (!stop_requested && !wh_kafka_fatal()) {
        poll_all(p);
        if (p->cli->once) {
            break;
        }
        idle(p, p->set.interval_ms);
        if (reload_requested && !stop_requested) {
            reload_requested = 0;
            wh_notify_reloading();
            reload(p);
            wh_notify_ready();
        }
    }
    if (stop_requested) {
        wh_notify_stopping();
        wh_notice(TAG, "stopping: %zu records awaiting delivery",
                  p->outstanding);
    }
    drain(p);
    if (wh_kafka_fatal()) {
        wh_err(TAG, "stopped on a fatal Kafka error");
        return EXIT_RUNTIME;
    }
    if (p->n.delivery_failed > 0 || p->n.undelivered > 0) {
        return EXIT_RUNTIME;
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
        rc = 0;
        goto out;
    }

    install_signals();
    wh_extract_global_init();
    wh_fetch_global_init();
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
    rd_kafka_destroy(p.rk);
    wh_fetcher_free(p.fetcher);
    wh_state_close(p.state);
    wh_fetch_global_cleanup();
out:
    settings_free(&p.set);
    wh_config_free(p.cfg);
    wh_config_free(flags);
    return rc;
}
