/*
 * atom.c - Atom 1.0 feeds (RFC 4287), and the older Atom 0.3 namespace
 * with its issued / modified dates.
 *
 * Kept per entry: id, the alternate link (rel absent or "alternate",
 * HTML preferred), title and summary as plain text, content (text, html
 * or xhtml; not out-of-line src=) as the item's content, the authors'
 * names or else their emails (else the contributors', then dc:creator,
 * then the feed's authors), published and updated, category terms,
 * every rel=enclosure link and Media RSS object. hrefs resolve against
 * xml:base and the feed URL, at feed, entry and content level.
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

#define NS_ATOM "http://www.w3.org/2005/Atom"
#define NS_ATOM03 "http://purl.org/atom/ns#"
#define NS_DC "http://purl.org/dc/elements/1.1/"
#define NS_XHTML "http://www.w3.org/1999/xhtml"

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
    if (strcmp(colon != NULL ? colon + 1 : root, "feed") != 0) {
        return 0;
    }
    if (memmem(tag, tag_len, NS_ATOM, strlen(NS_ATOM)) != NULL ||
        memmem(tag, tag_len, NS_ATOM03, strlen(NS_ATOM03)) != NULL) {
        return 100;
    }
    return 0;
}

/* Plain text of an Atom text construct (type text, html or xhtml). A
 * type="text" title holding markup is taken as HTML too: a headline is
 * plain text, and feeds put escaped HTML in text constructs often
 * enough. */
static char *text_construct(const xmlNode *node)
{
    char *type;
    char *text;
    char *plain;

    if (node == NULL) {
        return NULL;
    }
    type = wh_xml_attr(node, "type");
    text = wh_xml_text(node);
    if (type != NULL &&
        (strcasecmp(type, "html") == 0 || strcasecmp(type, "text/html") == 0)) {
        plain = wh_xml_html_to_text(text);
        free(text);
        text = plain;
    } else {
        text = wh_xml_plain(text);
    }
    free(type);
    return text;
}

/* The content of an entry as HTML: type html as is, xhtml serialized,
 * text (or a text/ type) made HTML; out-of-line content (src=) and
 * other media types are not the article's text. */
static char *content_html(const xmlNode *content)
{
    char *type;
    char *src;
    char *html = NULL;
    xmlNodePtr div;

    if (content == NULL) {
        return NULL;
    }
    src = wh_xml_attr(content, "src");
    type = wh_xml_attr(content, "type");
    if (src != NULL) {
        goto out;
    }
    if (type != NULL &&
        (strcasecmp(type, "html") == 0 || strcasecmp(type, "text/html") == 0)) {
        html = wh_xml_html_content(content);
    } else if (type != NULL &&
               (strcasecmp(type, "xhtml") == 0 ||
                strcasecmp(type, "application/xhtml+xml") == 0)) {
        div = wh_xml_child(content, NS_XHTML, "div");
        html = wh_xml_inner_html(div != NULL ? div : content);
    } else if (type == NULL || strcasecmp(type, "text") == 0 ||
               strncasecmp(type, "text/", 5) == 0) {
        char *text = wh_xml_html_content(content);

        html = wh_xml_text_to_html(text);
        free(text);
    }
out:
    free(src);
    free(type);
    return html;
}

/* Names (else emails) of the `role` (author, contributor) children of
 * node joined with ", ", or NULL. */
static char *persons(const xmlNode *node, const char *ns, const char *role)
{
    const xmlNode *n;
    char *all = NULL;

    for (n = node->children; n != NULL; n = n->next) {
        char *one;

        if (!wh_xml_is(n, ns, role)) {
            continue;
        }
        one = wh_xml_plain(wh_xml_child_text(n, ns, "name"));
        if (one == NULL) {
            one = wh_xml_child_text(n, ns, "email");
        }
        if (one == NULL) {
            continue;
        }
        if (all == NULL) {
            all = one;
        } else {
            char *joined = wh_xasprintf("%s, %s", all, one);

            free(all);
            free(one);
            all = joined;
        }
    }
    return all;
}

/* The authors of node, else its contributors. */
static char *authors(const xmlNode *node, const char *ns)
{
    char *all = persons(node, ns, "author");

    return all != NULL ? all : persons(node, ns, "contributor");
}

/* Rank of a <link> as the entry's page: 2 = alternate HTML, 1 = alternate
 * of another or no type, 0 = not an alternate link. */
static int alternate_rank(const xmlNode *link)
{
    char *rel = wh_xml_attr(link, "rel");
    char *type = wh_xml_attr(link, "type");
    int rank = 0;

    if (rel == NULL || strcmp(rel, "alternate") == 0 ||
        strcmp(rel, "http://www.iana.org/assignments/relation/alternate") ==
            0) {
        rank = 1;
        if (type == NULL || strncasecmp(type, "text/html", 9) == 0 ||
            strncasecmp(type, "application/xhtml+xml", 21) == 0) {
            rank = 2;
        }
    }
    free(rel);
    free(type);
    return rank;
}

static int is_http_url(const char *s)
{
    return s != NULL && (strncasecmp(s, "http://", 7) == 0 ||
                         strncasecmp(s, "https://", 8) == 0);
}

static void links(const xmlNode *entry, const char *ns, struct wh_feed_item *it)
{
    const xmlNode *n;
    int best = 0;

    for (n = entry->children; n != NULL; n = n->next) {
        char *rel;
        char *href;
        int rank;

        if (!wh_xml_is(n, ns, "link")) {
            continue;
        }
        href = wh_xml_attr(n, "href");
        if (href == NULL) {
            continue;
        }
        rank = alternate_rank(n);
        if (rank > best) {
            char *abs = wh_xml_resolve(n, href);

            if (abs != NULL) {
                free(it->link);
                it->link = abs;
                best = rank;
            }
        }
        rel = wh_xml_attr(n, "rel");
        if (rel != NULL && strcmp(rel, "enclosure") == 0) {
            struct wh_feed_media *m = wh_feed_item_add_media(
                it, wh_xml_resolve(n, href), wh_xml_attr(n, "type"), NULL,
                "enclosure");

            if (m != NULL && m->size == 0) {
                m->size = wh_xml_attr_size(n, "length");
            }
        }
        free(rel);
        free(href);
    }
}

static void parse_entry(const xmlNode *entry, const char *ns,
                        const char *feed_author, struct wh_feed *feed)
{
    struct wh_feed_item *it = wh_feed_add_item(feed);
    const xmlNode *n;
    xmlNodePtr content;
    int old = strcmp(ns, NS_ATOM03) == 0;

    it->id = wh_xml_child_text(entry, ns, "id");
    links(entry, ns, it);
    if (it->link == NULL && is_http_url(it->id)) {
        it->link = wh_xml_resolve(entry, it->id);
    }
    if (it->id == NULL && it->link != NULL) {
        it->id = wh_xstrdup(it->link);
    }
    it->title = text_construct(wh_xml_child(entry, ns, "title"));
    it->summary = text_construct(wh_xml_child(entry, ns, "summary"));
    content = wh_xml_child(entry, ns, "content");
    it->content = content_html(content);
    if (it->content != NULL) {
        it->content_base = wh_xml_base(content);
    }
    it->author = authors(entry, ns);
    if (it->author == NULL) {
        it->author =
            wh_xml_plain(wh_xml_children_text(entry, NS_DC, "creator", ", "));
    }
    if (it->author == NULL) {
        xmlNodePtr source = wh_xml_child(entry, ns, "source");

        if (source != NULL) {
            it->author = authors(source, ns);
        }
    }
    if (it->author == NULL && feed_author != NULL) {
        it->author = wh_xstrdup(feed_author);
    }
    it->published =
        wh_xml_date(wh_xml_child_text(entry, ns, old ? "issued" : "published"));
    if (it->published == NULL && old) {
        it->published = wh_xml_date(wh_xml_child_text(entry, ns, "created"));
    }
    it->updated =
        wh_xml_date(wh_xml_child_text(entry, ns, old ? "modified" : "updated"));
    wh_media_rss(entry, it);
    for (n = entry->children; n != NULL; n = n->next) {
        if (wh_xml_is(n, ns, "category")) {
            char *term = wh_xml_attr(n, "term");

            if (term == NULL) {
                term = wh_xml_attr(n, "label");
            }
            wh_feed_item_add_category(it, term);
        }
    }
}

static int parse(const char *body, size_t len, const char *base_url,
                 struct wh_feed *feed, char *errstr, size_t errstr_size)
{
    xmlDocPtr doc;
    xmlNodePtr root;
    const xmlNode *n;
    const char *ns;
    char *feed_author = NULL;
    int rc;

    doc = wh_xml_parse(body, len, base_url, &rc, errstr, errstr_size);
    if (doc == NULL) {
        return rc;
    }
    rc = WH_EPARSE;
    root = xmlDocGetRootElement(doc);
    if (wh_xml_is(root, NS_ATOM, "feed")) {
        ns = NS_ATOM;
    } else if (wh_xml_is(root, NS_ATOM03, "feed")) {
        ns = NS_ATOM03;
    } else {
        snprintf(errstr, errstr_size, "root element is not <feed xmlns=\"%s\">",
                 NS_ATOM);
        goto out;
    }
    if (feed->title == NULL) {
        feed->title = text_construct(wh_xml_child(root, ns, "title"));
    }
    feed_author = authors(root, ns);
    for (n = root->children; n != NULL; n = n->next) {
        if (wh_xml_is(n, ns, "entry")) {
            parse_entry(n, ns, feed_author, feed);
        }
    }
    rc = WH_OK;
out:
    free(feed_author);
    xmlFreeDoc(doc);
    return rc;
}

const struct wh_source_kind wh_source_atom = {
    .name = "atom",
    .description = "Atom 1.0 feeds (and Atom 0.3)",
    .detect = detect,
    .parse = parse,
};
