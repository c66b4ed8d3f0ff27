/*
 * fetch.h - fetching one URL: http(s):// with libcurl's easy interface,
 * file:// read from the local disk.
 *
 * Deliberately small (URL in; status, body, content type, final URL out):
 * a fetcher on curl's multi interface with an SSRF guard replaces this
 * one behind the same calls.
 *
 * Thread-safety: call wh_fetch_global_init() once before any thread
 * starts; a struct wh_fetcher is used by one thread at a time.
 */
#ifndef WH_FETCH_H
#define WH_FETCH_H

#include <stddef.h>

struct wh_fetch_opts {
    const char *user_agent;  /* sent as User-Agent; NULL = libcurl's */
    size_t max_bytes;        /* largest body, after decompression;
                                0 = 16 MiB */
    long connect_timeout_ms; /* 0 = 10 s */
    long timeout_ms;         /* whole transfer; 0 = 30 s */
    long max_redirects;      /* 0 = 5; negative = follow none */
};

struct wh_fetch_result {
    int status; /* HTTP status; 0 for file://; 304 when
                   a conditional fetch found no change */
    char *body; /* NUL-terminated (NUL not in len) */
    size_t len;
    char *content_type; /* Content-Type header, or NULL */
    char *final_url;    /* after redirects */
    char *etag;         /* validators of the answer, or NULL */
    char *last_modified;
};

struct wh_fetcher;

/* Initializes libcurl. Call once per process, before any thread. */
void wh_fetch_global_init(void);
void wh_fetch_global_cleanup(void);

/* Creates a fetcher; opts is copied (its strings too). Never NULL. */
struct wh_fetcher *wh_fetcher_new(const struct wh_fetch_opts *opts);
void wh_fetcher_free(struct wh_fetcher *f);

/* Fetches url into *res (zeroed first; release it with
 * wh_fetch_result_free). Only http, https and file URLs are accepted,
 * redirects included, and file:// only when allow_file is non-zero.
 * Returns WH_OK for a 2xx answer or a readable file. Otherwise returns
 * WH_EIO (network, HTTP status >= 300, unreadable file), WH_E2BIG (body
 * over max_bytes), WH_ETIMEDOUT or WH_EINVAL (bad or refused URL), with
 * errstr filled ("HTTP 404", "connect timeout after 10000 ms", ...) and
 * res->status set when a status was received. */
int wh_fetch(struct wh_fetcher *f, const char *url, int allow_file,
             struct wh_fetch_result *res, char *errstr, size_t errstr_size);

/* wh_fetch() made conditional: sends If-None-Match: etag and
 * If-Modified-Since: last_modified when they are not NULL. Returns WH_OK
 * with res->status 304 and no body when the server says the document is
 * unchanged; otherwise as wh_fetch(). file:// URLs are always read. */
int wh_fetch_conditional(struct wh_fetcher *f, const char *url, int allow_file,
                         const char *etag, const char *last_modified,
                         struct wh_fetch_result *res, char *errstr,
                         size_t errstr_size);

/* Releases what wh_fetch() stored in res and zeroes it. */
void wh_fetch_result_free(struct wh_fetch_result *res);

/* The charset parameter of a Content-Type value ("text/html;
 * charset=ISO-8859-1" -> "ISO-8859-1"), as a new string; NULL when
 * absent. */
char *wh_fetch_charset(const char *content_type);

#endif
