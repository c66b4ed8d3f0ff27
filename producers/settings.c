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
#include "wh/log.h"
#include "wh/wh.h"

const struct wh_config_key producer_keys[] = {
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
int settings_load(const struct wh_config *cfg, struct settings *set,
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
int check_kafka(const struct wh_config *cfg, char *errstr, size_t errstr_size)
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
        printf("source %s: %s, every %lld ms%s", src->name, src->url,
               src->interval_ms, src->tls_insecure ? ", TLS UNVERIFIED" : "");
        if (set->state_dir != NULL) {
            printf(", state %s/%s.{ids,val}", set->state_dir, hex);
        }
        printf("\n");
    }
}

/* Checks every fetch.allow_address CIDR. */
int check_cidrs(const struct wh_config *cfg, char *errstr, size_t errstr_size)
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
