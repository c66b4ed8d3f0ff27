/*
 * result.c - what the fetcher hands back, apart from the transfers: the
 * result's release and label, the charset of its Content-Type, and
 * file:// URLs read from the disk (see fetcher.h).
 */
#include "fetcher.h"

#include <ctype.h>
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
        max_bytes = WH_FETCH_DEFAULT_MAX_BYTES;
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
