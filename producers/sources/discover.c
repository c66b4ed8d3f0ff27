/*
 * discover.c - feed autodiscovery: an HTML page (a site's homepage) whose
 * <link rel="alternate" type="application/rss+xml" href=...> (Atom, JSON
 * Feed too) name its feeds. The feeds go to feed->links for the producer
 * to poll; the page itself has no items.
 *
 * Detection scores low, so any real feed format wins over it.
 */
#include <libxml/HTMLparser.h>
#include <libxml/tree.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "kinds.h"
#include "wh/wh.h"
#include "xml.h"

/* Feeds named by one page, at most. */
#define MAX_FEEDS 16
#define MAX_DEPTH 64

static int detect(const char *body, size_t len, const char *content_type)
{
    char root[16];
    size_t n = len < 1024 ? len : 1024;

    if (content_type != NULL &&
        strncasecmp(content_type, "text/html", 9) == 0) {
        return 10;
    }
    if (wh_xml_sniff_root(body, len, root, sizeof(root), NULL, NULL) &&
        strcasecmp(root, "html") == 0) {
        return 10;
    }
    if (body != NULL && (memmem(body, n, "<!DOCTYPE html", 14) != NULL ||
                         memmem(body, n, "<!doctype html", 14) != NULL ||
                         memmem(body, n, "<html", 5) != NULL)) {
        return 10;
    }
    return 0;
}

static int is_feed_type(const char *type)
{
    static const char *const types[] = {
        "application/rss+xml",
        "application/atom+xml",
        "application/feed+json",
        "application/rdf+xml",
    };
    size_t i;

    for (i = 0; i < WH_ARRAY_SIZE(types); i++) {
        if (strncasecmp(type, types[i], strlen(types[i])) == 0) {
            return 1;
        }
    }
    return 0;
}

/* Non-zero when the space-separated rel list holds "alternate". */
static int rel_has_alternate(const char *rel)
{
    const char *p = rel;

    while (*p != '\0') {
        size_t n;

        while (*p == ' ') {
            p++;
        }
        n = strcspn(p, " ");
        if (n == 9 && strncasecmp(p, "alternate", 9) == 0) {
            return 1;
        }
        p += n;
    }
    return 0;
}

struct walk {
    char *base; /* <base href>, resolved; or the page URL */
    struct wh_feed *feed;
};

static void walk(const xmlNode *node, struct walk *w, int depth)
{
    const xmlNode *n;

    if (depth > MAX_DEPTH) {
        return;
    }
    for (n = node; n != NULL && w->feed->nlinks < MAX_FEEDS; n = n->next) {
        if (n->type != XML_ELEMENT_NODE) {
            continue;
        }
        if (xmlStrcasecmp(n->name, (const xmlChar *)"base") == 0) {
            char *href = wh_xml_attr(n, "href");

            if (href != NULL) {
                char *abs = wh_xml_build_uri(w->base, href);

                free(w->base);
                w->base = abs;
                free(href);
            }
        } else if (xmlStrcasecmp(n->name, (const xmlChar *)"link") == 0) {
            char *rel = wh_xml_attr(n, "rel");
            char *type = wh_xml_attr(n, "type");
            char *href = wh_xml_attr(n, "href");

            if (rel != NULL && type != NULL && href != NULL &&
                rel_has_alternate(rel) && is_feed_type(type)) {
                wh_feed_add_link(w->feed, wh_xml_build_uri(w->base, href));
            }
            free(rel);
            free(type);
            free(href);
        } else if (xmlStrcasecmp(n->name, (const xmlChar *)"body") == 0) {
            /* Feed links belong in <head>; do not scan the whole page. */
            continue;
        }
        walk(n->children, w, depth + 1);
    }
}

static int parse(const char *body, size_t len, const char *base_url,
                 struct wh_feed *feed, char *errstr, size_t errstr_size)
{
    xmlDocPtr doc;
    struct walk w;

    if (len > WH_XML_MAX_BYTES) {
        snprintf(errstr, errstr_size,
                 "document too large (%zu bytes, limit %zu)", len,
                 WH_XML_MAX_BYTES);
        return WH_E2BIG;
    }
    doc = wh_xml_parse_html(body, len);
    if (doc == NULL) {
        snprintf(errstr, errstr_size, "unreadable HTML");
        return WH_EPARSE;
    }
    w.base = base_url != NULL ? wh_xstrdup(base_url) : NULL;
    w.feed = feed;
    walk(doc->children, &w, 0);
    free(w.base);
    xmlFreeDoc(doc);
    if (feed->nlinks == 0) {
        snprintf(errstr, errstr_size,
                 "an HTML page without feed links (<link rel=alternate "
                 "type=application/rss+xml ...>)");
        return WH_EPARSE;
    }
    return WH_OK;
}

const struct wh_source_kind wh_source_discover = {
    .name = "discover",
    .description = "feed autodiscovery from an HTML page (link "
                   "rel=alternate)",
    .detect = detect,
    .parse = parse,
};
