/*
 * fetcher.c - many transfers on one thread with libcurl's multi interface
 * (see fetcher.h).
 *
 * A request lives in a struct xfer. It waits in the queue of its host (a
 * struct host, one per scheme://host:port) until the host's robots.txt is
 * known, the host has a free slot, its delay since the last start has
 * passed and the global cap allows it; then it runs in the multi handle;
 * when done it goes to the done list, which wh_fetcher_run() hands to
 * on_result. A redirect puts the xfer back in the queue of the next host.
 *
 * Past ~1,200 lines on purpose: the file is one state machine over struct
 * xfer, struct host and struct wh_fetcher (queue -> robots.txt ->
 * politeness -> curl multi -> completion -> redirect), and each section
 * reaches into all three; split, they would become a shared internal
 * header with every field exposed. The few parts that stand apart (the
 * blocking call, file:// URLs, small helpers) are short and at the end.
 */
#include "fetcher.h"

#include <ctype.h>
#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "robots.h"
#include "ssrf.h"
#include "wh/buf.h"
#include "wh/clock.h"
#include "wh/hash.h"
#include "wh/log.h"
#include "wh/wh.h"

#define TAG "fetch"

#define DEFAULT_MAX_BYTES ((size_t)16 * 1024 * 1024)
#define DEFAULT_CONNECT_TIMEOUT_MS 10000L
#define DEFAULT_TIMEOUT_MS 30000L
#define DEFAULT_MAX_REDIRECTS 5L
#define DEFAULT_LOW_SPEED_LIMIT 64L
#define DEFAULT_LOW_SPEED_TIME_S 20L
#define DEFAULT_MAX_TOTAL 64
#define DEFAULT_MAX_PER_HOST 2
#define DEFAULT_HOST_DELAY_MS 1000L
#define DEFAULT_MAX_CRAWL_DELAY_S 60L
#define DEFAULT_ROBOTS_TTL_S (24L * 3600)
#define DEFAULT_MAX_RETRY_AFTER_S (24L * 3600)

/* RFC 9309: at least 500 KiB of a robots.txt must be read; the rest may
 * be ignored. */
#define ROBOTS_MAX_BYTES ((size_t)512 * 1024)
#define ROBOTS_MIN_TTL_S 60L
/* How long an unreachable robots.txt disallows a host before the next
 * try. */
#define ROBOTS_RETRY_S 300L
#define ROBOTS_MAX_REDIRECTS 5L
/* Idle hosts are forgotten SWEEP_IDLE_S after their last use (and once
 * their robots.txt expired), looked for every SWEEP_EVERY_S. */
#define SWEEP_EVERY_S 60.0
#define SWEEP_IDLE_S 600.0

#define KIND_USER 0
#define KIND_ROBOTS 1

#define ABORT_NONE 0
#define ABORT_WIRE 1    /* more than max_bytes on the wire */
#define ABORT_DECODED 2 /* more than max_decoded_bytes, not compressed */
#define ABORT_BOMB 3    /* more than max_decoded_bytes after decoding */
#define ABORT_ROBOTS                                                           \
    4 /* robots.txt past ROBOTS_MAX_BYTES: keep the                            \
       * start */

#define ROBOTS_NONE 0
#define ROBOTS_FETCHING 1
#define ROBOTS_READY 2

struct host;

struct xfer {
    struct wh_fetcher *f;
    struct host *host;  /* host of the current hop */
    struct xfer *next;  /* in a host queue or the done list */
    struct xfer *aprev; /* in the active list */
    struct xfer *anext;
    int kind;                  /* KIND_* */
    char *hop_url;             /* URL of the current hop */
    char *path;                /* its path and query, for robots.txt */
    unsigned long allowed_gen; /* robots_gen of the host's rules that
                                  allowed path; 0: not checked */
    char *etag;                /* validators to send */
    char *last_modified;
    int tls_insecure;
    double submitted;
    struct wh_fetch_result *sync; /* wh_fetch(): result goes here */
    int *sync_done;
    CURL *easy; /* while running */
    struct curl_slist *hdrs;
    struct wh_buf body;
    int abort_why;            /* ABORT_* */
    curl_off_t wire_at_abort; /* bytes on the wire when cut */
    int refused;              /* the SSRF guard refused a socket */
    char refused_addr[64];
    char curl_err[CURL_ERROR_SIZE];
    struct wh_fetch_result res;
};

struct host {
    char *key;          /* "scheme://host:port", lower-case */
    struct host *hnext; /* hash chain */
    struct xfer *qhead; /* waiting requests, FIFO */
    struct xfer *qtail;
    struct host *wprev; /* in the waiting list while qhead != NULL */
    struct host *wnext;
    int waiting;
    int active;         /* transfers running */
    double next_start;  /* earliest next request start */
    double pause_until; /* Retry-After pause */
    int robots_state;   /* ROBOTS_* */
    struct wh_robots *robots;
    unsigned long robots_gen; /* bumped whenever robots changes */
    double robots_expiry;
    int robots_outcome; /* WH_FETCH_OK, or why it is unreachable */
    char robots_error[200];
};

/* A hash chain of hosts. */
struct bucket {
    struct host *head;
};

struct wh_fetcher {
    CURLM *multi;
    char *user_agent;
    char *agent; /* product token, for robots.txt */
    char *proxy;
    struct curl_slist *resolve;
    int resolve_loaded; /* resolve given to a transfer already */
    size_t max_bytes;
    size_t max_decoded;
    long connect_timeout_ms;
    long timeout_ms;
    long max_redirects; /* < 0: none followed */
    long low_speed_limit;
    long low_speed_time_s;
    int max_total;
    int max_per_host;
    long host_delay_ms;
    long max_crawl_delay_ms;
    int robots_off;
    long robots_ttl_s;
    long max_retry_after_s;
    void (*on_result)(struct wh_fetch_result *res, void *opaque);
    void *on_result_opaque;

    struct wh_ssrf ssrf;
    struct bucket *table; /* hosts by key */
    size_t nbuckets;
    size_t nhosts;
    struct host *whead; /* hosts with waiting requests */
    struct host *wtail;
    struct xfer *active; /* running transfers */
    int nactive;
    struct xfer *dhead; /* finished, not yet delivered */
    struct xfer *dtail;
    CURL **idle; /* easy handles to reuse */
    size_t nidle;
    size_t pending;    /* submitted, not yet delivered */
    double next_sweep; /* when to look for hosts to forget */
};

void wh_fetch_global_init(void)
{
    CURLcode cc = curl_global_init(CURL_GLOBAL_DEFAULT);

    WH_ASSERT(cc == CURLE_OK);
}

void wh_fetch_global_cleanup(void)
{
    curl_global_cleanup();
}

/* ---- hosts ------------------------------------------------------------ */

static struct host **host_slot(struct wh_fetcher *f, const char *key)
{
    uint64_t h = wh_hash64(key, strlen(key));
    struct host **pp = &f->table[h % f->nbuckets].head;

    while (*pp != NULL && strcmp((*pp)->key, key) != 0) {
        pp = &(*pp)->hnext;
    }
    return pp;
}

static void table_grow(struct wh_fetcher *f)
{
    size_t n = f->nbuckets * 2;
    struct bucket *t = wh_xcalloc(n, sizeof(*t));
    size_t i;

    for (i = 0; i < f->nbuckets; i++) {
        struct host *h = f->table[i].head;

        while (h != NULL) {
            struct host *next = h->hnext;
            uint64_t hv = wh_hash64(h->key, strlen(h->key));

            h->hnext = t[hv % n].head;
            t[hv % n].head = h;
            h = next;
        }
    }
    free(f->table);
    f->table = t;
    f->nbuckets = n;
}

static struct host *host_get(struct wh_fetcher *f, const char *key)
{
    struct host **pp = host_slot(f, key);
    struct host *h;

    if (*pp != NULL) {
        return *pp;
    }
    h = wh_xcalloc(1, sizeof(*h));
    h->key = wh_xstrdup(key);
    h->robots_state = f->robots_off ? ROBOTS_READY : ROBOTS_NONE;
    h->robots_gen = 1; /* xfers start at 0: "not checked" */
    h->robots_expiry = INFINITY;
    *pp = h;
    f->nhosts++;
    if (f->nhosts > f->nbuckets * 2) {
        table_grow(f);
    }
    return h;
}

static void waiting_add(struct wh_fetcher *f, struct host *h)
{
    if (h->waiting) {
        return;
    }
    h->waiting = 1;
    h->wnext = NULL;
    h->wprev = f->wtail;
    if (f->wtail != NULL) {
        f->wtail->wnext = h;
    } else {
        f->whead = h;
    }
    f->wtail = h;
}

static void waiting_remove(struct wh_fetcher *f, struct host *h)
{
    if (!h->waiting) {
        return;
    }
    if (h->wprev != NULL) {
        h->wprev->wnext = h->wnext;
    } else {
        f->whead = h->wnext;
    }
    if (h->wnext != NULL) {
        h->wnext->wprev = h->wprev;
    } else {
        f->wtail = h->wprev;
    }
    h->wprev = NULL;
    h->wnext = NULL;
    h->waiting = 0;
}

/* ---- URLs ------------------------------------------------------------- */

/* Splits an absolute http(s) URL into its host key ("scheme://host:port",
 * lower-case) and its path with query. Returns WH_OK or WH_EINVAL with
 * errstr filled. */
static int url_split(const char *url, char **key, char **path, char *errstr,
                     size_t errstr_size)
{
    CURLU *u = curl_url();
    char *scheme = NULL;
    char *hostname = NULL;
    char *port = NULL;
    char *p = NULL;
    char *query = NULL;
    CURLUcode uc;
    int rc = WH_EINVAL;
    size_t i;

    *key = NULL;
    *path = NULL;
    WH_ASSERT(u != NULL);
    uc = curl_url_set(u, CURLUPART_URL, url, 0);
    if (uc != CURLUE_OK) {
        snprintf(errstr, errstr_size, "bad URL '%.200s': %s", url,
                 curl_url_strerror(uc));
        goto out;
    }
    if (curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) != CURLUE_OK ||
        (strcasecmp(scheme, "http") != 0 && strcasecmp(scheme, "https") != 0)) {
        snprintf(errstr, errstr_size,
                 "URL '%.200s' refused: http and https only", url);
        goto out;
    }
    if (curl_url_get(u, CURLUPART_HOST, &hostname, 0) != CURLUE_OK ||
        hostname[0] == '\0') {
        snprintf(errstr, errstr_size, "bad URL '%.200s': no host", url);
        goto out;
    }
    if (curl_url_get(u, CURLUPART_PORT, &port, CURLU_DEFAULT_PORT) !=
        CURLUE_OK) {
        snprintf(errstr, errstr_size, "bad URL '%.200s': no port", url);
        goto out;
    }
    (void)curl_url_get(u, CURLUPART_PATH, &p, 0);
    (void)curl_url_get(u, CURLUPART_QUERY, &query, 0);
    *key = wh_xasprintf("%s://%s:%s", scheme, hostname, port);
    for (i = 0; (*key)[i] != '\0'; i++) {
        (*key)[i] = (char)tolower((unsigned char)(*key)[i]);
    }
    *path = wh_xasprintf("%s%s%s", p != NULL && p[0] != '\0' ? p : "/",
                         query != NULL ? "?" : "", query != NULL ? query : "");
    rc = WH_OK;
out:
    curl_free(scheme);
    curl_free(hostname);
    curl_free(port);
    curl_free(p);
    curl_free(query);
    curl_url_cleanup(u);
    return rc;
}

/* ---- results ---------------------------------------------------------- */

void wh_fetch_result_free(struct wh_fetch_result *res)
{
    if (res == NULL) {
        return;
    }
    free(res->body);
    free(res->content_type);
    free(res->final_url);
    free(res->url);
    free(res->etag);
    free(res->last_modified);
    memset(res, 0, sizeof(*res));
}

static void xfer_free(struct xfer *x)
{
    if (x == NULL) {
        return;
    }
    free(x->hop_url);
    free(x->path);
    free(x->etag);
    free(x->last_modified);
    curl_slist_free_all(x->hdrs);
    wh_buf_free(&x->body);
    wh_fetch_result_free(&x->res);
    free(x);
}

static void done_push(struct wh_fetcher *f, struct xfer *x)
{
    x->next = NULL;
    if (f->dtail != NULL) {
        f->dtail->next = x;
    } else {
        f->dhead = x;
    }
    f->dtail = x;
}

/* Ends a request without (more) transfer: outcome, rc and message. */
static void finish(struct wh_fetcher *f, struct xfer *x, int outcome, int rc,
                   const char *fmt, ...) __attribute__((format(printf, 5, 6)));

static void finish(struct wh_fetcher *f, struct xfer *x, int outcome, int rc,
                   const char *fmt, ...)
{
    va_list ap;

    x->res.outcome = outcome;
    x->res.rc = rc;
    if (fmt != NULL) {
        va_start(ap, fmt);
        vsnprintf(x->res.error, sizeof(x->res.error), fmt, ap);
        va_end(ap);
    }
    if (x->res.final_url == NULL && x->hop_url != NULL) {
        x->res.final_url = wh_xstrdup(x->hop_url);
    }
    x->res.seconds = wh_now_s() - x->submitted;
    if (x->kind == KIND_ROBOTS) {
        /* a robots.txt fetch that could not even start: the host counts
         * it as unreachable */
        struct host *h = x->host;

        wh_robots_free(h->robots);
        h->robots = wh_robots_new_all(0);
        h->robots_gen++;
        h->robots_expiry = wh_now_s() + (double)ROBOTS_RETRY_S;
        h->robots_outcome = WH_FETCH_ROBOTS;
        snprintf(h->robots_error, sizeof(h->robots_error),
                 "%s/robots.txt: %.150s", h->key, x->res.error);
        h->robots_state = ROBOTS_READY;
        xfer_free(x);
        return;
    }
    done_push(f, x);
}

/* ---- queueing --------------------------------------------------------- */

/* Puts x (hop_url set) in the queue of its host; front != 0 puts it
 * first. Returns WH_OK or WH_EINVAL with errstr filled (bad URL). */
static int enqueue(struct wh_fetcher *f, struct xfer *x, int front,
                   char *errstr, size_t errstr_size)
{
    char *key = NULL;
    struct host *h;

    free(x->path);
    x->path = NULL;
    x->allowed_gen = 0;
    if (url_split(x->hop_url, &key, &x->path, errstr, errstr_size) != WH_OK) {
        return WH_EINVAL;
    }
    h = host_get(f, key);
    free(key);
    x->host = h;
    if (front) {
        x->next = h->qhead;
        h->qhead = x;
        if (h->qtail == NULL) {
            h->qtail = x;
        }
    } else {
        x->next = NULL;
        if (h->qtail != NULL) {
            h->qtail->next = x;
        } else {
            h->qhead = x;
        }
        h->qtail = x;
    }
    waiting_add(f, h);
    return WH_OK;
}

static struct xfer *xfer_new(struct wh_fetcher *f, int kind, const char *url)
{
    struct xfer *x = wh_xcalloc(1, sizeof(*x));

    x->f = f;
    x->kind = kind;
    x->hop_url = wh_xstrdup(url);
    x->res.url = wh_xstrdup(url);
    x->submitted = wh_now_s();
    return x;
}

int wh_fetcher_submit(struct wh_fetcher *f, const struct wh_fetch_req *req,
                      char *errstr, size_t errstr_size)
{
    struct xfer *x;

    if (req == NULL || req->url == NULL) {
        snprintf(errstr, errstr_size, "no URL");
        return WH_EINVAL;
    }
    x = xfer_new(f, KIND_USER, req->url);
    x->res.opaque = req->opaque;
    x->tls_insecure = req->tls_insecure;
    if (req->etag != NULL && req->etag[0] != '\0') {
        x->etag = wh_xstrdup(req->etag);
    }
    if (req->last_modified != NULL && req->last_modified[0] != '\0') {
        x->last_modified = wh_xstrdup(req->last_modified);
    }
    if (enqueue(f, x, 0, errstr, errstr_size) != WH_OK) {
        xfer_free(x);
        return WH_EINVAL;
    }
    f->pending++;
    return WH_OK;
}

size_t wh_fetcher_pending(const struct wh_fetcher *f)
{
    return f->pending;
}

/* ---- curl callbacks --------------------------------------------------- */

static curl_off_t wire_bytes(CURL *easy)
{
    curl_off_t n = 0;

    if (curl_easy_getinfo(easy, CURLINFO_SIZE_DOWNLOAD_T, &n) != CURLE_OK) {
        return 0;
    }
    return n;
}

/* Non-zero when the answer being received has a Content-Encoding (so the
 * write callback sees more bytes than the wire carried). */
static int content_encoded(CURL *easy)
{
    struct curl_header *hd = NULL;

    if (curl_easy_header(easy, "Content-Encoding", 0, CURLH_HEADER, -1, &hd) !=
            CURLHE_OK ||
        hd == NULL || hd->value == NULL) {
        return 0;
    }
    return hd->value[0] != '\0' && strcasecmp(hd->value, "identity") != 0;
}

/* Sees the body after content decoding. */
static size_t on_data(char *ptr, size_t size, size_t nmemb, void *userdata)
{
    struct xfer *x = userdata;
    size_t n = size * nmemb;
    curl_off_t wire = wire_bytes(x->easy);
    size_t wire_max =
        x->kind == KIND_ROBOTS ? ROBOTS_MAX_BYTES : x->f->max_bytes;

    if (wire > (curl_off_t)wire_max) {
        x->abort_why = x->kind == KIND_ROBOTS ? ABORT_ROBOTS : ABORT_WIRE;
        return 0; /* aborts the transfer with CURLE_WRITE_ERROR */
    }
    if (wh_buf_append(&x->body, ptr, n) != WH_OK) {
        x->wire_at_abort = wire;
        if (x->kind == KIND_ROBOTS) {
            x->abort_why = ABORT_ROBOTS;
        } else if (content_encoded(x->easy) &&
                   (curl_off_t)(x->body.len + n) > wire) {
            x->abort_why = ABORT_BOMB; /* decoding made it grow */
        } else {
            x->abort_why = ABORT_DECODED;
        }
        return 0;
    }
    return n;
}

/* Sees the bytes on the wire even when decoding yields nothing. */
static int on_progress(void *clientp, curl_off_t dltotal, curl_off_t dlnow,
                       curl_off_t ultotal, curl_off_t ulnow)
{
    struct xfer *x = clientp;
    size_t wire_max =
        x->kind == KIND_ROBOTS ? ROBOTS_MAX_BYTES : x->f->max_bytes;

    (void)dltotal;
    (void)ultotal;
    (void)ulnow;
    if (dlnow > (curl_off_t)wire_max) {
        x->abort_why = x->kind == KIND_ROBOTS ? ABORT_ROBOTS : ABORT_WIRE;
        return 1;
    }
    return 0;
}

/* The SSRF guard: every socket curl opens for this transfer, redirects
 * and the second address family of happy eyeballs included. */
static curl_socket_t on_open_socket(void *clientp, curlsocktype purpose,
                                    struct curl_sockaddr *address)
{
    struct xfer *x = clientp;
    char text[64];
    int fd;

    (void)purpose;
    if (!wh_ssrf_check(&x->f->ssrf, &address->addr, (size_t)address->addrlen,
                       text, sizeof(text))) {
        x->refused = 1;
        snprintf(x->refused_addr, sizeof(x->refused_addr), "%s", text);
        wh_debug(TAG, "%s: address %s refused by the SSRF guard", x->hop_url,
                 text);
        return CURL_SOCKET_BAD;
    }
    fd = socket(address->family, address->socktype | SOCK_CLOEXEC,
                address->protocol);
    return fd >= 0 ? (curl_socket_t)fd : CURL_SOCKET_BAD;
}

/* ---- starting transfers ----------------------------------------------- */

static CURLcode setup(struct wh_fetcher *f, struct xfer *x)
{
    CURL *c = x->easy;
    CURLcode cc = CURLE_OK;
    int robots = x->kind == KIND_ROBOTS;

#define SET(opt, val)                                                          \
    do {                                                                       \
        if (cc == CURLE_OK) {                                                  \
            cc = curl_easy_setopt(c, opt, val);                                \
        }                                                                      \
    } while (0)
    SET(CURLOPT_URL, x->hop_url);
    SET(CURLOPT_PRIVATE, x);
    SET(CURLOPT_PROTOCOLS_STR, "http,https");
    SET(CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
    SET(CURLOPT_NOSIGNAL, 1L);
    SET(CURLOPT_ERRORBUFFER, x->curl_err);
    SET(CURLOPT_WRITEFUNCTION, on_data);
    SET(CURLOPT_WRITEDATA, x);
    SET(CURLOPT_NOPROGRESS, 0L);
    SET(CURLOPT_XFERINFOFUNCTION, on_progress);
    SET(CURLOPT_XFERINFODATA, x);
    SET(CURLOPT_OPENSOCKETFUNCTION, on_open_socket);
    SET(CURLOPT_OPENSOCKETDATA, x);
    SET(CURLOPT_PROXY, f->proxy != NULL ? f->proxy : "");
    SET(CURLOPT_MAXFILESIZE_LARGE,
        (curl_off_t)(robots ? ROBOTS_MAX_BYTES * 64 : f->max_bytes));
    SET(CURLOPT_CONNECTTIMEOUT_MS, f->connect_timeout_ms);
    SET(CURLOPT_TIMEOUT_MS, f->timeout_ms);
    SET(CURLOPT_LOW_SPEED_LIMIT, f->low_speed_limit);
    SET(CURLOPT_LOW_SPEED_TIME, f->low_speed_time_s);
    SET(CURLOPT_ACCEPT_ENCODING, "");
    SET(CURLOPT_USERAGENT, f->user_agent);
    SET(CURLOPT_SSL_VERIFYPEER, x->tls_insecure ? 0L : 1L);
    SET(CURLOPT_SSL_VERIFYHOST, x->tls_insecure ? 0L : 2L);
    if (f->resolve != NULL && !f->resolve_loaded) {
        /* loaded into the multi handle's DNS cache as permanent entries
         * when this transfer starts: later transfers find them there
         * without curl parsing the whole list again each time */
        SET(CURLOPT_RESOLVE, f->resolve);
        f->resolve_loaded = cc == CURLE_OK;
    }
    if (robots) {
        /* robots.txt: curl follows its redirects (RFC 9309: at least
         * five); the guard still sees every socket. */
        SET(CURLOPT_FOLLOWLOCATION, 1L);
        SET(CURLOPT_MAXREDIRS, ROBOTS_MAX_REDIRECTS);
    } else {
        SET(CURLOPT_FOLLOWLOCATION, 0L);
    }
    if (x->hdrs != NULL) {
        SET(CURLOPT_HTTPHEADER, x->hdrs);
    }
#undef SET
    return cc;
}

static CURL *easy_get(struct wh_fetcher *f)
{
    CURL *c;

    if (f->nidle > 0) {
        return f->idle[--f->nidle];
    }
    c = curl_easy_init();
    WH_ASSERT(c != NULL);
    return c;
}

static void easy_put(struct wh_fetcher *f, CURL *c)
{
    if (f->nidle < (size_t)f->max_total) {
        curl_easy_reset(c);
        f->idle[f->nidle++] = c;
    } else {
        curl_easy_cleanup(c);
    }
}

static void active_add(struct wh_fetcher *f, struct xfer *x)
{
    x->aprev = NULL;
    x->anext = f->active;
    if (f->active != NULL) {
        f->active->aprev = x;
    }
    f->active = x;
    f->nactive++;
    x->host->active++;
}

static void active_remove(struct wh_fetcher *f, struct xfer *x)
{
    if (x->aprev != NULL) {
        x->aprev->anext = x->anext;
    } else {
        f->active = x->anext;
    }
    if (x->anext != NULL) {
        x->anext->aprev = x->aprev;
    }
    x->aprev = NULL;
    x->anext = NULL;
    f->nactive--;
    x->host->active--;
}

/* Starts x (taken off its host queue). On failure x is finished. */
static void start(struct wh_fetcher *f, struct xfer *x)
{
    CURLcode cc;
    CURLMcode mc;

    curl_slist_free_all(x->hdrs);
    x->hdrs = NULL;
    if (x->etag != NULL) {
        char *h = wh_xasprintf("If-None-Match: %s", x->etag);

        x->hdrs = curl_slist_append(x->hdrs, h);
        free(h);
        WH_ASSERT(x->hdrs != NULL);
    }
    if (x->last_modified != NULL) {
        char *h = wh_xasprintf("If-Modified-Since: %s", x->last_modified);
        struct curl_slist *l = curl_slist_append(x->hdrs, h);

        free(h);
        WH_ASSERT(l != NULL);
        x->hdrs = l;
    }
    wh_buf_free(&x->body);
    wh_buf_init(&x->body,
                x->kind == KIND_ROBOTS ? ROBOTS_MAX_BYTES : x->f->max_decoded);
    x->abort_why = ABORT_NONE;
    x->wire_at_abort = 0;
    x->refused = 0;
    x->curl_err[0] = '\0';
    x->easy = easy_get(f);
    cc = setup(f, x);
    if (cc != CURLE_OK) {
        easy_put(f, x->easy);
        x->easy = NULL;
        finish(f, x, WH_FETCH_ERROR, WH_EINVAL, "curl: %s",
               curl_easy_strerror(cc));
        return;
    }
    mc = curl_multi_add_handle(f->multi, x->easy);
    if (mc != CURLM_OK) {
        easy_put(f, x->easy);
        x->easy = NULL;
        finish(f, x, WH_FETCH_ERROR, WH_EIO, "curl: %s",
               curl_multi_strerror(mc));
        return;
    }
    active_add(f, x);
}

/* Queues the fetch of the host's robots.txt in front of its queue. */
static void robots_start(struct wh_fetcher *f, struct host *h)
{
    char *url = wh_xasprintf("%s/robots.txt", h->key);
    struct xfer *x = xfer_new(f, KIND_ROBOTS, url);

    free(url);
    x->host = h;
    x->path = wh_xstrdup("/robots.txt");
    x->next = h->qhead;
    h->qhead = x;
    if (h->qtail == NULL) {
        h->qtail = x;
    }
    h->robots_state = ROBOTS_FETCHING;
}

static long ceil_s(double s)
{
    return s <= 0 ? 0 : (long)ceil(s);
}

/* Takes the queue head of h off and returns it. */
static struct xfer *queue_pop(struct host *h)
{
    struct xfer *x = h->qhead;

    h->qhead = x->next;
    if (h->qhead == NULL) {
        h->qtail = NULL;
    }
    x->next = NULL;
    return x;
}

/* Starts what may start on h at time t. Returns the time h could start
 * its next request when only its delay holds it back, else INFINITY. */
static double schedule_host(struct wh_fetcher *f, struct host *h, double t)
{
    while (h->qhead != NULL) {
        struct xfer *x = h->qhead;
        long delay_ms;

        if (x->kind == KIND_USER && h->pause_until > t) {
            x = queue_pop(h);
            x->res.retry_after_s = ceil_s(h->pause_until - t);
            finish(f, x, WH_FETCH_RETRY_AFTER, WH_RETRY,
                   "%s asked to wait (Retry-After): %ld s left", h->key,
                   x->res.retry_after_s);
            continue;
        }
        if (x->kind == KIND_USER && !f->robots_off) {
            if (h->robots_state == ROBOTS_READY && t >= h->robots_expiry) {
                h->robots_state = ROBOTS_NONE;
            }
            if (h->robots_state == ROBOTS_NONE) {
                robots_start(f, h);
                continue;
            }
            if (h->robots_state == ROBOTS_FETCHING) {
                return INFINITY;
            }
            if (h->robots_outcome != WH_FETCH_OK) {
                x = queue_pop(h);
                if (h->robots_outcome == WH_FETCH_ROBOTS) {
                    x->res.retry_after_s = ceil_s(h->robots_expiry - t);
                }
                finish(f, x, h->robots_outcome,
                       h->robots_outcome == WH_FETCH_REFUSED ? WH_EINVAL
                                                             : WH_RETRY,
                       "%s", h->robots_error);
                continue;
            }
            if (x->allowed_gen != h->robots_gen &&
                !wh_robots_allowed(h->robots, x->path)) {
                x = queue_pop(h);
                finish(f, x, WH_FETCH_ROBOTS, WH_EIO,
                       "disallowed by %s/robots.txt", h->key);
                continue;
            }
            /* checked once per rule set, not on every scan while the
             * request waits for its host's delay */
            x->allowed_gen = h->robots_gen;
        }
        if (h->active >= f->max_per_host || f->nactive >= f->max_total) {
            return INFINITY;
        }
        if (t < h->next_start) {
            return h->next_start;
        }
        x = queue_pop(h);
        delay_ms = f->host_delay_ms;
        if (h->robots != NULL) {
            long cd = wh_robots_crawl_delay_ms(h->robots);

            if (cd > f->max_crawl_delay_ms) {
                cd = f->max_crawl_delay_ms;
            }
            if (cd > delay_ms) {
                delay_ms = cd;
            }
        }
        h->next_start = t + (double)delay_ms / 1000.0;
        start(f, x);
    }
    return INFINITY;
}

/* Forgets the hosts nothing refers to any more whose robots.txt expired
 * (or that need none) and whose delay and pause are long over, so that
 * the table holds the hosts of about one robots_ttl_s, not of the whole
 * run. Called now and then from schedule(). */
static void sweep(struct wh_fetcher *f, double t)
{
    size_t i;

    for (i = 0; i < f->nbuckets; i++) {
        struct host **pp = &f->table[i].head;

        while (*pp != NULL) {
            struct host *h = *pp;
            int idle = h->qhead == NULL && h->active == 0 && !h->waiting &&
                       h->robots_state != ROBOTS_FETCHING &&
                       t > h->next_start + SWEEP_IDLE_S &&
                       t > h->pause_until + SWEEP_IDLE_S &&
                       (f->robots_off || t >= h->robots_expiry);

            if (!idle) {
                pp = &h->hnext;
                continue;
            }
            *pp = h->hnext;
            wh_robots_free(h->robots);
            free(h->key);
            free(h);
            f->nhosts--;
        }
    }
}

/* Starts what politeness allows. Returns the earliest time a host held
 * back only by its delay may start (INFINITY when none). */
static double schedule(struct wh_fetcher *f)
{
    double t = wh_now_s();
    double wake = INFINITY;
    struct host *h;
    struct host *last;

    if (t >= f->next_sweep) {
        sweep(f, t);
        f->next_sweep = t + SWEEP_EVERY_S;
    }
    h = f->whead;
    last = f->wtail;
    while (h != NULL) {
        struct host *next = h->wnext;
        int started = f->nactive;
        int was_last = h == last;
        double w;

        if (f->nactive >= f->max_total) {
            break;
        }
        w = schedule_host(f, h, t);
        if (w < wake) {
            wake = w;
        }
        if (h->qhead == NULL) {
            waiting_remove(f, h);
        } else if (f->nactive > started && h != f->wtail) {
            /* round robin: a host that got a slot goes to the back, so
             * hosts with long queues cannot starve the others when
             * max_total is the limit */
            waiting_remove(f, h);
            waiting_add(f, h);
        }
        if (was_last) {
            break; /* each host once per pass */
        }
        h = next;
    }
    return wake;
}

/* ---- completion ------------------------------------------------------- */

static char *header_value(CURL *easy, const char *name)
{
    struct curl_header *hd = NULL;

    if (curl_easy_header(easy, name, 0, CURLH_HEADER, -1, &hd) != CURLHE_OK ||
        hd == NULL || hd->value == NULL) {
        return NULL;
    }
    return wh_xstrdup(hd->value);
}

/* Seconds of a Retry-After value (delta-seconds or an HTTP date), capped;
 * 0 when absent or unreadable. */
static long parse_retry_after(const char *v, long cap)
{
    long s = 0;

    if (v == NULL) {
        return 0;
    }
    while (isspace((unsigned char)*v)) {
        v++;
    }
    if (isdigit((unsigned char)*v)) {
        char *end;
        long long n = strtoll(v, &end, 10);

        while (isspace((unsigned char)*end)) {
            end++;
        }
        if (*end == '\0' && n >= 0) {
            s = n > cap ? cap : (long)n;
        }
    } else {
        time_t when = curl_getdate(v, NULL);

        if (when != (time_t)-1) {
            double d = difftime(when, time(NULL));

            s = d <= 0 ? 0 : d > (double)cap ? cap : (long)ceil(d);
        }
    }
    return s;
}

/* How long a robots.txt answer may be cached: max-age, else Expires, else
 * the configured TTL, within [ROBOTS_MIN_TTL_S, robots_ttl_s]. */
static long robots_ttl(struct wh_fetcher *f, CURL *easy)
{
    char *cc = header_value(easy, "Cache-Control");
    char *exp = NULL;
    long ttl = f->robots_ttl_s;
    const char *p;

    p = cc != NULL ? strcasestr(cc, "max-age=") : NULL;
    if (p != NULL) {
        long long n = strtoll(p + 8, NULL, 10);

        ttl = n < 0 ? 0 : n > f->robots_ttl_s ? f->robots_ttl_s : (long)n;
    } else {
        exp = header_value(easy, "Expires");
        if (exp != NULL) {
            time_t when = curl_getdate(exp, NULL);

            ttl = when == (time_t)-1 ? 0 : (long)difftime(when, time(NULL));
        }
    }
    free(cc);
    free(exp);
    if (ttl < ROBOTS_MIN_TTL_S) {
        ttl = ROBOTS_MIN_TTL_S;
    }
    if (ttl > f->robots_ttl_s) {
        ttl = f->robots_ttl_s;
    }
    return ttl;
}

/* The reason a transfer failed (cc != CURLE_OK), into x->res. */
static void classify_error(struct wh_fetcher *f, struct xfer *x, CURLcode cc)
{
    const char *why =
        x->curl_err[0] != '\0' ? x->curl_err : curl_easy_strerror(cc);

    if (x->refused && cc != CURLE_OPERATION_TIMEDOUT) {
        finish(f, x, WH_FETCH_REFUSED, WH_EINVAL,
               "address %s refused by the SSRF guard", x->refused_addr);
    } else if (x->abort_why == ABORT_BOMB) {
        finish(f, x, WH_FETCH_TOO_BIG, WH_E2BIG,
               "decompressed body larger than %zu bytes: decompression "
               "bomb refused (%lld bytes on the wire)",
               f->max_decoded, (long long)x->wire_at_abort);
    } else if (x->abort_why == ABORT_DECODED) {
        finish(f, x, WH_FETCH_TOO_BIG, WH_E2BIG, "body larger than %zu bytes",
               f->max_decoded);
    } else if (x->abort_why == ABORT_WIRE || cc == CURLE_FILESIZE_EXCEEDED) {
        finish(f, x, WH_FETCH_TOO_BIG, WH_E2BIG, "body larger than %zu bytes",
               f->max_bytes);
    } else if (cc == CURLE_OPERATION_TIMEDOUT) {
        finish(f, x, WH_FETCH_TIMEOUT, WH_ETIMEDOUT, "%s", why);
    } else if (cc == CURLE_UNSUPPORTED_PROTOCOL) {
        finish(f, x, WH_FETCH_REFUSED, WH_EINVAL, "%s", why);
    } else {
        finish(f, x, WH_FETCH_ERROR, WH_EIO, "%s", why);
    }
}

/* A robots.txt fetch ended: sets the host's rules. */
static void robots_done(struct wh_fetcher *f, struct xfer *x, CURLcode cc,
                        long status)
{
    struct host *h = x->host;
    double t = wh_now_s();
    int ok_body = cc == CURLE_OK || x->abort_why == ABORT_ROBOTS;

    wh_robots_free(h->robots);
    h->robots = NULL;
    h->robots_gen++;
    h->robots_outcome = WH_FETCH_OK;
    h->robots_error[0] = '\0';
    if (ok_body && status >= 200 && status < 300) {
        h->robots = wh_robots_parse(x->body.data != NULL ? x->body.data : "",
                                    x->body.len, f->agent);
        h->robots_expiry = t + (double)robots_ttl(f, x->easy);
        if (wh_robots_crawl_delay_ms(h->robots) > 0) {
            /* the delay counts from the robots.txt request itself */
            long cd = wh_robots_crawl_delay_ms(h->robots);
            double next = x->submitted + (double)(cd > f->max_crawl_delay_ms
                                                      ? f->max_crawl_delay_ms
                                                      : cd) /
                                             1000.0;

            if (next > h->next_start) {
                h->next_start = next;
            }
        }
        wh_debug(TAG, "%s/robots.txt: %zu rules for us, crawl-delay %ld ms",
                 h->key, wh_robots_nrules(h->robots),
                 wh_robots_crawl_delay_ms(h->robots));
    } else if (ok_body && status >= 400 && status < 500 && status != 429) {
        /* "unavailable": no restrictions (RFC 9309 2.3.1.3) */
        h->robots = wh_robots_new_all(1);
        h->robots_expiry = t + (double)f->robots_ttl_s;
    } else {
        /* "unreachable": assume complete disallow (2.3.1.4), try again
         * in a few minutes */
        h->robots = wh_robots_new_all(0);
        h->robots_expiry = t + (double)ROBOTS_RETRY_S;
        if (x->refused && cc != CURLE_OK) {
            h->robots_outcome = WH_FETCH_REFUSED;
            snprintf(h->robots_error, sizeof(h->robots_error),
                     "address %s refused by the SSRF guard", x->refused_addr);
        } else {
            h->robots_outcome = WH_FETCH_ROBOTS;
            if (cc != CURLE_OK) {
                snprintf(h->robots_error, sizeof(h->robots_error),
                         "%s/robots.txt unreachable: %.120s", h->key,
                         x->curl_err[0] != '\0' ? x->curl_err
                                                : curl_easy_strerror(cc));
            } else {
                snprintf(h->robots_error, sizeof(h->robots_error),
                         "%s/robots.txt unreachable: HTTP %ld", h->key, status);
            }
        }
        wh_info(TAG, "%s", h->robots_error);
    }
    h->robots_state = ROBOTS_READY;
    if (h->qhead != NULL) {
        waiting_add(f, h);
    }
}

/* A hop answered 3xx: queues the next one, or finishes x. */
static void redirect(struct wh_fetcher *f, struct xfer *x, long status)
{
    char *target = NULL;
    char errstr[256];

    (void)curl_easy_getinfo(x->easy, CURLINFO_REDIRECT_URL, &target);
    if (target == NULL || target[0] == '\0') {
        finish(f, x, WH_FETCH_HTTP_ERROR, WH_EIO, "HTTP %ld without a Location",
               status);
        return;
    }
    if (f->max_redirects < 0) {
        finish(f, x, WH_FETCH_HTTP_ERROR, WH_EIO,
               "HTTP %ld to %.160s (redirects not followed)", status, target);
        return;
    }
    if (x->res.redirects >= f->max_redirects) {
        finish(f, x, WH_FETCH_ERROR, WH_EIO,
               "redirect limit (%ld) reached at %.160s", f->max_redirects,
               x->hop_url);
        return;
    }
    target = wh_xstrdup(target);
    free(x->hop_url);
    x->hop_url = target;
    x->res.redirects++;
    free(x->res.final_url);
    x->res.final_url = NULL;
    if (enqueue(f, x, 0, errstr, sizeof(errstr)) != WH_OK) {
        finish(f, x, WH_FETCH_REFUSED, WH_EINVAL, "redirect: %s", errstr);
    }
}

/* A transfer in the multi handle ended with cc. */
static void complete(struct wh_fetcher *f, struct xfer *x, CURLcode cc)
{
    long status = 0;
    char *info = NULL;
    CURL *easy = x->easy;

    (void)curl_multi_remove_handle(f->multi, easy);
    active_remove(f, x);
    (void)curl_easy_getinfo(easy, CURLINFO_RESPONSE_CODE, &status);
    x->res.status = (int)status;
    if (x->kind == KIND_ROBOTS) {
        robots_done(f, x, cc, status);
        x->easy = NULL;
        easy_put(f, easy);
        xfer_free(x);
        return;
    }
    free(x->res.final_url);
    x->res.final_url = NULL;
    if (curl_easy_getinfo(easy, CURLINFO_EFFECTIVE_URL, &info) == CURLE_OK &&
        info != NULL) {
        x->res.final_url = wh_xstrdup(info);
    }
    info = NULL;
    free(x->res.content_type);
    x->res.content_type = NULL;
    if (curl_easy_getinfo(easy, CURLINFO_CONTENT_TYPE, &info) == CURLE_OK &&
        info != NULL) {
        x->res.content_type = wh_xstrdup(info);
    }
    if (cc != CURLE_OK) {
        classify_error(f, x, cc);
    } else if (status == 304) {
        x->res.etag = header_value(easy, "ETag");
        x->res.last_modified = header_value(easy, "Last-Modified");
        finish(f, x, WH_FETCH_UNCHANGED, WH_OK, NULL);
    } else if (status >= 300 && status < 400) {
        redirect(f, x, status);
    } else if (status == 429 || status == 503) {
        char *ra = header_value(easy, "Retry-After");
        long s = parse_retry_after(ra, f->max_retry_after_s);

        free(ra);
        x->res.retry_after_s = s;
        if (s > 0) {
            double until = wh_now_s() + (double)s;

            if (until > x->host->pause_until) {
                x->host->pause_until = until;
            }
        }
        finish(f, x, WH_FETCH_RETRY_AFTER, WH_RETRY,
               "HTTP %ld, retry after %ld s", status, s);
    } else if (status >= 200 && status < 300) {
        x->res.etag = header_value(easy, "ETag");
        x->res.last_modified = header_value(easy, "Last-Modified");
        x->res.len = x->body.len;
        x->res.body = wh_buf_steal(&x->body);
        finish(f, x, WH_FETCH_OK, WH_OK, NULL);
    } else {
        finish(f, x, WH_FETCH_HTTP_ERROR, WH_EIO, "HTTP %ld", status);
    }
    x->easy = NULL;
    easy_put(f, easy);
}

/* Handles the transfers curl finished; returns how many. */
static int collect(struct wh_fetcher *f)
{
    CURLMsg *msg;
    int left = 0;
    int n = 0;

    while ((msg = curl_multi_info_read(f->multi, &left)) != NULL) {
        struct xfer *x = NULL;

        if (msg->msg != CURLMSG_DONE) {
            continue;
        }
        (void)curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, &x);
        if (x == NULL) {
            /* not ours: every handle added carries its xfer */
            wh_err(TAG, "a transfer without its request; dropped");
            (void)curl_multi_remove_handle(f->multi, msg->easy_handle);
            continue;
        }
        complete(f, x, msg->data.result);
        n++;
    }
    return n;
}

/* Hands the finished requests to on_result (or wh_fetch()). */
static int deliver(struct wh_fetcher *f)
{
    int n = 0;

    while (f->dhead != NULL) {
        struct xfer *x = f->dhead;

        f->dhead = x->next;
        if (f->dhead == NULL) {
            f->dtail = NULL;
        }
        f->pending--;
        n++;
        if (x->sync != NULL) {
            *x->sync = x->res;
            memset(&x->res, 0, sizeof(x->res));
            *x->sync_done = 1;
        } else if (f->on_result != NULL) {
            f->on_result(&x->res, f->on_result_opaque);
        }
        xfer_free(x);
    }
    return n;
}

int wh_fetcher_run(struct wh_fetcher *f, int timeout_ms)
{
    double t0 = wh_now_s();
    int delivered = 0;

    for (;;) {
        double wake = schedule(f);
        int running = 0;
        int finished;
        CURLMcode mc = curl_multi_perform(f->multi, &running);
        double left;
        int wait_ms;

        if (mc != CURLM_OK) {
            wh_err(TAG, "curl_multi_perform: %s", curl_multi_strerror(mc));
            return WH_EIO;
        }
        finished = collect(f);
        delivered += deliver(f);
        if (delivered > 0) {
            /* callbacks may have submitted: start what can start */
            (void)schedule(f);
            (void)curl_multi_perform(f->multi, &running);
            return delivered;
        }
        left = (double)timeout_ms / 1000.0 - (wh_now_s() - t0);
        if (left <= 0) {
            return 0;
        }
        if (finished > 0) {
            /* freed slots, a robots.txt known, a redirect queued */
            continue;
        }
        if (f->dhead == NULL && wake - wh_now_s() < left) {
            left = wake - wh_now_s();
        }
        wait_ms = left <= 0 ? 0 : (int)ceil(left * 1000.0);
        mc = curl_multi_poll(f->multi, NULL, 0, wait_ms, NULL);
        if (mc != CURLM_OK) {
            wh_err(TAG, "curl_multi_poll: %s", curl_multi_strerror(mc));
            return WH_EIO;
        }
    }
}

/* ---- set-up ----------------------------------------------------------- */

struct wh_fetcher *wh_fetcher_new(const struct wh_fetch_opts *opts)
{
    struct wh_fetch_opts none;
    struct wh_fetcher *f = wh_xcalloc(1, sizeof(*f));
    const char *ua;
    size_t n = 0;
    size_t i;

    if (opts == NULL) {
        memset(&none, 0, sizeof(none));
        opts = &none;
    }
    f->multi = curl_multi_init();
    WH_ASSERT(f->multi != NULL);
    ua = opts->user_agent != NULL ? opts->user_agent : "wirehose/" WH_VERSION;
    f->user_agent = wh_xstrdup(ua);
    while (ua[n] != '\0' && ua[n] != '/' && !isspace((unsigned char)ua[n])) {
        n++;
    }
    f->agent = n > 0 ? wh_xstrndup(ua, n) : wh_xstrdup("wirehose");
    if (opts->proxy != NULL && opts->proxy[0] != '\0') {
        f->proxy = wh_xstrdup(opts->proxy);
    }
    for (i = 0; opts->resolve != NULL && opts->resolve[i] != NULL; i++) {
        struct curl_slist *l = curl_slist_append(f->resolve, opts->resolve[i]);

        WH_ASSERT(l != NULL);
        f->resolve = l;
    }
    f->max_bytes = opts->max_bytes > 0 ? opts->max_bytes : DEFAULT_MAX_BYTES;
    f->max_decoded =
        opts->max_decoded_bytes > 0 ? opts->max_decoded_bytes : f->max_bytes;
    f->connect_timeout_ms = opts->connect_timeout_ms > 0
                                ? opts->connect_timeout_ms
                                : DEFAULT_CONNECT_TIMEOUT_MS;
    f->timeout_ms =
        opts->timeout_ms > 0 ? opts->timeout_ms : DEFAULT_TIMEOUT_MS;
    f->max_redirects =
        opts->max_redirects != 0 ? opts->max_redirects : DEFAULT_MAX_REDIRECTS;
    f->low_speed_limit = opts->low_speed_limit > 0 ? opts->low_speed_limit
                                                   : DEFAULT_LOW_SPEED_LIMIT;
    f->low_speed_time_s = opts->low_speed_time_s > 0 ? opts->low_speed_time_s
                                                     : DEFAULT_LOW_SPEED_TIME_S;
    f->max_total = opts->max_total > 0 ? opts->max_total : DEFAULT_MAX_TOTAL;
    f->max_per_host =
        opts->max_per_host > 0 ? opts->max_per_host : DEFAULT_MAX_PER_HOST;
    f->host_delay_ms = opts->host_delay_ms > 0   ? opts->host_delay_ms
                       : opts->host_delay_ms < 0 ? 0
                                                 : DEFAULT_HOST_DELAY_MS;
    f->max_crawl_delay_ms =
        1000L * (opts->max_crawl_delay_s > 0 ? opts->max_crawl_delay_s
                                             : DEFAULT_MAX_CRAWL_DELAY_S);
    f->robots_off = opts->robots_off;
    f->robots_ttl_s =
        opts->robots_ttl_s > 0 ? opts->robots_ttl_s : DEFAULT_ROBOTS_TTL_S;
    if (f->robots_ttl_s < ROBOTS_MIN_TTL_S) {
        f->robots_ttl_s = ROBOTS_MIN_TTL_S;
    }
    f->max_retry_after_s = opts->max_retry_after_s > 0
                               ? opts->max_retry_after_s
                               : DEFAULT_MAX_RETRY_AFTER_S;
    f->on_result = opts->on_result;
    f->on_result_opaque = opts->on_result_opaque;
    f->nbuckets = 256;
    f->table = wh_xcalloc(f->nbuckets, sizeof(*f->table));
    f->idle = wh_xcalloc((size_t)f->max_total, sizeof(*f->idle));
    /* connections kept open for reuse: a few per running transfer */
    (void)curl_multi_setopt(f->multi, CURLMOPT_MAXCONNECTS,
                            (long)f->max_total * 2);
    return f;
}

static void queue_free(struct xfer *x)
{
    while (x != NULL) {
        struct xfer *next = x->next;

        xfer_free(x);
        x = next;
    }
}

void wh_fetcher_free(struct wh_fetcher *f)
{
    struct xfer *x;
    size_t i;

    if (f == NULL) {
        return;
    }
    x = f->active;
    while (x != NULL) {
        struct xfer *next = x->anext;

        (void)curl_multi_remove_handle(f->multi, x->easy);
        curl_easy_cleanup(x->easy);
        x->easy = NULL;
        xfer_free(x);
        x = next;
    }
    f->active = NULL;
    f->nactive = 0;
    queue_free(f->dhead);
    for (i = 0; i < f->nbuckets; i++) {
        struct host *h = f->table[i].head;

        while (h != NULL) {
            struct host *next = h->hnext;

            queue_free(h->qhead);
            wh_robots_free(h->robots);
            free(h->key);
            free(h);
            h = next;
        }
    }
    free(f->table);
    for (i = 0; i < f->nidle; i++) {
        curl_easy_cleanup(f->idle[i]);
    }
    free(f->idle);
    curl_multi_cleanup(f->multi);
    curl_slist_free_all(f->resolve);
    wh_ssrf_clear(&f->ssrf);
    free(f->user_agent);
    free(f->agent);
    free(f->proxy);
    free(f);
}

int wh_fetcher_allow(struct wh_fetcher *f, const char *cidr, char *errstr,
                     size_t errstr_size)
{
    struct wh_ssrf_cidr c;

    if (wh_ssrf_parse_cidr(cidr, &c, errstr, errstr_size) != WH_OK) {
        return WH_EINVAL;
    }
    wh_ssrf_allow(&f->ssrf, &c);
    return WH_OK;
}

/* ---- the blocking call ------------------------------------------------ */

static int x_had_validators(const char *etag, const char *last_modified)
{
    return (etag != NULL && etag[0] != '\0') ||
           (last_modified != NULL && last_modified[0] != '\0');
}

int wh_fetch(struct wh_fetcher *f, const char *url, int allow_file,
             struct wh_fetch_result *res, char *errstr, size_t errstr_size)
{
    return wh_fetch_conditional(f, url, allow_file, NULL, NULL, res, errstr,
                                errstr_size);
}

int wh_fetch_conditional(struct wh_fetcher *f, const char *url, int allow_file,
                         const char *etag, const char *last_modified,
                         struct wh_fetch_result *res, char *errstr,
                         size_t errstr_size)
{
    struct xfer *x;
    int done = 0;
    int rc;

    memset(res, 0, sizeof(*res));
    if (url == NULL) {
        snprintf(errstr, errstr_size, "no URL");
        return WH_EINVAL;
    }
    if (strncasecmp(url, "file://", 7) == 0) {
        if (!allow_file) {
            snprintf(errstr, errstr_size, "file:// URL refused here");
            return WH_EINVAL;
        }
        return wh_fetch_file(url, f->max_decoded, res, errstr, errstr_size);
    }
    x = xfer_new(f, KIND_USER, url);
    x->sync = res;
    x->sync_done = &done;
    if (etag != NULL && etag[0] != '\0') {
        x->etag = wh_xstrdup(etag);
    }
    if (last_modified != NULL && last_modified[0] != '\0') {
        x->last_modified = wh_xstrdup(last_modified);
    }
    if (enqueue(f, x, 0, errstr, errstr_size) != WH_OK) {
        xfer_free(x);
        return WH_EINVAL;
    }
    f->pending++;
    while (!done) {
        if (wh_fetcher_run(f, 1000) < 0) {
            /* the multi handle is broken: nothing will complete */
            snprintf(errstr, errstr_size, "curl multi loop failed");
            return WH_EIO;
        }
    }
    switch (res->outcome) {
    case WH_FETCH_OK:
        return WH_OK;
    case WH_FETCH_UNCHANGED:
        if (x_had_validators(etag, last_modified)) {
            return WH_OK; /* status 304, no body */
        }
        snprintf(errstr, errstr_size, "HTTP 304 to an unconditional GET");
        rc = WH_EIO;
        break;
    default:
        snprintf(errstr, errstr_size, "%s", res->error);
        rc = res->rc != WH_OK ? res->rc : WH_EIO;
        break;
    }
    {
        int kept = res->status;

        wh_fetch_result_free(res);
        res->status = kept;
    }
    return rc;
}

/* ---- local files ------------------------------------------------------ */

static int hexval(int c)
{
    if (c >= '0' && c <= '9') {
        return c - '0';
    }
    if (c >= 'a' && c <= 'f') {
        return c - 'a' + 10;
    }
    if (c >= 'A' && c <= 'F') {
        return c - 'A' + 10;
    }
    return -1;
}

/* The local path of a file:// URL ("file:///p" or "file://localhost/p"),
 * percent-decoded, query and fragment dropped; NULL when the URL names
 * another host or decodes to a NUL byte. */
static char *file_path(const char *url)
{
    const char *p = url + strlen("file://");
    char *path;
    size_t i = 0;

    if (strncasecmp(p, "localhost/", 10) == 0) {
        p += strlen("localhost");
    }
    if (*p != '/') {
        return NULL;
    }
    path = wh_xmalloc(strlen(p) + 1);
    for (; *p != '\0' && *p != '?' && *p != '#'; p++) {
        if (*p == '%') {
            int hi = hexval((unsigned char)p[1]);
            int lo = hi < 0 ? -1 : hexval((unsigned char)p[2]);

            if (hi < 0 || lo < 0 || (hi == 0 && lo == 0)) {
                free(path);
                return NULL;
            }
            path[i++] = (char)(hi * 16 + lo);
            p += 2;
        } else {
            path[i++] = *p;
        }
    }
    path[i] = '\0';
    return path;
}

int wh_fetch_file(const char *url, size_t max_bytes,
                  struct wh_fetch_result *res, char *errstr, size_t errstr_size)
{
    struct wh_buf b;
    struct stat st;
    char *path = NULL;
    char chunk[65536];
    int fd = -1;
    int rc = WH_EIO;

    memset(res, 0, sizeof(*res));
    if (max_bytes == 0) {
        max_bytes = DEFAULT_MAX_BYTES;
    }
    wh_buf_init(&b, max_bytes);
    if (url == NULL || strncasecmp(url, "file://", 7) != 0) {
        snprintf(errstr, errstr_size, "not a file:// URL");
        rc = WH_EINVAL;
        goto out;
    }
    path = file_path(url);
    if (path == NULL) {
        snprintf(errstr, errstr_size,
                 "bad file URL (only file:///path is supported)");
        rc = WH_EINVAL;
        goto out;
    }
    fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
    if (fd < 0) {
        snprintf(errstr, errstr_size, "%s: %s", path, strerror(errno));
        goto out;
    }
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        snprintf(errstr, errstr_size, "%s: not a regular file", path);
        goto out;
    }
    for (;;) {
        ssize_t n = read(fd, chunk, sizeof(chunk));

        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n < 0) {
            snprintf(errstr, errstr_size, "%s: %s", path, strerror(errno));
            goto out;
        }
        if (n == 0) {
            break;
        }
        if (wh_buf_append(&b, chunk, (size_t)n) != WH_OK) {
            snprintf(errstr, errstr_size, "%s: larger than %zu bytes", path,
                     max_bytes);
            rc = WH_E2BIG;
            goto out;
        }
    }
    res->status = 0;
    res->outcome = WH_FETCH_OK;
    res->len = b.len;
    res->body = wh_buf_steal(&b);
    res->url = wh_xstrdup(url);
    res->final_url = wh_xstrdup(url);
    rc = WH_OK;
out:
    if (fd >= 0) {
        close(fd);
    }
    free(path);
    wh_buf_free(&b);
    return rc;
}

/* ---- small helpers ---------------------------------------------------- */

const char *wh_fetch_result_label(const struct wh_fetch_result *res, char *buf,
                                  size_t size)
{
    const char *word;

    switch (res->outcome) {
    case WH_FETCH_OK:
    case WH_FETCH_UNCHANGED:
    case WH_FETCH_RETRY_AFTER:
    case WH_FETCH_HTTP_ERROR:
        if (res->status > 0) {
            snprintf(buf, size, "%d", res->status);
            return buf;
        }
        word = "error";
        break;
    case WH_FETCH_ROBOTS:
        word = "robots";
        break;
    case WH_FETCH_REFUSED:
        word = "refused";
        break;
    case WH_FETCH_TOO_BIG:
        word = "too_big";
        break;
    case WH_FETCH_TIMEOUT:
        word = "timeout";
        break;
    default:
        word = "error";
        break;
    }
    snprintf(buf, size, "%s", word);
    return buf;
}

char *wh_fetch_charset(const char *content_type)
{
    const char *p;
    size_t n = 0;

    if (content_type == NULL) {
        return NULL;
    }
    for (p = strchr(content_type, ';'); p != NULL; p = strchr(p + 1, ';')) {
        const char *q = p + 1;

        while (*q == ' ' || *q == '\t') {
            q++;
        }
        if (strncasecmp(q, "charset=", 8) != 0) {
            continue;
        }
        q += 8;
        if (*q == '"') {
            q++;
        }
        while (q[n] != '\0' && q[n] != '"' && q[n] != ';' &&
               !isspace((unsigned char)q[n])) {
            n++;
        }
        return n > 0 ? wh_xstrndup(q, n) : NULL;
    }
    return NULL;
}
