/*
 * rss.c - RSS 0.91, 0.92 and 2.0 feeds (<rss><channel><item>...).
 *
 * Kept per item: guid (else link) as id, link (else a permalink guid),
 * title and description as plain text (whether CDATA, escaped or naked
 * HTML), content:encoded as the item's content, dc:creator (else the
 * name in the RSS "email (Name)" author, else itunes:author), pubDate
 * (else dc:date), atom:updated or dcterms:modified, category and
 * dc:subject, every enclosure and Media RSS object. Relative links resolve
 * against xml:base and the feed URL.
 */
#include <libxml/tree.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "kinds.h"
#include "media.h"
#include "wh/wh.h"
#include "xml.h"

#define NS_DC "http://purl.org/dc/elements/1.1/"
#define NS_DCTERMS "http://purl.org/dc/terms/"
#define NS_ATOM "http://www.w3.org/2005/Atom"
#define NS_CONTENT "http://purl.org/rss/1.0/modules/content/"
#define NS_ITUNES "http://www.itunes.com/dtds/podcast-1.0.dtd"

/* RSS elements are in no namespace, except in the few feeds that put a
 * default namespace on <rss> (e.g. the "rss2" userland one): an element
 * is RSS when it is in the namespace of the root element. */
static int rss_is(const xmlNode *node, const xmlNs *root_ns, const char *name)
{
    if (node == NULL || node->type != XML_ELEMENT_NODE ||
        !xmlStrEqual(node->name, (const xmlChar *)name)) {
        return 0;
    }
    if (node->ns == NULL || root_ns == NULL) {
        return node->ns == NULL && root_ns == NULL;
    }
    return xmlStrEqual(node->ns->href, root_ns->href);
}

static xmlNodePtr rss_child(const xmlNode *parent, const xmlNs *root_ns,
                            const char *name)
{
    xmlNodePtr n;

    for (n = parent->children; n != NULL; n = n->next) {
        if (rss_is(n, root_ns, name)) {
            return n;
        }
    }
    return NULL;
}

static int detect(const char *body, size_t len, const char *content_type)
{
    char root[32];

    (void)content_type;

    if (!wh_xml_sniff_root(body, len, root, sizeof(root), NULL, NULL)) {
        return 0;
    }
    return strcmp(root, "rss") == 0 ? 100 : 0;
}

static int is_http_url(const char *s)
{
    return s != NULL && (strncasecmp(s, "http://", 7) == 0 ||
                         strncasecmp(s, "https://", 8) == 0);
}

/* The RSS 2.0 <author> is "email (Name)": keep the name. A bare email
 * address is not a byline and is dropped. Takes ownership of s. */
static char *author_name(char *s)
{
    char *open;
    char *close;
    char *name;

    if (s == NULL) {
        return NULL;
    }
    open = strchr(s, '(');
    close = strrchr(s, ')');
    if (open != NULL && close != NULL && close > open + 1 &&
        strchr(s, '@') != NULL) {
        name = wh_xstrndup(open + 1, (size_t)(close - open - 1));
        free(s);
        return name;
    }
    if (strchr(s, '@') != NULL && strchr(s, ' ') == NULL) {
        free(s);
        return NULL;
    }
    return s;
}

static void parse_item(const xmlNode *item, const xmlNs *root_ns,
                       struct wh_feed *feed)
{
    struct wh_feed_item *it = wh_feed_add_item(feed);
    const xmlNode *n;
    xmlNodePtr guid;
    xmlNodePtr link;
    xmlNodePtr content;
    char *text;

    guid = rss_child(item, root_ns, "guid");
    link = rss_child(item, root_ns, "link");
    it->id = wh_xml_text(guid);
    if (link != NULL) {
        text = wh_xml_text(link);
        it->link = wh_xml_resolve(link, text);
        free(text);
    }
    if (it->link == NULL && guid != NULL && is_http_url(it->id)) {
        char *perma = wh_xml_attr(guid, "isPermaLink");

        if (perma == NULL || strcmp(perma, "false") != 0) {
            it->link = wh_xml_resolve(guid, it->id);
        }
        free(perma);
    }
    if (it->id == NULL && it->link != NULL) {
        it->id = wh_xstrdup(it->link);
    }
    it->title = wh_xml_plain(wh_xml_text(rss_child(item, root_ns, "title")));
    text = wh_xml_text(rss_child(item, root_ns, "description"));
    it->summary = wh_xml_html_to_text(text);
    free(text);
    content = wh_xml_child(item, NS_CONTENT, "encoded");
    it->content = wh_xml_html_content(content);
    if (it->content != NULL) {
        it->content_base = wh_xml_base(content);
    }

    it->author = wh_xml_children_text(item, NS_DC, "creator", ", ");
    if (it->author == NULL) {
        it->author =
            author_name(wh_xml_text(rss_child(item, root_ns, "author")));
    }
    if (it->author == NULL) {
        it->author = wh_xml_children_text(item, NS_ITUNES, "author", ", ");
    }
    it->author = wh_xml_plain(it->author);

    it->published =
        wh_xml_date(wh_xml_text(rss_child(item, root_ns, "pubDate")));
    if (it->published == NULL) {
        it->published = wh_xml_date(wh_xml_child_text(item, NS_DC, "date"));
    }
    it->updated = wh_xml_date(wh_xml_child_text(item, NS_ATOM, "updated"));
    if (it->updated == NULL) {
        it->updated =
            wh_xml_date(wh_xml_child_text(item, NS_DCTERMS, "modified"));
    }

    for (n = item->children; n != NULL; n = n->next) {
        if (rss_is(n, root_ns, "category") || wh_xml_is(n, NS_DC, "subject")) {
            wh_feed_item_add_category(it, wh_xml_text(n));
        } else if (rss_is(n, root_ns, "enclosure")) {
            struct wh_feed_media *m;

            text = wh_xml_attr(n, "url");
            m = wh_feed_item_add_media(it, wh_xml_resolve(n, text),
                                       wh_xml_attr(n, "type"), NULL,
                                       "enclosure");
            free(text);
            if (m != NULL && m->size == 0) {
                m->size = wh_xml_attr_size(n, "length");
            }
        }
    }
    wh_media_rss(item, it);
}

static int parse(const char *body, size_t len, const char *base_url,
                 struct wh_feed *feed, char *errstr, size_t errstr_size)
{
    xmlDocPtr doc;
    xmlNodePtr root;
    xmlNodePtr channel;
    const xmlNode *n;
    int rc;

    doc = wh_xml_parse(body, len, base_url, &rc, errstr, errstr_size);
    if (doc == NULL) {
        return rc;
    }
    rc = WH_EPARSE;
    root = xmlDocGetRootElement(doc);
    if (root == NULL || !xmlStrEqual(root->name, (const xmlChar *)"rss")) {
        snprintf(errstr, errstr_size, "root element is not <rss>");
        goto out;
    }
    channel = rss_child(root, root->ns, "channel");
    if (channel == NULL) {
        snprintf(errstr, errstr_size, "line %d: <rss> has no <channel>",
                 root->line);
        goto out;
    }
    if (feed->title == NULL) {
        feed->title = wh_xml_text(rss_child(channel, root->ns, "title"));
    }
    for (n = channel->children; n != NULL; n = n->next) {
        if (rss_is(n, root->ns, "item")) {
            parse_item(n, root->ns, feed);
        }
    }
    /* Some RSS 0.91 feeds put the items beside <channel>. */
    for (n = root->children; n != NULL; n = n->next) {
        if (rss_is(n, root->ns, "item")) {
            parse_item(n, root->ns, feed);
        }
    }
    rc = WH_OK;
out:
    xmlFreeDoc(doc);
    return rc;
}

const struct wh_source_kind wh_source_rss = {
    .name = "rss",
    .description = "RSS 0.91, 0.92 and 2.0 feeds",
    .detect = detect,
    .parse = parse,
};
