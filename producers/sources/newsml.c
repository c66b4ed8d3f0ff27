/*
 * newsml.c - IPTC NewsML-G2 news items: a <newsItem>, or a <newsMessage>
 * whose itemSet holds several. Wire items: each becomes a finished record.
 *
 * Mapped to ninjs: guid -> uri, @version -> version, itemClass -> type,
 * pubStatus, firstCreated, versionCreated, embargoed -> embargoedUntil,
 * edNote, copyrightHolder / copyrightNotice / usageTerms, urgency,
 * contentCreated, located, by (else creator names), headline (main and
 * sub), slugline, description, language, subject and genre with their
 * qcodes, and the text of inlineXML (XHTML or NITF) / inlineData.
 */
#include <libxml/tree.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kinds.h"
#include "wh/record.h"
#include "wh/wh.h"
#include "wire.h"
#include "xml.h"

#define NS_NAR "http://iptc.org/std/nar/2006-10-01/"
/* Items read from one newsMessage, at most. */
#define MAX_ITEMS 10000
#define MAX_DEPTH 64

static int detect(const char *body, size_t len, const char *content_type)
{
    char root[32];
    const char *tag;
    size_t tag_len;
    const char *colon;
    const char *local;

    (void)content_type;
    if (!wh_xml_sniff_root(body, len, root, sizeof(root), &tag, &tag_len)) {
        return 0;
    }
    colon = strchr(root, ':');
    local = colon != NULL ? colon + 1 : root;
    if (strcmp(local, "newsItem") != 0 && strcmp(local, "newsMessage") != 0) {
        return 0;
    }
    return memmem(tag, tag_len, NS_NAR, strlen(NS_NAR)) != NULL ? 100 : 50;
}

/* The part of a qcode after the scheme alias ("stat:usable" -> "usable"). */
static const char *qcode_value(const char *qcode)
{
    const char *colon = strchr(qcode, ':');

    return colon != NULL ? colon + 1 : qcode;
}

/* Text of a child's <name>, else its literal attribute. */
static char *concept_name(const xmlNode *node)
{
    char *name = wh_xml_child_text(node, NS_NAR, "name");

    if (name == NULL) {
        name = wh_xml_attr(node, "literal");
    }
    return name;
}

/* First descendant element with local name `name`, any namespace. */
static const xmlNode *find_local(const xmlNode *node, const char *name,
                                 int depth)
{
    const xmlNode *n;

    if (depth > MAX_DEPTH) {
        return NULL;
    }
    for (n = node; n != NULL; n = n->next) {
        const xmlNode *found;

        if (n->type != XML_ELEMENT_NODE) {
            continue;
        }
        if (xmlStrEqual(n->name, (const xmlChar *)name)) {
            return n;
        }
        found = find_local(n->children, name, depth + 1);
        if (found != NULL) {
            return found;
        }
    }
    return NULL;
}

static void item_meta(const xmlNode *meta, struct wh_record *rec)
{
    xmlNodePtr n;
    char *s;

    n = wh_xml_child(meta, NS_NAR, "itemClass");
    s = wh_xml_attr(n, "qcode");
    if (s != NULL) {
        const char *v = qcode_value(s);

        if (strcmp(v, "text") == 0 || strcmp(v, "picture") == 0 ||
            strcmp(v, "video") == 0 || strcmp(v, "audio") == 0 ||
            strcmp(v, "graphic") == 0 || strcmp(v, "composite") == 0) {
            rec->type = wh_xstrdup(v);
        }
        free(s);
    }
    n = wh_xml_child(meta, NS_NAR, "pubStatus");
    s = wh_xml_attr(n, "qcode");
    if (s != NULL) {
        const char *v = qcode_value(s);

        if (strcmp(v, "usable") == 0 || strcmp(v, "withheld") == 0 ||
            strcmp(v, "canceled") == 0) {
            wh_wire_set(rec, "pubStatus", wh_xstrdup(v));
        }
        free(s);
    }
    rec->first_created =
        wh_xml_date(wh_xml_child_text(meta, NS_NAR, "firstCreated"));
    rec->version_created =
        wh_xml_date(wh_xml_child_text(meta, NS_NAR, "versionCreated"));
    wh_wire_set(rec, "embargoedUntil",
                wh_xml_date(wh_xml_child_text(meta, NS_NAR, "embargoed")));
    wh_wire_set(rec, "edNote", wh_xml_child_text(meta, NS_NAR, "edNote"));
}

static void rights_info(const xmlNode *ri, struct wh_record *rec)
{
    wh_wire_set(rec, "copyrightHolder",
                concept_name(wh_xml_child(ri, NS_NAR, "copyrightHolder")));
    wh_wire_set(rec, "copyrightNotice",
                wh_xml_child_text(ri, NS_NAR, "copyrightNotice"));
    wh_wire_set(rec, "usageTerms", wh_xml_child_text(ri, NS_NAR, "usageTerms"));
}

static void concepts(const xmlNode *cm, const char *element, const char *array,
                     struct wh_record *rec)
{
    const xmlNode *n;

    for (n = cm->children; n != NULL; n = n->next) {
        char *name;
        char *qcode;
        char *uri;

        if (!wh_xml_is(n, NS_NAR, element)) {
            continue;
        }
        name = concept_name(n);
        qcode = wh_xml_attr(n, "qcode");
        uri = wh_xml_attr(n, "uri");
        wh_wire_add_concept(rec, array, name, qcode, uri);
        free(name);
        free(qcode);
        free(uri);
    }
}

static void content_meta(const xmlNode *cm, struct wh_record *rec)
{
    const xmlNode *n;
    char *s;

    s = wh_xml_child_text(cm, NS_NAR, "urgency");
    wh_wire_set_urgency(rec, s);
    free(s);
    rec->content_created =
        wh_xml_date(wh_xml_child_text(cm, NS_NAR, "contentCreated"));
    wh_wire_set(rec, "located",
                concept_name(wh_xml_child(cm, NS_NAR, "located")));
    rec->by = wh_xml_child_text(cm, NS_NAR, "by");
    for (n = cm->children; n != NULL && rec->by == NULL; n = n->next) {
        if (wh_xml_is(n, NS_NAR, "creator")) {
            rec->by = concept_name(n);
        }
    }
    for (n = cm->children; n != NULL; n = n->next) {
        char *role;

        if (!wh_xml_is(n, NS_NAR, "headline")) {
            continue;
        }
        role = wh_xml_attr(n, "role");
        if (role != NULL && strstr(role, "sub") != NULL) {
            if (rec->subheadline == NULL) {
                rec->subheadline = wh_xml_text(n);
            }
        } else if (rec->headline == NULL) {
            rec->headline = wh_xml_text(n);
        }
        free(role);
    }
    wh_wire_set(rec, "slugline", wh_xml_child_text(cm, NS_NAR, "slugline"));
    for (n = cm->children; n != NULL; n = n->next) {
        char *role;

        if (!wh_xml_is(n, NS_NAR, "description") || rec->description != NULL) {
            continue;
        }
        role = wh_xml_attr(n, "role");
        if (role == NULL || strstr(role, "summary") != NULL) {
            rec->description = wh_xml_text(n);
        }
        free(role);
    }
    rec->language = wh_xml_attr(wh_xml_child(cm, NS_NAR, "language"), "tag");
    concepts(cm, "subject", "subjects", rec);
    concepts(cm, "genre", "genres", rec);
}

static void content_set(const xmlNode *cs, struct wh_record *rec)
{
    xmlNodePtr inl = wh_xml_child(cs, NS_NAR, "inlineXML");

    if (inl != NULL) {
        const xmlNode *body = find_local(inl->children, "body.content", 0);

        if (body == NULL) {
            body = find_local(inl->children, "body", 0);
        }
        wh_xml_paragraphs(body != NULL ? body : inl, &rec->body_text,
                          &rec->body_html);
        return;
    }
    inl = wh_xml_child(cs, NS_NAR, "inlineData");
    if (inl != NULL) {
        xmlChar *raw = xmlNodeGetContent(inl);

        if (raw != NULL && raw[0] != '\0') {
            rec->body_text = wh_xstrdup((const char *)raw);
        }
        xmlFree(raw);
    }
}

static int parse_item(const xmlNode *item, struct wh_feed *feed, char *errstr,
                      size_t errstr_size)
{
    struct wh_record *rec;
    xmlNodePtr part;
    char *version;

    rec = wh_record_new();
    rec->uri = wh_xml_attr(item, "guid");
    if (rec->uri == NULL) {
        snprintf(errstr, errstr_size, "line %d: <newsItem> without guid",
                 item->line);
        wh_record_free(rec);
        return WH_EPARSE;
    }
    version = wh_xml_attr(item, "version");
    if (version != NULL && strspn(version, "0123456789") == strlen(version) &&
        strlen(version) < 10) {
        rec->version = (unsigned)strtoul(version, NULL, 10);
    }
    free(version);
    part = wh_xml_child(item, NS_NAR, "itemMeta");
    if (part != NULL) {
        item_meta(part, rec);
    }
    part = wh_xml_child(item, NS_NAR, "rightsInfo");
    if (part != NULL) {
        rights_info(part, rec);
    }
    part = wh_xml_child(item, NS_NAR, "contentMeta");
    if (part != NULL) {
        content_meta(part, rec);
    }
    part = wh_xml_child(item, NS_NAR, "contentSet");
    if (part != NULL) {
        content_set(part, rec);
    }
    wh_wire_add_item(feed, rec);
    return WH_OK;
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
    if (wh_xml_is(root, NS_NAR, "newsItem")) {
        rc = parse_item(root, feed, errstr, errstr_size);
    } else if (wh_xml_is(root, NS_NAR, "newsMessage")) {
        xmlNodePtr set = wh_xml_child(root, NS_NAR, "itemSet");

        for (n = set != NULL ? set->children : NULL; n != NULL && rc == WH_OK;
             n = n->next) {
            if (!wh_xml_is(n, NS_NAR, "newsItem")) {
                continue;
            }
            if (feed->nitems >= MAX_ITEMS) {
                snprintf(errstr, errstr_size, "more than %d items", MAX_ITEMS);
                rc = WH_E2BIG;
                break;
            }
            rc = parse_item(n, feed, errstr, errstr_size);
        }
    } else {
        snprintf(errstr, errstr_size,
                 "root element is neither <newsItem> nor <newsMessage> in "
                 "the NewsML-G2 namespace");
        rc = WH_EPARSE;
    }
    xmlFreeDoc(doc);
    return rc;
}

const struct wh_source_kind wh_source_newsml = {
    .name = "newsml",
    .description = "IPTC NewsML-G2 newsItem (or a newsMessage of them)",
    .detect = detect,
    .parse = parse,
};
