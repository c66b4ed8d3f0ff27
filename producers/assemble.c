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
#include "wh/hash.h"
#include "wh/url.h"
#include "wh/wh.h"

/* Notes in the extension object that field came from the feed. */
static void field_from_feed(struct wh_record *rec, const char *field)
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
    json_object_set_new(fs, field, json_string("feed"));
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

/* The feed's enclosure as a ninjs association with one rendition. */
static void merge_enclosure(struct wh_record *rec,
                            const struct wh_feed_item *it)
{
    json_t *assoc;
    json_t *rendition;

    if (it->enclosure_url == NULL) {
        return;
    }
    assoc = extra_array(rec, "associations");
    rendition =
        json_pack("{s:s, s:s}", "name", "original", "href", it->enclosure_url);
    if (it->enclosure_type != NULL) {
        json_object_set_new(rendition, "contentType",
                            json_string(it->enclosure_type));
    }
    json_array_append_new(
        assoc, json_pack("{s:s, s:s, s:[o]}", "name", "enclosure", "uri",
                         it->enclosure_url, "renditions", rendition));
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
