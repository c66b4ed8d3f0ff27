/*
 * fetcher.h - many HTTP(S) transfers on one thread with libcurl's multi
 * interface, polite and hardened against hostile servers.
 *
 * Replaces producers/fetch.[ch] behind the same calls (the drop-in
 * wh_fetch() below blocks like the old one) and adds the asynchronous API
 * the scheduler uses:
 *
 *   wh_fetch_global_init();
 *   opts.on_result = done; opts.on_result_opaque = ctx; ...
 *   f = wh_fetcher_new(&opts);
 *   wh_fetcher_allow(f, "127.0.0.1/32", errstr, sizeof(errstr));  tests
 *   wh_fetcher_submit(f, &req, errstr, sizeof(errstr));  as sources fall due
 *   every main-loop turn:  wh_fetcher_run(f, 100);  -> done(res, ctx) ...
 *   wh_fetcher_free(f);  wh_fetch_global_cleanup();
 *
 * What every transfer gets:
 *   - politeness: at most max_per_host transfers at once per host (scheme,
 *     host and port), at least host_delay_ms between two request starts
 *     to a host (longer when its robots.txt says Crawl-delay), at most
 *     max_total transfers at once; requests wait in a per-host queue;
 *   - robots.txt, fetched once per host and cached (Cache-Control max-age
 *     or Expires, at most robots_ttl_s): the longest matching Allow or
 *     Disallow of the group naming our product token (the User-Agent up
 *     to its first '/'), else of "*", decides (RFC 9309); a robots.txt
 *     answering 4xx allows everything, one unreachable (5xx, network,
 *     SSRF guard) disallows everything for a few minutes;
 *   - redirects followed by the fetcher itself, each hop queued like a
 *     new request (robots.txt and politeness apply to every host
 *     visited), at most max_redirects hops, http and https only;
 *   - the SSRF guard: every socket curl opens, redirects and robots.txt
 *     included, is checked on the address actually connected to;
 *     loopback, private, CGNAT, link-local, multicast, unspecified,
 *     broadcast, reserved and documentation ranges (and their
 *     IPv4-mapped, IPv4-compatible, NAT64 and 6to4 IPv6 forms) are
 *     refused unless an allow-listed CIDR covers them. Proxies from the
 *     environment are ignored (a configured proxy would be the only
 *     address checked: the guard then protects nothing behind it);
 *   - limits: connect, total and low-speed timeouts; max_bytes on the wire
 *     (checked against Content-Length and while receiving) and
 *     max_decoded_bytes after gzip / deflate / br decoding (a body that
 *     grows past it is reported as a decompression bomb);
 *   - TLS verification on (per-request tls_insecure turns it off: UNSAFE).
 *
 * Thread-safety: call wh_fetch_global_init() once before any thread
 * starts. A struct wh_fetcher belongs to one thread: every call on it, and
 * every on_result callback, happens on that thread.
 */
#ifndef WH_FETCHER_H
#define WH_FETCHER_H

#include <stddef.h>

/* Outcome of one request (wh_fetch_result.outcome):
 *   OK           2xx: body holds the (decoded) body
 *   UNCHANGED    304 to a conditional GET
 *   RETRY_AFTER  429 or 503 (retry_after_s says when), or the host is
 *                still in such a pause
 *   HTTP_ERROR   another status >= 300 after redirects
 *   ROBOTS       robots.txt disallows it, or robots.txt is unreachable
 *                (retry_after_s: when the fetcher tries it again)
 *   REFUSED      SSRF guard, scheme, bad redirect target
 *   TOO_BIG      max_bytes or max_decoded_bytes
 *   TIMEOUT      connect, total or low-speed timeout
 *   ERROR        other network or protocol error, redirect limit */
#define WH_FETCH_OK 0
#define WH_FETCH_UNCHANGED 1
#define WH_FETCH_RETRY_AFTER 2
#define WH_FETCH_HTTP_ERROR 3
#define WH_FETCH_ROBOTS 4
#define WH_FETCH_REFUSED 5
#define WH_FETCH_TOO_BIG 6
#define WH_FETCH_TIMEOUT 7
#define WH_FETCH_ERROR 8

struct wh_fetch_result;

struct wh_fetch_opts {
    /* ---- the fields of the old fetch.h, same meaning ---- */
    const char *user_agent;  /* User-Agent, "wirehose/VERSION (+contact
                                URL)"; its product token (up to the first
                                '/') picks the robots.txt group; NULL =
                                "wirehose/" WH_VERSION */
    size_t max_bytes;        /* largest body on the wire; 0 = 16 MiB */
    long connect_timeout_ms; /* 0 = 10 s */
    long timeout_ms;         /* whole transfer, per hop; 0 = 30 s */
    long max_redirects;      /* 0 = 5; negative = follow none */
    /* ---- new ---- */
    size_t max_decoded_bytes;   /* largest body after decompression;
                                   0 = max_bytes */
    long low_speed_limit;       /* bytes/s below which ... ; 0 = 64 */
    long low_speed_time_s;      /* ... for this long aborts; 0 = 20 s */
    int max_total;              /* transfers at once; 0 = 64 */
    int max_per_host;           /* transfers at once per host; 0 = 2 */
    long host_delay_ms;         /* least time between two request starts to
                                   one host; 0 = 1000; negative = none */
    long max_crawl_delay_s;     /* Crawl-delay above this is cut to it;
                                   0 = 60 */
    int robots_off;             /* non-zero: do not fetch robots.txt (tests,
                                   sources whose owner agreed) */
    long robots_ttl_s;          /* longest a robots.txt is cached; 0 = 24 h */
    long max_retry_after_s;     /* Retry-After above this is cut to it;
                                   0 = 24 h */
    const char *proxy;          /* "http://host:port"; NULL = no proxy, the
                                   environment's *_proxy variables ignored */
    const char *const *resolve; /* NULL-ended "host:port:address" entries
                                   (CURLOPT_RESOLVE): pin names, e.g. for
                                   benchmarks; the guard still applies */
    /* Called from wh_fetcher_run() once per submitted request, with the
     * result. res is borrowed for the call; the callback may take
     * res->body (or any other pointer field) by setting the field to
     * NULL, and may call wh_fetcher_submit() but not wh_fetcher_run() or
     * wh_fetcher_free(). NULL: results are dropped. */
    void (*on_result)(struct wh_fetch_result *res, void *opaque);
    void *on_result_opaque;
};

/* One request. Every pointer is copied by wh_fetcher_submit(). */
struct wh_fetch_req {
    const char *url;           /* http:// or https:// */
    void *opaque;              /* handed back in the result */
    const char *etag;          /* sent as If-None-Match; NULL = none */
    const char *last_modified; /* sent as If-Modified-Since; NULL = none */
    int tls_insecure;          /* UNSAFE: non-zero skips the verification
                                  of the server's certificate and name,
                                  so anyone on the path can forge the
                                  answer. Only for a source whose owner
                                  cannot fix a broken certificate, set
                                  per source in the configuration. */
};

struct wh_fetch_result {
    /* ---- the fields of the old fetch.h ---- */
    int status; /* last HTTP status; 0 when none was received */
    char *body; /* WH_FETCH_OK: NUL-terminated (NUL not in len);
                   NULL otherwise */
    size_t len;
    char *content_type; /* Content-Type of the last answer, or NULL */
    char *final_url;    /* URL of the last hop */
    /* ---- new ---- */
    int outcome;         /* WH_FETCH_* */
    int rc;              /* WH_OK (OK, UNCHANGED) or a WH_E* code:
                            WH_RETRY (RETRY_AFTER, ROBOTS unreachable),
                            WH_EIO, WH_E2BIG, WH_ETIMEDOUT, WH_EINVAL */
    char *url;           /* as submitted */
    void *opaque;        /* as submitted */
    char *etag;          /* validators of a 200 or 304 answer, to send */
    char *last_modified; /* next time; NULL when the server sent none */
    long retry_after_s;  /* RETRY_AFTER, ROBOTS: seconds to wait from
                            now (0: none given; the caller backs off) */
    int redirects;       /* hops followed */
    double seconds;      /* from submit to result */
    char error[256];     /* why, when outcome is not OK or UNCHANGED:
                            "HTTP 404", "body larger than N bytes",
                            "address X refused by the SSRF guard", ... */
};

struct wh_fetcher;

/* Initializes libcurl. Call once per process, before any thread. */
void wh_fetch_global_init(void);
void wh_fetch_global_cleanup(void);

/* Creates a fetcher; opts (may be NULL: all defaults) is copied, its
 * strings too. Never NULL (aborts when curl cannot allocate). */
struct wh_fetcher *wh_fetcher_new(const struct wh_fetch_opts *opts);

/* Cancels every transfer still queued or running (no callback for them)
 * and releases the fetcher. NULL is a no-op. */
void wh_fetcher_free(struct wh_fetcher *f);

/* Adds a CIDR ("127.0.0.1/32", "10.1.0.0/16", "::1/128"; a bare address
 * means the whole address) to the SSRF guard's allow-list: connections to
 * addresses it covers are allowed even in a refused range. Returns WH_OK,
 * or WH_EINVAL with errstr filled ("bad CIDR 'x': reason"). */
int wh_fetcher_allow(struct wh_fetcher *f, const char *cidr, char *errstr,
                     size_t errstr_size);

/* Queues a request; its result comes through on_result from a later
 * wh_fetcher_run(), never from this call. Returns WH_OK, or WH_EINVAL with
 * errstr filled when the URL is not an absolute http(s) URL (no callback
 * then). */
int wh_fetcher_submit(struct wh_fetcher *f, const struct wh_fetch_req *req,
                      char *errstr, size_t errstr_size);

/* Runs the transfers: starts what politeness allows, moves data, and calls
 * on_result for every request that finished. Waits at most timeout_ms
 * (0: do what is ready and return) for activity, returning early once
 * results were delivered. Returns the number of results delivered (>= 0),
 * or WH_EIO when curl's multi loop failed (logged). */
int wh_fetcher_run(struct wh_fetcher *f, int timeout_ms);

/* Requests submitted whose result has not been delivered yet. */
size_t wh_fetcher_pending(const struct wh_fetcher *f);

/* Drop-in for the old blocking call: fetches url (no validators) through
 * the same queues and limits, running the loop until its result is in
 * (other requests' results still go to on_result meanwhile), then fills
 * *res (zeroed first; release with wh_fetch_result_free()). file:// URLs
 * are read from disk when allow_file is non-zero (sources configured as
 * local files), refused otherwise. Returns WH_OK for a 2xx answer or a
 * readable file; otherwise WH_EIO (network, HTTP status >= 300,
 * unreadable file, robots.txt), WH_RETRY (429/503), WH_E2BIG,
 * WH_ETIMEDOUT or WH_EINVAL (bad or refused URL, SSRF guard), with errstr
 * filled and res->status set when a status was received. Must not be
 * called from on_result. */
int wh_fetch(struct wh_fetcher *f, const char *url, int allow_file,
             struct wh_fetch_result *res, char *errstr, size_t errstr_size);

/* wh_fetch() made conditional (the old fetch.h call, same contract):
 * sends If-None-Match: etag and If-Modified-Since: last_modified when
 * they are not NULL. Returns WH_OK with res->status 304,
 * res->outcome WH_FETCH_UNCHANGED and no body when the server says the
 * document is unchanged; otherwise as wh_fetch(). file:// URLs are read
 * (validators ignored) when allow_file is non-zero. */
int wh_fetch_conditional(struct wh_fetcher *f, const char *url, int allow_file,
                         const char *etag, const char *last_modified,
                         struct wh_fetch_result *res, char *errstr,
                         size_t errstr_size);

/* Reads a file:// URL ("file:///p", "file://localhost/p") of at most
 * max_bytes (0 = 16 MiB) into *res like wh_fetch(). For sources
 * configured as local files only. Returns WH_OK, or WH_EINVAL / WH_EIO /
 * WH_E2BIG with errstr filled. */
int wh_fetch_file(const char *url, size_t max_bytes,
                  struct wh_fetch_result *res, char *errstr,
                  size_t errstr_size);

/* Releases what a result holds and zeroes it. NULL is a no-op. */
void wh_fetch_result_free(struct wh_fetch_result *res);

/* A short fixed label for the result, for the wirehose_fetches_total
 * status label: the HTTP status ("200", "304", "404") or "error",
 * "timeout", "robots", "refused", "too_big". Written into buf (at least
 * 8 bytes); returns buf. */
const char *wh_fetch_result_label(const struct wh_fetch_result *res, char *buf,
                                  size_t size);

/* The charset parameter of a Content-Type value ("text/html;
 * charset=ISO-8859-1" -> "ISO-8859-1"), as a new string; NULL when
 * absent. */
char *wh_fetch_charset(const char *content_type);

#endif
