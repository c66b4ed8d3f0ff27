/*
 * settings.c - the producer's configuration keys, and the settings they
 * make: numbers with their least values, the sources ("[NAME ]URL
 * [OPTION...]"), the fetcher built from the fetch.* keys, and the checks
 * --check-config runs (kafka.* properties, CIDRs).
 */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "producer.h"
#include "ssrf.h"
#include "wh/hash.h"
#include "wh/kafka.h"
#include "wh/log.h"
#include "wh/wh.h"

/* fetch.allow_address: a CIDR the SSRF guard can use. */
static int cidr_check(const char *value, char *errstr, size_t errstr_size)
{
    struct wh_ssrf_cidr c;

    return wh_ssrf_parse_cidr(value, &c, errstr, errstr_size);
}

#define KB 1024LL

const struct wh_config_key producer_keys[] = {
    WH_KEY_STR("brokers", NULL, "Kafka bootstrap servers host:port,... (-b)"),
    WH_KEY_STR("topic", NULL, "topic records are produced to (-t)"),
    WH_KEY_LIST("source", WH_CONFIG_STRING, NULL,
                "[NAME ]URL[ interval_ms=N][ body=auto|page|feed][ "
                "tls_insecure]: http(s):// or file:// feed"),
    WH_KEY_ENUM("sources", "config", "config|kafka",
                "where the sources come from: the source keys, or the "
                "sources topic shared by a fleet (--sources)"),
    WH_KEY_STR("sources.topic", NULL,
               "with sources = kafka: the sources topic (TOPIC.sources)"),
    WH_KEY_STR("sources.state_topic", NULL,
               "with sources = kafka: the sources' state (TOPIC.state)"),
    WH_KEY_STR("sources.group", NULL,
               "with sources = kafka: the fleet's consumer group "
               "(TOPIC.producers)"),
    WH_KEY_STR("fetch.user_agent", "wirehose/" WH_VERSION,
               "User-Agent product"),
    WH_KEY_STR("user_agent", NULL, "older name of fetch.user_agent"),
    WH_KEY_URL("contact_url", NULL,
               "operator contact URL, sent in the User-Agent"),
    WH_KEY_DURATION("fetch.timeout_ms", "30000", 1, WH_NO_MAX, "ms",
                    "whole-transfer timeout per fetch"),
    WH_KEY_DURATION("fetch.connect_timeout_ms", "10000", 1, WH_NO_MAX, "ms",
                    "connect timeout per fetch"),
    WH_KEY_INT("fetch.max_bytes", "16777216", KB, WH_NO_MAX, "bytes",
               "largest body on the wire"),
    WH_KEY_INT("fetch.max_decoded_bytes", NULL, KB, WH_NO_MAX, "bytes",
               "largest body after decompression (default fetch.max_bytes)"),
    WH_KEY_INT("fetch.max_redirects", "5", 0, WH_NO_MAX, NULL,
               "redirects followed per fetch"),
    WH_KEY_INT("fetch.low_speed_limit", "64", 1, WH_NO_MAX, "bytes/s",
               "speed below which a transfer is slow"),
    WH_KEY_DURATION("fetch.low_speed_time_s", "20", 1, WH_NO_MAX, "s",
                    "slow for this long aborts it"),
    WH_KEY_DURATION("fetch.host_delay_ms", "1000", 0, WH_NO_MAX, "ms",
                    "least time between requests to a host"),
    WH_KEY_INT("fetch.max_per_host", "2", 1, WH_NO_MAX, NULL,
               "transfers at once per host"),
    WH_KEY_INT("fetch.max_total", "64", 1, WH_NO_MAX, NULL,
               "transfers at once in all"),
    WH_KEY_DURATION("fetch.robots_ttl_s", "86400", 1, WH_NO_MAX, "s",
                    "longest a robots.txt is cached"),
    WH_KEY_LIST("fetch.allow_address", WH_CONFIG_CIDR, cidr_check,
                "CIDR the SSRF guard lets through (--allow-address)"),
    WH_KEY_INT("queue.max_messages", "100000", 1, WH_NO_MAX, NULL,
               "records awaiting delivery, at most"),
    WH_KEY_DURATION("queue.full_timeout_ms", "60000", 0, WH_NO_MAX, "ms",
                    "wait for room in a full queue"),
    WH_KEY_DURATION("flush.timeout_ms", "30000", 0, WH_NO_MAX, "ms",
                    "wait for deliveries at exit"),
    WH_KEY_DURATION("poll.interval_ms", "300000", 100, WH_NO_MAX, "ms",
                    "time between two polls of a source"),
    WH_KEY_DURATION("poll.max_interval_ms", NULL, 100, WH_NO_MAX, "ms",
                    "longest interval of a source that rarely changes "
                    "(default 8 x poll.interval_ms)"),
    WH_KEY_INT("poll.jitter_pct", "10", 0, 50, "%",
               "random spread of each interval"),
    WH_KEY_DURATION("poll.retry_min_ms", "30000", 100, WH_NO_MAX, "ms",
                    "first wait after a failed poll"),
    WH_KEY_INT("poll.max_per_source", "4", 1, WH_NO_MAX, NULL,
               "fetches of one source at once"),
    WH_KEY_PATH("state_dir", NULL,
                "published-ids directory (default $STATE_DIRECTORY, else in "
                "memory)"),
    WH_KEY_STR("metrics", NULL,
               "ADDR:PORT serving /metrics and /healthz (--metrics)"),
    WH_LOG_LEVEL_KEY,
    WH_KEY_END,
};

void source_free(struct source *src)
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

void settings_free(struct settings *set)
{
    while (set->sources != NULL) {
        struct source *src = set->sources;

        set->sources = src->next;
        source_free(src);
    }
    free(set->user_agent);
    memset(set, 0, sizeof(*set));
}

/* Parses "[NAME ]URL[ OPTION...]" of one source entry (source_line.c)
 * and appends the source to set. */
static int add_source(struct settings *set, const struct wh_config_entry *e,
                      char *errstr, size_t errstr_size)
{
    struct source_line sl;
    struct source *src;
    struct source **tail;
    int rc;

    rc = source_line_parse(e->value, e->origin, &sl, errstr, errstr_size);
    if (rc != WH_OK) {
        return rc;
    }
    for (tail = &set->sources; *tail != NULL; tail = &(*tail)->next) {
        if (strcmp((*tail)->url, sl.url) == 0) {
            snprintf(errstr, errstr_size,
                     "%s: source: %s configured twice (as %s and %s)",
                     e->origin, sl.url, (*tail)->name, sl.name);
            source_line_free(&sl);
            return WH_EINVAL;
        }
    }
    src = source_from_line(&sl, set->interval_ms);
    *tail = src;
    set->nsources++;
    return WH_OK;
}

struct source *source_from_line(struct source_line *sl,
                                long long default_interval_ms)
{
    struct source *src = wh_xcalloc(1, sizeof(*src));

    src->name = sl->name;
    src->url = sl->url;
    sl->name = NULL;
    sl->url = NULL;
    src->tag = wh_xasprintf("source:%s", src->name);
    src->is_file = is_file(src->url);
    src->tls_insecure = sl->tls_insecure;
    src->body = sl->body;
    src->interval_ms =
        sl->interval_ms > 0 ? sl->interval_ms : default_interval_ms;
    return src;
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

/* The integer settings and the fields they fill. */
static const struct {
    const char *key;
    size_t off;
} num_fields[] = {
#define NUM(k, f)                                                              \
    {                                                                          \
        k, offsetof(struct settings, f)                                        \
    }
    NUM("fetch.timeout_ms", timeout_ms),
    NUM("fetch.connect_timeout_ms", connect_timeout_ms),
    NUM("fetch.max_bytes", max_bytes),
    NUM("fetch.max_decoded_bytes", max_decoded_bytes),
    NUM("fetch.max_redirects", max_redirects),
    NUM("fetch.low_speed_limit", low_speed_limit),
    NUM("fetch.low_speed_time_s", low_speed_time_s),
    NUM("fetch.host_delay_ms", host_delay_ms),
    NUM("fetch.max_per_host", max_per_host),
    NUM("fetch.max_total", max_total),
    NUM("fetch.robots_ttl_s", robots_ttl_s),
    NUM("queue.max_messages", queue_max),
    NUM("queue.full_timeout_ms", queue_full_timeout_ms),
    NUM("flush.timeout_ms", flush_timeout_ms),
    NUM("poll.interval_ms", interval_ms),
    NUM("poll.max_interval_ms", max_interval_ms),
    NUM("poll.jitter_pct", jitter_pct),
    NUM("poll.retry_min_ms", retry_min_ms),
    NUM("poll.max_per_source", max_per_source),
#undef NUM
};

int fleet_mode(const struct wh_config *cfg)
{
    const char *v = wh_config_get(cfg, "sources", NULL);

    return v != NULL && strcmp(v, "kafka") == 0;
}

/* The keys a producer cannot run without. */
static void check_required(const struct wh_config *cfg,
                           struct wh_config_problems *pr)
{
    wh_config_require(cfg, "brokers", "-b or \"brokers =\" in the file", pr);
    wh_config_require(cfg, "topic", "-t or \"topic =\" in the file", pr);
    if (fleet_mode(cfg)) {
        if (wh_config_first(cfg, "source") != NULL) {
            wh_config_problem(pr,
                              "%s: source: not used with sources = kafka "
                              "(wirehose-sources import puts them in the "
                              "sources topic)",
                              wh_config_first(cfg, "source")->origin);
        }
        return;
    }
    wh_config_require(cfg, "source", "--source or \"source =\" in the file",
                      pr);
}

/* The numbers, every value checked already: cannot fail. Unset keys
 * without a default take theirs from other keys. */
static void settings_numbers(const struct wh_config *cfg, struct settings *set)
{
    char errstr[256];
    size_t i;

    for (i = 0; i < WH_ARRAY_SIZE(num_fields); i++) {
        long long *field = (long long *)((char *)set + num_fields[i].off);
        int rc = wh_config_int(cfg, producer_keys, num_fields[i].key, field,
                               errstr, sizeof(errstr));

        WH_ASSERT(rc == WH_OK || rc == WH_ENOENT);
        if (rc == WH_ENOENT) {
            *field = -1;
        }
    }
    if (set->max_decoded_bytes < 0) {
        set->max_decoded_bytes = set->max_bytes;
    }
    if (set->max_interval_ms < 0) {
        set->max_interval_ms = 8 * set->interval_ms;
    }
}

int settings_load(const struct wh_config *cfg, struct settings *set,
                  struct wh_config_problems *pr)
{
    const struct wh_config_entry *e;
    const char *ua;
    const char *contact;
    char errstr[512];
    size_t before = pr->n;

    memset(set, 0, sizeof(*set));
    check_required(cfg, pr);
    wh_config_check(cfg, pr);
    wh_kafka_conf_check(cfg, pr);
    if (pr->n == before) {
        settings_numbers(cfg, set);
    }
    if (pr->n == before && set->max_interval_ms < set->interval_ms) {
        wh_config_problem(pr,
                          "%s: poll.max_interval_ms: smaller than "
                          "poll.interval_ms (%lld)",
                          wh_config_origin(cfg, "poll.max_interval_ms"),
                          set->interval_ms);
    }
    set->topic = wh_config_get(cfg, "topic", NULL);
    for (e = wh_config_first(cfg, "source"); e != NULL; e = wh_config_next(e)) {
        if (add_source(set, e, errstr, sizeof(errstr)) != WH_OK) {
            wh_config_problem(pr, "%s", errstr);
        }
    }
    if (pr->n > before) {
        return WH_EINVAL;
    }
    /* Under systemd (StateDirectory=), the state goes there by default. */
    set->state_dir = wh_config_get(cfg, "state_dir", state_directory_env());
    set->metrics = wh_config_get(cfg, "metrics", NULL);
    ua = wh_config_get(cfg, "user_agent", NULL);
    if (ua == NULL || wh_config_get(cfg, "fetch.user_agent", NULL) != NULL) {
        ua = wh_config_str(cfg, producer_keys, "fetch.user_agent");
    }
    contact = wh_config_get(cfg, "contact_url", NULL);
    set->user_agent = contact != NULL ? wh_xasprintf("%s (+%s)", ua, contact)
                                      : wh_xstrdup(ua);
    return WH_OK;
}

/* Builds a fetcher from the settings, with every fetch.allow_address
 * CIDR. Returns NULL with errstr filled on a bad CIDR. */
struct wh_fetcher *
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

/* --check-config -v: each source with its options and state files. */
void print_sources(const struct settings *set)
{
    const struct source *src;
    char hex[17];

    for (src = set->sources; src != NULL; src = src->next) {
        wh_hash64_hex(wh_hash64(src->url, strlen(src->url)), hex);
        printf("source %s: %s, every %lld ms, body %s%s", src->name, src->url,
               src->interval_ms,
               src->body == BODY_PAGE   ? "page"
               : src->body == BODY_FEED ? "feed"
                                        : "auto",
               src->tls_insecure ? ", TLS UNVERIFIED" : "");
        if (set->state_dir != NULL) {
            printf(", state %s/%s.{ids,val,skip}", set->state_dir, hex);
        }
        printf("\n");
    }
}
