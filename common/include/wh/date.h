/*
 * date.h - the date formats news sources use, to and from RFC 3339.
 */
#ifndef WH_DATE_H
#define WH_DATE_H

#include <time.h>

/* Parses a date as found in feeds, meta tags, JSON-LD and wire formats:
 * RFC 3339 / ISO 8601 (with or without seconds, fraction, "Z" or an
 * offset, or a bare date "2014-12-21"), the compact ISO form NewsML and
 * NITF use ("20141221T100000Z", "20141221T100000+0000"), and RFC 822 /
 * 1123 ("Sun, 21 Dec 2014 10:00:00 GMT", "+0000", "EST", two-digit years).
 * Surrounding blanks are ignored. On success stores the UTC time in *out
 * and returns WH_OK; otherwise WH_EPARSE. Thread-safe. */
int wh_date_parse(const char *s, time_t *out);

/* Writes t as "YYYY-MM-DDTHH:MM:SSZ" (UTC) into out[21]. */
void wh_date_format(time_t t, char out[21]);

/* wh_date_parse() then wh_date_format() into a new string (caller frees);
 * NULL when s is not a date. */
char *wh_date_normalize(const char *s);

#endif
