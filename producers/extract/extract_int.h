/*
 * extract_int.h - what the files of the extraction module share. Not a
 * public interface: only producers/extract/ includes it.
 */
#ifndef WH_EXTRACT_INT_H
#define WH_EXTRACT_INT_H

#include <libxml/HTMLparser.h>
#include <libxml/tree.h>
#include <stddef.h>

#include "extract.h"
#include "wh/buf.h"

/* ---- charset.c ---- */

/* Converts a page to valid UTF-8: BOM first, then the HTTP charset
 * (http_charset, may be NULL), then <meta charset> / http-equiv in the
 * first bytes, then sniffing (valid UTF-8, else windows-1252). Invalid
 * sequences become U+FFFD; NUL and other C0 controls except tab, CR and
 * LF are dropped. Returns a new NUL-terminated string (caller frees) and
 * its length in *out_len, or NULL when the input already is clean UTF-8
 * and can be used as it is (*out_len = len then); *out_charset names the
 * charset used (static). */
char *wh_extract_to_utf8(const char *in, size_t len, const char *http_charset,
                         size_t *out_len, const char **out_charset);

/* True when the first bytes look like binary data rather than text. */
int wh_extract_looks_binary(const char *in, size_t len);

/* ---- text.c ---- */

/* Appends the text s (len bytes of UTF-8) to b with whitespace runs
 * (ASCII blanks, NBSP and other Unicode spaces) collapsed to one space and
 * zero-width characters dropped. *pending_space carries a blank seen at
 * the end of the previous piece, so pieces join correctly; leading blanks
 * are dropped when b is empty. */
void wh_extract_text_append(struct wh_buf *b, const char *s, size_t len,
                            int *pending_space);

/* Returns a new string: s with whitespace collapsed and trimmed. */
char *wh_extract_text_clean(const char *s);

/* Appends s (len bytes) to b with &, <, > and " escaped for HTML. */
void wh_extract_html_escape(struct wh_buf *b, const char *s, size_t len);

/* Number of words (runs of letters/digits, any non-ASCII byte counts as
 * a letter) in s. */
size_t wh_extract_count_words(const char *s);

/* Counts UTF-8 characters (not bytes) of s[0..len). */
size_t wh_extract_utf8_len(const char *s, size_t len);

/* Month and weekday names, lower case, in full and short ("jan",
 * "sept", "thurs"); NULL-terminated. */
extern const char *const wh_extract_date_words[];

/* ASCII case-insensitive: does s start with prefix? */
int wh_extract_starts_with(const char *s, const char *prefix);

/* Returns the attribute value of node (a new xmlChar * string converted
 * to char *, caller frees with free()) or NULL. */
char *wh_extract_attr(xmlNodePtr node, const char *name);

/* The attribute value of node, borrowed from the tree (valid while the
 * document lives), or NULL. No allocation. */
const char *wh_extract_attr_ref(const xmlNode *node, const char *name);

/* Text content of node, whitespace collapsed, at most max bytes (cut on
 * a character boundary); new string or NULL when empty. Iterative, skips
 * script and style. */
char *wh_extract_node_text(xmlNodePtr node, size_t max);

/* Text of a <title> element like wh_extract_node_text(); when markup
 * left the title open and it swallowed the page (it holds elements),
 * only the text before its first element. New string or NULL. */
char *wh_extract_title_text(xmlNodePtr title, size_t max);

/* Makes href absolute against base (may be NULL). New string, or NULL
 * for javascript: and empty links. */
char *wh_extract_abs_url(const char *href, const char *base);

/* ---- meta.c ---- */

/* Fills the metadata fields of art from the document: JSON-LD, meta
 * tags, <time>, markup, the URL pattern and visible datelines. base is
 * the page URL (may be NULL). */
void wh_extract_meta(htmlDocPtr doc, const char *base, struct wh_article *art);

/* ---- body.c ---- */

/* Finds the main text of the document and fills art->body_text,
 * art->body_html and art->body_words. Uses art->headline and
 * art->description (to drop them from the body) and base (to make links
 * absolute). Returns 0, or WH_ENOENT when no article text was found. */
int wh_extract_body(htmlDocPtr doc, const char *base, struct wh_article *art);

#endif
