/*
 * xml.c - safe XML parsing for the source kinds (see xml.h).
 */
#include "xml.h"

#include <ctype.h>
#include <libxml/HTMLparser.h>
#include <libxml/parser.h>
#include <libxml/parserInternals.h>
#include <libxml/uri.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "wh/buf.h"
#include "wh/date.h"
#include "wh/utf8.h"
#include "wh/wh.h"

/* How far wh_xml_sniff_root() looks for the root element. */
#define SNIFF_MAX ((size_t)64 * 1024)

/* Depth limit of the HTML-to-text walk (libxml2 limits parsing depth too). */
#define TEXT_MAX_DEPTH 256

struct parse_state {
    int entity_line; /* line of the first entity declaration, or 0 */
    int err_line;    /* line of the first error */
    char err[200];   /* message of the first error; "" when none */
};

/* SAX handler for <!ENTITY ...> declarations: any declaration ends the
 * parse. Feeds have no use for them, and refusing them outright is what
 * makes entity-expansion attacks cost nothing. */
static void on_entity_decl(void *ctx, const xmlChar *name, int type,
                           const xmlChar *public_id, const xmlChar *system_id,
                           xmlChar *content)
{
    xmlParserCtxtPtr ctxt = ctx;
    struct parse_state *st = ctxt->_private;

    (void)name;
    (void)type;
    (void)public_id;
    (void)system_id;
    (void)content;
    if (st->entity_line == 0) {
        st->entity_line = ctxt->input != NULL ? ctxt->input->line : 1;
        if (st->entity_line <= 0) {
            st->entity_line = 1;
        }
    }
    xmlStopParser(ctxt);
}

/* Structured error handler: keeps the first error, drops warnings. */
static void on_error(void *ctx, xmlErrorPtr err)
{
    xmlParserCtxtPtr ctxt = ctx;
    struct parse_state *st;
    size_t n;

    if (ctxt == NULL || err == NULL || err->level < XML_ERR_ERROR) {
        return;
    }
    st = ctxt->_private;
    if (st == NULL || st->err[0] != '\0') {
        return;
    }
    st->err_line = err->line;
    snprintf(st->err, sizeof(st->err), "%s",
             err->message != NULL ? err->message : "malformed XML");
    n = strlen(st->err);
    while (n > 0 && (st->err[n - 1] == '\n' || st->err[n - 1] == ' ')) {
        st->err[--n] = '\0';
    }
}

/* ---- declared encoding against the bytes ------------------------------ */

/* 1 when body is valid UTF-8 with at least one non-ASCII character, 0
 * when it is pure ASCII, -1 when it is not UTF-8. */
static int utf8_kind(const char *body, size_t len)
{
    const unsigned char *s = (const unsigned char *)body;
    size_t i = 0;
    int wide = 0;

    while (i < len) {
        size_t n = wh_utf8_valid(s + i, len - i);

        if (n == 0) {
            return -1;
        }
        wide |= n > 1;
        i += n;
    }
    return wide;
}

/* The encoding named in the XML declaration, lower-cased into out; ""
 * when there is none. */
static void declared_encoding(const char *body, size_t len, char *out,
                              size_t size)
{
    const char *end;
    const char *p;
    size_t n = 0;
    char quote;

    out[0] = '\0';
    if (len >= 3 && memcmp(body, "\xEF\xBB\xBF", 3) == 0) {
        body += 3;
        len -= 3;
    }
    if (len < 5 || memcmp(body, "<?xml", 5) != 0) {
        return;
    }
    end = memmem(body, len < 512 ? len : 512, "?>", 2);
    if (end == NULL) {
        return;
    }
    p = memmem(body, (size_t)(end - body), "encoding", 8);
    if (p == NULL) {
        return;
    }
    p += 8;
    while (p < end && (*p == ' ' || *p == '=' || *p == '\t')) {
        p++;
    }
    if (p >= end || (*p != '"' && *p != '\'')) {
        return;
    }
    quote = *p++;
    while (p < end && *p != quote && n + 1 < size) {
        out[n++] = (char)(*p >= 'A' && *p <= 'Z' ? *p + ('a' - 'A') : *p);
        p++;
    }
    out[n] = '\0';
}

enum enc_fix {
    ENC_AS_DECLARED, /* trust the declaration (and libxml2's BOM sniffing) */
    ENC_UTF8,        /* the bytes are UTF-8 whatever the declaration says */
    ENC_CP1252       /* the bytes are Windows-1252, declared as UTF-8 */
};

/* Feeds often declare one encoding and send another: a CMS that writes
 * UTF-8 under an old "ISO-8859-1" template, or Latin-1 text pasted into
 * a "UTF-8" feed. Valid UTF-8 with non-ASCII characters is practically
 * never meant as a single-byte Western encoding, and bytes that are not
 * UTF-8 under a UTF-8 (or absent) declaration are almost always
 * Windows-1252, the superset of Latin-1 that browsers assume. Other
 * declared encodings (UTF-16, Shift_JIS, KOI8-R, ...) are trusted. */
static enum enc_fix encoding_fix(const char *body, size_t len)
{
    char enc[32];
    int kind;

    if (len >= 2 &&
        ((unsigned char)body[0] == 0xFE || (unsigned char)body[0] == 0xFF)) {
        return ENC_AS_DECLARED; /* UTF-16 BOM */
    }
    declared_encoding(body, len, enc, sizeof(enc));
    if (enc[0] == '\0' || strcmp(enc, "utf-8") == 0 ||
        strcmp(enc, "utf8") == 0) {
        return utf8_kind(body, len) < 0 ? ENC_CP1252 : ENC_AS_DECLARED;
    }
    if (strncmp(enc, "iso-8859-", 9) == 0 ||
        strncmp(enc, "windows-125", 11) == 0 || strcmp(enc, "us-ascii") == 0 ||
        strcmp(enc, "latin1") == 0 || strcmp(enc, "ascii") == 0) {
        kind = utf8_kind(body, len);
        return kind > 0 ? ENC_UTF8 : ENC_AS_DECLARED;
    }
    return ENC_AS_DECLARED;
}

/* Windows-1252 bytes as UTF-8 into out (its 0x80-0x9F punctuation; the
 * five undefined positions become U+FFFD). */
static void cp1252_to_utf8(const char *body, size_t len, struct wh_buf *out)
{
    static const unsigned short c1[32] = {
        0x20AC, 0xFFFD, 0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021,
        0x02C6, 0x2030, 0x0160, 0x2039, 0x0152, 0xFFFD, 0x017D, 0xFFFD,
        0xFFFD, 0x2018, 0x2019, 0x201C, 0x201D, 0x2022, 0x2013, 0x2014,
        0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0xFFFD, 0x017E, 0x0178,
    };
    size_t i;

    for (i = 0; i < len; i++) {
        uint32_t c = (unsigned char)body[i];
        char u[4];

        if (c >= 0x80 && c < 0xA0) {
            c = c1[c - 0x80];
        }
        (void)wh_buf_append(out, u, wh_utf8_put(c, u));
    }
}

xmlDocPtr wh_xml_parse(const char *body, size_t len, const char *base_url,
                       int *code, char *errstr, size_t errstr_size)
{
    struct parse_state st;
    xmlParserCtxtPtr ctxt = NULL;
    xmlDocPtr doc = NULL;
    struct wh_buf utf8;
    int options;
    int rc = WH_EPARSE;

    memset(&st, 0, sizeof(st));
    wh_buf_init(&utf8, 0);
    if (len > WH_XML_MAX_BYTES) {
        snprintf(errstr, errstr_size,
                 "document too large (%zu bytes, limit %zu)", len,
                 WH_XML_MAX_BYTES);
        rc = WH_E2BIG;
        goto out;
    }
    if (body == NULL || len == 0) {
        snprintf(errstr, errstr_size, "empty document");
        goto out;
    }
    /* A document whose bytes contradict its declared encoding is read
     * as what its bytes are (see encoding_fix()). */
    options = XML_PARSE_NONET | XML_PARSE_NOCDATA | XML_PARSE_NOERROR |
              XML_PARSE_NOWARNING;
    switch (encoding_fix(body, len)) {
    case ENC_AS_DECLARED:
        break;
    case ENC_UTF8:
        options |= XML_PARSE_IGNORE_ENC;
        break;
    case ENC_CP1252:
        cp1252_to_utf8(body, len, &utf8);
        body = utf8.data;
        len = utf8.len;
        options |= XML_PARSE_IGNORE_ENC;
        break;
    }
    ctxt = xmlCreateMemoryParserCtxt(body, (int)len);
    if (ctxt == NULL) {
        snprintf(errstr, errstr_size, "cannot create an XML parser");
        goto out;
    }
    /* No XML_PARSE_NOENT, DTDLOAD, DTDATTR, DTDVALID, XINCLUDE or HUGE:
     * entities stay references, no external resource is ever read. */
    xmlCtxtUseOptions(ctxt, options);
    ctxt->_private = &st;
    ctxt->sax->entityDecl = on_entity_decl;
    ctxt->sax->serror = on_error;

    xmlParseDocument(ctxt);
    doc = ctxt->myDoc;
    ctxt->myDoc = NULL;

    if (st.entity_line != 0) {
        snprintf(errstr, errstr_size,
                 "line %d: entity declarations are refused", st.entity_line);
        goto out;
    }
    if (!ctxt->wellFormed || doc == NULL) {
        if (st.err[0] != '\0') {
            snprintf(errstr, errstr_size, "line %d: %s", st.err_line, st.err);
        } else {
            snprintf(errstr, errstr_size, "malformed XML");
        }
        goto out;
    }
    if (xmlDocGetRootElement(doc) == NULL) {
        snprintf(errstr, errstr_size, "no root element");
        goto out;
    }
    if (base_url != NULL && base_url[0] != '\0') {
        doc->URL = xmlStrdup((const xmlChar *)base_url);
    }
    rc = WH_OK;
out:
    if (ctxt != NULL) {
        ctxt->_private = NULL;
        xmlFreeParserCtxt(ctxt);
    }
    wh_buf_free(&utf8);
    if (rc != WH_OK) {
        xmlFreeDoc(doc);
        doc = NULL;
    }
    if (code != NULL) {
        *code = rc;
    }
    return doc;
}

/* Returns the position of needle in [p, end), or NULL. */
static const char *find(const char *p, const char *end, const char *needle)
{
    size_t n = strlen(needle);

    if (p >= end || (size_t)(end - p) < n) {
        return NULL;
    }
    return memmem(p, (size_t)(end - p), needle, n);
}

static int starts(const char *p, const char *end, const char *prefix)
{
    size_t n = strlen(prefix);

    return (size_t)(end - p) >= n && memcmp(p, prefix, n) == 0;
}

static int is_blank(int c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

json_t *wh_xml_json_parse(const char *body, size_t len, int *code, char *errstr,
                          size_t errstr_size)
{
    json_error_t jerr;
    json_t *doc;

    if (len > WH_XML_MAX_BYTES) {
        snprintf(errstr, errstr_size,
                 "document too large (%zu bytes, limit %zu)", len,
                 WH_XML_MAX_BYTES);
        if (code != NULL) {
            *code = WH_E2BIG;
        }
        return NULL;
    }
    doc = json_loadb(body, len, JSON_REJECT_DUPLICATES, &jerr);
    if (doc == NULL) {
        snprintf(errstr, errstr_size, "line %d, column %d: %s", jerr.line,
                 jerr.column, jerr.text);
        if (code != NULL) {
            *code = WH_EPARSE;
        }
    }
    return doc;
}

size_t wh_xml_skip_space(const char *body, size_t len)
{
    size_t i = 0;

    if (len >= 3 && memcmp(body, "\xEF\xBB\xBF", 3) == 0) {
        i = 3;
    }
    while (i < len && (body[i] == ' ' || body[i] == '\t' || body[i] == '\n' ||
                       body[i] == '\r')) {
        i++;
    }
    return i;
}

int wh_xml_sniff_root(const char *body, size_t len, char *name,
                      size_t name_size, const char **tag, size_t *tag_len)
{
    const char *p = body;
    const char *end;
    const char *q;
    size_t n;

    if (body == NULL || name == NULL || name_size == 0) {
        return 0;
    }
    end = body + (len < SNIFF_MAX ? len : SNIFF_MAX);
    name[0] = '\0';
    if (starts(p, end, "\xEF\xBB\xBF")) {
        p += 3;
    }
    for (;;) {
        while (p < end && is_blank((unsigned char)*p)) {
            p++;
        }
        if (p >= end || *p != '<') {
            return 0;
        }
        if (starts(p, end, "<?")) {
            q = find(p, end, "?>");
            if (q == NULL) {
                return 0;
            }
            p = q + 2;
        } else if (starts(p, end, "<!--")) {
            q = find(p + 4, end, "-->");
            if (q == NULL) {
                return 0;
            }
            p = q + 3;
        } else if (starts(p, end, "<!DOCTYPE") || starts(p, end, "<!doctype")) {
            /* Skip an internal subset "[...]" if there is one. */
            q = p + 9;
            while (q < end && *q != '[' && *q != '>') {
                q++;
            }
            if (q < end && *q == '[') {
                q = find(q, end, "]");
                if (q == NULL) {
                    return 0;
                }
            }
            q = find(q, end, ">");
            if (q == NULL) {
                return 0;
            }
            p = q + 1;
        } else if (starts(p, end, "<!")) {
            return 0;
        } else {
            break;
        }
    }
    /* p is at the root start tag. */
    q = p + 1;
    while (q < end && !is_blank((unsigned char)*q) && *q != '>' && *q != '/') {
        q++;
    }
    n = (size_t)(q - (p + 1));
    if (n == 0 || q >= end) {
        return 0;
    }
    if (n >= name_size) {
        n = name_size - 1;
    }
    memcpy(name, p + 1, n);
    name[n] = '\0';
    q = memchr(q, '>', (size_t)(end - q));
    if (q == NULL) {
        return 0;
    }
    if (tag != NULL) {
        *tag = p;
    }
    if (tag_len != NULL) {
        *tag_len = (size_t)(q + 1 - p);
    }
    return 1;
}

int wh_xml_is(const xmlNode *node, const char *ns, const char *name)
{
    if (node == NULL || node->type != XML_ELEMENT_NODE ||
        !xmlStrEqual(node->name, (const xmlChar *)name)) {
        return 0;
    }
    if (ns == NULL) {
        return node->ns == NULL;
    }
    return node->ns != NULL && xmlStrEqual(node->ns->href, (const xmlChar *)ns);
}

xmlNodePtr wh_xml_child(const xmlNode *parent, const char *ns, const char *name)
{
    xmlNodePtr n;

    if (parent == NULL) {
        return NULL;
    }
    for (n = parent->children; n != NULL; n = n->next) {
        if (wh_xml_is(n, ns, name)) {
            return n;
        }
    }
    return NULL;
}

/* Appends s to b with blank runs collapsed; *space says whether a blank is
 * pending (so runs spanning several calls collapse too). */
static void put_collapsed(struct wh_buf *b, const char *s, int *space)
{
    for (; *s != '\0'; s++) {
        if (is_blank((unsigned char)*s)) {
            *space = 1;
            continue;
        }
        /* U+00A0 NO-BREAK SPACE counts as a blank too. */
        if ((unsigned char)s[0] == 0xC2 && (unsigned char)s[1] == 0xA0) {
            *space = 1;
            s++;
            continue;
        }
        if (*space && b->len > 0) {
            (void)wh_buf_append(b, " ", 1);
        }
        *space = 0;
        (void)wh_buf_append(b, s, 1);
    }
}

/* Hands over b's text, or NULL when it is empty. */
static char *steal_or_null(struct wh_buf *b)
{
    if (b->len == 0) {
        wh_buf_free(b);
        return NULL;
    }
    return wh_buf_steal(b);
}

/* The first n bytes of s with blank runs collapsed, or NULL when
 * blank. */
static char *collapse_n(const char *s, size_t n)
{
    char *copy = wh_xstrndup(s, n);
    struct wh_buf b;
    int space = 0;

    wh_buf_init(&b, 0);
    put_collapsed(&b, copy, &space);
    free(copy);
    return steal_or_null(&b);
}

static char *collapse(const char *s)
{
    struct wh_buf b;
    int space = 0;

    if (s == NULL) {
        return NULL;
    }
    wh_buf_init(&b, 0);
    put_collapsed(&b, s, &space);
    return steal_or_null(&b);
}

char *wh_xml_child_text(const xmlNode *parent, const char *ns, const char *name)
{
    return wh_xml_text(wh_xml_child(parent, ns, name));
}

char *wh_xml_attr(const xmlNode *node, const char *name)
{
    xmlChar *v;
    char *s;

    if (node == NULL) {
        return NULL;
    }
    v = xmlGetNoNsProp(node, (const xmlChar *)name);
    if (v == NULL) {
        return NULL;
    }
    s = collapse((const char *)v);
    xmlFree(v);
    return s;
}

/* Inline HTML elements: no word break around them. */
static int is_inline(const xmlChar *name)
{
    static const char *const inl[] = {
        "a",    "abbr",   "b",   "bdi", "bdo",  "cite", "code", "data", "dfn",
        "em",   "font",   "i",   "kbd", "mark", "q",    "s",    "samp", "small",
        "span", "strong", "sub", "sup", "time", "u",    "var",  "wbr",
    };
    size_t i;

    for (i = 0; i < WH_ARRAY_SIZE(inl); i++) {
        if (xmlStrcasecmp(name, (const xmlChar *)inl[i]) == 0) {
            return 1;
        }
    }
    return 0;
}

static void html_text_walk(const xmlNode *node, struct wh_buf *b, int *space,
                           int depth)
{
    const xmlNode *n;

    if (depth > TEXT_MAX_DEPTH) {
        return;
    }
    for (n = node; n != NULL; n = n->next) {
        if (n->type == XML_TEXT_NODE && n->content != NULL) {
            put_collapsed(b, (const char *)n->content, space);
        } else if (n->type == XML_ELEMENT_NODE) {
            if (xmlStrcasecmp(n->name, (const xmlChar *)"script") == 0 ||
                xmlStrcasecmp(n->name, (const xmlChar *)"style") == 0) {
                continue;
            }
            if (!is_inline(n->name)) {
                *space = 1;
            }
            html_text_walk(n->children, b, space, depth + 1);
            if (!is_inline(n->name)) {
                *space = 1;
            }
        }
    }
}

char *wh_xml_text(const xmlNode *node)
{
    struct wh_buf b;
    int space = 0;

    if (node == NULL) {
        return NULL;
    }
    if (node->type != XML_ELEMENT_NODE) {
        return collapse((const char *)node->content);
    }
    wh_buf_init(&b, 0);
    html_text_walk(node->children, &b, &space, 0);
    return steal_or_null(&b);
}

char *wh_xml_html_to_text(const char *html)
{
    htmlDocPtr doc;
    struct wh_buf b;
    int space = 0;
    size_t len;

    if (html == NULL) {
        return NULL;
    }
    if (strchr(html, '<') == NULL && strchr(html, '&') == NULL) {
        return collapse(html);
    }
    len = strlen(html);
    if (len > WH_XML_MAX_BYTES) {
        return NULL;
    }
    doc = htmlReadMemory(html, (int)len, NULL, "UTF-8",
                         HTML_PARSE_NONET | HTML_PARSE_NOERROR |
                             HTML_PARSE_NOWARNING);
    if (doc == NULL) {
        return collapse(html);
    }
    wh_buf_init(&b, 0);
    html_text_walk(doc->children, &b, &space, 0);
    xmlFreeDoc(doc);
    return steal_or_null(&b);
}

char *wh_xml_resolve(const xmlNode *node, const char *href)
{
    xmlChar *base = NULL;
    xmlChar *abs = NULL;
    char *h;
    char *s = NULL;

    h = collapse(href);
    if (h == NULL) {
        return NULL;
    }
    if (node != NULL && node->doc != NULL) {
        base = xmlNodeGetBase(node->doc, node);
    }
    if (base == NULL) {
        return h;
    }
    abs = xmlBuildURI((const xmlChar *)h, base);
    if (abs != NULL && abs[0] != '\0') {
        s = wh_xstrdup((const char *)abs);
    }
    xmlFree(abs);
    xmlFree(base);
    free(h);
    return s;
}

char *wh_xml_date(char *s)
{
    char *d;

    if (s == NULL) {
        return NULL;
    }
    d = wh_date_normalize(s);
    free(s);
    return d;
}

char *wh_xml_children_text(const xmlNode *parent, const char *ns,
                           const char *name, const char *sep)
{
    const xmlNode *n;
    struct wh_buf b;

    if (parent == NULL) {
        return NULL;
    }
    wh_buf_init(&b, 0);
    for (n = parent->children; n != NULL; n = n->next) {
        char *one;

        if (!wh_xml_is(n, ns, name)) {
            continue;
        }
        one = wh_xml_text(n);
        if (one == NULL) {
            continue;
        }
        if (b.len > 0) {
            (void)wh_buf_puts(&b, sep);
        }
        (void)wh_buf_puts(&b, one);
        free(one);
    }
    return steal_or_null(&b);
}

char *wh_xml_build_uri(const char *base, const char *href)
{
    char *h = collapse(href);
    xmlChar *abs;
    char *s;

    if (h == NULL || base == NULL || base[0] == '\0') {
        return h;
    }
    abs = xmlBuildURI((const xmlChar *)h, (const xmlChar *)base);
    if (abs == NULL || abs[0] == '\0') {
        xmlFree(abs);
        return h;
    }
    s = wh_xstrdup((const char *)abs);
    xmlFree(abs);
    free(h);
    return s;
}

/* Block elements: each starts a new paragraph. */
static int is_block(const xmlChar *name)
{
    static const char *const blocks[] = {
        "p",  "h1", "h2",  "h3",  "h4",         "h5", "h6",      "li",
        "dd", "dt", "div", "pre", "blockquote", "td", "section", "article",
        "tr", "br", "hl1", "hl2", "table",      "ul", "ol",      "figure",
    };
    size_t i;

    for (i = 0; i < WH_ARRAY_SIZE(blocks); i++) {
        if (xmlStrcasecmp(name, (const xmlChar *)blocks[i]) == 0) {
            return 1;
        }
    }
    return 0;
}

struct paras {
    struct wh_buf cur; /* the paragraph being collected */
    struct wh_buf text;
    struct wh_buf html;
    int space;
};

static void put_html_escaped(struct wh_buf *b, const char *s)
{
    for (; *s != '\0'; s++) {
        if (*s == '&') {
            (void)wh_buf_puts(b, "&amp;");
        } else if (*s == '<') {
            (void)wh_buf_puts(b, "&lt;");
        } else if (*s == '>') {
            (void)wh_buf_puts(b, "&gt;");
        } else {
            (void)wh_buf_append(b, s, 1);
        }
    }
}

static void paras_flush(struct paras *p)
{
    if (p->cur.len > 0) {
        if (p->text.len > 0) {
            (void)wh_buf_puts(&p->text, "\n\n");
        }
        (void)wh_buf_puts(&p->text, p->cur.data);
        (void)wh_buf_puts(&p->html, "<p>");
        put_html_escaped(&p->html, p->cur.data);
        (void)wh_buf_puts(&p->html, "</p>");
    }
    wh_buf_reset(&p->cur);
    p->space = 0;
}

static void paras_walk(const xmlNode *node, struct paras *p, int depth)
{
    const xmlNode *n;

    if (depth > TEXT_MAX_DEPTH) {
        return;
    }
    for (n = node; n != NULL; n = n->next) {
        if (n->type == XML_TEXT_NODE && n->content != NULL) {
            put_collapsed(&p->cur, (const char *)n->content, &p->space);
        } else if (n->type == XML_ELEMENT_NODE) {
            int block;

            if (xmlStrcasecmp(n->name, (const xmlChar *)"script") == 0 ||
                xmlStrcasecmp(n->name, (const xmlChar *)"style") == 0) {
                continue;
            }
            block = is_block(n->name);
            if (block) {
                paras_flush(p);
            } else if (!is_inline(n->name)) {
                p->space = 1;
            }
            paras_walk(n->children, p, depth + 1);
            if (block) {
                paras_flush(p);
            }
        }
    }
}

void wh_xml_paragraphs(const xmlNode *node, char **text, char **html)
{
    struct paras p;

    *text = NULL;
    if (html != NULL) {
        *html = NULL;
    }
    if (node == NULL) {
        return;
    }
    memset(&p, 0, sizeof(p));
    wh_buf_init(&p.cur, 0);
    wh_buf_init(&p.text, 0);
    wh_buf_init(&p.html, 0);
    /* An element or a document: its content; a text node: itself. */
    paras_walk(node->type == XML_TEXT_NODE ? node : node->children, &p, 0);
    paras_flush(&p);
    wh_buf_free(&p.cur);
    *text = steal_or_null(&p.text);
    if (html != NULL && *text != NULL) {
        *html = steal_or_null(&p.html);
    } else {
        wh_buf_free(&p.html);
    }
}

xmlDocPtr wh_xml_parse_html(const char *body, size_t len)
{
    if (body == NULL || len == 0 || len > WH_XML_MAX_BYTES) {
        return NULL;
    }
    return htmlReadMemory(body, (int)len, NULL, NULL,
                          HTML_PARSE_NONET | HTML_PARSE_NOERROR |
                              HTML_PARSE_NOWARNING | HTML_PARSE_COMPACT);
}

/* Non-zero when s (just after a '<') starts a tag of an HTML element a
 * title or a name may hold ("b>", "/em>", "a href", "br/"); "<story>" or
 * "< 5" are text. */
static int is_html_tag(const char *s)
{
    static const char *const tags[] = {
        "a",     "abbr", "b",      "big",    "br",   "cite", "code", "div",
        "em",    "font", "i",      "img",    "mark", "p",    "q",    "s",
        "small", "span", "strike", "strong", "sub",  "sup",  "u",    "!--",
    };
    size_t i;

    if (*s == '/') {
        s++;
    }
    for (i = 0; i < WH_ARRAY_SIZE(tags); i++) {
        size_t n = strlen(tags[i]);

        if (strncasecmp(s, tags[i], n) == 0 &&
            (s[n] == '>' || s[n] == '/' || s[n] == ' ' || tags[i][0] == '!')) {
            return 1;
        }
    }
    return 0;
}

/* Non-zero when s holds a tag of an HTML element or an entity ("&amp;",
 * "&#233;") and so is HTML rather than plain text. */
static int looks_like_html(const char *s)
{
    const char *p;

    for (p = s; *p != '\0'; p++) {
        if (p[0] == '<' && is_html_tag(p + 1)) {
            return 1;
        }
        if (p[0] == '&') {
            const char *q = p + 1;

            if (*q == '#') {
                q++;
            }
            if (!isalnum((unsigned char)*q)) {
                continue;
            }
            while (isalnum((unsigned char)*q)) {
                q++;
            }
            if (*q == ';') {
                return 1;
            }
        }
    }
    return 0;
}

char *wh_xml_plain(char *s)
{
    char *plain;

    if (s == NULL || !looks_like_html(s)) {
        return s;
    }
    plain = wh_xml_html_to_text(s);
    free(s);
    return plain;
}

char *wh_xml_inner_html(const xmlNode *node)
{
    xmlBufferPtr xb;
    const xmlNode *n;
    char *s = NULL;

    if (node == NULL) {
        return NULL;
    }
    xb = xmlBufferCreate();
    if (xb == NULL) {
        return NULL;
    }
    for (n = node->children; n != NULL; n = n->next) {
        /* An XHTML element serialized as XML is HTML a parser reads the
         * same way (namespace declarations aside, which it ignores). */
        (void)xmlNodeDump(xb, node->doc, (xmlNodePtr)n, 0, 0);
    }
    if (xmlBufferLength(xb) > 0) {
        s = wh_xstrdup((const char *)xmlBufferContent(xb));
    }
    xmlBufferFree(xb);
    return s;
}

char *wh_xml_text_to_html(const char *text)
{
    struct wh_buf b;
    const char *p = text;

    if (text == NULL) {
        return NULL;
    }
    wh_buf_init(&b, 0);
    while (*p != '\0') {
        const char *end = strstr(p, "\n\n");
        size_t n = end != NULL ? (size_t)(end - p) : strlen(p);
        char *para = collapse_n(p, n);

        if (para != NULL) {
            (void)wh_buf_puts(&b, "<p>");
            put_html_escaped(&b, para);
            (void)wh_buf_puts(&b, "</p>");
            free(para);
        }
        p += n;
        while (*p == '\n' || *p == '\r') {
            p++;
        }
    }
    return steal_or_null(&b);
}

char *wh_xml_base(const xmlNode *node)
{
    xmlChar *base;
    char *s;

    if (node == NULL || node->doc == NULL) {
        return NULL;
    }
    base = xmlNodeGetBase(node->doc, node);
    if (base == NULL) {
        return NULL;
    }
    s = base[0] != '\0' ? wh_xstrdup((const char *)base) : NULL;
    xmlFree(base);
    return s;
}

char *wh_xml_html_content(const xmlNode *node)
{
    const xmlNode *n;
    xmlChar *raw;
    char *s = NULL;

    if (node == NULL) {
        return NULL;
    }
    for (n = node->children; n != NULL; n = n->next) {
        if (n->type == XML_ELEMENT_NODE) {
            return wh_xml_inner_html(node);
        }
    }
    raw = xmlNodeGetContent(node);
    if (raw == NULL) {
        return NULL;
    }
    if (strspn((const char *)raw, " \t\r\n") < strlen((const char *)raw)) {
        s = wh_xstrdup((const char *)raw);
    }
    xmlFree(raw);
    return s;
}

long long wh_xml_attr_size(const xmlNode *node, const char *name)
{
    char *s = wh_xml_attr(node, name);
    char *end = NULL;
    long long v = 0;

    if (s != NULL) {
        v = strtoll(s, &end, 10);
        if (end == s || *end != '\0' || v < 0) {
            v = 0;
        }
    }
    free(s);
    return v;
}
