/*
 * peer_fetch.c - one URL at a time with libcurl's easy interface, or from the
 * local disk for file:// (see fetch.h).
 */
#include "fetch.h"

#include <ctype.h>
#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "wh/buf.h"
#include "wh/wh.h"

#define DEFAULT_MAX_BYTES ((size_t)16 * 1024 * 1024)
#define DEFAULT_CONNECT_TIMEOUT_MS 10000L
#define DEFAULT_TIMEOUT_MS 30000L
#define DEFAULT_MAX_REDIRECTS 5L
/* A transfer slower than this for LOW_SPEED_TIME seconds is dropped. */
#define LOW_SPEED_LIMIT 64L
#define LOW_SPEED_TIME 20L

struct wh_fetcher {
    CURL *curl;
    char *user_agent;
    size_t max_bytes;
    long connect_timeout_ms;
    long timeout_ms;
    long max_redirects;
};

struct sink {
    struct wh_buf buf;
    int too_big;
    char *etag; /* of the last response seen */
    char *last_modified;
};

/* Longest validator header value kept. */
#define MAX_VALIDATOR 512

void wh_fetch_global_init(void)
{
    CURLcode cc = curl_global_init(CURL_GLOBAL_DEFAULT);

    WH_ASSERT(cc == CURLE_OK);
}

void wh_fetch_global_cleanup(void)
{
    curl_global_cleanup();
}

struct wh_fetcher *wh_fetcher_new(const struct wh_fetch_opts *opts)
{
    struct wh_fetcher *f = wh_xcalloc(1, sizeof(*f));

    f->curl = curl_easy_init();
    WH_ASSERT(f->curl != NULL);
    if (opts != NULL && opts->user_agent != NULL) {
        f->user_agent = wh_xstrdup(opts->user_agent);
    }
    f->max_bytes = opts != NULL && opts->max_bytes > 0 ? opts->max_bytes
                                                       : DEFAULT_MAX_BYTES;
    f->connect_timeout_ms = opts != NULL && opts->connect_timeout_ms > 0
                                ? opts->connect_timeout_ms
                                : DEFAULT_CONNECT_TIMEOUT_MS;
    f->timeout_ms = opts != NULL && opts->timeout_ms > 0 ? opts->timeout_ms
                                                         : DEFAULT_TIMEOUT_MS;
    f->max_redirects = opts != NULL && opts->max_redirects != 0
                           ? opts->max_redirects
                           : DEFAULT_MAX_REDIRECTS;
    return f;
}

void wh_fetcher_free(struct wh_fetcher *f)
{
    if (f == NULL) {
        return;
    }
    curl_easy_cleanup(f->curl);
    free(f->user_agent);
    free(f);
}

void wh_fetch_result_free(struct wh_fetch_result *res)
{
    if (res == NULL) {
        return;
    }
    free(res->body);
    free(res->content_type);
    free(res->final_url);
    free(res->etag);
    free(res->last_modified);
    memset(res, 0, sizeof(*res));
}

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

static int fetch_file(struct wh_fetcher *f, const char *url,
                      struct wh_fetch_result *res, char *errstr,
                      size_t errstr_size)
{
    struct wh_buf b;
    struct stat st;
    char *path;
    char chunk[65536];
    int fd = -1;
    int rc = WH_EIO;

    wh_buf_init(&b, f->max_bytes);
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
                     f->max_bytes);
            rc = WH_E2BIG;
            goto out;
        }
    }
    res->status = 0;
    res->len = b.len;
    res->body = wh_buf_steal(&b);
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

static size_t on_data(char *ptr, size_t size, size_t nmemb, void *userdata)
{
    struct sink *s = userdata;
    size_t n = size * nmemb;

    if (wh_buf_append(&s->buf, ptr, n) != WH_OK) {
        s->too_big = 1;
        return 0; /* aborts the transfer with CURLE_WRITE_ERROR */
    }
    return n;
}

/* A header value without the name, trimmed, as a new string; NULL when
 * line is not header name or the value is empty or too long. */
static char *header_value(const char *line, size_t len, const char *name)
{
    size_t n = strlen(name);
    size_t end;

    if (len <= n || strncasecmp(line, name, n) != 0 || line[n] != ':') {
        return NULL;
    }
    line += n + 1;
    len -= n + 1;
    while (len > 0 && (*line == ' ' || *line == '\t')) {
        line++;
        len--;
    }
    end = len;
    while (end > 0 && isspace((unsigned char)line[end - 1])) {
        end--;
    }
    if (end == 0 || end > MAX_VALIDATOR) {
        return NULL;
    }
    return wh_xstrndup(line, end);
}

static size_t on_header(char *ptr, size_t size, size_t nmemb, void *userdata)
{
    struct sink *s = userdata;
    size_t n = size * nmemb;
    char *v;

    /* A new response (after a redirect): forget the previous one's. */
    if (n >= 5 && strncmp(ptr, "HTTP/", 5) == 0) {
        free(s->etag);
        free(s->last_modified);
        s->etag = NULL;
        s->last_modified = NULL;
        return n;
    }
    v = header_value(ptr, n, "ETag");
    if (v != NULL) {
        free(s->etag);
        s->etag = v;
        return n;
    }
    v = header_value(ptr, n, "Last-Modified");
    if (v != NULL) {
        free(s->last_modified);
        s->last_modified = v;
    }
    return n;
}

/* Sets the options of one transfer. Returns the first failing option's
 * code, or CURLE_OK. */
static CURLcode setup(struct wh_fetcher *f, const char *url, struct sink *s,
                      struct curl_slist *headers, char *curl_err)
{
    CURL *c = f->curl;
    CURLcode cc = CURLE_OK;

    curl_easy_reset(c);
#define SET(opt, val)                                                          \
    do {                                                                       \
        if (cc == CURLE_OK) {                                                  \
            cc = curl_easy_setopt(c, opt, val);                                \
        }                                                                      \
    } while (0)
    SET(CURLOPT_URL, url);
    SET(CURLOPT_PROTOCOLS_STR, "http,https");
    SET(CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
    SET(CURLOPT_NOSIGNAL, 1L);
    SET(CURLOPT_ERRORBUFFER, curl_err);
    SET(CURLOPT_WRITEFUNCTION, on_data);
    SET(CURLOPT_WRITEDATA, s);
    SET(CURLOPT_HEADERFUNCTION, on_header);
    SET(CURLOPT_HEADERDATA, s);
    if (headers != NULL) {
        SET(CURLOPT_HTTPHEADER, headers);
    }
    SET(CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)f->max_bytes);
    SET(CURLOPT_CONNECTTIMEOUT_MS, f->connect_timeout_ms);
    SET(CURLOPT_TIMEOUT_MS, f->timeout_ms);
    SET(CURLOPT_LOW_SPEED_LIMIT, LOW_SPEED_LIMIT);
    SET(CURLOPT_LOW_SPEED_TIME, LOW_SPEED_TIME);
    SET(CURLOPT_ACCEPT_ENCODING, "");
    if (f->max_redirects > 0) {
        SET(CURLOPT_FOLLOWLOCATION, 1L);
        SET(CURLOPT_MAXREDIRS, f->max_redirects);
    }
    if (f->user_agent != NULL) {
        SET(CURLOPT_USERAGENT, f->user_agent);
    }
#undef SET
    return cc;
}

int wh_fetch(struct wh_fetcher *f, const char *url, int allow_file,
             struct wh_fetch_result *res, char *errstr, size_t errstr_size)
{
    return wh_fetch_conditional(f, url, allow_file, NULL, NULL, res, errstr,
                                errstr_size);
}

/* Builds the conditional request headers; NULL when there are none. */
static struct curl_slist *conditional_headers(const char *etag,
                                              const char *last_modified)
{
    struct curl_slist *headers = NULL;
    struct curl_slist *more;
    char *line;

    if (etag != NULL && etag[0] != '\0') {
        line = wh_xasprintf("If-None-Match: %s", etag);
        more = curl_slist_append(headers, line);
        free(line);
        WH_ASSERT(more != NULL);
        headers = more;
    }
    if (last_modified != NULL && last_modified[0] != '\0') {
        line = wh_xasprintf("If-Modified-Since: %s", last_modified);
        more = curl_slist_append(headers, line);
        free(line);
        WH_ASSERT(more != NULL);
        headers = more;
    }
    return headers;
}

int wh_fetch_conditional(struct wh_fetcher *f, const char *url, int allow_file,
                         const char *etag, const char *last_modified,
                         struct wh_fetch_result *res, char *errstr,
                         size_t errstr_size)
{
    char curl_err[CURL_ERROR_SIZE];
    struct curl_slist *headers = NULL;
    struct sink s;
    CURLcode cc;
    long status = 0;
    char *info = NULL;
    int rc = WH_EIO;

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
        return fetch_file(f, url, res, errstr, errstr_size);
    }
    if (strncasecmp(url, "http://", 7) != 0 &&
        strncasecmp(url, "https://", 8) != 0) {
        snprintf(errstr, errstr_size,
                 "unsupported URL scheme (http, https and file only)");
        return WH_EINVAL;
    }

    curl_err[0] = '\0';
    memset(&s, 0, sizeof(s));
    wh_buf_init(&s.buf, f->max_bytes);
    headers = conditional_headers(etag, last_modified);
    cc = setup(f, url, &s, headers, curl_err);
    if (cc != CURLE_OK) {
        snprintf(errstr, errstr_size, "curl: %s", curl_easy_strerror(cc));
        rc = WH_EINVAL;
        goto out;
    }
    cc = curl_easy_perform(f->curl);
    (void)curl_easy_getinfo(f->curl, CURLINFO_RESPONSE_CODE, &status);
    res->status = (int)status;
    if (curl_easy_getinfo(f->curl, CURLINFO_EFFECTIVE_URL, &info) == CURLE_OK &&
        info != NULL) {
        res->final_url = wh_xstrdup(info);
    }
    info = NULL;
    if (curl_easy_getinfo(f->curl, CURLINFO_CONTENT_TYPE, &info) == CURLE_OK &&
        info != NULL) {
        res->content_type = wh_xstrdup(info);
    }
    if (cc != CURLE_OK) {
        const char *why =
            curl_err[0] != '\0' ? curl_err : curl_easy_strerror(cc);

        if (s.too_big || cc == CURLE_FILESIZE_EXCEEDED) {
            snprintf(errstr, errstr_size, "body larger than %zu bytes",
                     f->max_bytes);
            rc = WH_E2BIG;
        } else if (cc == CURLE_OPERATION_TIMEDOUT) {
            snprintf(errstr, errstr_size, "%s", why);
            rc = WH_ETIMEDOUT;
        } else if (cc == CURLE_UNSUPPORTED_PROTOCOL) {
            snprintf(errstr, errstr_size, "%s", why);
            rc = WH_EINVAL;
        } else {
            snprintf(errstr, errstr_size, "%s", why);
        }
        goto out;
    }
    if (res->final_url == NULL) {
        res->final_url = wh_xstrdup(url);
    }
    res->etag = s.etag;
    res->last_modified = s.last_modified;
    s.etag = NULL;
    s.last_modified = NULL;
    if (status == 304 && headers != NULL) {
        rc = WH_OK;
        goto out;
    }
    if (status < 200 || status >= 300) {
        snprintf(errstr, errstr_size, "HTTP %ld", status);
        goto out;
    }
    res->len = s.buf.len;
    res->body = wh_buf_steal(&s.buf);
    rc = WH_OK;
out:
    curl_slist_free_all(headers);
    wh_buf_free(&s.buf);
    free(s.etag);
    free(s.last_modified);
    if (rc != WH_OK) {
        int kept = res->status;

        wh_fetch_result_free(res);
        res->status = kept;
    }
    return rc;
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
