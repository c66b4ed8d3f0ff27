/*
 * buf.c - growable byte buffer with a hard maximum [curl dynbuf].
 */
#include "wh/buf.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "wh/wh.h"

static size_t buf_max(const struct wh_buf *b)
{
    return b->max != 0 ? b->max : SIZE_MAX / 2;
}

void wh_buf_init(struct wh_buf *b, size_t max)
{
    b->data = NULL;
    b->len = 0;
    b->cap = 0;
    b->max = max;
}

void wh_buf_free(struct wh_buf *b)
{
    free(b->data);
    b->data = NULL;
    b->len = 0;
    b->cap = 0;
}

void wh_buf_reset(struct wh_buf *b)
{
    b->len = 0;
    if (b->data != NULL) {
        b->data[0] = '\0';
    }
}

/* Makes room for extra more bytes plus the NUL. The caller has checked
 * the maximum. */
static void buf_reserve(struct wh_buf *b, size_t extra)
{
    size_t need = b->len + extra + 1;
    size_t cap;

    if (need <= b->cap) {
        return;
    }
    cap = b->cap != 0 ? b->cap : 64;
    while (cap < need) {
        cap = cap > SIZE_MAX / 2 ? need : cap * 2;
    }
    /* Never allocate much beyond what the maximum allows. */
    if (cap > buf_max(b) + 1 && need <= buf_max(b) + 1) {
        cap = buf_max(b) + 1;
    }
    b->data = wh_xrealloc(b->data, cap);
    b->cap = cap;
}

int wh_buf_append(struct wh_buf *b, const void *data, size_t len)
{
    if (len > buf_max(b) - b->len) {
        return WH_E2BIG;
    }
    buf_reserve(b, len);
    if (len > 0) {
        memcpy(b->data + b->len, data, len);
    }
    b->len += len;
    b->data[b->len] = '\0';
    return WH_OK;
}

int wh_buf_puts(struct wh_buf *b, const char *s)
{
    return wh_buf_append(b, s, strlen(s));
}

int wh_buf_printf(struct wh_buf *b, const char *fmt, ...)
{
    va_list ap;
    char small[256];
    char *big = NULL;
    int n;
    int rc;

    va_start(ap, fmt);
    n = vsnprintf(small, sizeof(small), fmt, ap);
    va_end(ap);
    if (n < 0) {
        return WH_EINVAL;
    }
    if ((size_t)n < sizeof(small)) {
        return wh_buf_append(b, small, (size_t)n);
    }
    if ((size_t)n > buf_max(b) - b->len) {
        return WH_E2BIG;
    }
    big = wh_xmalloc((size_t)n + 1);
    va_start(ap, fmt);
    n = vsnprintf(big, (size_t)n + 1, fmt, ap);
    va_end(ap);
    rc = n < 0 ? WH_EINVAL : wh_buf_append(b, big, (size_t)n);
    free(big);
    return rc;
}

char *wh_buf_steal(struct wh_buf *b)
{
    char *p = b->data;

    if (p == NULL) {
        p = wh_xstrdup("");
    }
    b->data = NULL;
    b->len = 0;
    b->cap = 0;
    return p;
}
