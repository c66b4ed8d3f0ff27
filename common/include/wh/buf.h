/*
 * buf.h - a growable byte buffer with a hard maximum. Going past the
 * maximum is an error (WH_E2BIG), never a silent realloc [curl dynbuf].
 * The data is always NUL-terminated (the NUL is not counted in len).
 */
#ifndef WH_BUF_H
#define WH_BUF_H

#include <stddef.h>

struct wh_buf {
    char *data; /* NULL until the first append */
    size_t len; /* bytes used, not counting the trailing NUL */
    size_t cap; /* bytes allocated */
    size_t max; /* most bytes len may reach; 0 = SIZE_MAX / 2 */
};

/* Initializes an empty buffer with the given maximum (0 = unlimited). */
void wh_buf_init(struct wh_buf *b, size_t max);
/* Releases the data; the buffer may be reused after wh_buf_init(). */
void wh_buf_free(struct wh_buf *b);
/* Empties the buffer, keeping its allocation. */
void wh_buf_reset(struct wh_buf *b);
/* Appends len bytes. Returns WH_OK or WH_E2BIG (nothing appended). */
int wh_buf_append(struct wh_buf *b, const void *data, size_t len);
int wh_buf_puts(struct wh_buf *b, const char *s);
int wh_buf_printf(struct wh_buf *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* Hands the data over to the caller (who frees it) and empties b.
 * Returns "" newly allocated when the buffer is empty. */
char *wh_buf_steal(struct wh_buf *b);

#endif
