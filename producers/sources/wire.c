/*
 * wire.c - helpers of the wire kinds (see wire.h).
 */
#include "wire.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "wh/record.h"
#include "wh/wh.h"

static json_t *extra(struct wh_record *rec)
{
    if (rec->extra == NULL) {
        rec->extra = json_object();
    }
    return rec->extra;
}

void wh_wire_set(struct wh_record *rec, const char *name, char *value)
{
    if (value != NULL && value[0] != '\0') {
        json_object_set_new(extra(rec), name, json_string(value));
    }
    free(value);
}

void wh_wire_set_urgency(struct wh_record *rec, const char *s)
{
    char *end = NULL;
    long u;

    if (s == NULL) {
        return;
    }
    u = strtol(s, &end, 10);
    if (end != s && *end == '\0' && u >= 1 && u <= 9) {
        json_object_set_new(extra(rec), "urgency", json_integer(u));
    }
}

void wh_wire_add_concept(struct wh_record *rec, const char *array,
                         const char *name, const char *literal, const char *uri)
{
    json_t *arr;
    json_t *o;

    if (name == NULL && literal == NULL && uri == NULL) {
        return;
    }
    arr = json_object_get(extra(rec), array);
    if (!json_is_array(arr)) {
        arr = json_array();
        json_object_set_new(rec->extra, array, arr);
    }
    o = json_object();
    if (name != NULL) {
        json_object_set_new(o, "name", json_string(name));
    }
    if (literal != NULL) {
        json_object_set_new(o, "literal", json_string(literal));
    }
    if (uri != NULL) {
        json_object_set_new(o, "uri", json_string(uri));
    }
    json_array_append_new(arr, o);
}

void wh_wire_add_item(struct wh_feed *feed, struct wh_record *rec)
{
    struct wh_feed_item *it = wh_feed_add_item(feed);

    it->id = rec->version > 0 ? wh_xasprintf("%s#v%u", rec->uri, rec->version)
                              : wh_xstrdup(rec->uri);
    if (rec->headline != NULL) {
        it->title = wh_xstrdup(rec->headline);
    }
    if (rec->first_created != NULL) {
        it->published = wh_xstrdup(rec->first_created);
    }
    if (rec->version_created != NULL) {
        it->updated = wh_xstrdup(rec->version_created);
    }
    it->rec = rec;
}
