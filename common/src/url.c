/*
 * url.c - URL normalization for record uris (see url.h).
 */
#include "wh/url.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "wh/buf.h"
#include "wh/wh.h"

/* Tracking parameters: exact names, compared without case. */
static const char *const tracking[] = {
    "fbclid", "gclid",   "gclsrc",      "dclid",      "msclkid", "mc_cid",
    "mc_eid", "igshid",  "yclid",       "_ga",        "_gl",     "_hsenc",
    "_hsmi",  "mkt_tok", "oly_anon_id", "oly_enc_id", "vero_id", "wickedid",
    "twclid", "ttclid",  "srsltid",     "__s",        "ncid",    "cmpid",
};

int wh_url_is_tracking_param(const char *name, size_t len)
{
    size_t i;

    if (len >= 4 && strncasecmp(name, "utm_", 4) == 0) {
        return 1;
    }
    for (i = 0; i < WH_ARRAY_SIZE(tracking); i++) {
        if (strlen(tracking[i]) == len &&
            strncasecmp(name, tracking[i], len) == 0) {
            return 1;
        }
    }
    return 0;
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

static int is_unreserved(int c)
{
    return isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~';
}

/* Appends s[0..len) with percent-escapes normalized: unreserved
 * characters decoded, other escapes upper-cased, a stray '%' escaped. */
static void put_escaped(struct wh_buf *b, const char *s, size_t len)
{
    static const char hex[] = "0123456789ABCDEF";
    size_t i;

    for (i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];

        if (c == '%') {
            int hi = i + 2 < len ? hexval((unsigned char)s[i + 1]) : -1;
            int lo = hi >= 0 ? hexval((unsigned char)s[i + 2]) : -1;
            if (hi < 0 || lo < 0) {
                (void)wh_buf_puts(b, "%25");
                continue;
            }
            c = (unsigned char)(hi * 16 + lo);
            if (is_unreserved(c)) {
                (void)wh_buf_append(b, &c, 1);
            } else {
                char esc[3] = {'%', hex[hi], hex[lo]};

                (void)wh_buf_append(b, esc, 3);
            }
            i += 2;
        } else if (c <= 0x20 || c >= 0x7f) {
            char esc[3] = {'%', hex[c >> 4], hex[c & 15]};

            (void)wh_buf_append(b, esc, 3);
        } else {
            (void)wh_buf_append(b, &c, 1);
        }
    }
}

/* RFC 3986 5.2.4 remove_dot_segments, in place on a path starting with
 * '/'. */
static void remove_dots(char *path)
{
    char *in = path;
    char *out = path;

    while (*in != '\0') {
        if (strncmp(in, "/./", 3) == 0) {
            in += 2;
        } else if (strcmp(in, "/.") == 0) {
            in[1] = '\0';
        } else if (strncmp(in, "/../", 4) == 0 || strcmp(in, "/..") == 0) {
            /* Drop the last output segment. */
            while (out > path && *(out - 1) != '/') {
                out--;
            }
            if (out > path) {
                out--;
            }
            if (in[3] == '\0') {
                in += 2;
                in[0] = '/';
            } else {
                in += 3;
            }
        } else {
            do {
                *out++ = *in++;
            } while (*in != '\0' && *in != '/');
        }
    }
    *out = '\0';
    if (path[0] == '\0') {
        path[0] = '/';
        path[1] = '\0';
    }
}

struct param {
    size_t off;    /* into the buffer of escape-normalized parameters */
    const char *s; /* set once that buffer no longer moves */
    size_t len;
    size_t order;
};

static int param_cmp(const void *a, const void *b)
{
    const struct param *pa = a;
    const struct param *pb = b;
    size_t n = pa->len < pb->len ? pa->len : pb->len;
    int c = memcmp(pa->s, pb->s, n);

    if (c != 0) {
        return c;
    }
    if (pa->len != pb->len) {
        return pa->len < pb->len ? -1 : 1;
    }
    return pa->order < pb->order ? -1 : pa->order > pb->order;
}

/* Appends "?sorted&params" to b (nothing when no parameter is left).
 * Each parameter is escape-normalized first, and the tracking names and
 * the order are decided on that text, so that a second pass over the
 * result changes nothing (utm%5Fsource is utm_source, %7A=1 sorts as
 * z=1). */
static void put_query(struct wh_buf *b, const char *q, size_t len)
{
    struct wh_buf norm;
    struct param *params;
    size_t n = 0;
    size_t i = 0;
    size_t k;

    wh_buf_init(&norm, 0);
    params = wh_xcalloc(len / 2 + 2, sizeof(*params));
    while (i <= len) {
        size_t j = i;

        while (j < len && q[j] != '&') {
            j++;
        }
        if (j > i) {
            size_t off = norm.len;
            const char *text;
            const char *eq;
            size_t plen;

            put_escaped(&norm, q + i, j - i);
            text = norm.data + off;
            plen = norm.len - off;
            eq = memchr(text, '=', plen);
            if (wh_url_is_tracking_param(text, eq != NULL ? (size_t)(eq - text)
                                                          : plen)) {
                norm.len = off; /* dropped */
                norm.data[off] = '\0';
            } else {
                params[n].off = off;
                params[n].len = plen;
                params[n].order = n;
                n++;
            }
        }
        i = j + 1;
    }
    for (k = 0; k < n; k++) {
        params[k].s = norm.data + params[k].off;
    }
    qsort(params, n, sizeof(*params), param_cmp);
    for (k = 0; k < n; k++) {
        (void)wh_buf_append(b, k == 0 ? "?" : "&", 1);
        (void)wh_buf_append(b, params[k].s, params[k].len);
    }
    free(params);
    wh_buf_free(&norm);
}

char *wh_url_normalize(const char *url)
{
    struct wh_buf b;
    struct wh_buf pb;
    const char *p;
    const char *auth;
    const char *auth_end;
    const char *host;
    const char *host_end;
    const char *port;
    const char *path;
    const char *path_end;
    const char *end;
    const char *at;
    char *path_buf;
    int https;
    long portnum = -1;

    if (url == NULL) {
        return NULL;
    }
    while (isspace((unsigned char)*url)) {
        url++;
    }
    if (strncasecmp(url, "http://", 7) == 0) {
        https = 0;
        auth = url + 7;
    } else if (strncasecmp(url, "https://", 8) == 0) {
        https = 1;
        auth = url + 8;
    } else {
        return NULL;
    }
    end = url + strcspn(url, "#");
    while (end > auth && isspace((unsigned char)*(end - 1))) {
        end--;
    }
    auth_end = auth;
    while (auth_end < end && *auth_end != '/' && *auth_end != '?') {
        auth_end++;
    }
    /* userinfo: up to the last '@' of the authority */
    at = NULL;
    for (p = auth; p < auth_end; p++) {
        if (*p == '@') {
            at = p;
        }
    }
    host = at != NULL ? at + 1 : auth;
    if (host < auth_end && *host == '[') {
        host_end = memchr(host, ']', (size_t)(auth_end - host));
        if (host_end == NULL) {
            return NULL;
        }
        host_end++;
    } else {
        host_end = host;
        while (host_end < auth_end && *host_end != ':') {
            host_end++;
        }
    }
    if (host_end < auth_end) {
        if (*host_end != ':') {
            return NULL;
        }
        port = host_end + 1;
        if (port < auth_end) {
            portnum = 0;
            for (p = port; p < auth_end; p++) {
                if (!isdigit((unsigned char)*p) || portnum > 65535) {
                    return NULL;
                }
                portnum = portnum * 10 + (*p - '0');
            }
            if (portnum > 65535) {
                return NULL;
            }
        }
    }
    while (host_end > host && *(host_end - 1) == '.') {
        host_end--;
    }
    if (host_end == host) {
        return NULL;
    }

    wh_buf_init(&b, 0);
    (void)wh_buf_puts(&b, https ? "https://" : "http://");
    if (at != NULL) {
        (void)wh_buf_append(&b, auth, (size_t)(at - auth) + 1);
    }
    for (p = host; p < host_end; p++) {
        char c = (char)tolower((unsigned char)*p);

        (void)wh_buf_append(&b, &c, 1);
    }
    if (portnum >= 0 && portnum != (https ? 443 : 80)) {
        (void)wh_buf_printf(&b, ":%ld", portnum);
    }

    path = auth_end;
    path_end = path;
    while (path_end < end && *path_end != '?') {
        path_end++;
    }
    /* Normalize escapes first, then remove dot segments. */
    wh_buf_init(&pb, 0);
    if (path == path_end || *path != '/') {
        (void)wh_buf_puts(&pb, "/");
    }
    put_escaped(&pb, path, (size_t)(path_end - path));
    path_buf = wh_buf_steal(&pb);
    remove_dots(path_buf);
    (void)wh_buf_puts(&b, path_buf);
    free(path_buf);

    if (path_end < end) {
        put_query(&b, path_end + 1, (size_t)(end - path_end - 1));
    }
    return wh_buf_steal(&b);
}
