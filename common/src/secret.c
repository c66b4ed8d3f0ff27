/*
 * secret.c - ${file:PATH} and ${env:NAME} in configuration values (see
 * secret.h).
 */
#include "wh/secret.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "wh/buf.h"
#include "wh/wh.h"

#define SECRET_FILE_MAX 65536

/* The single line of path (a final newline dropped), in a new string. */
static int read_secret_file(const char *path, char **out, char *errstr,
                            size_t errstr_size)
{
    /* O_NONBLOCK: a FIFO named by mistake must not hang the daemon; only
     * a regular file is read. */
    int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
    struct stat st;
    FILE *fp;
    char *buf;
    size_t n;
    int rc = WH_OK;

    if (fd < 0) {
        snprintf(errstr, errstr_size, "${file:%s}: %s", path, strerror(errno));
        return WH_EIO;
    }
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        snprintf(errstr, errstr_size, "${file:%s}: not a regular file", path);
        close(fd);
        return WH_EINVAL;
    }
    fp = fdopen(fd, "r");
    if (fp == NULL) {
        snprintf(errstr, errstr_size, "${file:%s}: %s", path, strerror(errno));
        close(fd);
        return WH_EIO;
    }
    buf = wh_xmalloc(SECRET_FILE_MAX + 1);
    n = fread(buf, 1, SECRET_FILE_MAX + 1, fp);
    if (ferror(fp)) {
        snprintf(errstr, errstr_size, "${file:%s}: read error", path);
        rc = WH_EIO;
    } else if (n > SECRET_FILE_MAX) {
        snprintf(errstr, errstr_size, "${file:%s}: larger than %d bytes", path,
                 SECRET_FILE_MAX);
        rc = WH_EINVAL;
    }
    fclose(fp);
    if (rc != WH_OK) {
        free(buf);
        return rc;
    }
    buf[n] = '\0';
    if (n > 0 && buf[n - 1] == '\n') {
        buf[--n] = '\0';
        if (n > 0 && buf[n - 1] == '\r') {
            buf[--n] = '\0';
        }
    }
    if (strlen(buf) != n || strpbrk(buf, "\r\n") != NULL) {
        snprintf(errstr, errstr_size,
                 "${file:%s}: holds more than one line of text", path);
        free(buf);
        return WH_EINVAL;
    }
    *out = buf;
    return WH_OK;
}

/* The end of the ${...} opened at s (s[0..1] == "${"): the index of its
 * closing brace, nested ${...} included, or 0 when unclosed. */
static size_t ref_end(const char *s)
{
    size_t i;
    int depth = 0;

    for (i = 0; s[i] != '\0'; i++) {
        if (s[i] == '$' && s[i + 1] == '{') {
            depth++;
            i++;
        } else if (s[i] == '}' && --depth == 0) {
            return i;
        }
    }
    return 0;
}

static int expand_ref(const char *ref, struct wh_buf *out, char *errstr,
                      size_t errstr_size);

/* Appends to an unlimited buffer (cannot fail). */
static void add(struct wh_buf *b, const char *s, size_t n)
{
    int rc = wh_buf_append(b, s, n);

    WH_ASSERT(rc == WH_OK);
}

static int expand_into(const char *value, struct wh_buf *out, int *secret,
                       char *errstr, size_t errstr_size)
{
    const char *p = value;

    while (*p != '\0') {
        const char *d = strchr(p, '$');
        size_t end;
        char *ref;
        int rc;

        if (d == NULL) {
            add(out, p, strlen(p));
            break;
        }
        add(out, p, (size_t)(d - p));
        if (d[1] == '$' && d[2] == '{') {
            add(out, "${", 2);
            p = d + 3;
            continue;
        }
        if (d[1] != '{') {
            add(out, "$", 1);
            p = d + 1;
            continue;
        }
        end = ref_end(d);
        if (end == 0) {
            snprintf(errstr, errstr_size,
                     "unclosed \"${\" (write $${ for a literal ${)");
            return WH_EINVAL;
        }
        ref = wh_xstrndup(d + 2, end - 2);
        rc = expand_ref(ref, out, errstr, errstr_size);
        free(ref);
        if (rc != WH_OK) {
            return rc;
        }
        *secret = 1;
        p = d + end + 1;
    }
    return WH_OK;
}

/* One reference "file:PATH" or "env:NAME" (itself expanded first). */
static int expand_ref(const char *ref, struct wh_buf *out, char *errstr,
                      size_t errstr_size)
{
    struct wh_buf arg;
    const char *colon = strchr(ref, ':');
    char *text = NULL;
    int secret = 0;
    int rc;

    if (colon == NULL ||
        (strncmp(ref, "file:", 5) != 0 && strncmp(ref, "env:", 4) != 0)) {
        snprintf(errstr, errstr_size,
                 "${%.64s}: unknown reference (${file:PATH} or ${env:NAME}; "
                 "$${ for a literal ${)",
                 ref);
        return WH_EINVAL;
    }
    wh_buf_init(&arg, 0);
    add(&arg, "", 0);
    rc = expand_into(colon + 1, &arg, &secret, errstr, errstr_size);
    if (rc == WH_OK && arg.len == 0) {
        snprintf(errstr, errstr_size, "${%.*s}: empty name",
                 (int)(colon - ref + 1), ref);
        rc = WH_EINVAL;
    }
    if (rc == WH_OK && ref[0] == 'e') {
        const char *v = getenv(arg.data);

        if (v == NULL) {
            snprintf(errstr, errstr_size, "${env:%.128s}: not set", arg.data);
            rc = WH_EINVAL;
        } else {
            add(out, v, strlen(v));
        }
    } else if (rc == WH_OK) {
        rc = read_secret_file(arg.data, &text, errstr, errstr_size);
        if (rc == WH_OK) {
            add(out, text, strlen(text));
        }
        free(text);
    }
    wh_buf_free(&arg);
    return rc;
}

int wh_secret_expand(const char *value, char **out, int *secret, char *errstr,
                     size_t errstr_size)
{
    struct wh_buf b;
    int rc;

    *secret = 0;
    wh_buf_init(&b, 0);
    rc = expand_into(value, &b, secret, errstr, errstr_size);
    if (rc != WH_OK) {
        wh_buf_free(&b);
        *out = NULL;
        return rc;
    }
    *out = wh_buf_steal(&b);
    return WH_OK;
}
