/*
 * meta_ld.c - article metadata from schema.org JSON-LD for meta.c: the
 * <script type="application/ld+json"> blocks, their @graph and arrays,
 * the article object's headline, dates, authors, section and keywords.
 */
#include <ctype.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "meta_int.h"
#include "wh/date.h"
#include "wh/wh.h"

static const char *js_str(const json_t *o, const char *key)
{
    const json_t *v = json_object_get(o, key);

    if (json_is_array(v) && json_array_size(v) > 0) {
        v = json_array_get(v, 0);
    }
    if (json_is_object(v)) {
        const json_t *n = json_object_get(v, "name");

        if (!json_is_string(n)) {
            n = json_object_get(v, "url");
        }
        if (!json_is_string(n)) {
            n = json_object_get(v, "@id");
        }
        v = n;
    }
    return json_is_string(v) ? json_string_value(v) : NULL;
}

static int type_is_article(const json_t *o)
{
    const json_t *t = json_object_get(o, "@type");
    size_t n = json_is_array(t) ? json_array_size(t) : 1;

    for (size_t i = 0; i < n; i++) {
        const json_t *e = json_is_array(t) ? json_array_get(t, i) : t;
        const char *s = json_is_string(e) ? json_string_value(e) : NULL;

        if (s != NULL &&
            (strstr(s, "Article") != NULL || strstr(s, "Posting") != NULL ||
             strcmp(s, "Report") == 0 || strcmp(s, "LiveBlogPosting") == 0)) {
            return 1;
        }
    }
    return 0;
}

static void ld_authors(struct meta_ctx *m, const json_t *a)
{
    struct wh_buf b;
    size_t n = json_is_array(a) ? json_array_size(a) : 1;

    wh_buf_init(&b, 0);
    for (size_t i = 0; i < n && i < 6; i++) {
        const json_t *e = json_is_array(a) ? json_array_get(a, i) : a;
        const char *name = NULL;
        const json_t *t;

        if (json_is_string(e)) {
            name = json_string_value(e);
        } else if (json_is_object(e)) {
            t = json_object_get(e, "@type");
            if (json_is_string(t) &&
                strcmp(json_string_value(t), "Organization") == 0) {
                continue;
            }
            t = json_object_get(e, "name");
            name = json_is_string(t) ? json_string_value(t) : NULL;
        }
        if (name != NULL && !meta_is_url_like(name)) {
            char *c = meta_byline_clean(name);

            if (c != NULL) {
                if (b.len > 0) {
                    wh_buf_puts(&b, ", ");
                }
                wh_buf_puts(&b, c);
                free(c);
            }
        }
    }
    if (b.len > 0) {
        meta_field_set(&m->byline, b.data, WH_PROV_JSONLD, R_JSONLD);
    }
    wh_buf_free(&b);
}

static void ld_article(struct meta_ctx *m, const json_t *o)
{
    const json_t *v;

    meta_field_set(&m->headline, js_str(o, "headline"), WH_PROV_JSONLD,
                   R_JSONLD);
    meta_field_set(&m->description, js_str(o, "description"), WH_PROV_JSONLD,
                   R_JSONLD);
    meta_date_set(&m->published, js_str(o, "datePublished"), WH_PROV_JSONLD,
                  R_JSONLD);
    meta_date_set(&m->modified, js_str(o, "dateModified"), WH_PROV_JSONLD,
                  R_JSONLD);
    meta_field_set(&m->section, js_str(o, "articleSection"), WH_PROV_JSONLD,
                   R_JSONLD);
    meta_field_set(&m->language, js_str(o, "inLanguage"), WH_PROV_JSONLD,
                   R_JSONLD);
    v = json_object_get(o, "author");
    if (v == NULL) {
        v = json_object_get(o, "creator");
    }
    if (v != NULL) {
        ld_authors(m, v);
    }
    v = json_object_get(o, "image");
    if (v != NULL) {
        const char *img = js_str(o, "image");

        if (img != NULL) {
            char *abs = wh_extract_abs_url(img, m->base);

            meta_field_set(&m->image, abs, WH_PROV_JSONLD, R_JSONLD);
            free(abs);
        }
    }
    v = json_object_get(o, "publisher");
    if (json_is_object(v)) {
        meta_field_set(&m->site_name, js_str(o, "publisher"), WH_PROV_JSONLD,
                       R_JSONLD + 5);
    }
    v = json_object_get(o, "keywords");
    if (json_is_string(v)) {
        meta_tags_add(m, json_string_value(v), R_JSONLD);
    } else if (json_is_array(v)) {
        for (size_t i = 0; i < json_array_size(v); i++) {
            const json_t *e = json_array_get(v, i);

            if (json_is_string(e)) {
                meta_tags_add(m, json_string_value(e), R_JSONLD);
            }
        }
    }
    {
        const char *u = js_str(o, "mainEntityOfPage");

        if (u == NULL) {
            u = js_str(o, "url");
        }
        if (u != NULL && strstr(u, "://") != NULL) {
            meta_field_set(&m->canonical, u, WH_PROV_JSONLD, R_META_STRONG + 5);
        }
    }
}

/* Looks for article objects in v: the object itself, @graph, arrays.
 * Bounded by depth. */
static void ld_walk(struct meta_ctx *m, const json_t *v, int depth)
{
    if (depth > MAX_JSONLD) {
        return;
    }
    if (json_is_array(v)) {
        for (size_t i = 0; i < json_array_size(v) && i < 64; i++) {
            ld_walk(m, json_array_get(v, i), depth + 1);
        }
        return;
    }
    if (!json_is_object(v)) {
        return;
    }
    if (type_is_article(v)) {
        ld_article(m, v);
    } else {
        const json_t *t = json_object_get(v, "@type");

        if (json_is_string(t) &&
            (strcmp(json_string_value(t), "WebSite") == 0 ||
             strcmp(json_string_value(t), "Organization") == 0 ||
             strcmp(json_string_value(t), "NewsMediaOrganization") == 0)) {
            meta_field_set(&m->site_name, js_str(v, "name"), WH_PROV_JSONLD,
                           R_JSONLD + 8);
        }
        if (json_is_string(t) && strcmp(json_string_value(t), "WebPage") == 0) {
            meta_date_set(&m->published, js_str(v, "datePublished"),
                          WH_PROV_JSONLD, R_JSONLD + 5);
            meta_date_set(&m->modified, js_str(v, "dateModified"),
                          WH_PROV_JSONLD, R_JSONLD + 5);
        }
    }
    ld_walk(m, json_object_get(v, "@graph"), depth + 1);
    if (json_is_object(json_object_get(v, "mainEntity"))) {
        ld_walk(m, json_object_get(v, "mainEntity"), depth + 1);
    }
}

void meta_ld_parse(struct meta_ctx *m, xmlNodePtr script)
{
    char *txt;
    json_t *doc;
    json_error_t jerr;

    if (script->children == NULL || script->children->content == NULL) {
        return;
    }
    txt = (char *)script->children->content;
    if (strlen(txt) > MAX_LDJSON_BYTES) {
        return;
    }
    doc = json_loads(txt, JSON_DECODE_ANY | JSON_ALLOW_NUL, &jerr);
    if (doc == NULL) {
        return;
    }
    ld_walk(m, doc, 0);
    json_decref(doc);
}
