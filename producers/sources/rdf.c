/*
 * rdf.c - RSS 1.0 (RDF Site Summary) and RSS 0.90 feeds:
 * <rdf:RDF><channel/><item rdf:about=...>...</item></rdf:RDF>, the items
 * beside the channel, Dublin Core for authors, dates and subjects,
 * content:encoded for the full text, Media RSS for media.
 */
#include <libxml/tree.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kinds.h"
#include "media.h"
#include "wh/wh.h"
#include "xml.h"

#define NS_RDF "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
#define NS_RSS10 "http://purl.org/rss/1.0/"
#define NS_RSS090 "http://my.netscape.com/rdf/simple/0.9/"
#define NS_DC "http://purl.org/dc/elements/1.1/"
#define NS_DCTERMS "http://purl.org/dc/terms/"
#define NS_CONTENT "http://purl.org/rss/1.0/modules/content/"

static int detect(const char *body, size_t len, const char *content_type)
{
    char root[32];
    const char *tag;
    size_t tag_len;
    const char *colon;

    (void)content_type;
    if (!wh_xml_sniff_root(body, len, root, sizeof(root), &tag, &tag_len)) {
        return 0;
    }
    colon = strchr(root, ':');
    if (strcmp(colon != NULL ? colon + 1 : root, "RDF") != 0) {
        return 0;
    }
    if (memmem(tag, tag_len, NS_RSS10, strlen(NS_RSS10)) != NULL ||
        memmem(tag, tag_len, NS_RSS090, strlen(NS_RSS090)) != NULL) {
        return 100;
    }
    /* An RDF document without the RSS namespace on its root may still
     * be a feed that declares it further down. */
    return 20;
}

/* The RSS namespace used in the document, found on the channel or the
 * first item; NULL when there is none. */
static const char *rss_ns(const xmlNode *root)
{
    const xmlNode *n;

    for (n = root->children; n != NULL; n = n->next) {
        if (n->type != XML_ELEMENT_NODE || n->ns == NULL) {
            continue;
        }
        if (xmlStrEqual(n->ns->href, (const xmlChar *)NS_RSS10)) {
            return NS_RSS10;
        }
        if (xmlStrEqual(n->ns->href, (const xmlChar *)NS_RSS090)) {
            return NS_RSS090;
        }
    }
    return NULL;
}

static void parse_item(const xmlNode *item, const char *ns,
                       struct wh_feed *feed)
{
    struct wh_feed_item *it = wh_feed_add_item(feed);
    const xmlNode *n;
    xmlNodePtr link;
    xmlNodePtr content;
    xmlChar *about;
    char *text;

    link = wh_xml_child(item, ns, "link");
    if (link != NULL) {
        text = wh_xml_text(link);
        it->link = wh_xml_resolve(link, text);
        free(text);
    }
    about =
        xmlGetNsProp(item, (const xmlChar *)"about", (const xmlChar *)NS_RDF);
    if (about != NULL) {
        it->id = wh_xml_resolve(item, (const char *)about);
        xmlFree(about);
    }
    if (it->id == NULL && it->link != NULL) {
        it->id = wh_xstrdup(it->link);
    }
    if (it->link == NULL && it->id != NULL &&
        (strncmp(it->id, "http://", 7) == 0 ||
         strncmp(it->id, "https://", 8) == 0)) {
        it->link = wh_xstrdup(it->id);
    }
    it->title = wh_xml_plain(wh_xml_child_text(item, ns, "title"));
    text = wh_xml_child_text(item, ns, "description");
    it->summary = wh_xml_html_to_text(text);
    free(text);
    content = wh_xml_child(item, NS_CONTENT, "encoded");
    it->content = wh_xml_html_content(content);
    if (it->content != NULL) {
        it->content_base = wh_xml_base(content);
    }
    it->author =
        wh_xml_plain(wh_xml_children_text(item, NS_DC, "creator", ", "));
    it->published = wh_xml_date(wh_xml_child_text(item, NS_DC, "date"));
    it->updated = wh_xml_date(wh_xml_child_text(item, NS_DCTERMS, "modified"));
    for (n = item->children; n != NULL; n = n->next) {
        if (wh_xml_is(n, NS_DC, "subject")) {
            wh_feed_item_add_category(it, wh_xml_text(n));
        }
    }
    wh_media_rss(item, it);
}

static int parse(const char *body, size_t len, const char *base_url,
                 struct wh_feed *feed, char *errstr, size_t errstr_size)
{
    xmlDocPtr doc;
    xmlNodePtr root;
    const xmlNode *n;
    const char *ns;
    int rc;

    doc = wh_xml_parse(body, len, base_url, &rc, errstr, errstr_size);
    if (doc == NULL) {
        return rc;
    }
    rc = WH_EPARSE;
    root = xmlDocGetRootElement(doc);
    if (!wh_xml_is(root, NS_RDF, "RDF")) {
        snprintf(errstr, errstr_size, "root element is not <rdf:RDF>");
        goto out;
    }
    ns = rss_ns(root);
    if (ns == NULL) {
        snprintf(errstr, errstr_size,
                 "<rdf:RDF> without RSS 1.0 or 0.90 elements");
        goto out;
    }
    if (feed->title == NULL) {
        feed->title = wh_xml_text(
            wh_xml_child(wh_xml_child(root, ns, "channel"), ns, "title"));
    }
    for (n = root->children; n != NULL; n = n->next) {
        if (wh_xml_is(n, ns, "item")) {
            parse_item(n, ns, feed);
        }
    }
    rc = WH_OK;
out:
    xmlFreeDoc(doc);
    return rc;
}

const struct wh_source_kind wh_source_rdf = {
    .name = "rdf",
    .description = "RSS 1.0 (RDF) and RSS 0.90 feeds",
    .detect = detect,
    .parse = parse,
};
