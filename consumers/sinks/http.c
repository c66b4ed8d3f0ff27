/*
 * http.c - the HTTP bulk sink ("http:URL"): Elasticsearch / OpenSearch
 * _bulk requests over libcurl. URL names the index, e.g.
 * http://127.0.0.1:9200/news; the sink POSTs to URL/_bulk (a query such
 * as ?pipeline=p is kept) and credentials may be given in the URL.
 *
 * Each record becomes an "index" action and its ninjs document:
 *   {"index":{"_index":"news","_id":"<32 hex>"}}\n{...record...}\n
 * The _id is the 128-bit XXH3 of "uri\nversion", so a replay overwrites
 * each document with itself and the index converges to the same state.
 *
 * process() queues the document; a batch goes out when it would pass
 * http.batch_docs documents or http.batch_bytes bytes, and at flush().
 * The answer is read item by item: 2xx is written; 429 and 5xx (and a
 * failed request, a whole-request 429/5xx, an unreadable answer) are
 * sent again, only those items, after an exponential backoff with
 * jitter, up to http.max_retries times; if some still fail, they stay
 * queued and flush() returns WH_RETRY so no offset passes them. Another
 * 4xx refuses the item for good: it is dropped, logged with its uri and
 * the server's reason, reported to the consumer through the record's
 * meta->reject (so it is dead-lettered with that reason), and the next
 * flush() returns WH_REJECT naming it (after the rest is written). A
 * whole-request 4xx (400, 413, ...) on a batch is retried one document
 * at a time to find the one at fault;
 * 401, 403, 404, 405 and redirects mean the sink is misconfigured and
 * every record would fail: WH_FATAL.
 */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <curl/curl.h>
#include <jansson.h>
#include <xxhash.h>

#include "stage.h"
#include "wh/backoff.h"
#include "wh/buf.h"
#include "wh/config.h"
#include "wh/log.h"
#include "wh/record.h"
#include "wh/wh.h"

#define TAG "sink:http"

#define HTTP_BACKOFF_MIN_MS 100
#define HTTP_BACKOFF_MAX_MS 10000
/* The answer to a bulk request: a fixed part plus some per item. */
#define HTTP_RESP_BASE ((size_t)1024 * 1024)
#define HTTP_RESP_PER_DOC ((size_t)4096)
#define HTTP_REASON_MAX 300

enum outcome { OUT_PENDING, OUT_OK, OUT_RETRY, OUT_REJECT, OUT_SPLIT };

struct http_doc {
    char *uri;
    char id[33];
    char *lines; /* action line and document line, each with '\n' */
    size_t len;
    enum outcome outcome;
    char reason[HTTP_REASON_MAX];
    /* from the record's meta: who to tell when it is refused */
    uint64_t token;
    void (*reject)(void *opaque, uint64_t token, const char *reason);
    void *reject_opaque;
};

struct http {
    char *url;   /* .../_bulk, as given to curl */
    char *shown; /* the same without credentials, for messages */
    char *index;
    CURL *curl;
    struct curl_slist *headers;
    char curl_err[CURL_ERROR_SIZE];
    long long batch_docs;
    long long batch_bytes;
    long long timeout_ms;
    long long max_retries;
    struct http_doc *docs; /* queued, not yet written */
    size_t ndocs;
    size_t cap;
    size_t bytes;
    struct wh_buf body;
    struct wh_buf resp;
    int resp_full;         /* the answer passed resp.max */
    struct wh_buf rejects; /* refused since the last flush() */
    struct wh_backoff bo;  /* between the tries of one flush */
};

static void sleep_ms(long long ms)
{
    struct timespec ts;

    ts.tv_sec = (time_t)(ms / 1000);
    ts.tv_nsec = (long)(ms % 1000) * 1000000L;
    while (nanosleep(&ts, &ts) != 0) {
        /* interrupted: sleep the rest */
    }
}

static void doc_free(struct http_doc *doc)
{
    free(doc->uri);
    free(doc->lines);
}

static size_t write_cb(char *data, size_t size, size_t nmemb, void *arg)
{
    struct http *ctx = arg;
    size_t n = size * nmemb;

    if (wh_buf_append(&ctx->resp, data, n) != WH_OK) {
        ctx->resp_full = 1;
        return 0; /* curl fails the transfer with CURLE_WRITE_ERROR */
    }
    return n;
}

static void set_outcome(struct http_doc *doc, enum outcome outcome,
                        const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void set_outcome(struct http_doc *doc, enum outcome outcome,
                        const char *fmt, ...)
{
    va_list ap;

    doc->outcome = outcome;
    va_start(ap, fmt);
    vsnprintf(doc->reason, sizeof(doc->reason), fmt, ap);
    va_end(ap);
}

/* The start of the answer on one line, for messages. */
static void resp_snippet(const struct http *ctx, char *out, size_t size)
{
    size_t i;

    snprintf(out, size, "%.160s", ctx->resp.data != NULL ? ctx->resp.data : "");
    for (i = 0; out[i] != '\0'; i++) {
        if (out[i] == '\n' || out[i] == '\r') {
            out[i] = ' ';
        }
    }
}

/* "type: reason" of an item's error (an object or a string). */
static void item_error(const json_t *error, char *out, size_t size)
{
    const char *type = json_string_value(json_object_get(error, "type"));
    const char *reason = json_string_value(json_object_get(error, "reason"));

    if (json_is_string(error)) {
        snprintf(out, size, "%s", json_string_value(error));
    } else if (type != NULL || reason != NULL) {
        snprintf(out, size, "%s: %s", type != NULL ? type : "error",
                 reason != NULL ? reason : "(no reason given)");
    } else {
        snprintf(out, size, "(no error given)");
    }
}

/* Sets each selected document's outcome from a 2xx bulk answer. */
static void read_items(struct http *ctx, const size_t *sel, size_t n)
{
    json_error_t jerr;
    json_t *doc = json_loadb(ctx->resp.data != NULL ? ctx->resp.data : "",
                             ctx->resp.len, 0, &jerr);
    const json_t *items = json_object_get(doc, "items");
    size_t i;

    if (!json_is_array(items) || json_array_size(items) != n) {
        char snippet[200];

        resp_snippet(ctx, snippet, sizeof(snippet));
        for (i = 0; i < n; i++) {
            set_outcome(&ctx->docs[sel[i]], OUT_RETRY,
                        "unexpected bulk answer (%s): %s",
                        doc == NULL ? jerr.text : "no items for every action",
                        snippet);
        }
        json_decref(doc);
        return;
    }
    for (i = 0; i < n; i++) {
        struct http_doc *d = &ctx->docs[sel[i]];
        const json_t *item = json_array_get(items, i);
        const json_t *res =
            json_object_iter_value(json_object_iter((json_t *)item));
        const json_t *status = json_object_get(res, "status");
        const char *id = json_string_value(json_object_get(res, "_id"));
        char err[HTTP_REASON_MAX - 40];
        json_int_t code;

        if (!json_is_integer(status)) {
            set_outcome(d, OUT_RETRY, "bulk answer item %zu has no status", i);
            continue;
        }
        if (id != NULL && strcmp(id, d->id) != 0) {
            set_outcome(d, OUT_RETRY,
                        "bulk answer item %zu is for _id %.40s, "
                        "not %s",
                        i, id, d->id);
            continue;
        }
        code = json_integer_value(status);
        if (code >= 200 && code < 300) {
            d->outcome = OUT_OK;
            continue;
        }
        item_error(json_object_get(res, "error"), err, sizeof(err));
        set_outcome(d, code == 429 || code >= 500 ? OUT_RETRY : OUT_REJECT,
                    "HTTP %d %s", (int)code, err);
    }
    json_decref(doc);
}

/* One _bulk request for the documents sel[0..n-1]; sets their outcomes.
 * Returns WH_OK, or WH_FATAL with errstr filled. */
static int post_bulk(struct http *ctx, const size_t *sel, size_t n,
                     char *errstr, size_t errstr_size)
{
    CURLcode res;
    long code = 0;
    char snippet[200];
    size_t i;

    wh_buf_reset(&ctx->body);
    for (i = 0; i < n; i++) {
        WH_ASSERT(wh_buf_append(&ctx->body, ctx->docs[sel[i]].lines,
                                ctx->docs[sel[i]].len) == WH_OK);
    }
    wh_buf_free(&ctx->resp);
    wh_buf_init(&ctx->resp, HTTP_RESP_BASE + n * HTTP_RESP_PER_DOC);
    ctx->resp_full = 0;
    ctx->curl_err[0] = '\0';
    curl_easy_setopt(ctx->curl, CURLOPT_POSTFIELDS, ctx->body.data);
    curl_easy_setopt(ctx->curl, CURLOPT_POSTFIELDSIZE_LARGE,
                     (curl_off_t)ctx->body.len);
    res = curl_easy_perform(ctx->curl);
    if (res != CURLE_OK) {
        for (i = 0; i < n; i++) {
            set_outcome(&ctx->docs[sel[i]], OUT_RETRY, "%s: %s", ctx->shown,
                        ctx->resp_full             ? "answer too large"
                        : ctx->curl_err[0] != '\0' ? ctx->curl_err
                                                   : curl_easy_strerror(res));
        }
        return WH_OK;
    }
    curl_easy_getinfo(ctx->curl, CURLINFO_RESPONSE_CODE, &code);
    if (code >= 200 && code < 300) {
        read_items(ctx, sel, n);
        return WH_OK;
    }
    resp_snippet(ctx, snippet, sizeof(snippet));
    if (code == 401 || code == 403 || code == 404 || code == 405 ||
        code < 200 || (code >= 300 && code < 400)) {
        snprintf(errstr, errstr_size,
                 "%s: HTTP %ld (check the URL and "
                 "the credentials): %s",
                 ctx->shown, code, snippet);
        return WH_FATAL;
    }
    for (i = 0; i < n; i++) {
        enum outcome o = code == 408 || code == 429 || code >= 500 ? OUT_RETRY
                         : n == 1                                  ? OUT_REJECT
                                                                   : OUT_SPLIT;

        set_outcome(&ctx->docs[sel[i]], o, "HTTP %ld: %s", code, snippet);
    }
    return WH_OK;
}

/* Drops the documents written or refused, keeping the order of the
 * rest. Returns the number left, and the reason of the first one. */
static size_t settle(struct http *ctx, char *why, size_t why_size)
{
    size_t i;
    size_t kept = 0;

    why[0] = '\0';
    for (i = 0; i < ctx->ndocs; i++) {
        struct http_doc *d = &ctx->docs[i];

        if (d->outcome == OUT_OK || d->outcome == OUT_REJECT) {
            if (d->outcome == OUT_REJECT) {
                wh_warn(TAG, "%s: refused: %s", d->uri, d->reason);
                (void)wh_buf_printf(&ctx->rejects, "%s%s: %s",
                                    ctx->rejects.len > 0 ? "; " : "", d->uri,
                                    d->reason);
                if (d->reject != NULL) {
                    d->reject(d->reject_opaque, d->token, d->reason);
                }
            }
            ctx->bytes -= d->len;
            doc_free(d);
            continue;
        }
        if (kept == 0) {
            snprintf(why, why_size, "%s", d->reason);
        }
        d->outcome = OUT_PENDING;
        ctx->docs[kept++] = *d;
    }
    ctx->ndocs = kept;
    return kept;
}

/* Writes every queued document, retrying the failed ones. WH_OK when
 * none is left, WH_RETRY when some still fail after the retries,
 * WH_FATAL; errstr filled. */
static int deliver(struct http *ctx, char *errstr, size_t errstr_size)
{
    size_t *sel;
    char why[HTTP_REASON_MAX];
    long long attempt;
    size_t i, n;
    int rc = WH_OK;

    if (ctx->ndocs == 0) {
        return WH_OK;
    }
    sel = wh_xmalloc(ctx->ndocs * sizeof(*sel));
    wh_backoff_reset(&ctx->bo);
    for (attempt = 0;; attempt++) {
        n = ctx->ndocs;
        for (i = 0; i < n; i++) {
            sel[i] = i;
            ctx->docs[i].outcome = OUT_PENDING;
        }
        rc = post_bulk(ctx, sel, n, errstr, errstr_size);
        /* A whole batch refused: one at a time, to find the culprit. */
        for (i = 0; rc == WH_OK && i < n; i++) {
            if (ctx->docs[i].outcome == OUT_SPLIT) {
                rc = post_bulk(ctx, &i, 1, errstr, errstr_size);
            }
        }
        if (rc != WH_OK) {
            goto out;
        }
        if (settle(ctx, why, sizeof(why)) == 0) {
            goto out;
        }
        if (attempt >= ctx->max_retries) {
            break;
        }
        /* Exponential backoff, jitter in [delay/2, delay]. */
        sleep_ms(wh_backoff_fail(&ctx->bo, 0));
    }
    snprintf(errstr, errstr_size,
             "%zu document(s) not written after %lld "
             "tries, first: %s: %s",
             ctx->ndocs, attempt + 1, ctx->docs[0].uri, why);
    rc = WH_RETRY;
out:
    free(sel);
    return rc;
}

static void http_close(void *arg)
{
    struct http *ctx = arg;
    size_t i;

    if (ctx == NULL) {
        return;
    }
    if (ctx->ndocs > 0) {
        wh_warn(TAG,
                "%zu document(s) never written (their records will be "
                "consumed again)",
                ctx->ndocs);
    }
    for (i = 0; i < ctx->ndocs; i++) {
        doc_free(&ctx->docs[i]);
    }
    free(ctx->docs);
    if (ctx->curl != NULL) {
        curl_easy_cleanup(ctx->curl);
        curl_global_cleanup();
    }
    curl_slist_free_all(ctx->headers);
    wh_buf_free(&ctx->body);
    wh_buf_free(&ctx->resp);
    wh_buf_free(&ctx->rejects);
    free(ctx->url);
    free(ctx->shown);
    free(ctx->index);
    free(ctx);
}

/* Splits the URL: the index is the last path segment; the bulk URL is
 * the path plus "/_bulk". Returns WH_OK or WH_EINVAL with errstr. */
static int parse_url(struct http *ctx, const char *arg, char *errstr,
                     size_t errstr_size)
{
    CURLU *u = curl_url();
    char *scheme = NULL;
    char *path = NULL;
    char *decoded = NULL;
    char *bulk = NULL;
    char *out = NULL;
    const char *seg;
    size_t len;
    int rc = WH_EINVAL;

    if (u == NULL) {
        snprintf(errstr, errstr_size, "http: out of memory");
        return WH_EINVAL;
    }
    if (curl_url_set(u, CURLUPART_URL, arg, 0) != CURLUE_OK ||
        curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) != CURLUE_OK ||
        (strcmp(scheme, "http") != 0 && strcmp(scheme, "https") != 0)) {
        snprintf(errstr, errstr_size,
                 "http: \"%.200s\" is not an http:// "
                 "or https:// URL",
                 arg);
        goto out;
    }
    if (curl_url_get(u, CURLUPART_PATH, &path, 0) != CURLUE_OK ||
        curl_url_get(u, CURLUPART_PATH, &decoded, CURLU_URLDECODE) !=
            CURLUE_OK) {
        snprintf(errstr, errstr_size, "http: %.200s: bad path", arg);
        goto out;
    }
    len = strlen(decoded);
    while (len > 0 && decoded[len - 1] == '/') {
        decoded[--len] = '\0';
    }
    seg = strrchr(decoded, '/');
    seg = seg != NULL ? seg + 1 : decoded;
    if (seg[0] == '\0' || seg[0] == '_') {
        snprintf(errstr, errstr_size,
                 "http: %.200s: the URL must name the "
                 "index, e.g. http://127.0.0.1:9200/news",
                 arg);
        goto out;
    }
    ctx->index = wh_xstrdup(seg);
    len = strlen(path);
    while (len > 0 && path[len - 1] == '/') {
        len--;
    }
    bulk = wh_xasprintf("%.*s/_bulk", (int)len, path);
    if (curl_url_set(u, CURLUPART_PATH, bulk, 0) != CURLUE_OK ||
        curl_url_get(u, CURLUPART_URL, &out, 0) != CURLUE_OK) {
        snprintf(errstr, errstr_size, "http: %.200s: bad URL", arg);
        goto out;
    }
    ctx->url = wh_xstrdup(out);
    curl_free(out);
    out = NULL;
    /* Messages never show the credentials. */
    if (curl_url_set(u, CURLUPART_USER, NULL, 0) != CURLUE_OK ||
        curl_url_set(u, CURLUPART_PASSWORD, NULL, 0) != CURLUE_OK ||
        curl_url_get(u, CURLUPART_URL, &out, 0) != CURLUE_OK) {
        snprintf(errstr, errstr_size, "http: %.200s: bad URL", arg);
        goto out;
    }
    ctx->shown = wh_xstrdup(out);
    rc = WH_OK;
out:
    curl_free(scheme);
    curl_free(path);
    curl_free(decoded);
    curl_free(out);
    free(bulk);
    curl_url_cleanup(u);
    return rc;
}

static const struct wh_config_key http_keys[] = {
    WH_KEY_INT("http.batch_docs", "500", 1, 100000, "documents",
               "http sink: documents per _bulk request"),
    WH_KEY_INT("http.batch_bytes", "5242880", 1024, 1024LL * 1024 * 1024,
               "bytes", "http sink: bytes per _bulk request"),
    WH_KEY_DURATION("http.timeout_ms", "30000", 100, 3600000, "ms",
                    "http sink: request timeout"),
    WH_KEY_INT("http.max_retries", "5", 0, 100, NULL,
               "http sink: retries of 429/5xx items"),
    WH_KEY_END};

/* --check-config: the index URL parses (nothing is sent). */
static int http_check(const char *arg, const struct wh_config *cfg,
                      char *errstr, size_t errstr_size)
{
    struct http tmp;
    int rc;

    (void)cfg;
    if (arg == NULL || arg[0] == '\0') {
        snprintf(errstr, errstr_size,
                 "http: needs the index URL "
                 "(http:URL, e.g. http:http://127.0.0.1:9200/news)");
        return WH_EINVAL;
    }
    memset(&tmp, 0, sizeof(tmp));
    rc = parse_url(&tmp, arg, errstr, errstr_size);
    free(tmp.index);
    free(tmp.url);
    free(tmp.shown);
    return rc;
}

static void *http_init(const char *arg, const struct wh_config *cfg,
                       char *errstr, size_t errstr_size)
{
    struct http *ctx;
    long long connect_ms;

    if (http_check(arg, cfg, errstr, errstr_size) != WH_OK) {
        return NULL;
    }
    ctx = wh_xcalloc(1, sizeof(*ctx));
    wh_buf_init(&ctx->body, 0);
    wh_buf_init(&ctx->resp, HTTP_RESP_BASE);
    wh_buf_init(&ctx->rejects, (size_t)64 * 1024);
    wh_backoff_init(&ctx->bo, HTTP_BACKOFF_MIN_MS, HTTP_BACKOFF_MAX_MS,
                    wh_prng_entropy() ^ (uint64_t)(uintptr_t)ctx);
    if (parse_url(ctx, arg, errstr, errstr_size) != WH_OK ||
        wh_config_int(cfg, http_keys, "http.batch_docs", &ctx->batch_docs,
                      errstr, errstr_size) != WH_OK ||
        wh_config_int(cfg, http_keys, "http.batch_bytes", &ctx->batch_bytes,
                      errstr, errstr_size) != WH_OK ||
        wh_config_int(cfg, http_keys, "http.timeout_ms", &ctx->timeout_ms,
                      errstr, errstr_size) != WH_OK ||
        wh_config_int(cfg, http_keys, "http.max_retries", &ctx->max_retries,
                      errstr, errstr_size) != WH_OK) {
        goto fail;
    }
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
        snprintf(errstr, errstr_size, "http: curl_global_init failed");
        goto fail;
    }
    ctx->curl = curl_easy_init();
    if (ctx->curl == NULL) {
        curl_global_cleanup();
        snprintf(errstr, errstr_size, "http: curl_easy_init failed");
        goto fail;
    }
    ctx->headers = curl_slist_append(NULL, "Content-Type: "
                                           "application/x-ndjson");
    ctx->headers = curl_slist_append(ctx->headers, "Accept: "
                                                   "application/json");
    /* No "Expect: 100-continue" round trip before large bodies. */
    ctx->headers = curl_slist_append(ctx->headers, "Expect:");
    if (ctx->headers == NULL) {
        snprintf(errstr, errstr_size, "http: out of memory");
        goto fail;
    }
    connect_ms = ctx->timeout_ms < 10000 ? ctx->timeout_ms : 10000;
    if (curl_easy_setopt(ctx->curl, CURLOPT_URL, ctx->url) != CURLE_OK ||
        curl_easy_setopt(ctx->curl, CURLOPT_PROTOCOLS_STR, "http,https") !=
            CURLE_OK ||
        curl_easy_setopt(ctx->curl, CURLOPT_HTTPHEADER, ctx->headers) !=
            CURLE_OK ||
        curl_easy_setopt(ctx->curl, CURLOPT_POST, 1L) != CURLE_OK ||
        curl_easy_setopt(ctx->curl, CURLOPT_NOSIGNAL, 1L) != CURLE_OK ||
        curl_easy_setopt(ctx->curl, CURLOPT_TIMEOUT_MS,
                         (long)ctx->timeout_ms) != CURLE_OK ||
        curl_easy_setopt(ctx->curl, CURLOPT_CONNECTTIMEOUT_MS,
                         (long)connect_ms) != CURLE_OK ||
        curl_easy_setopt(ctx->curl, CURLOPT_TCP_KEEPALIVE, 1L) != CURLE_OK ||
        curl_easy_setopt(ctx->curl, CURLOPT_USERAGENT,
                         "wirehose/" WH_VERSION) != CURLE_OK ||
        curl_easy_setopt(ctx->curl, CURLOPT_ERRORBUFFER, ctx->curl_err) !=
            CURLE_OK ||
        curl_easy_setopt(ctx->curl, CURLOPT_WRITEFUNCTION, write_cb) !=
            CURLE_OK ||
        curl_easy_setopt(ctx->curl, CURLOPT_WRITEDATA, ctx) != CURLE_OK) {
        snprintf(errstr, errstr_size, "http: setting up curl failed");
        goto fail;
    }
    wh_info(TAG,
            "%s: index \"%s\", batches of %lld documents / %lld "
            "bytes",
            ctx->shown, ctx->index, ctx->batch_docs, ctx->batch_bytes);
    return ctx;
fail:
    http_close(ctx);
    return NULL;
}

/* The action and document lines of rec, in a new queued-doc slot. */
static void doc_build(const struct http *ctx, const struct wh_record *rec,
                      struct http_doc *doc)
{
    unsigned version = rec->version == 0 ? 1u : rec->version;
    char *key = wh_xasprintf("%s\n%u", rec->uri, version);
    XXH128_hash_t h = XXH3_128bits(key, strlen(key));
    json_t *action;
    char *action_text;
    char *record_text;

    memset(doc, 0, sizeof(*doc));
    snprintf(doc->id, sizeof(doc->id), "%016llx%016llx",
             (unsigned long long)h.high64, (unsigned long long)h.low64);
    action = json_pack("{s:{s:s,s:s}}", "index", "_index", ctx->index, "_id",
                       doc->id);
    WH_ASSERT(action != NULL);
    action_text = json_dumps(action, JSON_COMPACT | JSON_PRESERVE_ORDER);
    WH_ASSERT(action_text != NULL);
    record_text = wh_record_dump(rec);
    doc->uri = wh_xstrdup(rec->uri);
    doc->lines = wh_xasprintf("%s\n%s\n", action_text, record_text);
    doc->len = strlen(doc->lines);
    free(record_text);
    free(action_text);
    json_decref(action);
    free(key);
}

static int batch_full(const struct http *ctx, size_t len)
{
    return ctx->ndocs > 0 && ((long long)ctx->ndocs >= ctx->batch_docs ||
                              ctx->bytes + len > (size_t)ctx->batch_bytes);
}

static int http_process(void *arg, struct wh_record *rec,
                        const struct wh_msg_meta *meta, char *errstr,
                        size_t errstr_size)
{
    struct http *ctx = arg;
    struct http_doc doc;
    int rc;

    doc_build(ctx, rec, &doc);
    doc.token = meta->token;
    doc.reject = meta->reject;
    doc.reject_opaque = meta->reject_opaque;
    if (batch_full(ctx, doc.len)) {
        rc = deliver(ctx, errstr, errstr_size);
        if (rc == WH_FATAL) {
            doc_free(&doc);
            return rc;
        }
        if (batch_full(ctx, doc.len)) {
            /* Still no room: the record waits; the consumer retries. */
            doc_free(&doc);
            return WH_RETRY;
        }
    }
    if (ctx->ndocs == ctx->cap) {
        ctx->cap = ctx->cap == 0 ? 64 : ctx->cap * 2;
        ctx->docs = wh_xrealloc(ctx->docs, ctx->cap * sizeof(ctx->docs[0]));
    }
    ctx->docs[ctx->ndocs++] = doc;
    ctx->bytes += doc.len;
    return WH_OK;
}

static int http_flush(void *arg, char *errstr, size_t errstr_size)
{
    struct http *ctx = arg;
    int rc;

    rc = deliver(ctx, errstr, errstr_size);
    if (rc != WH_OK) {
        return rc;
    }
    if (ctx->rejects.len > 0) {
        snprintf(errstr, errstr_size,
                 "refused by the server, the rest is "
                 "written: %s",
                 ctx->rejects.data);
        wh_buf_reset(&ctx->rejects);
        return WH_REJECT;
    }
    return WH_OK;
}

const struct wh_stage wh_sink_http = {
    .name = "http",
    .type = WH_STAGE_SINK,
    .version = "1",
    .description = "indexes each record into Elasticsearch/OpenSearch with "
                   "_bulk requests (_id from uri + version), per-item "
                   "retry on 429/5xx",
    .keys = http_keys,
    .check = http_check,
    .init = http_init,
    .process = http_process,
    .flush = http_flush,
    .close = http_close,
};
