/*
 * media.c - Media RSS objects of a feed item (see media.h).
 */
#include "media.h"

#include <stdlib.h>
#include <string.h>

#include "source.h"
#include "xml.h"

#define NS_MEDIA "http://search.yahoo.com/mrss/"

/* item > media:group > media:content > media:thumbnail is as deep as
 * Media RSS nests. */
#define MAX_DEPTH 2

static void add_one(const xmlNode *node, const char *rel,
                    struct wh_feed_item *it)
{
    char *href = wh_xml_attr(node, "url");
    char *medium = wh_xml_attr(node, "medium");
    struct wh_feed_media *m;

    /* A thumbnail is an image whatever it says. */
    m = wh_feed_item_add_media(
        it, wh_xml_resolve(node, href), wh_xml_attr(node, "type"),
        strcmp(rel, "thumbnail") == 0 ? "image" : medium, rel);
    if (m != NULL) {
        m->width =
            m->width > 0 ? m->width : (long)wh_xml_attr_size(node, "width");
        m->height =
            m->height > 0 ? m->height : (long)wh_xml_attr_size(node, "height");
        m->size = m->size > 0 ? m->size : wh_xml_attr_size(node, "fileSize");
    }
    free(href);
    free(medium);
}

static void walk(const xmlNode *parent, struct wh_feed_item *it, int depth)
{
    const xmlNode *n;

    if (depth > MAX_DEPTH) {
        return;
    }
    for (n = parent->children; n != NULL; n = n->next) {
        if (wh_xml_is(n, NS_MEDIA, "content")) {
            add_one(n, "content", it);
            walk(n, it, depth + 1);
        } else if (wh_xml_is(n, NS_MEDIA, "thumbnail")) {
            add_one(n, "thumbnail", it);
        } else if (wh_xml_is(n, NS_MEDIA, "group")) {
            walk(n, it, depth + 1);
        }
    }
}

void wh_media_rss(const xmlNode *item, struct wh_feed_item *it)
{
    if (item != NULL) {
        walk(item, it, 0);
    }
}
