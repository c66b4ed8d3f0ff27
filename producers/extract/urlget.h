/*
 * urlget.h - one http(s) page for wirehose-extract, libcurl loaded on
 * demand (see urlget.c for why). Not for the daemons.
 */
#ifndef WH_URLGET_H
#define WH_URLGET_H

#include <stddef.h>

struct wh_urlget_info {
    long status;        /* HTTP status */
    char *content_type; /* the Content-Type header, or NULL */
    char *final_url;    /* after redirects, or NULL */
};

/* Fetches url (http or https, up to 5 redirects, 30 s) into a new
 * NUL-terminated buffer of *len bytes (caller frees), refusing bodies over
 * max bytes. Fills info (release with wh_urlget_info_clear()). Returns
 * NULL with errstr filled on any failure, a non-2xx status included. */
char *wh_urlget(const char *url, size_t max, size_t *len,
                struct wh_urlget_info *info, char *errstr, size_t errstr_size);

void wh_urlget_info_clear(struct wh_urlget_info *info);

#endif
