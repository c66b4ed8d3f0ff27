/*
 * record.h - the article record: an IPTC ninjs 3.1 document plus one
 * extension object of ours, "wirehose", for provenance and pipeline state.
 *
 * JSON shape (fields absent when NULL / empty):
 *   {
 *     "uri": "...", "type": "text", "version": "1",
 *     "firstCreated": "...", "versionCreated": "...", "contentCreated": ...,
 *     "language": "en",
 *     "headlines": [{"role": "main", "value": "..."},
 *                   {"role": "sub",  "value": "..."}],
 *     "descriptions": [{"role": "summary", "value": "..."}],
 *     "bodies": [{"role": "main", "contentType": "text/plain", "value": ...,
 *                 "charCount": N, "wordCount": N},
 *                {"role": "main", "contentType": "text/html",  "value": ...}],
 *     "by": "...",
 *     ... any other ninjs property, kept verbatim in rec->extra ...
 *     "wirehose": {
 *       "source": "...", "fetchedAt": "...", "finalUrl": "...",
 *       "httpStatus": 200, "contentHash": "xxh3:...",
 *       "extractorVersion": "...",
 *       ... other members (dedup, enrichers) kept in rec->ext ...
 *     }
 *   }
 * Dates are RFC 3339 strings ("2014-12-21T10:00:00Z"). "version" is a
 * string in ninjs; we keep it as an unsigned counter starting at 1.
 *
 * Ownership: every char * and json_t * in the struct belongs to the record
 * and is released by wh_record_free(). Set strings with wh_xstrdup().
 */
#ifndef WH_RECORD_H
#define WH_RECORD_H

#include <jansson.h>
#include <stddef.h>

#define WH_RECORD_EXT "wirehose" /* name of our extension object */

struct wh_record {
    char *uri;
    char *type;       /* ninjs type; "text" when NULL */
    unsigned version; /* 1.. ; 0 is written as "1" */
    char *first_created;
    char *version_created;
    char *content_created;
    char *language;
    char *headline;    /* headlines[role=main] */
    char *subheadline; /* headlines[role=sub], optional */
    char *description; /* descriptions[role=summary]: the standfirst */
    char *body_text;   /* bodies[text/plain]: paragraphs split by "\n\n" */
    char *body_html;   /* bodies[text/html], optional */
    long body_chars;   /* bodies[text/plain].charCount; 0: absent */
    long body_words;   /* bodies[text/plain].wordCount; 0: absent */
    char *by;          /* byline: people only */
    json_t *extra;     /* other ninjs members (object) or NULL */

    /* provenance: members of the "wirehose" extension object */
    char *source;       /* source name from the config or the URL */
    char *fetched_at;   /* RFC 3339 */
    char *final_url;    /* after redirects */
    int http_status;    /* 0 when not fetched over HTTP */
    char *content_hash; /* wh_body_hash() of body_text */
    char *extractor_version;
    json_t *ext; /* other members of "wirehose" (object) or NULL */
};

struct wh_record *wh_record_new(void);
void wh_record_free(struct wh_record *rec);

/* Builds the ninjs JSON document. Returns a new reference (never NULL). */
json_t *wh_record_to_json(const struct wh_record *rec);

/* Serializes to compact JSON text (one line, no trailing newline), keys in
 * a stable order. The caller frees it with free(). */
char *wh_record_dump(const struct wh_record *rec);

/* Parses a ninjs document (borrowed). Unknown ninjs members go to
 * rec->extra, unknown "wirehose" members to rec->ext. Returns a record, or
 * NULL with errstr filled when doc is not an object or lacks "uri", or a
 * known member has the wrong type. */
struct wh_record *wh_record_from_json(const json_t *doc, char *errstr,
                                      size_t errstr_size);

/* Parses JSON text (len bytes, need not be NUL-terminated). NULL with
 * errstr ("line:column: reason") on failure. */
struct wh_record *wh_record_parse(const char *text, size_t len, char *errstr,
                                  size_t errstr_size);

/* The strict check of a record on arrival (record_check.c): every member
 * present against the IPTC ninjs 3.1 rules (types; "uri" and the uris of
 * linked objects absolute URIs; dates RFC 3339 date-times; headlines,
 * descriptions and bodies arrays of objects with a string "value"; the
 * enumerations; urgency 1 to 9; no member ninjs does not define but our
 * extension object, whose known members are checked too) and what the
 * pipeline needs (a "uri"; a non-empty headline or text body). Returns
 * WH_OK, or WH_EINVAL with the first failing field's path in field
 * ("bodies[0].value") and the reason in errstr. */
int wh_record_check(const json_t *doc, char *field, size_t field_size,
                    char *errstr, size_t errstr_size);

/* Marks in the extension object ("filled": ["type", "version"]) the
 * members doc lacked that the record carries with a default. */
void wh_record_mark_filled(struct wh_record *rec, const json_t *doc);

/* Non-zero when s is an RFC 3339 date-time ("2026-11-27T12:00:00Z",
 * "...T12:00:00.5+01:00"). */
int wh_rfc3339_valid(const char *s);

/* Non-zero when s is an absolute URI: a scheme, ':', and something after
 * it, with no blank or control character. */
int wh_uri_absolute(const char *s);

/* Sets rec->content_hash from rec->body_text (replacing any old one). */
void wh_record_hash_body(struct wh_record *rec);

/* Writes the current UTC time as RFC 3339 ("2026-11-27T12:00:00Z") into
 * out[21]. */
void wh_now_rfc3339(char out[21]);

#endif
