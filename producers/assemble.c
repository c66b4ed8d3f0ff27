/*
 * assemble.c - record assembly: the feed item's metadata merged into the
 * record of its page, then the uri and the provenance (see assemble.h).
 */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "assemble.h"
#include "extract/extract.h"
#include "sources/content.h"
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

    if (it->id == NULL || it->rec != NULL ||
        (it->link != NULL && strcmp(it->id, it->link) == 0)) {
        return;
    }
    if (rec->extra == NULL) {
        rec->extra = json_object();
    }
    ids = json_object_get(rec->extra, "altIds");
    if (!json_is_array(ids)) {
        ids = json_array();
        json_object_set_new(rec->extra, "altIds", ids);
    }
    json_array_append_new(ids,
                          json_pack("{s:s, s:s}", "role", "guid", "value", it->id));
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
    if (rec->extra == NULL) {
        rec->extra = json_object();
    }
    subjects = json_object_get(rec->extra, "subjects");
    if (!json_is_array(subjects)) {
        subjects = json_array();
        json_object_set_new(rec->extra, "subjects", subjects);
    }
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
    if (rec->extra == NULL) {
        rec->extra = json_object();
    }
    assoc = json_object_get(rec->extra, "associations");
    if (!json_is_array(assoc)) {
        assoc = json_array();
        json_object_set_new(rec->extra, "associations", assoc);
    }
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

void assemble_finish(struct wh_record *rec, const struct wh_feed_item *it,
                     const char *id, const char *source_name)
{
    char now[21];

    assemble_merge_feed(rec, it);
    if (rec->uri == NULL) {
        rec->uri = wh_xstrdup(it->link != NULL ? it->link : id);
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
}
