/*
 * assemble.c - record assembly: the feed item's metadata merged into the
 * record of its page, then the uri and the provenance (see assemble.h).
 */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "assemble.h"
#include "extract/extract.h"
#include "extract/quality.h"
#include "fetcher.h"
#include "sources/content.h"
#include "wh/buf.h"
#include "wh/hash.h"
#include "wh/url.h"
#include "wh/wh.h"

/* Notes in the extension object that field came from `from`. */
static void field_source(struct wh_record *rec, const char *field,
                         const char *from)
{
    json_t *fs;

    if (rec->ext == NULL) {
        rec->ext = json_object();
    }
    fs = json_object_get(rec->ext, "fieldSources");
    if (!json_is_object(fs)) {
        fs = json_object();
        json_object_set_new(rec->ext, "fieldSources", fs);
    }
    json_object_set_new(fs, field, json_string(from));
}

/* Notes in the extension object that field came from the feed. */
static void field_from_feed(struct wh_record *rec, const char *field)
{
    field_source(rec, field, "feed");
}

void assemble_body_source(struct wh_record *rec, const char *from)
{
    field_source(rec, "body", from);
}

/* Replaces *field with a copy of value (NULL allowed). */
static void set_owned(char **field, const char *value)
{
    free(*field);
    *field = value != NULL ? wh_xstrdup(value) : NULL;
}

void assemble_feed_body(struct wh_record *rec, const struct wh_article *art)
{
    set_owned(&rec->body_text, art->body_text);
    set_owned(&rec->body_html, art->body_html);
    rec->body_words = 0;
    rec->body_chars = 0;
    if (rec->ext == NULL) {
        rec->ext = json_object();
    }
    json_object_set_new(rec->ext, "bodyWords",
                        json_integer((json_int_t)art->body_words));
    wh_record_hash_body(rec);
    assemble_body_source(rec, "feed");
}

struct wh_record *assemble_from_feed(const struct wh_feed_item *it,
                                     size_t max_bytes)
{
    struct wh_record *rec = wh_record_new();
    struct wh_article *art = wh_feed_content_article(it, max_bytes);

    if (art == NULL) {
        /* No content: the summary is all the text the feed has. */
        art = wh_feed_summary_article(it);
    }
    if (art != NULL) {
        assemble_feed_body(rec, art);
        wh_article_free(art);
    }
    return rec;
}

/* The item's guid or atom:id in "altIds" (role "guid"), unless it is
 * merely its link (then the uri says it). */
static void merge_guid(struct wh_record *rec, const struct wh_feed_item *it)
{
    json_t *ids;

    if (it->id == NULL || (it->link != NULL && strcmp(it->id, it->link) == 0)) {
        return;
    }
    if (it->rec != NULL || (it->link == NULL && rec->uri != NULL)) {
        return; /* a wire item: its record has its own ids */
    }
    if (rec->extra == NULL) {
        rec->extra = json_object();
    }
    ids = json_object_get(rec->extra, "altIds");
    if (!json_is_array(ids)) {
        ids = json_array();
        json_object_set_new(rec->extra, "altIds", ids);
    }
    json_array_append_new(
        ids, json_pack("{s:s, s:s}", "role", "guid", "value", it->id));
}

/* Sets *field to a copy of value when *field is NULL and value is not. */
static void fill(struct wh_record *rec, char **field, const char *value,
                 const char *name)
{
    if (*field == NULL && value != NULL && value[0] != '\0') {
        *field = wh_xstrdup(value);
        field_from_feed(rec, name);
    }
}

/* The array member name of rec->extra (both created when missing),
 * borrowed. */
static json_t *extra_array(struct wh_record *rec, const char *name)
{
    json_t *a;

    if (rec->extra == NULL) {
        rec->extra = json_object();
    }
    a = json_object_get(rec->extra, name);
    if (!json_is_array(a)) {
        a = json_array();
        json_object_set_new(rec->extra, name, a);
    }
    return a;
}

/* Adds the feed's categories to ninjs "subjects" ({"name": ...}), skipping
 * names already there. */
static void merge_categories(struct wh_record *rec,
                             const struct wh_feed_item *it)
{
    json_t *subjects;
    size_t had;
    size_t i;
    int added = 0;

    if (it->ncategories == 0) {
        return;
    }
    subjects = extra_array(rec, "subjects");
    had = json_array_size(subjects);
    for (i = 0; i < it->ncategories; i++) {
        size_t j;
        json_t *s;
        int dup = 0;

        json_array_foreach (subjects, j, s) {
            const char *name = json_string_value(json_object_get(s, "name"));

            if (name != NULL && strcasecmp(name, it->categories[i]) == 0) {
                dup = 1;
                break;
            }
        }
        if (!dup) {
            json_array_append_new(
                subjects, json_pack("{s:s}", "name", it->categories[i]));
            added = 1;
        }
    }
    /* Attributed to the feed only when the page had none. */
    if (added && had == 0) {
        field_from_feed(rec, "subjects");
    }
}

/* The feed's media (enclosures, Media RSS) as ninjs associations. */
static void merge_enclosure(struct wh_record *rec,
                            const struct wh_feed_item *it)
{
    json_t *assoc;
    size_t i;

    if (it->nmedia == 0) {
        return;
    }
    assoc = extra_array(rec, "associations");
    for (i = 0; i < it->nmedia; i++) {
        json_array_append_new(assoc, wh_feed_media_association(&it->media[i]));
    }
    field_from_feed(rec, "associations");
}

void assemble_merge_feed(struct wh_record *rec, const struct wh_feed_item *it)
{
    fill(rec, &rec->headline, it->title, "headline");
    fill(rec, &rec->description, it->summary, "description");
    fill(rec, &rec->by, it->author, "by");
    fill(rec, &rec->first_created,
         it->published != NULL ? it->published : it->updated, "firstCreated");
    fill(rec, &rec->version_created,
         it->updated != NULL ? it->updated : it->published, "versionCreated");
    merge_categories(rec, it);
    merge_enclosure(rec, it);
    merge_guid(rec, it);
}

/* Non-zero when s starts with a URI scheme ("http:", "tag:", "urn:"). */
static int has_scheme(const char *s)
{
    const char *p = s;

    if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z'))) {
        return 0;
    }
    while ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
           (*p >= '0' && *p <= '9') || *p == '+' || *p == '-' || *p == '.') {
        p++;
    }
    return *p == ':' && p[1] != '\0';
}

/* The uri of an item without a link: its guid when that is a URI, else
 * "SOURCE_URL#guid=GUID" (percent-encoded), which is one, and names the
 * feed: a bare guid ("4", "item-17") is only unique within its feed. */
static char *guid_uri(const char *id, const char *source_url)
{
    static const char hex[] = "0123456789ABCDEF";
    struct wh_buf b;
    const unsigned char *p;

    if (has_scheme(id) && strchr(id, ' ') == NULL) {
        return wh_xstrdup(id);
    }
    wh_buf_init(&b, 0);
    (void)wh_buf_puts(&b, source_url);
    (void)wh_buf_puts(&b, "#guid=");
    for (p = (const unsigned char *)id; *p != '\0'; p++) {
        if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
            (*p >= '0' && *p <= '9') || strchr("-._~", *p) != NULL) {
            (void)wh_buf_append(&b, (const char *)p, 1);
        } else {
            char esc[3] = {'%', hex[*p >> 4], hex[*p & 15]};

            (void)wh_buf_append(&b, esc, 3);
        }
    }
    return wh_buf_steal(&b);
}

void assemble_finish(struct wh_record *rec, const struct wh_feed_item *it,
                     const char *id, const char *source_name,
                     const char *source_url)
{
    char now[21];

    assemble_merge_feed(rec, it);
    if (rec->uri == NULL) {
        rec->uri =
            it->link != NULL ? wh_xstrdup(it->link) : guid_uri(id, source_url);
    }
    if (it->link != NULL) {
        /* Pages: one uri however the page was reached. Wire items keep
         * their own uri. */
        char *norm = wh_url_normalize(rec->uri);

        if (norm != NULL) {
            free(rec->uri);
            rec->uri = norm;
        }
    }
    free(rec->source);
    rec->source = wh_xstrdup(source_name);
    wh_now_rfc3339(now);
    free(rec->fetched_at);
    rec->fetched_at = wh_xstrdup(now);
    if (rec->content_hash == NULL) {
        /* Records without a body (a feed-only item, a wire cancellation)
         * carry the hash of the empty body: the field is always there. */
        rec->content_hash =
            wh_body_hash(rec->body_text != NULL ? rec->body_text : "");
    }
    if (rec->extractor_version == NULL && it->link != NULL) {
        rec->extractor_version = wh_xstrdup(WH_EXTRACTOR_VERSION);
    }
    wh_extract_note_unextracted(rec);
}

/* Whether a failed page fetch is for good, and the reason label. */
static void fetch_outcome(const struct wh_fetch_result *res,
                          struct assemble_outcome *o)
{
    o->permanent = 0;
    o->reason = "error";
    switch (res->outcome) {
    case WH_FETCH_ROBOTS:
        /* Disallowed; an unreachable robots.txt is a pause (WH_RETRY). */
        o->permanent = res->rc != WH_RETRY;
        o->reason = o->permanent ? "robots" : "robots_unreachable";
        break;
    case WH_FETCH_HTTP_ERROR:
        if (res->status == 404) {
            o->permanent = 1;
            o->reason = "not_found";
        } else if (res->status == 410) {
            o->permanent = 1;
            o->reason = "gone";
        } else if (res->status >= 400 && res->status < 500 &&
                   res->status != 408 && res->status != 429) {
            /* 401, 403, 451, ...: the same request gets the same answer */
            o->permanent = 1;
            o->reason = "client_error";
        } else if (res->status >= 500) {
            o->reason = "server_error";
        }
        break;
    case WH_FETCH_TOO_BIG:
        o->permanent = 1;
        o->reason = "too_big";
        break;
    case WH_FETCH_RETRY_AFTER:
        o->reason = res->status == 429 ? "rate_limited" : "server_error";
        break;
    case WH_FETCH_TIMEOUT:
        o->reason = "timeout";
        break;
    case WH_FETCH_REFUSED:
        o->reason = "refused";
        break;
    default:
        break;
    }
}

/* The extracted page as a record; with body = auto, the feed's content
 * instead of a page body that holds clearly less. */
static struct wh_record *page_record(const struct wh_feed_item *it,
                                     const struct wh_fetch_result *res,
                                     const struct wh_article *art, int body,
                                     size_t max_bytes,
                                     struct assemble_outcome *o)
{
    struct wh_record *rec = wh_record_new();
    struct wh_article *feed_art = NULL;

    wh_article_to_record(art, res->final_url, rec);
    if (body == BODY_AUTO && it->content != NULL) {
        feed_art = wh_feed_content_article(it, max_bytes);
    }
    if (feed_art != NULL &&
        wh_feed_body_wins(art->body_words, feed_art->body_words)) {
        assemble_feed_body(rec, feed_art);
        o->from_feed = 1;
    } else if (rec->body_text != NULL) {
        assemble_body_source(rec, "page");
    }
    wh_article_free(feed_art);
    return rec;
}

struct wh_record *assemble_item(const struct wh_feed_item *it,
                                const struct wh_fetch_result *res, int body,
                                size_t max_bytes, struct wh_quality *q,
                                const char *source, struct assemble_outcome *o)
{
    struct wh_extract_opts opts;
    struct wh_article *art = NULL;
    struct wh_record *rec = NULL;
    int feed_ok = it->content != NULL && body != BODY_PAGE;
    char *charset;

    memset(o, 0, sizeof(*o));
    o->reason = "error";
    if (res == NULL) {
        o->from_feed = 1;
        return assemble_from_feed(it, max_bytes);
    }
    if (res->outcome != WH_FETCH_OK) {
        snprintf(o->why, sizeof(o->why), "%.200s%s", res->error,
                 feed_ok ? "; publishing the feed's content" : "");
        fetch_outcome(res, o);
    } else {
        memset(&opts, 0, sizeof(opts));
        opts.max_bytes = max_bytes;
        charset = wh_fetch_charset(res->content_type);
        opts.charset = charset;
        art = wh_extract(res->body, res->len, res->final_url, &opts, o->why,
                         sizeof(o->why));
        free(charset);
        wh_quality_add(q, source, art);
        if (art != NULL) {
            o->why[0] = '\0';
            o->extracted = 1;
            rec = page_record(it, res, art, body, max_bytes, o);
            wh_article_free(art);
        } else {
            size_t n = strlen(o->why);

            o->extracted = -1;
            o->permanent = 1;
            o->reason = "no_article";
            snprintf(o->why + n, sizeof(o->why) - n, "%s",
                     feed_ok ? "; publishing the feed's content"
                     : it->title != NULL
                         ? "; publishing the feed's metadata only"
                         : "");
            if (!feed_ok && it->title != NULL) {
                rec = wh_record_new();
                rec->uri = wh_xstrdup(res->final_url);
            }
        }
    }
    if (rec == NULL && feed_ok) {
        rec = assemble_from_feed(it, max_bytes);
        o->from_feed = 1;
    }
    if (rec != NULL) {
        const char *url = res->final_url != NULL ? res->final_url : res->url;

        free(rec->final_url);
        rec->final_url = url != NULL ? wh_xstrdup(url) : NULL;
        rec->http_status = res->status;
    }
    return rec;
}
