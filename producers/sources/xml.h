/*
 * xml.h - safe XML parsing for every XML source kind, and the small tree
 * helpers the kinds share.
 *
 * The parser never touches the network (XML_PARSE_NONET), never loads a
 * DTD and never substitutes entities; a document that declares entities at
 * all is refused at the first declaration, so an entity-expansion attack
 * ("billion laughs") costs a few microseconds. Input is capped at
 * WH_XML_MAX_BYTES and nesting at libxml2's default depth limit.
 *
 * Thread-safety: call xmlInitParser() once (wh_extract_global_init() does)
 * before parsing on several threads; every function here is then safe to
 * call concurrently on different documents.
 */
#ifndef WH_SOURCES_XML_H
#define WH_SOURCES_XML_H

#include <jansson.h>
#include <libxml/tree.h>
#include <stddef.h>

/* Largest XML document we parse, in bytes. */
#define WH_XML_MAX_BYTES ((size_t)32 * 1024 * 1024)

/* Parses len bytes of body (need not be NUL-terminated). base_url (may be
 * NULL) becomes the document URL, so xmlNodeGetBase() and wh_xml_resolve()
 * see it. Returns a new document (free with xmlFreeDoc), or NULL with
 * errstr filled: "line N: reason", "document too large (N bytes, limit
 * M)", "entity declarations are refused (line N)". On NULL, *code (may be
 * NULL) is WH_EPARSE or WH_E2BIG. */
xmlDocPtr wh_xml_parse(const char *body, size_t len, const char *base_url,
                       int *code, char *errstr, size_t errstr_size);

/* The JSON kinds' twin of wh_xml_parse(): parses len bytes of body with
 * duplicate keys refused, under the same WH_XML_MAX_BYTES cap. Returns a
 * new JSON value (json_decref() it), or NULL with errstr filled ("line N,
 * column M: reason", "document too large (...)") and *code (may be NULL)
 * WH_EPARSE or WH_E2BIG. */
json_t *wh_xml_json_parse(const char *body, size_t len, int *code, char *errstr,
                          size_t errstr_size);

/* Cheap look at the start of a document, for detect(): skips a BOM, the
 * XML declaration, comments, processing instructions and a DOCTYPE, and
 * copies the qualified name of the root element into name (truncated to
 * name_size - 1). *tag and *tag_len (may be NULL) receive the whole start
 * tag, attributes included, pointing into body. Looks at the first 64 KiB
 * only. Returns 1 when a root start tag was found, else 0. */
int wh_xml_sniff_root(const char *body, size_t len, char *name,
                      size_t name_size, const char **tag, size_t *tag_len);

/* Cheap look at the start of a body, for detect() (JSON kinds too): the
 * offset of its first byte after a UTF-8 BOM and leading whitespace (space,
 * tab, CR, LF); len when nothing else is there. */
size_t wh_xml_skip_space(const char *body, size_t len);

/* Non-zero when node is an element with local name `name` in namespace
 * `ns` (NULL: no namespace). */
int wh_xml_is(const xmlNode *node, const char *ns, const char *name);

/* First child element of parent matching wh_xml_is(), or NULL. */
xmlNodePtr wh_xml_child(const xmlNode *parent, const char *ns,
                        const char *name);

/* Text content of node with runs of blanks collapsed to one space and the
 * ends trimmed; child elements other than inline HTML ones (a, b, em,
 * span, ...) are separated by a space, script and style are skipped. A
 * new string, or NULL when node is NULL or the text is empty. */
char *wh_xml_text(const xmlNode *node);

/* Same as wh_xml_text() on the first matching child of parent. */
char *wh_xml_child_text(const xmlNode *parent, const char *ns,
                        const char *name);

/* The value of attribute name (no namespace) of node, trimmed; a new
 * string, or NULL when absent or empty. */
char *wh_xml_attr(const xmlNode *node, const char *name);

/* Plain text of an HTML fragment (a feed description): tags dropped,
 * entities decoded, blanks collapsed. A new string, or NULL when the text
 * is empty. Never touches the network. */
char *wh_xml_html_to_text(const char *html);

/* Resolves href against the base in effect at node (its xml:base
 * attributes and the document URL). Returns a new absolute URL; href
 * itself (copied) when there is no usable base; NULL when href is NULL or
 * empty or cannot be resolved. */
char *wh_xml_resolve(const xmlNode *node, const char *href);

/* Texts of every child of parent matching wh_xml_is(), joined with sep;
 * a new string, or NULL when there is none. */
char *wh_xml_children_text(const xmlNode *parent, const char *ns,
                           const char *name, const char *sep);

/* Resolves href against base (either may be NULL) with RFC 3986 rules.
 * Returns a new string (href copied when base is NULL or the result is
 * unusable), or NULL when href is NULL or blank. */
char *wh_xml_build_uri(const char *base, const char *href);

/* The paragraphs of a structured text (XHTML, NITF body.content, ...):
 * block elements (p, h1-h6, li, blockquote, pre, div, ...) each make a
 * paragraph, blanks collapsed. *text gets the paragraphs separated by
 * "\n\n", *html (may be NULL) each wrapped in <p> with &, < and >
 * escaped. Both new strings, or NULL when node has no text. */
void wh_xml_paragraphs(const xmlNode *node, char **text, char **html);

/* Parses an HTML document safely (no network, errors silenced, size
 * capped at WH_XML_MAX_BYTES). Returns a document or NULL. */
xmlDocPtr wh_xml_parse_html(const char *body, size_t len);

/* Normalizes a date with wh_date_normalize(); NULL when s is NULL or not
 * a date. Takes ownership of s (frees it). */
char *wh_xml_date(char *s);

/* Attribute name of node as a non-negative integer (a length, a width);
 * 0 when absent or not a plain number. */
long long wh_xml_attr_size(const xmlNode *node, const char *name);

/* A title or name as plain text: when s holds markup (a tag or an
 * entity, from CDATA, escaped or naked HTML) it goes through
 * wh_xml_html_to_text(), else it is returned as is. Takes ownership of
 * s; NULL when s is NULL or holds no text. */
char *wh_xml_plain(char *s);

/* The children of node serialized as markup (Atom xhtml content, the
 * inside of its <div>). A new string, or NULL when empty. */
char *wh_xml_inner_html(const xmlNode *node);

/* Plain text as HTML: each run of lines up to a blank line a <p>, with &,
 * < and > escaped. A new string, or NULL when text is NULL or blank. */
char *wh_xml_text_to_html(const char *text);

/* The HTML an element carries: its text when it holds only text (CDATA
 * or escaped markup, as in content:encoded), else its children as
 * markup. Not collapsed. A new string, or NULL when blank. */
char *wh_xml_html_content(const xmlNode *node);

/* The base URL in effect at node (its xml:base attributes and the
 * document URL) as a new string, or NULL when there is none. */
char *wh_xml_base(const xmlNode *node);

#endif
