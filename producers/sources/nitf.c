/*
 * nitf.c - IPTC NITF 3.x documents (<nitf><head/><body/></nitf>). A wire
 * item: the document becomes a finished record.
 *
 * Mapped to ninjs: doc-id@id-string -> uri ("urn:nitf:<id>" unless it is
 * already a URI), du-key@version -> version, du-key@key -> slugline,
 * urgency@ed-urg, date.issue -> firstCreated, date.release ->
 * embargoedUntil when management-status is "embargoed", date.expire ->
 * expires, management-status -> pubStatus, doc.copyright -> copyright,
 * ed-msg -> edNote, key-list keywords -> subjects, hl1 / hl2 -> headlines,
 * byline -> by, dateline location -> located, abstract -> description,
 * body.content -> bodies (text and simple HTML).
 */
#include <ctype.h>
#include <libxml/tree.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "kinds.h"
#include "wh/record.h"
#include "wh/wh.h"
#include "wire.h"
#include "xml.h"

static int detect(const char *body, size_t len, const char *content_type)
{
    char root[32];
    const char *colon;

    (void)content_type;
    if (!wh_xml_sniff_root(body, len, root, sizeof(root), NULL, NULL)) {
        return 0;
    }
    colon = strchr(root, ':');
    return strcmp(colon != NULL ? colon + 1 : root, "nitf") == 0 ? 100 : 0;
}

/* NITF elements are in the root's namespace (none, or the NITF one). */
static xmlNodePtr child(const xmlNode *parent, const xmlNs *ns,
                        const char *name)
{
    if (parent == NULL) {
        return NULL;
    }
    return wh_xml_child(parent, ns != NULL ? (const char *)ns->href : NULL,
                        name);
}

/* The attribute of a child element, e.g. docdata/urgency@ed-urg. */
static char *child_attr(const xmlNode *parent, const xmlNs *ns,
                        const char *name, const char *attr)
{
    return wh_xml_attr(child(parent, ns, name), attr);
}

/* "By Jane Doe" -> "Jane Doe". Takes ownership of s. */
static char *strip_by(char *s)
{
    char *p;

    if (s == NULL) {
        return NULL;
    }
    if (strncasecmp(s, "by ", 3) == 0) {
        p = s + 3;
        while (isspace((unsigned char)*p)) {
            p++;
        }
        memmove(s, p, strlen(p) + 1);
    }
    if (s[0] == '\0') {
        free(s);
        return NULL;
    }
    return s;
}

static void docdata(const xmlNode *dd, const xmlNs *ns, struct wh_record *rec)
{
    const xmlNode *keys;
    const xmlNode *n;
    char *s;
    char *status;
    char *holder;
    char *year;

    s = child_attr(dd, ns, "doc-id", "id-string");
    if (s != NULL) {
        rec->uri = strchr(s, ':') != NULL ? wh_xstrdup(s)
                                          : wh_xasprintf("urn:nitf:%s", s);
        free(s);
    }
    s = child_attr(dd, ns, "du-key", "version");
    if (s != NULL && strspn(s, "0123456789") == strlen(s) && strlen(s) < 10) {
        rec->version = (unsigned)strtoul(s, NULL, 10);
    }
    free(s);
    wh_wire_set(rec, "slugline", child_attr(dd, ns, "du-key", "key"));
    s = child_attr(dd, ns, "urgency", "ed-urg");
    wh_wire_set_urgency(rec, s);
    free(s);
    rec->first_created = wh_xml_date(child_attr(dd, ns, "date.issue", "norm"));
    wh_wire_set(rec, "expires",
                wh_xml_date(child_attr(dd, ns, "date.expire", "norm")));
    status = wh_xml_attr(dd, "management-status");
    if (status != NULL && strcmp(status, "embargoed") == 0) {
        wh_wire_set(rec, "pubStatus", wh_xstrdup("usable"));
        wh_wire_set(rec, "embargoedUntil",
                    wh_xml_date(child_attr(dd, ns, "date.release", "norm")));
    } else if (status != NULL && (strcmp(status, "usable") == 0 ||
                                  strcmp(status, "withheld") == 0 ||
                                  strcmp(status, "canceled") == 0)) {
        wh_wire_set(rec, "pubStatus", wh_xstrdup(status));
    }
    free(status);
    holder = child_attr(dd, ns, "doc.copyright", "holder");
    year = child_attr(dd, ns, "doc.copyright", "year");
    if (holder != NULL) {
        wh_wire_set(rec, "copyrightNotice",
                    year != NULL ? wh_xasprintf("Copyright %s %s", year, holder)
                                 : wh_xasprintf("Copyright %s", holder));
        wh_wire_set(rec, "copyrightHolder", holder);
    }
    free(year);
    wh_wire_set(rec, "edNote", child_attr(dd, ns, "ed-msg", "info"));
    keys = child(dd, ns, "key-list");
    for (n = keys != NULL ? keys->children : NULL; n != NULL; n = n->next) {
        char *key;

        if (n->type != XML_ELEMENT_NODE ||
            !xmlStrEqual(n->name, (const xmlChar *)"keyword")) {
            continue;
        }
        key = wh_xml_attr(n, "key");
        wh_wire_add_concept(rec, "subjects", key, NULL, NULL);
        free(key);
    }
}

static void body_head(const xmlNode *bh, const xmlNs *ns, struct wh_record *rec)
{
    xmlNodePtr hed = child(bh, ns, "hedline");
    xmlNodePtr dateline;
    xmlNodePtr abstract;

    if (hed != NULL) {
        rec->headline = wh_xml_text(child(hed, ns, "hl1"));
        rec->subheadline = wh_xml_text(child(hed, ns, "hl2"));
    }
    rec->by = strip_by(wh_xml_text(child(bh, ns, "byline")));
    dateline = child(bh, ns, "dateline");
    if (dateline != NULL) {
        char *located = wh_xml_text(child(dateline, ns, "location"));

        wh_wire_set(rec, "located",
                    located != NULL ? located : wh_xml_text(dateline));
    }
    abstract = child(bh, ns, "abstract");
    if (abstract != NULL) {
        rec->description = wh_xml_text(abstract);
    }
}

static int parse(const char *body, size_t len, const char *base_url,
                 struct wh_feed *feed, char *errstr, size_t errstr_size)
{
    xmlDocPtr doc;
    xmlNodePtr root;
    xmlNodePtr head;
    xmlNodePtr nbody;
    struct wh_record *rec = NULL;
    const xmlNs *ns;
    int rc;

    doc = wh_xml_parse(body, len, base_url, &rc, errstr, errstr_size);
    if (doc == NULL) {
        return rc;
    }
    rc = WH_EPARSE;
    root = xmlDocGetRootElement(doc);
    if (!xmlStrEqual(root->name, (const xmlChar *)"nitf")) {
        snprintf(errstr, errstr_size, "root element is not <nitf>");
        goto out;
    }
    ns = root->ns;
    head = child(root, ns, "head");
    nbody = child(root, ns, "body");
    rec = wh_record_new();
    docdata(child(head, ns, "docdata"), ns, rec);
    if (rec->uri == NULL) {
        snprintf(errstr, errstr_size,
                 "no identifier (head/docdata/doc-id@id-string)");
        goto out;
    }
    if (nbody != NULL) {
        xmlNodePtr bh = child(nbody, ns, "body.head");
        xmlNodePtr content = child(nbody, ns, "body.content");

        if (bh != NULL) {
            body_head(bh, ns, rec);
        }
        if (content != NULL) {
            wh_xml_paragraphs(content, &rec->body_text, &rec->body_html);
        }
    }
    if (rec->headline == NULL) {
        rec->headline = wh_xml_text(child(head, ns, "title"));
    }
    if (rec->first_created == NULL) {
        rec->first_created =
            wh_xml_date(child_attr(head, ns, "pubdata", "date.publication"));
    }
    wh_wire_add_item(feed, rec);
    rec = NULL;
    rc = WH_OK;
out:
    wh_record_free(rec);
    xmlFreeDoc(doc);
    return rc;
}

const struct wh_source_kind wh_source_nitf = {
    .name = "nitf",
    .description = "IPTC NITF 3.x documents",
    .detect = detect,
    .parse = parse,
};
