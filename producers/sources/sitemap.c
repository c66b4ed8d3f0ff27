/*
 * sitemap.c - XML sitemaps (<urlset>), sitemap indexes (<sitemapindex>,
 * whose children go to feed->links) and Google News sitemaps (the
 * news:news block of a <url>: publication date, title, keywords).
 * Gzipped sitemaps are inflated by wh_source_parse() before detection.
 */
#include <libxml/tree.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kinds.h"
#include "wh/wh.h"
#include "xml.h"

#define NS_NEWS "http://www.google.com/schemas/sitemap-news/0.9"

static int detect(const char *body, size_t len, const char *content_type)
{
    char root[32];
    const char *colon;
    const char *local;

    (void)content_type;
    if (!wh_xml_sniff_root(body, len, root, sizeof(root), NULL, NULL)) {
        return 0;
    }
    colon = strchr(root, ':');
    local = colon != NULL ? colon + 1 : root;
    if (strcmp(local, "urlset") == 0 || strcmp(local, "sitemapindex") == 0) {
        return 100;
    }
    return 0;
}

/* Sitemap elements are in the namespace of the root (sitemaps.org 0.9,
 * or an older Google one, or none). */
static int sm_is(const xmlNode *node, const xmlNs *root_ns, const char *name)
{
    return wh_xml_is(node, root_ns != NULL ? (const char *)root_ns->href : NULL,
                     name);
}

static char *sm_text(const xmlNode *parent, const xmlNs *root_ns,
                     const char *name)
{
    return wh_xml_child_text(
        parent, root_ns != NULL ? (const char *)root_ns->href : NULL, name);
}

/* "a, b,c" -> categories a, b, c. */
static void add_keywords(struct wh_feed_item *it, const char *keywords)
{
    const char *p = keywords;

    while (p != NULL && *p != '\0') {
        const char *comma = strchr(p, ',');
        size_t n = comma != NULL ? (size_t)(comma - p) : strlen(p);

        while (n > 0 && (*p == ' ' || *p == '\t')) {
            p++;
            n--;
        }
        while (n > 0 && (p[n - 1] == ' ' || p[n - 1] == '\t')) {
            n--;
        }
        if (n > 0) {
            wh_feed_item_add_category(it, wh_xstrndup(p, n));
        }
        p = comma != NULL ? comma + 1 : NULL;
    }
}

static void parse_url(const xmlNode *url, const xmlNs *root_ns,
                      struct wh_feed *feed)
{
    struct wh_feed_item *it;
    xmlNodePtr news;
    char *loc;
    char *keywords;

    loc = sm_text(url, root_ns, "loc");
    if (loc == NULL) {
        return;
    }
    it = wh_feed_add_item(feed);
    it->link = wh_xml_resolve(url, loc);
    free(loc);
    if (it->link != NULL) {
        it->id = wh_xstrdup(it->link);
    }
    it->updated = wh_xml_date(sm_text(url, root_ns, "lastmod"));
    news = wh_xml_child(url, NS_NEWS, "news");
    if (news != NULL) {
        it->title = wh_xml_child_text(news, NS_NEWS, "title");
        it->published =
            wh_xml_date(wh_xml_child_text(news, NS_NEWS, "publication_date"));
        keywords = wh_xml_child_text(news, NS_NEWS, "keywords");
        add_keywords(it, keywords);
        free(keywords);
    }
}

static int parse(const char *body, size_t len, const char *base_url,
                 struct wh_feed *feed, char *errstr, size_t errstr_size)
{
    xmlDocPtr doc;
    xmlNodePtr root;
    const xmlNode *n;
    int rc;

    doc = wh_xml_parse(body, len, base_url, &rc, errstr, errstr_size);
    if (doc == NULL) {
        return rc;
    }
    root = xmlDocGetRootElement(doc);
    if (sm_is(root, root->ns, "urlset")) {
        for (n = root->children; n != NULL; n = n->next) {
            if (sm_is(n, root->ns, "url")) {
                parse_url(n, root->ns, feed);
            }
        }
    } else if (sm_is(root, root->ns, "sitemapindex")) {
        for (n = root->children; n != NULL; n = n->next) {
            char *loc;

            if (!sm_is(n, root->ns, "sitemap")) {
                continue;
            }
            loc = sm_text(n, root->ns, "loc");
            wh_feed_add_link(feed, wh_xml_resolve(n, loc));
            free(loc);
        }
    } else {
        snprintf(errstr, errstr_size,
                 "root element is neither <urlset> nor <sitemapindex>");
        rc = WH_EPARSE;
    }
    xmlFreeDoc(doc);
    return rc;
}

const struct wh_source_kind wh_source_sitemap = {
    .name = "sitemap",
    .description = "XML sitemaps, sitemap indexes and Google News sitemaps",
    .detect = detect,
    .parse = parse,
};
