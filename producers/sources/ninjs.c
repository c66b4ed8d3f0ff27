/*
 * ninjs.c - IPTC ninjs documents (News in JSON 1.x, 2.x and 3.x), one
 * object or an array of them. Wire items: each becomes a finished record
 * (item->rec), no page fetch.
 *
 * Older versions are mapped onto ninjs 3.1: lower-case names to their
 * camelCase form (versioncreated -> versionCreated), 1.x's headline,
 * description_text/_html, body_text/_html, byline, embargoed, subject,
 * person, organisation, place, genre and keywords to their 3.x arrays.
 * Members ninjs 3.1 does not define are dropped, so the record stays
 * valid against the 3.1 schema.
 */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "kinds.h"
#include "wh/date.h"
#include "wh/record.h"
#include "wh/wh.h"
#include "wire.h"
#include "xml.h"

#define DETECT_WINDOW 4096
/* Records taken from one document, at most. */
#define MAX_ITEMS 10000

/* The top-level properties of ninjs 3.1. */
static const char *const props31[] = {
    "uri",
    "type",
    "representationType",
    "profile",
    "version",
    "firstCreated",
    "versionCreated",
    "contentCreated",
    "embargoedUntil",
    "pubStatus",
    "urgency",
    "copyrightHolder",
    "copyrightNotice",
    "usageTerms",
    "edNote",
    "language",
    "descriptions",
    "bodies",
    "headlines",
    "people",
    "organisations",
    "places",
    "subjects",
    "events",
    "eventDetails",
    "plannedCoverage",
    "objects",
    "infoSources",
    "title",
    "by",
    "slugline",
    "located",
    "renditions",
    "associations",
    "altIds",
    "trustIndicators",
    "standard",
    "genres",
    "expires",
    "rightsInfo",
    "digitalSourceType",
};

static const char *const date_props[] = {
    "firstCreated",   "versionCreated", "contentCreated",
    "embargoedUntil", "expires",
};

static const char *const ninjs_types[] = {
    "text",      "audio",     "video", "picture",  "graphic",
    "composite", "component", "event", "planning",
};

/* Pre-3.0 names with a different 3.x name (compared without case). */
static const struct {
    const char *old;
    const char *now;
} renamed[] = {
    {"embargoed", "embargoedUntil"},
    {"byline", "by"},
    {"person", "people"},
    {"organisation", "organisations"},
    {"place", "places"},
    {"object", "objects"},
    {"event", "events"},
    {"genre", "genres"},
    {"altids", "altIds"},
};

static int in_list(const char *s, const char *const *list, size_t n)
{
    size_t i;

    for (i = 0; i < n; i++) {
        if (strcmp(s, list[i]) == 0) {
            return 1;
        }
    }
    return 0;
}

static int detect(const char *body, size_t len, const char *content_type)
{
    static const char *const marks[] = {
        "\"headlines\"",      "\"headline\"", "\"versioncreated\"",
        "\"versionCreated\"", "\"bodies\"",   "\"body_text\"",
        "\"body_html\"",      "ninjs",
    };
    size_t i;
    size_t n;
    size_t k;

    (void)content_type;
    if (body == NULL) {
        return 0;
    }
    i = wh_xml_skip_space(body, len);
    if (i >= len || (body[i] != '{' && body[i] != '[')) {
        return 0;
    }
    n = len - i < DETECT_WINDOW ? len - i : DETECT_WINDOW;
    if (memmem(body + i, n, "\"uri\"", 5) == NULL) {
        return 0;
    }
    for (k = 0; k < WH_ARRAY_SIZE(marks); k++) {
        if (memmem(body + i, n, marks[k], strlen(marks[k])) != NULL) {
            return 80;
        }
    }
    return 30;
}

/* The 3.1 name of a member name, or NULL when 3.1 has none. */
static const char *name31(const char *key)
{
    size_t i;

    for (i = 0; i < WH_ARRAY_SIZE(props31); i++) {
        if (strcasecmp(key, props31[i]) == 0) {
            return props31[i];
        }
    }
    for (i = 0; i < WH_ARRAY_SIZE(renamed); i++) {
        if (strcasecmp(key, renamed[i].old) == 0) {
            return renamed[i].now;
        }
    }
    return NULL;
}

/* Copies v with the nested member names of 2.x fixed (contenttype ->
 * contentType, ...). */
static json_t *fix_nested(const json_t *v)
{
    static const struct {
        const char *old;
        const char *now;
    } nested[] = {
        {"contenttype", "contentType"},
        {"mimetype", "contentType"},
        {"sizeinbytes", "sizeInBytes"},
    };
    json_t *out;
    const char *key;
    json_t *m;
    size_t i;

    if (json_is_array(v)) {
        out = json_array();
        json_array_foreach (v, i, m) {
            json_array_append_new(out, fix_nested(m));
        }
        return out;
    }
    if (!json_is_object(v)) {
        return json_deep_copy(v);
    }
    out = json_object();
    json_object_foreach ((json_t *)v, key, m) {
        const char *k = key;

        for (i = 0; i < WH_ARRAY_SIZE(nested); i++) {
            if (strcmp(key, nested[i].old) == 0) {
                k = nested[i].now;
                break;
            }
        }
        if (json_object_get(out, k) == NULL) {
            json_object_set_new(out, k, fix_nested(m));
        }
    }
    return out;
}

/* Appends {"role": role, ["contentType": ctype,] "value": s} to the
 * array member name of out. */
static void add_text(json_t *out, const char *name, const char *role,
                     const char *ctype, const char *s)
{
    json_t *arr = json_object_get(out, name);
    json_t *item;

    if (s == NULL || s[0] == '\0') {
        return;
    }
    if (!json_is_array(arr)) {
        arr = json_array();
        json_object_set_new(out, name, arr);
    }
    item = json_pack("{s:s}", "role", role);
    if (ctype != NULL) {
        json_object_set_new(item, "contentType", json_string(ctype));
    }
    json_object_set_new(item, "value", json_string(s));
    json_array_append_new(arr, item);
}

/* 1.x concept objects {name, rel, scheme, code} -> {name, rel, uri,
 * literal}, appended to out[name]. */
static void add_concepts(json_t *out, const char *name, const json_t *list)
{
    json_t *arr = json_object_get(out, name);
    const json_t *c;
    size_t i;

    if (!json_is_array(list)) {
        return;
    }
    if (!json_is_array(arr)) {
        arr = json_array();
        json_object_set_new(out, name, arr);
    }
    json_array_foreach (list, i, c) {
        const char *cname = json_string_value(json_object_get(c, "name"));
        const char *rel = json_string_value(json_object_get(c, "rel"));
        const char *code = json_string_value(json_object_get(c, "code"));
        const char *scheme = json_string_value(json_object_get(c, "scheme"));
        const char *uri = json_string_value(json_object_get(c, "uri"));
        const char *literal = json_string_value(json_object_get(c, "literal"));
        json_t *o = json_object();

        if (json_is_string(c)) {
            json_object_set_new(o, "name", json_string(json_string_value(c)));
        }
        if (cname != NULL) {
            json_object_set_new(o, "name", json_string(cname));
        }
        if (rel != NULL) {
            json_object_set_new(o, "rel", json_string(rel));
        }
        if (uri != NULL) {
            json_object_set_new(o, "uri", json_string(uri));
        } else if (scheme != NULL && code != NULL &&
                   strncmp(scheme, "http", 4) == 0) {
            size_t n = strlen(scheme);
            char *full =
                wh_xasprintf("%s%s%s", scheme,
                             n > 0 && scheme[n - 1] == '/' ? "" : "/", code);

            json_object_set_new(o, "uri", json_string(full));
            free(full);
        }
        if (literal != NULL) {
            json_object_set_new(o, "literal", json_string(literal));
        } else if (code != NULL) {
            json_object_set_new(o, "literal", json_string(code));
        }
        if (json_object_size(o) > 0) {
            json_array_append_new(arr, o);
        } else {
            json_decref(o);
        }
    }
}

/* One member of a ninjs 3.1 object from (key, v) of any version. */
static void convert_member(json_t *out, const char *key, const json_t *v)
{
    const char *name;
    char *date;

    if (strcasecmp(key, "headline") == 0) {
        add_text(out, "headlines", "main", NULL, json_string_value(v));
        return;
    }
    if (strcasecmp(key, "description_text") == 0) {
        add_text(out, "descriptions", "summary", NULL, json_string_value(v));
        return;
    }
    if (strcasecmp(key, "body_text") == 0) {
        add_text(out, "bodies", "main", "text/plain", json_string_value(v));
        return;
    }
    if (strcasecmp(key, "body_html") == 0) {
        add_text(out, "bodies", "main", "text/html", json_string_value(v));
        return;
    }
    if (strcasecmp(key, "subject") == 0) {
        add_concepts(out, "subjects", v);
        return;
    }
    if (strcasecmp(key, "keywords") == 0) {
        add_concepts(out, "subjects", v);
        return;
    }
    name = name31(key);
    if (name == NULL || json_object_get(out, name) != NULL) {
        return;
    }
    if (in_list(name, date_props, WH_ARRAY_SIZE(date_props))) {
        date = wh_date_normalize(json_string_value(v));
        if (date != NULL) {
            json_object_set_new(out, name, json_string(date));
            free(date);
        }
    } else if (strcmp(name, "version") == 0) {
        if (json_is_integer(v) && json_integer_value(v) >= 0) {
            json_object_set_new(
                out, name,
                json_sprintf("%" JSON_INTEGER_FORMAT, json_integer_value(v)));
        } else if (json_is_string(v) && json_string_length(v) > 0 &&
                   strspn(json_string_value(v), "0123456789") ==
                       json_string_length(v)) {
            json_object_set_new(out, name, json_deep_copy(v));
        }
    } else if (strcmp(name, "urgency") == 0) {
        json_int_t u = json_is_integer(v) ? json_integer_value(v)
                       : json_is_string(v)
                           ? strtol(json_string_value(v), NULL, 10)
                           : 0;

        if (u >= 1 && u <= 9) {
            json_object_set_new(out, name, json_integer(u));
        }
    } else if (strcmp(name, "pubStatus") == 0) {
        const char *s = json_string_value(v);

        if (s != NULL &&
            (strcasecmp(s, "usable") == 0 || strcasecmp(s, "withheld") == 0 ||
             strcasecmp(s, "canceled") == 0)) {
            char low[16];
            size_t i;

            for (i = 0; s[i] != '\0' && i + 1 < sizeof(low); i++) {
                low[i] = (char)(s[i] >= 'A' && s[i] <= 'Z' ? s[i] + 32 : s[i]);
            }
            low[i] = '\0';
            json_object_set_new(out, name, json_string(low));
        }
    } else if (strcmp(name, "type") == 0) {
        const char *s = json_string_value(v);

        if (s != NULL && in_list(s, ninjs_types, WH_ARRAY_SIZE(ninjs_types))) {
            json_object_set_new(out, name, json_string(s));
        }
    } else if (strcmp(name, "people") == 0 ||
               strcmp(name, "organisations") == 0 ||
               strcmp(name, "places") == 0 || strcmp(name, "genres") == 0 ||
               strcmp(name, "subjects") == 0) {
        add_concepts(out, name, v);
    } else if (strcmp(name, "headlines") == 0 ||
               strcmp(name, "descriptions") == 0 ||
               strcmp(name, "bodies") == 0) {
        if (json_is_array(v)) {
            json_t *fixed = fix_nested(v);
            json_t *arr = json_object_get(out, name);

            if (json_is_array(arr)) {
                json_array_extend(arr, fixed);
                json_decref(fixed);
            } else {
                json_object_set_new(out, name, fixed);
            }
        }
    } else if (json_is_string(v) || json_is_array(v) || json_is_object(v)) {
        json_object_set_new(out, name, fix_nested(v));
    }
}

/* Builds the record of one ninjs object; NULL with errstr filled. */
static struct wh_record *convert(const json_t *in, char *errstr,
                                 size_t errstr_size)
{
    json_t *out = json_object();
    struct wh_record *rec;
    const char *key;
    json_t *v;
    const char *html;

    json_object_foreach ((json_t *)in, key, v) {
        convert_member(out, key, v);
    }
    /* description_html only when there is no plain description */
    html = json_string_value(json_object_get(in, "description_html"));
    if (html != NULL && json_object_get(out, "descriptions") == NULL) {
        char *text = wh_xml_html_to_text(html);

        add_text(out, "descriptions", "summary", NULL, text);
        free(text);
    }
    rec = wh_record_from_json(out, errstr, errstr_size);
    json_decref(out);
    if (rec != NULL && rec->body_text == NULL && rec->body_html != NULL) {
        xmlDocPtr doc =
            wh_xml_parse_html(rec->body_html, strlen(rec->body_html));

        if (doc != NULL) {
            wh_xml_paragraphs((xmlNodePtr)doc, &rec->body_text, NULL);
            xmlFreeDoc(doc);
        }
    }
    return rec;
}

static int add_record(const json_t *obj, size_t index, struct wh_feed *feed,
                      char *errstr, size_t errstr_size)
{
    struct wh_record *rec;
    char why[200];

    if (!json_is_object(obj)) {
        snprintf(errstr, errstr_size, "item %zu: not an object", index);
        return WH_EPARSE;
    }
    rec = convert(obj, why, sizeof(why));
    if (rec == NULL) {
        snprintf(errstr, errstr_size, "item %zu: %s", index, why);
        return WH_EPARSE;
    }
    wh_wire_add_item(feed, rec);
    return WH_OK;
}

static int parse(const char *body, size_t len, const char *base_url,
                 struct wh_feed *feed, char *errstr, size_t errstr_size)
{
    json_t *doc;
    const json_t *obj;
    size_t i;
    int rc = WH_OK;

    (void)base_url;
    doc = wh_xml_json_parse(body, len, &rc, errstr, errstr_size);
    if (doc == NULL) {
        return rc;
    }
    if (json_is_array(doc)) {
        if (json_array_size(doc) > MAX_ITEMS) {
            snprintf(errstr, errstr_size, "more than %d items", MAX_ITEMS);
            rc = WH_E2BIG;
        }
        json_array_foreach (doc, i, obj) {
            if (rc != WH_OK) {
                break;
            }
            rc = add_record(obj, i, feed, errstr, errstr_size);
        }
    } else {
        rc = add_record(doc, 0, feed, errstr, errstr_size);
    }
    json_decref(doc);
    return rc;
}

const struct wh_source_kind wh_source_ninjs = {
    .name = "ninjs",
    .description = "IPTC ninjs 1.x, 2.x and 3.x documents (one or a list)",
    .detect = detect,
    .parse = parse,
};
