/*
 * extract.c - the extraction module's entry points: bytes in, article
 * out (charset -> libxml2 tree -> metadata -> main text), and the
 * article -> ninjs record mapping.
 */
#include "extract.h"

#include <jansson.h>
#include <libxml/parser.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "extract_int.h"
#include "wh/record.h"
#include "wh/wh.h"

#define DEFAULT_MAX_BYTES ((size_t)8 * 1024 * 1024)
/* pages parsed again past 256 levels when that first parse found nothing */
#define DEEP_MAX_BYTES ((size_t)2 * 1024 * 1024)

const char *wh_prov_name(enum wh_prov p)
{
    switch (p) {
    case WH_PROV_JSONLD:
        return "jsonld";
    case WH_PROV_META:
        return "meta";
    case WH_PROV_TIME:
        return "time";
    case WH_PROV_URL:
        return "url";
    case WH_PROV_TEXT:
        return "text";
    case WH_PROV_MARKUP:
        return "markup";
    case WH_PROV_NONE:
    default:
        return "none";
    }
}

/* libxml2 reports through a global handler otherwise; we never want its
 * chatter on stderr (malformed pages are normal input). */
static void silent(void *ctx, const char *msg, ...)
{
    (void)ctx;
    (void)msg;
}

void wh_extract_global_init(void)
{
    xmlInitParser();
    xmlSetGenericErrorFunc(NULL, silent);
}

void wh_article_free(struct wh_article *art)
{
    if (art == NULL) {
        return;
    }
    free(art->headline);
    free(art->description);
    free(art->byline);
    free(art->published);
    free(art->modified);
    free(art->canonical_url);
    free(art->site_name);
    free(art->section);
    for (size_t i = 0; i < art->ntags; i++) {
        free(art->tags[i]);
    }
    free(art->tags);
    free(art->image);
    free(art->language);
    free(art->body_text);
    free(art->body_html);
    free(art);
}

static int has_utf16_bom(const char *s, size_t len)
{
    const unsigned char *u = (const unsigned char *)s;

    return len >= 2 &&
           ((u[0] == 0xFF && u[1] == 0xFE) || (u[0] == 0xFE && u[1] == 0xFF));
}

/* Is there markup at all in the first bytes? */
static int has_markup(const char *s, size_t len)
{
    size_t n = len < 65536 ? len : 65536;

    for (size_t i = 0; i + 1 < n; i++) {
        char c = s[i + 1];

        if (s[i] == '<' && ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                            c == '!' || c == '?')) {
            return 1;
        }
    }
    return 0;
}

/* Is the page a frameset (its text lives in other documents)? */
static int is_frameset(htmlDocPtr doc)
{
    xmlNodePtr root = xmlDocGetRootElement(doc);

    if (root == NULL) {
        return 0;
    }
    for (xmlNodePtr n = root->children; n != NULL; n = n->next) {
        if (n->type == XML_ELEMENT_NODE &&
            strcmp((const char *)n->name, "frameset") == 0) {
            return 1;
        }
    }
    return 0;
}

/* Parses UTF-8 HTML; deep: without libxml2's limit of 256 levels. */
static htmlDocPtr parse(const char *text, size_t len, const char *url, int deep)
{
    int opts = HTML_PARSE_RECOVER | HTML_PARSE_NOERROR | HTML_PARSE_NOWARNING |
               HTML_PARSE_NONET | HTML_PARSE_COMPACT;

    if (deep) {
        /* (htmlCtxtUseOptions() takes it; HTMLparser.h has no name) */
        opts |= XML_PARSE_HUGE;
    }
    return htmlReadMemory(text, (int)len, url, "UTF-8", opts);
}

struct wh_article *wh_extract(const char *html, size_t len, const char *url,
                              const struct wh_extract_opts *opts, char *errstr,
                              size_t errstr_size)
{
    size_t max = opts != NULL && opts->max_bytes != 0 ? opts->max_bytes
                                                      : DEFAULT_MAX_BYTES;
    const char *http_cs = opts != NULL ? opts->charset : NULL;
    struct wh_article *art = NULL;
    htmlDocPtr doc = NULL;
    char *utf8 = NULL;
    const char *text;
    size_t ulen = 0;
    const char *cs = NULL;
    const char *base;
    int rc;

    if (html == NULL || len == 0) {
        snprintf(errstr, errstr_size, "empty page");
        goto out;
    }
    if (len > max) {
        snprintf(errstr, errstr_size, "page too large (%zu bytes, max %zu)",
                 len, max);
        goto out;
    }
    if (!has_utf16_bom(html, len) && wh_extract_looks_binary(html, len)) {
        snprintf(errstr, errstr_size, "not HTML (binary data)");
        goto out;
    }
    utf8 = wh_extract_to_utf8(html, len, http_cs, &ulen, &cs);
    text = utf8 != NULL ? utf8 : html;
    if (ulen == 0 || !has_markup(text, ulen)) {
        snprintf(errstr, errstr_size, "not HTML (no markup)");
        goto out;
    }
    if (ulen > (size_t)INT_MAX) {
        snprintf(errstr, errstr_size, "page too large");
        goto out;
    }
    doc = parse(text, ulen, url, 0);
    if (doc == NULL || xmlDocGetRootElement(doc) == NULL) {
        snprintf(errstr, errstr_size, "cannot parse HTML");
        goto out;
    }
    art = wh_xcalloc(1, sizeof(*art));
    wh_extract_meta(doc, url, art);
    base = url != NULL ? url : art->canonical_url;
    rc = wh_extract_body(doc, base, art);
    /* libxml2 stops building the tree 256 levels deep, and templates
     * that nest that deep lose their article. Parse such a page again
     * without the limit, when it is small enough that its tree stays
     * small too (a deep page of tags alone makes one node per tag). */
    if (rc != WH_OK && ulen <= DEEP_MAX_BYTES) {
        htmlDocPtr deep = parse(text, ulen, url, 1);

        if (deep != NULL && xmlDocGetRootElement(deep) != NULL) {
            xmlFreeDoc(doc);
            doc = deep;
            wh_article_free(art);
            art = wh_xcalloc(1, sizeof(*art));
            wh_extract_meta(doc, url, art);
            base = url != NULL ? url : art->canonical_url;
            rc = wh_extract_body(doc, base, art);
        } else if (deep != NULL) {
            xmlFreeDoc(deep);
        }
    }
    if (rc != WH_OK) {
        snprintf(errstr, errstr_size, "no article found%s",
                 is_frameset(doc) ? " (a frameset page: its frames hold the "
                                    "content)"
                                  : "");
        wh_article_free(art);
        art = NULL;
    }
out:
    if (doc != NULL) {
        xmlFreeDoc(doc);
    }
    free(utf8);
    return art;
}

const char *wh_extract_weak_name(unsigned bit)
{
    switch (bit) {
    case WH_EXTRACT_WEAK_SHORT:
        return "short-body";
    case WH_EXTRACT_WEAK_LINKS:
        return "link-density";
    case WH_EXTRACT_WEAK_RIVAL:
        return "competing-containers";
    case WH_EXTRACT_WEAK_FALLBACK:
        return "fallback";
    default:
        return NULL;
    }
}

/* {"confidence": 0.42, "reasons": ["short-body", ...]}: the reasons only
 * when the confidence is low. */
static json_t *extraction_json(const struct wh_article *art)
{
    json_t *obj = json_pack("{s:f}", "confidence", art->confidence);

    if (art->confidence < WH_EXTRACT_LOW_CONFIDENCE) {
        json_t *why = json_array();

        for (unsigned bit = 1; bit <= WH_EXTRACT_WEAK_FALLBACK; bit <<= 1) {
            if ((art->weak & bit) != 0) {
                json_array_append_new(why,
                                      json_string(wh_extract_weak_name(bit)));
            }
        }
        json_object_set_new(obj, "reasons", why);
    }
    return obj;
}

void wh_extract_note_unextracted(struct wh_record *rec)
{
    int has_body = rec->body_text != NULL && rec->body_text[0] != '\0';

    if (rec->ext == NULL) {
        rec->ext = json_object();
    }
    if (json_object_get(rec->ext, "extraction") != NULL) {
        return;
    }
    json_object_set_new(rec->ext, "extraction",
                        has_body ? json_pack("{s:f}", "confidence", 1.0)
                                 : json_pack("{s:f, s:[s]}", "confidence", 0.0,
                                             "reasons", "short-body"));
}

static void set_str(char **dst, const char *val)
{
    if (*dst == NULL && val != NULL && val[0] != '\0') {
        *dst = wh_xstrdup(val);
    }
}

static void obj_set_str(json_t *obj, const char *key, const char *val)
{
    if (val != NULL && val[0] != '\0' && json_object_get(obj, key) == NULL) {
        json_object_set_new(obj, key, json_string(val));
    }
}

static void prov_set(json_t *fs, const char *key, const char *val,
                     enum wh_prov p)
{
    if (val != NULL && p != WH_PROV_NONE) {
        json_object_set_new(fs, key, json_string(wh_prov_name(p)));
    }
}

void wh_article_to_record(const struct wh_article *art, const char *url,
                          struct wh_record *rec)
{
    json_t *fs;

    set_str(&rec->uri, art->canonical_url != NULL ? art->canonical_url : url);
    set_str(&rec->headline, art->headline);
    set_str(&rec->description, art->description);
    set_str(&rec->body_text, art->body_text);
    set_str(&rec->body_html, art->body_html);
    set_str(&rec->by, art->byline);
    set_str(&rec->first_created, art->published);
    set_str(&rec->version_created,
            art->modified != NULL ? art->modified : art->published);
    set_str(&rec->language, art->language);
    if (rec->extra == NULL) {
        rec->extra = json_object();
    }
    if (art->ntags > 0 && json_object_get(rec->extra, "subjects") == NULL) {
        json_t *subj = json_array();

        for (size_t i = 0; i < art->ntags; i++) {
            json_array_append_new(subj,
                                  json_pack("{s:s}", "name", art->tags[i]));
        }
        json_object_set_new(rec->extra, "subjects", subj);
    }
    if (json_object_size(rec->extra) == 0) {
        json_decref(rec->extra);
        rec->extra = NULL;
    }
    if (rec->ext == NULL) {
        rec->ext = json_object();
    }
    obj_set_str(rec->ext, "section", art->section);
    obj_set_str(rec->ext, "image", art->image);
    obj_set_str(rec->ext, "siteName", art->site_name);
    obj_set_str(rec->ext, "canonicalUrl", art->canonical_url);
    if (json_object_get(rec->ext, "bodyWords") == NULL) {
        json_object_set_new(rec->ext, "bodyWords",
                            json_integer((json_int_t)art->body_words));
    }
    fs = json_object();
    prov_set(fs, "headline", art->headline, art->headline_from);
    prov_set(fs, "description", art->description, art->description_from);
    prov_set(fs, "by", art->byline, art->byline_from);
    prov_set(fs, "firstCreated", art->published, art->published_from);
    prov_set(fs, "versionCreated",
             art->modified != NULL ? art->modified : art->published,
             art->modified != NULL ? art->modified_from : art->published_from);
    json_object_set_new(rec->ext, "fieldSources", fs);
    json_object_set_new(rec->ext, "extraction", extraction_json(art));
    free(rec->extractor_version);
    rec->extractor_version = wh_xstrdup(WH_EXTRACTOR_VERSION);
    wh_record_hash_body(rec);
}
