/*
 * url.h - URL normalization for record uris (the Kafka key), so that one
 * article reached through different links gets one uri.
 */
#ifndef WH_URL_H
#define WH_URL_H

#include <stddef.h>

/* Normalizes an absolute http or https URL:
 *   - scheme and host lower-case, a trailing dot of the host dropped;
 *   - the default port (80 for http, 443 for https) and an empty port
 *     dropped;
 *   - the fragment dropped;
 *   - percent-escapes of unreserved characters decoded, other escapes
 *     upper-cased; dot segments of the path removed; an empty path
 *     becomes "/";
 *   - tracking parameters removed from the query (utm_*, fbclid, gclid,
 *     gclsrc, dclid, msclkid, mc_cid, mc_eid, igshid, yclid, _ga, _gl,
 *     _hsenc, _hsmi, mkt_tok, ...), empty parameters dropped, the
 *     remaining ones sorted (byte order, stable), an empty query dropped;
 *     names and order are taken from the escape-normalized parameters,
 *     so the result is a fixed point: normalizing it again changes
 *     nothing.
 * Userinfo is kept as written. Returns a new string (caller frees), or
 * NULL when url is NULL, not http(s), or malformed (no host, bad port):
 * callers keep such a uri as it is (wire items keep their own uri).
 * Thread-safe. */
char *wh_url_normalize(const char *url);

/* Non-zero when the query parameter named name (len bytes, not
 * NUL-terminated) is a known tracking parameter. */
int wh_url_is_tracking_param(const char *name, size_t len);

#endif
