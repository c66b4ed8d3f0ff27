/*
 * metrics.c - metrics registry, Prometheus text rendering, and the
 * /metrics + /healthz HTTP server on libmicrohttpd.
 *
 * One mutex per registry guards everything: an update is a lock, a few
 * arithmetic operations and an unlock, cheaper than the record work around
 * it, and a scrape renders into a buffer under the lock in well under a
 * millisecond for the few hundred series a daemon has.
 */
#include "wh/metrics.h"

#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <netdb.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <microhttpd.h>

#include "wh/buf.h"
#include "wh/log.h"
#include "wh/wh.h"

#define LOG_TAG "metrics"

/* Hash table of series: fixed size, chained; WH_METRICS_MAX_SERIES keeps
 * the chains short. */
#define TABLE_SIZE 4096

struct family {
    char *name;
    int type;
    char *help;
    char *labels[WH_METRICS_MAX_LABELS];
    size_t nlabels;
    double *buckets; /* histograms: upper bounds */
    size_t nbuckets;
    struct wh_metric *first; /* series in creation order */
    struct wh_metric *last;
    struct family *next;
};

struct wh_metric {
    struct wh_metrics *reg;
    struct family *fam;
    char *values[WH_METRICS_MAX_LABELS];
    uint64_t hash;
    int visible;      /* gauges may be hidden by wh_metrics_clear */
    double value;     /* counters and gauges */
    uint64_t *counts; /* histograms: nbuckets + 1 (+Inf), not
                       * cumulative */
    double sum;
    uint64_t count;
    struct wh_metric *next;  /* in the family, creation order */
    struct wh_metric *chain; /* in the hash table */
};

struct wh_metrics {
    pthread_mutex_t lock;
    struct family *families;
    struct family *last_family;
    struct wh_metric *table[TABLE_SIZE];
    size_t nseries;
    int warned;
};

/* Default latency buckets (seconds): 1 ms to 30 s. */
static const double default_buckets[] = {
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30};

static const double sink_buckets[] = {0.0005, 0.001, 0.0025, 0.005, 0.01,
                                      0.025,  0.05,  0.1,    0.25,  0.5,
                                      1,      2.5,   5,      10,    30};

static const struct wh_metrics_family std_families[] = {
    {.name = WH_M_RECORDS,
     .type = WH_METRICS_COUNTER,
     .help = "Records leaving a pipeline stage, by stage and outcome.",
     .labels = {"stage", "outcome", NULL}},
    {.name = WH_M_DEDUP,
     .type = WH_METRICS_COUNTER,
     .help = "Deduplication decisions.",
     .labels = {"decision", NULL}},
    {.name = WH_M_FETCHES,
     .type = WH_METRICS_COUNTER,
     .help = "HTTP fetches by source and HTTP status (or error kind).",
     .labels = {"source", "status", NULL}},
    {.name = WH_M_FILL,
     .type = WH_METRICS_COUNTER,
     .help = "Extracted records in which a field was found, by source and "
             "field.",
     .labels = {"source", "field", NULL}},
    {.name = WH_M_LAG,
     .type = WH_METRICS_GAUGE,
     .help = "Records not yet processed: the partition's high watermark "
             "minus the group's committed offset (the low watermark while "
             "the group has none); the last value measured while the "
             "brokers do not answer (wirehose_consumer_lag_stale 1).",
     .labels = {"topic", "partition", NULL}},
    {.name = WH_M_LAG_STALE,
     .type = WH_METRICS_GAUGE,
     .help = "1 while wirehose_consumer_lag is the last value measured "
             "because the brokers did not answer its last refresh, else 0.",
     .labels = {"topic", "partition", NULL}},
    {.name = WH_M_SINK_LATENCY,
     .type = WH_METRICS_HISTOGRAM,
     .help = "Seconds a sink took to hold a record or batch.",
     .labels = {"sink", NULL},
     .buckets = sink_buckets,
     .nbuckets = WH_ARRAY_SIZE(sink_buckets)},
    {.name = WH_M_DEAD_LETTERS,
     .type = WH_METRICS_COUNTER,
     .help = "Records sent to the dead-letter topic, by reason.",
     .labels = {"reason", NULL}},
    {.name = WH_M_DEP_UP,
     .type = WH_METRICS_GAUGE,
     .help = "1 while a dependency (a sink's server, the dedup store) "
             "answers, 0 while it is down.",
     .labels = {"dependency", NULL}},
    {.name = WH_M_ITEMS,
     .type = WH_METRICS_COUNTER,
     .help = "Feed items not published: skipped for good or failed for now, "
             "by reason.",
     .labels = {"outcome", "reason", NULL}},
};

/* ---- names and families ------------------------------------------------- */

static int is_name_char(char c, int first, int colon_ok)
{
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_') {
        return 1;
    }
    if (colon_ok && c == ':') {
        return 1;
    }
    return !first && c >= '0' && c <= '9';
}

/* Metric names: [a-zA-Z_:][a-zA-Z0-9_:]*; label names: the same without
 * ':' and not starting with "__" (reserved by Prometheus). */
static int valid_name(const char *s, int colon_ok)
{
    size_t i;

    if (s == NULL || s[0] == '\0') {
        return 0;
    }
    for (i = 0; s[i] != '\0'; i++) {
        if (!is_name_char(s[i], i == 0, colon_ok)) {
            return 0;
        }
    }
    return colon_ok || strncmp(s, "__", 2) != 0;
}

static struct family *find_family(const struct wh_metrics *reg,
                                  const char *name)
{
    struct family *f;

    for (f = reg->families; f != NULL; f = f->next) {
        if (strcmp(f->name, name) == 0) {
            return f;
        }
    }
    return NULL;
}

static size_t count_labels(const struct wh_metrics_family *fam)
{
    size_t n = 0;

    while (n <= WH_METRICS_MAX_LABELS && fam->labels[n] != NULL) {
        n++;
    }
    return n;
}

static int same_family(const struct family *f,
                       const struct wh_metrics_family *fam, size_t nlabels)
{
    size_t i;

    if (f->type != fam->type || f->nlabels != nlabels) {
        return 0;
    }
    for (i = 0; i < nlabels; i++) {
        if (strcmp(f->labels[i], fam->labels[i]) != 0) {
            return 0;
        }
    }
    return 1;
}

static int check_family(const struct wh_metrics_family *fam, size_t nlabels,
                        char *errstr, size_t errstr_size)
{
    const double *b = fam->buckets;
    size_t nb = fam->nbuckets;
    size_t i;
    size_t j;

    if (fam->name == NULL || !valid_name(fam->name, 1)) {
        snprintf(errstr, errstr_size, "metric name \"%s\": invalid",
                 fam->name != NULL ? fam->name : "(null)");
        return WH_EINVAL;
    }
    if (fam->type != WH_METRICS_COUNTER && fam->type != WH_METRICS_GAUGE &&
        fam->type != WH_METRICS_HISTOGRAM) {
        snprintf(errstr, errstr_size, "%s: unknown metric type %d", fam->name,
                 fam->type);
        return WH_EINVAL;
    }
    if (nlabels > WH_METRICS_MAX_LABELS) {
        snprintf(errstr, errstr_size, "%s: more than %d labels", fam->name,
                 WH_METRICS_MAX_LABELS);
        return WH_EINVAL;
    }
    for (i = 0; i < nlabels; i++) {
        if (!valid_name(fam->labels[i], 0) ||
            (fam->type == WH_METRICS_HISTOGRAM &&
             strcmp(fam->labels[i], "le") == 0)) {
            snprintf(errstr, errstr_size, "%s: label name \"%s\": invalid",
                     fam->name, fam->labels[i]);
            return WH_EINVAL;
        }
        for (j = 0; j < i; j++) {
            if (strcmp(fam->labels[i], fam->labels[j]) == 0) {
                snprintf(errstr, errstr_size, "%s: label \"%s\" repeated",
                         fam->name, fam->labels[i]);
                return WH_EINVAL;
            }
        }
    }
    if (fam->type != WH_METRICS_HISTOGRAM || b == NULL) {
        return 0;
    }
    if (nb == 0 || nb > WH_METRICS_MAX_BUCKETS) {
        snprintf(errstr, errstr_size, "%s: between 1 and %d buckets needed",
                 fam->name, WH_METRICS_MAX_BUCKETS);
        return WH_EINVAL;
    }
    for (i = 0; i < nb; i++) {
        if (!isfinite(b[i]) || (i > 0 && !(b[i] > b[i - 1]))) {
            snprintf(errstr, errstr_size,
                     "%s: buckets must be finite and strictly ascending",
                     fam->name);
            return WH_EINVAL;
        }
    }
    return 0;
}

/* Declares fam; the caller holds the lock. */
static int declare_locked(struct wh_metrics *reg,
                          const struct wh_metrics_family *fam, char *errstr,
                          size_t errstr_size)
{
    size_t nlabels = count_labels(fam);
    struct family *f;
    const double *b;
    size_t i;
    int rc;

    rc = check_family(fam, nlabels, errstr, errstr_size);
    if (rc != 0) {
        return rc;
    }
    f = find_family(reg, fam->name);
    if (f != NULL) {
        if (same_family(f, fam, nlabels)) {
            return 0;
        }
        snprintf(errstr, errstr_size,
                 "%s: already declared with another type or labels", fam->name);
        return WH_EINVAL;
    }
    f = wh_xcalloc(1, sizeof(*f));
    f->name = wh_xstrdup(fam->name);
    f->type = fam->type;
    f->help = wh_xstrdup(fam->help != NULL ? fam->help : "");
    f->nlabels = nlabels;
    for (i = 0; i < nlabels; i++) {
        f->labels[i] = wh_xstrdup(fam->labels[i]);
    }
    if (fam->type == WH_METRICS_HISTOGRAM) {
        b = fam->buckets;
        f->nbuckets = fam->nbuckets;
        if (b == NULL) {
            b = default_buckets;
            f->nbuckets = WH_ARRAY_SIZE(default_buckets);
        }
        f->buckets = wh_xcalloc(f->nbuckets, sizeof(double));
        memcpy(f->buckets, b, f->nbuckets * sizeof(double));
    }
    if (reg->last_family != NULL) {
        reg->last_family->next = f;
    } else {
        reg->families = f;
    }
    reg->last_family = f;
    return 0;
}

struct wh_metrics *wh_metrics_new(void)
{
    struct wh_metrics *reg = wh_xcalloc(1, sizeof(*reg));
    char errstr[256];
    size_t i;
    int rc;

    rc = pthread_mutex_init(&reg->lock, NULL);
    WH_ASSERT(rc == 0);
    for (i = 0; i < WH_ARRAY_SIZE(std_families); i++) {
        rc = declare_locked(reg, &std_families[i], errstr, sizeof(errstr));
        WH_ASSERT(rc == 0);
    }
    return reg;
}

int wh_metrics_declare(struct wh_metrics *reg,
                       const struct wh_metrics_family *fam, char *errstr,
                       size_t errstr_size)
{
    int rc;

    if (reg == NULL || fam == NULL) {
        snprintf(errstr, errstr_size, "no registry or family");
        return WH_EINVAL;
    }
    pthread_mutex_lock(&reg->lock);
    rc = declare_locked(reg, fam, errstr, errstr_size);
    pthread_mutex_unlock(&reg->lock);
    return rc;
}

void wh_metrics_free(struct wh_metrics *reg)
{
    struct family *f;
    struct family *fnext;
    struct wh_metric *m;
    struct wh_metric *mnext;
    size_t i;

    if (reg == NULL) {
        return;
    }
    for (f = reg->families; f != NULL; f = fnext) {
        fnext = f->next;
        for (m = f->first; m != NULL; m = mnext) {
            mnext = m->next;
            for (i = 0; i < f->nlabels; i++) {
                free(m->values[i]);
            }
            free(m->counts);
            free(m);
        }
        for (i = 0; i < f->nlabels; i++) {
            free(f->labels[i]);
        }
        free(f->buckets);
        free(f->help);
        free(f->name);
        free(f);
    }
    pthread_mutex_destroy(&reg->lock);
    free(reg);
}

/* ---- series ------------------------------------------------------------- */

/* FNV-1a over the family name and the values, each NUL-terminated. */
static uint64_t series_hash(const char *name, const char *const *values,
                            size_t n)
{
    uint64_t h = 0xcbf29ce484222325ULL;
    const char *p;
    size_t i;

    for (i = 0; i <= n; i++) {
        p = i == 0 ? name : values[i - 1];
        do {
            h ^= (unsigned char)*p;
            h *= 0x100000001b3ULL;
        } while (*p++ != '\0');
    }
    return h;
}

/* Logs a misuse once per registry: a per-record call site would otherwise
 * flood the journal. The caller holds the lock. */
static void warn_once(struct wh_metrics *reg, const char *name, const char *why)
{
    if (reg->warned) {
        return;
    }
    reg->warned = 1;
    wh_err(LOG_TAG, "%s: %s (further metric errors not logged)", name, why);
}

static struct wh_metric *get_locked(struct wh_metrics *reg, const char *name,
                                    const char *const *values, size_t n)
{
    struct family *f;
    struct wh_metric *m;
    uint64_t h;
    size_t i;

    f = find_family(reg, name);
    if (f == NULL) {
        warn_once(reg, name, "unknown metric family");
        return NULL;
    }
    if (n != f->nlabels) {
        warn_once(reg, name, "wrong number of label values");
        return NULL;
    }
    for (i = 0; i < n; i++) {
        if (values[i] == NULL) {
            warn_once(reg, name, "NULL label value");
            return NULL;
        }
        if (strlen(values[i]) > WH_METRICS_MAX_VALUE) {
            warn_once(reg, name, "label value too long");
            return NULL;
        }
    }
    h = series_hash(f->name, values, n);
    for (m = reg->table[h % TABLE_SIZE]; m != NULL; m = m->chain) {
        if (m->hash != h || m->fam != f) {
            continue;
        }
        for (i = 0; i < n; i++) {
            if (strcmp(m->values[i], values[i]) != 0) {
                break;
            }
        }
        if (i == n) {
            return m;
        }
    }
    if (reg->nseries >= WH_METRICS_MAX_SERIES) {
        warn_once(reg, name, "too many series (label values not bounded?)");
        return NULL;
    }
    m = wh_xcalloc(1, sizeof(*m));
    m->reg = reg;
    m->fam = f;
    m->hash = h;
    for (i = 0; i < n; i++) {
        m->values[i] = wh_xstrdup(values[i]);
    }
    /* a labelled counter or histogram shows from creation at 0; a gauge
     * only once set, so a partition never measured shows no lag */
    m->visible = f->type != WH_METRICS_GAUGE;
    if (f->type == WH_METRICS_HISTOGRAM) {
        m->counts = wh_xcalloc(f->nbuckets + 1, sizeof(uint64_t));
    }
    m->chain = reg->table[h % TABLE_SIZE];
    reg->table[h % TABLE_SIZE] = m;
    if (f->last != NULL) {
        f->last->next = m;
    } else {
        f->first = m;
    }
    f->last = m;
    reg->nseries++;
    return m;
}

struct wh_metric *wh_metrics_get(struct wh_metrics *reg, const char *name,
                                 const char *const *values, size_t nvalues)
{
    struct wh_metric *m;

    if (reg == NULL || name == NULL) {
        return NULL;
    }
    pthread_mutex_lock(&reg->lock);
    m = get_locked(reg, name, values, nvalues);
    pthread_mutex_unlock(&reg->lock);
    return m;
}

void wh_metrics_inc(struct wh_metric *m)
{
    wh_metrics_add(m, 1.0);
}

void wh_metrics_add(struct wh_metric *m, double v)
{
    if (m == NULL || isnan(v)) {
        return;
    }
    if (m->fam->type == WH_METRICS_HISTOGRAM ||
        (m->fam->type == WH_METRICS_COUNTER && v < 0)) {
        return;
    }
    pthread_mutex_lock(&m->reg->lock);
    m->value += v;
    m->visible = 1;
    pthread_mutex_unlock(&m->reg->lock);
}

void wh_metrics_set(struct wh_metric *m, double v)
{
    if (m == NULL || m->fam->type != WH_METRICS_GAUGE) {
        return;
    }
    pthread_mutex_lock(&m->reg->lock);
    m->value = v;
    m->visible = 1;
    pthread_mutex_unlock(&m->reg->lock);
}

void wh_metrics_clear(struct wh_metric *m)
{
    if (m == NULL || m->fam->type != WH_METRICS_GAUGE) {
        return;
    }
    pthread_mutex_lock(&m->reg->lock);
    m->visible = 0;
    pthread_mutex_unlock(&m->reg->lock);
}

void wh_metrics_observe(struct wh_metric *m, double v)
{
    const struct family *f;
    size_t i;

    if (m == NULL || isnan(v) || m->fam->type != WH_METRICS_HISTOGRAM) {
        return;
    }
    f = m->fam;
    /* the first bucket whose upper bound holds v; past the last: +Inf */
    for (i = 0; i < f->nbuckets; i++) {
        if (v <= f->buckets[i]) {
            break;
        }
    }
    pthread_mutex_lock(&m->reg->lock);
    m->counts[i]++;
    m->sum += v;
    m->count++;
    pthread_mutex_unlock(&m->reg->lock);
}

/* ---- rendering ---------------------------------------------------------- */

/* A sample value as Prometheus reads it: integers without exponent or
 * point, others in the shortest form that reads back exactly. */
static void format_value(char *out, size_t size, double v)
{
    int prec;

    if (isnan(v)) {
        snprintf(out, size, "NaN");
        return;
    }
    if (isinf(v)) {
        snprintf(out, size, "%sInf", v > 0 ? "+" : "-");
        return;
    }
    if (v == floor(v) && fabs(v) < 1e15) {
        snprintf(out, size, "%.0f", v);
        return;
    }
    for (prec = 1; prec < 17; prec++) {
        snprintf(out, size, "%.*g", prec, v);
        if (strtod(out, NULL) == v) {
            return;
        }
    }
    snprintf(out, size, "%.17g", v);
}

/* Escapes a label value (\\, \", \n) or, when in_help, a HELP text
 * (\\, \n). */
static void put_escaped(struct wh_buf *b, const char *s, int in_help)
{
    const char *run = s;

    for (; *s != '\0'; s++) {
        const char *rep = NULL;

        if (*s == '\\') {
            rep = "\\\\";
        } else if (*s == '\n') {
            rep = "\\n";
        } else if (*s == '"' && !in_help) {
            rep = "\\\"";
        }
        if (rep != NULL) {
            wh_buf_append(b, run, (size_t)(s - run));
            wh_buf_puts(b, rep);
            run = s + 1;
        }
    }
    wh_buf_append(b, run, (size_t)(s - run));
}

/* name{l1="v1",...[,le="x"]} value */
static void put_sample(struct wh_buf *b, const struct wh_metric *m,
                       const char *suffix, const char *le, double v)
{
    const struct family *f = m->fam;
    char num[64];
    size_t i;

    wh_buf_puts(b, f->name);
    wh_buf_puts(b, suffix);
    if (f->nlabels > 0 || le != NULL) {
        wh_buf_puts(b, "{");
        for (i = 0; i < f->nlabels; i++) {
            wh_buf_printf(b, "%s%s=\"", i > 0 ? "," : "", f->labels[i]);
            put_escaped(b, m->values[i], 0);
            wh_buf_puts(b, "\"");
        }
        if (le != NULL) {
            wh_buf_printf(b, "%sle=\"%s\"", f->nlabels > 0 ? "," : "", le);
        }
        wh_buf_puts(b, "}");
    }
    format_value(num, sizeof(num), v);
    wh_buf_printf(b, " %s\n", num);
}

static void put_series(struct wh_buf *b, const struct wh_metric *m)
{
    const struct family *f = m->fam;
    char le[64];
    uint64_t cum = 0;
    size_t i;

    if (f->type != WH_METRICS_HISTOGRAM) {
        put_sample(b, m, "", NULL, m->value);
        return;
    }
    for (i = 0; i < f->nbuckets; i++) {
        cum += m->counts[i];
        format_value(le, sizeof(le), f->buckets[i]);
        put_sample(b, m, "_bucket", le, (double)cum);
    }
    cum += m->counts[f->nbuckets];
    put_sample(b, m, "_bucket", "+Inf", (double)cum);
    put_sample(b, m, "_sum", NULL, m->sum);
    put_sample(b, m, "_count", NULL, (double)m->count);
}

static const char *type_name(int type)
{
    switch (type) {
    case WH_METRICS_COUNTER:
        return "counter";
    case WH_METRICS_GAUGE:
        return "gauge";
    default:
        return "histogram";
    }
}

char *wh_metrics_render(struct wh_metrics *reg, size_t *len)
{
    struct wh_buf b;
    const struct family *f;
    const struct wh_metric *m;
    char *out;

    wh_buf_init(&b, 0);
    if (reg != NULL) {
        pthread_mutex_lock(&reg->lock);
        for (f = reg->families; f != NULL; f = f->next) {
            for (m = f->first; m != NULL && !m->visible; m = m->next) {
            }
            if (m == NULL) {
                continue; /* nothing to show: omit HELP and TYPE too */
            }
            wh_buf_printf(&b, "# HELP %s ", f->name);
            put_escaped(&b, f->help, 1);
            wh_buf_printf(&b, "\n# TYPE %s %s\n", f->name, type_name(f->type));
            for (; m != NULL; m = m->next) {
                if (m->visible) {
                    put_series(&b, m);
                }
            }
        }
        pthread_mutex_unlock(&reg->lock);
    }
    if (len != NULL) {
        *len = b.len;
    }
    out = wh_buf_steal(&b);
    return out;
}

/* ---- HTTP server -------------------------------------------------------- */

struct wh_metrics_server {
    struct MHD_Daemon *daemon;
    struct wh_metrics *reg;
    int (*health)(void *opaque, char *reason, size_t reason_size);
    int (*live)(void *opaque, char *reason, size_t reason_size);
    void *opaque;
    int port;
};

static enum MHD_Result respond(struct MHD_Connection *conn, unsigned int status,
                               char *body, size_t len, const char *content_type)
{
    struct MHD_Response *resp;
    enum MHD_Result ret;

    /* body was malloc'ed; the response frees it with free() */
    resp = MHD_create_response_from_buffer_with_free_callback(len, body, free);
    if (resp == NULL) {
        free(body);
        return MHD_NO;
    }
    MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, content_type);
    MHD_add_response_header(resp, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
    ret = MHD_queue_response(conn, status, resp);
    MHD_destroy_response(resp);
    return ret;
}

static enum MHD_Result respond_text(struct MHD_Connection *conn,
                                    unsigned int status, const char *text)
{
    char *body = wh_xasprintf("%s\n", text);

    return respond(conn, status, body, strlen(body),
                   "text/plain; charset=utf-8");
}

/* /healthz and /livez: 200 "ok" when check() says so (or is NULL), else
 * 503 with its reasons, one a line. */
static enum MHD_Result serve_check(struct MHD_Connection *conn,
                                   int (*check)(void *, char *, size_t),
                                   void *opaque)
{
    char reason[2048];
    char *p;

    if (check == NULL) {
        return respond_text(conn, MHD_HTTP_OK, "ok");
    }
    snprintf(reason, sizeof(reason), "unhealthy");
    if (check(opaque, reason, sizeof(reason))) {
        return respond_text(conn, MHD_HTTP_OK, "ok");
    }
    reason[sizeof(reason) - 1] = '\0';
    if (reason[0] == '\0') {
        snprintf(reason, sizeof(reason), "unhealthy");
    }
    for (p = reason; *p != '\0'; p++) {
        if (*p == '\r') {
            *p = ' ';
        }
    }
    return respond_text(conn, MHD_HTTP_SERVICE_UNAVAILABLE, reason);
}

/* Reads /proc/self/stat: CPU seconds and the start time (seconds since
 * boot). Returns 0 or -1. */
static int proc_stat(double *cpu, double *start_since_boot)
{
    char line[1024];
    const char *p;
    unsigned long utime = 0, stime = 0;
    unsigned long long start = 0;
    long tck = sysconf(_SC_CLK_TCK);
    FILE *f = fopen("/proc/self/stat", "r");
    int n;

    if (f == NULL) {
        return -1;
    }
    p = fgets(line, sizeof(line), f);
    fclose(f);
    if (p == NULL || tck <= 0 || (p = strrchr(line, ')')) == NULL) {
        return -1;
    }
    /* After "(comm)": state, then fields 4..; utime is 14, stime 15,
     * starttime 22. */
    n = sscanf(p + 2,
               "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu %*d %*d "
               "%*d %*d %*d %*d %llu",
               &utime, &stime, &start);
    if (n != 3) {
        return -1;
    }
    *cpu = (double)(utime + stime) / (double)tck;
    *start_since_boot = (double)start / (double)tck;
    return 0;
}

/* The boot time, seconds since the epoch (btime of /proc/stat), or -1. */
static double boot_time(void)
{
    char line[256];
    double bt = -1;
    FILE *f = fopen("/proc/stat", "r");

    if (f == NULL) {
        return -1;
    }
    while (fgets(line, sizeof(line), f) != NULL) {
        unsigned long long v;

        if (sscanf(line, "btime %llu", &v) == 1) {
            bt = (double)v;
            break;
        }
    }
    fclose(f);
    return bt;
}

static void put_gauge(struct wh_buf *b, const char *name, const char *type,
                      const char *help, double v)
{
    char num[64];

    format_value(num, sizeof(num), v);
    wh_buf_printf(b, "# HELP %s %s\n# TYPE %s %s\n%s %s\n", name, help, name,
                  type, name, num);
}

/* The standard process_* metrics (of the Prometheus client libraries)
 * and wirehose_build_info, after the registry's. */
static void put_process(struct wh_buf *b)
{
    double cpu, since_boot, bt;
    long page = sysconf(_SC_PAGESIZE);
    unsigned long long size, rss;
    FILE *f;
    DIR *d;

    wh_buf_printf(b,
                  "# HELP wirehose_build_info The version running (always "
                  "1).\n# TYPE wirehose_build_info gauge\n"
                  "wirehose_build_info{version=\"%s\"} 1\n",
                  WH_VERSION);
    if (proc_stat(&cpu, &since_boot) == 0) {
        put_gauge(b, "process_cpu_seconds_total", "counter",
                  "Total user and system CPU time spent in seconds.", cpu);
        bt = boot_time();
        if (bt >= 0) {
            put_gauge(b, "process_start_time_seconds", "gauge",
                      "Start time of the process since unix epoch in seconds.",
                      bt + since_boot);
        }
    }
    f = fopen("/proc/self/statm", "r");
    if (f != NULL) {
        if (fscanf(f, "%llu %llu", &size, &rss) == 2 && page > 0) {
            put_gauge(b, "process_resident_memory_bytes", "gauge",
                      "Resident memory size in bytes.",
                      (double)rss * (double)page);
            put_gauge(b, "process_virtual_memory_bytes", "gauge",
                      "Virtual memory size in bytes.",
                      (double)size * (double)page);
        }
        fclose(f);
    }
    d = opendir("/proc/self/fd");
    if (d != NULL) {
        long n = 0;
        const struct dirent *e;

        while ((e = readdir(d)) != NULL) {
            n += e->d_name[0] != '.';
        }
        closedir(d);
        put_gauge(b, "process_open_fds", "gauge",
                  "Number of open file descriptors.", (double)(n - 1));
    }
}

static enum MHD_Result handle_request(void *cls, struct MHD_Connection *conn,
                                      const char *url, const char *method,
                                      const char *version,
                                      const char *upload_data,
                                      size_t *upload_data_size, void **con_cls)
{
    const struct wh_metrics_server *srv = cls;
    size_t len = 0;
    char *body;

    (void)version;
    (void)upload_data;
    (void)upload_data_size;
    (void)con_cls;
    if (strcmp(method, MHD_HTTP_METHOD_GET) != 0 &&
        strcmp(method, MHD_HTTP_METHOD_HEAD) != 0) {
        return respond_text(conn, MHD_HTTP_METHOD_NOT_ALLOWED,
                            "method not allowed");
    }
    if (strcmp(url, "/metrics") == 0) {
        struct wh_buf b;

        body = wh_metrics_render(srv->reg, &len);
        wh_buf_init(&b, 0);
        (void)wh_buf_append(&b, body, len);
        free(body);
        put_process(&b);
        len = b.len;
        body = wh_buf_steal(&b);
        return respond(conn, MHD_HTTP_OK, body, len,
                       "text/plain; version=0.0.4; charset=utf-8");
    }
    if (strcmp(url, "/healthz") == 0) {
        return serve_check(conn, srv->health, srv->opaque);
    }
    if (strcmp(url, "/livez") == 0) {
        return serve_check(conn, srv->live, srv->opaque);
    }
    return respond_text(conn, MHD_HTTP_NOT_FOUND, "not found");
}

/* libmicrohttpd's own messages go through our logger. */
__attribute__((format(printf, 2, 0))) static void
mhd_log(void *cls, const char *fmt, va_list ap)
{
    char msg[512];
    size_t n;

    (void)cls;
    vsnprintf(msg, sizeof(msg), fmt, ap);
    n = strlen(msg);
    while (n > 0 && (msg[n - 1] == '\n' || msg[n - 1] == '\r')) {
        msg[--n] = '\0';
    }
    wh_warn(LOG_TAG, "http: %s", msg);
}

/* Splits "HOST:PORT" / "[V6]:PORT" / ":PORT" into host (NULL = any) and
 * port, both pointing into copy. */
static int split_addr(char *copy, char **host, char **port)
{
    char *colon;
    char *p;

    if (copy[0] == '[') {
        p = strchr(copy, ']');
        if (p == NULL || p[1] != ':') {
            return WH_EINVAL;
        }
        *p = '\0';
        *host = copy + 1;
        *port = p + 2;
    } else {
        colon = strrchr(copy, ':');
        if (colon == NULL) {
            return WH_EINVAL;
        }
        *colon = '\0';
        *host = copy;
        *port = colon + 1;
        if (strchr(copy, ':') != NULL) {
            return WH_EINVAL; /* a bare IPv6 address needs brackets */
        }
    }
    if (**host == '\0') {
        *host = NULL;
    }
    if (**port == '\0' || strlen(*port) > 5) {
        return WH_EINVAL;
    }
    for (p = *port; *p != '\0'; p++) {
        if (*p < '0' || *p > '9') {
            return WH_EINVAL;
        }
    }
    return atoi(*port) > 65535 ? WH_EINVAL : 0;
}

/* Binds and listens on addr. Returns the socket, or -1 with errstr. */
static int listen_on(const char *addr, int *port, char *errstr,
                     size_t errstr_size)
{
    struct addrinfo hints;
    struct addrinfo *res = NULL;
    const struct addrinfo *ai;
    struct sockaddr_storage ss;
    socklen_t sslen = sizeof(ss);
    char *copy = wh_xstrdup(addr);
    char *host = NULL;
    char *service = NULL;
    int saved = 0;
    int one = 1;
    int fd = -1;
    int rc;

    if (split_addr(copy, &host, &service) != 0) {
        snprintf(errstr, errstr_size,
                 "metrics %s: expected HOST:PORT or [IPV6]:PORT", addr);
        goto out;
    }
    memset(&hints, 0, sizeof(hints));
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
    rc = getaddrinfo(host, service, &hints, &res);
    if (rc != 0) {
        snprintf(errstr, errstr_size, "metrics %s: %s", addr, gai_strerror(rc));
        goto out;
    }
    for (ai = res; ai != NULL; ai = ai->ai_next) {
        fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC,
                    ai->ai_protocol);
        if (fd < 0) {
            saved = errno;
            continue;
        }
        /* a restarted daemon must rebind despite TIME_WAIT connections */
        if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) == 0 &&
            bind(fd, ai->ai_addr, ai->ai_addrlen) == 0 && listen(fd, 16) == 0) {
            break;
        }
        saved = errno;
        close(fd);
        fd = -1;
    }
    if (fd < 0) {
        snprintf(errstr, errstr_size, "metrics %s: %s", addr,
                 strerror(saved != 0 ? saved : EADDRNOTAVAIL));
        goto out;
    }
    memset(&ss, 0, sizeof(ss));
    if (getsockname(fd, (struct sockaddr *)&ss, &sslen) != 0) {
        snprintf(errstr, errstr_size, "metrics %s: getsockname: %s", addr,
                 strerror(errno));
        close(fd);
        fd = -1;
        goto out;
    }
    if (ss.ss_family == AF_INET6) {
        *port = ntohs(((const struct sockaddr_in6 *)&ss)->sin6_port);
    } else {
        *port = ntohs(((const struct sockaddr_in *)&ss)->sin_port);
    }
out:
    if (res != NULL) {
        freeaddrinfo(res);
    }
    free(copy);
    return fd;
}

struct wh_metrics_server *wh_metrics_server_start(
    struct wh_metrics *reg, const char *addr,
    int (*health)(void *opaque, char *reason, size_t reason_size),
    int (*live)(void *opaque, char *reason, size_t reason_size), void *opaque,
    char *errstr, size_t errstr_size)
{
    struct wh_metrics_server *srv = NULL;
    sigset_t block;
    sigset_t saved;
    int port = 0;
    int fd;

    if (reg == NULL || addr == NULL) {
        snprintf(errstr, errstr_size, "metrics: no registry or address");
        return NULL;
    }
    fd = listen_on(addr, &port, errstr, errstr_size);
    if (fd < 0) {
        return NULL;
    }
    srv = wh_xcalloc(1, sizeof(*srv));
    srv->reg = reg;
    srv->health = health;
    srv->live = live;
    srv->opaque = opaque;
    srv->port = port;
    /* the server thread inherits this mask: signals meant for the main
     * loop must not land on it */
    sigemptyset(&block);
    sigaddset(&block, SIGTERM);
    sigaddset(&block, SIGINT);
    sigaddset(&block, SIGHUP);
    sigaddset(&block, SIGPIPE);
    pthread_sigmask(SIG_BLOCK, &block, &saved);
    srv->daemon = MHD_start_daemon(
        MHD_USE_AUTO_INTERNAL_THREAD | MHD_USE_ERROR_LOG, 0, NULL, NULL,
        handle_request, srv, MHD_OPTION_EXTERNAL_LOGGER, mhd_log, NULL,
        MHD_OPTION_LISTEN_SOCKET, fd, MHD_OPTION_CONNECTION_LIMIT,
        (unsigned int)64, MHD_OPTION_CONNECTION_TIMEOUT, (unsigned int)10,
        MHD_OPTION_END);
    pthread_sigmask(SIG_SETMASK, &saved, NULL);
    if (srv->daemon == NULL) {
        snprintf(errstr, errstr_size, "metrics %s: cannot start HTTP server",
                 addr);
        close(fd);
        free(srv);
        return NULL;
    }
    wh_info(LOG_TAG, "serving /metrics, /healthz and /livez on %s (port %d)",
            addr, port);
    return srv;
}

int wh_metrics_server_port(const struct wh_metrics_server *srv)
{
    return srv != NULL ? srv->port : 0;
}

void wh_metrics_server_stop(struct wh_metrics_server *srv)
{
    if (srv == NULL) {
        return;
    }
    /* closes the listening socket too */
    MHD_stop_daemon(srv->daemon);
    free(srv);
}
