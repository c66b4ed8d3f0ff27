/*
 * jsonfeed.c - JSON Feed 1.0 and 1.1 (https://jsonfeed.org/version/1.1).
 *
 * Kept per item: id, url (else external_url), title and summary as
 * plain text, content_html (else content_text made HTML) as the item's
 * content, authors[].name (1.1) or author.name (1.0), date_published,
 * date_modified, tags, every attachment. Relative URLs resolve
 * against the feed URL.
 */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kinds.h"
#include "wh/buf.h"
#include "wh/wh.h"
#include "xml.h"

#define MARK "https://jsonfeed.org/version/"
#define MARK_OLD "http://jsonfeed.org/version/"
#define DETECT_WINDOW 4096

static int detect(const char *body, size_t len, const char *content_type)
{
    size_t i;
    size_t n;

    (void)content_type;
    if (body == NULL) {
        return 0;
    }
    i = wh_xml_skip_space(body, len);
    if (i >= len || body[i] != '{') {
        return 0;
    }
    n = len - i < DETECT_WINDOW ? len - i : DETECT_WINDOW;
    if (memmem(body + i, n, MARK, strlen(MARK)) != NULL ||
        memmem(body + i, n, MARK_OLD, strlen(MARK_OLD)) != NULL) {
        return 100;
    }
    return 0;
}

/* A string member as a new string (numbers too, for ids), or NULL. */
static char *str(const json_t *obj, const char *key)
{
    const json_t *v = json_object_get(obj, key);
    const char *s;

    if (json_is_integer(v)) {
        return wh_xasprintf("%" JSON_INTEGER_FORMAT, json_integer_value(v));
    }
    s = json_string_value(v);
    if (s == NULL) {
        return NULL;
    }
    while (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r') {
        s++;
    }
    return s[0] != '\0' ? wh_xstrdup(s) : NULL;
}

static char *authors(const json_t *obj)
{
    const json_t *list = json_object_get(obj, "authors");
    const json_t *a;
    struct wh_buf b;
    size_t i;

    wh_buf_init(&b, 0);
    json_array_foreach (list, i, a) {
        const char *name = json_string_value(json_object_get(a, "name"));

        if (name == NULL || name[0] == '\0') {
            continue;
        }
        if (b.len > 0) {
            (void)wh_buf_puts(&b, ", ");
        }
        (void)wh_buf_puts(&b, name);
    }
    if (b.len > 0) {
        return wh_buf_steal(&b);
    }
    wh_buf_free(&b);
    /* JSON Feed 1.0 */
    return str(json_object_get(obj, "author"), "name");
}

static void parse_item(const json_t *item, const char *base_url,
                       const char *feed_author, struct wh_feed *feed)
{
    struct wh_feed_item *it = wh_feed_add_item(feed);
    const json_t *tags;
    const json_t *tag;
    const json_t *att;
    char *text;
    size_t i;

    it->id = str(item, "id");
    text = str(item, "url");
    if (text == NULL) {
        text = str(item, "external_url");
    }
    it->link = wh_xml_build_uri(base_url, text);
    free(text);
    if (it->id == NULL && it->link != NULL) {
        it->id = wh_xstrdup(it->link);
    }
    it->title = wh_xml_plain(str(item, "title"));
    it->summary = wh_xml_plain(str(item, "summary"));
    it->content = str(item, "content_html");
    if (it->content == NULL) {
        text = str(item, "content_text");
        it->content = wh_xml_text_to_html(text);
        free(text);
    }
    if (it->content != NULL && base_url != NULL) {
        it->content_base = wh_xstrdup(base_url);
    }
    it->author = authors(item);
    if (it->author == NULL && feed_author != NULL) {
        it->author = wh_xstrdup(feed_author);
    }
    it->published = wh_xml_date(str(item, "date_published"));
    it->updated = wh_xml_date(str(item, "date_modified"));
    tags = json_object_get(item, "tags");
    json_array_foreach (tags, i, tag) {
        const char *t = json_string_value(tag);

        if (t != NULL && t[0] != '\0') {
            wh_feed_item_add_category(it, wh_xstrdup(t));
        }
    }
    json_array_foreach (json_object_get(item, "attachments"), i, att) {
        struct wh_feed_media *m;
        json_int_t size;

        if (!json_is_object(att)) {
            continue;
        }
        text = str(att, "url");
        m = wh_feed_item_add_media(it, wh_xml_build_uri(base_url, text),
                                   str(att, "mime_type"), NULL, "enclosure");
        free(text);
        size = json_integer_value(json_object_get(att, "size_in_bytes"));
        if (m != NULL && size > 0) {
            m->size = (long long)size;
        }
    }
}

static int parse(const char *body, size_t len, const char *base_url,
                 struct wh_feed *feed, char *errstr, size_t errstr_size)
{
    json_t *doc;
    const json_t *items;
    const json_t *item;
    char *feed_author;
    size_t i;
    int rc;

    doc = wh_xml_json_parse(body, len, &rc, errstr, errstr_size);
    if (doc == NULL) {
        return rc;
    }
    items = json_object_get(doc, "items");
    if (!json_is_object(doc) || !json_is_array(items)) {
        snprintf(errstr, errstr_size, "no \"items\" array");
        json_decref(doc);
        return WH_EPARSE;
    }
    if (feed->title == NULL) {
        feed->title = str(doc, "title");
    }
    feed_author = authors(doc);
    json_array_foreach (items, i, item) {
        if (json_is_object(item)) {
            parse_item(item, base_url, feed_author, feed);
        }
    }
    free(feed_author);
    json_decref(doc);
    return WH_OK;
}

const struct wh_source_kind wh_source_jsonfeed = {
    .name = "jsonfeed",
    .description = "JSON Feed 1.0 and 1.1",
    .detect = detect,
    .parse = parse,
};
