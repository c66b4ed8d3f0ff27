/*
 * content.c - the full text a feed item carries, cleaned like a page (see
 * content.h).
 *
 * The content is parsed as HTML, the feed footers blogging software
 * appends ("The post X appeared first on Y.") are dropped, and what is
 * left goes through the page extractor (wh_extract), so share links,
 * tracking pixels, related-story lists and the like are removed by the
 * same generic rules as on a page. Content too short for the extractor to
 * call it an article (a two-line item) still makes a body: its
 * paragraphs, as wh_xml_paragraphs() reads them.
 */
#include "content.h"

#include <ctype.h>
#include <libxml/HTMLtree.h>
#include <libxml/tree.h>
#include <stdlib.h>
#include <string.h>

#include "extract.h"
#include "source.h"
#include "wh/wh.h"
#include "xml.h"

/* Depth limit of the walk over the content's tree. */
#define MAX_DEPTH 256

/* Non-zero when text is a feed footer: "The post <title> appeared first
 * on <site>." or its "first appeared on" variant, which WordPress and
 * the plugins that imitate it append to every item's content. */
static int is_feed_footer(const char *text)
{
    if (text == NULL || strncmp(text, "The post ", 9) != 0) {
        return 0;
    }
    /* One sentence, not a paragraph that happens to start so. */
    return strlen(text) < 400 && (strstr(text, " appeared first on ") != NULL ||
                                  strstr(text, " first appeared on ") != NULL);
}

/* Unlinks and frees the p and div elements under node that hold a feed
 * footer and nothing else. */
static void drop_footers(xmlNodePtr node, int depth)
{
    xmlNodePtr n = node->children;

    if (depth > MAX_DEPTH) {
        return;
    }
    while (n != NULL) {
        xmlNodePtr next = n->next;

        if (n->type == XML_ELEMENT_NODE) {
            int block = xmlStrcasecmp(n->name, (const xmlChar *)"p") == 0 ||
                        xmlStrcasecmp(n->name, (const xmlChar *)"div") == 0;
            char *text = block ? wh_xml_text(n) : NULL;

            if (is_feed_footer(text)) {
                xmlUnlinkNode(n);
                xmlFreeNode(n);
            } else {
                drop_footers(n, depth + 1);
            }
            free(text);
        }
        n = next;
    }
}

/* Counts the words (runs of non-blanks) of s. */
static size_t count_words(const char *s)
{
    size_t n = 0;
    int in = 0;

    for (; s != NULL && *s != '\0'; s++) {
        if (isspace((unsigned char)*s)) {
            in = 0;
        } else if (!in) {
            in = 1;
            n++;
        }
    }
    return n;
}

struct wh_article *wh_feed_content_article(const struct wh_feed_item *it,
                                           size_t max_bytes)
{
    struct wh_extract_opts opts;
    struct wh_article *art = NULL;
    xmlDocPtr doc;
    xmlNodePtr root;
    xmlChar *html = NULL;
    int len = 0;
    char errstr[128];
    char *wrapped;

    if (it == NULL || it->content == NULL) {
        return NULL;
    }
    /* A fragment, made a page so that every parser sees the same tree. */
    wrapped = wh_xasprintf("<!DOCTYPE html><html><head><meta charset=\"utf-8\">"
                           "</head><body><article>%s</article></body></html>",
                           it->content);
    doc = wh_xml_parse_html(wrapped, strlen(wrapped));
    free(wrapped);
    root = doc != NULL ? xmlDocGetRootElement(doc) : NULL;
    if (root == NULL) {
        goto out;
    }
    drop_footers(root, 0);
    htmlDocDumpMemoryFormat(doc, &html, &len, 0);
    if (html == NULL || len <= 0) {
        goto out;
    }
    memset(&opts, 0, sizeof(opts));
    opts.max_bytes = max_bytes;
    opts.charset = "utf-8";
    art = wh_extract((const char *)html, (size_t)len, it->content_base, &opts,
                     errstr, sizeof(errstr));
    if (art == NULL) {
        /* Too little for an article: its paragraphs as they are. */
        art = wh_xcalloc(1, sizeof(*art));
        wh_xml_paragraphs(root, &art->body_text, &art->body_html);
    }
    if (art->body_text == NULL) {
        wh_article_free(art);
        art = NULL;
    } else if (art->body_words == 0) {
        art->body_words = count_words(art->body_text);
    }
out:
    xmlFree(html);
    if (doc != NULL) {
        xmlFreeDoc(doc);
    }
    return art;
}

int wh_feed_body_wins(size_t page_words, size_t feed_words)
{
    /* "Clearly more": half as much again and at least 50 words more, so
     * that a page that merely lost a caption or a footer keeps its body,
     * and a teaser of 60 words loses to a feed article of 400. */
    return feed_words >= page_words + page_words / 2 &&
           feed_words >= page_words + 50;
}

struct wh_article *wh_feed_summary_article(const struct wh_feed_item *it)
{
    struct wh_article *art;

    if (it == NULL || it->summary == NULL) {
        return NULL;
    }
    art = wh_xcalloc(1, sizeof(*art));
    art->body_text = wh_xstrdup(it->summary);
    art->body_html = wh_xml_text_to_html(it->summary);
    art->body_words = count_words(it->summary);
    return art;
}
