/*
 * text.c - small text helpers of the extraction module: whitespace
 * normalization, HTML escaping, word counts, attributes and URLs.
 */
#include <libxml/uri.h>
#include <stdlib.h>
#include <string.h>

#include "extract_int.h"
#include "wh/wh.h"

/* Returns 1 if s[0..n) starts with a blank (ASCII or Unicode space), 2 if
 * with a zero-width or soft-hyphen character to drop, 0 otherwise; *k is
 * its length in bytes. */
static int blank_at(const unsigned char *s, size_t n, size_t *k)
{
    unsigned char c = s[0];

    *k = 1;
    if (c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' ||
        c == '\v') {
        return 1;
    }
    if (c < 0x80) {
        return 0;
    }
    if (c == 0xC2 && n >= 2) {
        *k = 2;
        if (s[1] == 0xA0) {
            return 1;
        }
        if (s[1] == 0xAD) {
            return 2;
        }
        return 0;
    }
    if (n >= 3) {
        *k = 3;
        if (c == 0xE2 && s[1] == 0x80) {
            if (s[2] <= 0x8A || s[2] == 0xAF || s[2] == 0xA8 || s[2] == 0xA9) {
                return 1;
            }
            if (s[2] >= 0x8B && s[2] <= 0x8D) {
                return 2;
            }
            return 0;
        }
        if (c == 0xE2 && s[1] == 0x81 && s[2] == 0x9F) {
            return 1;
        }
        if (c == 0xE2 && s[1] == 0x81 && s[2] == 0xA0) {
            return 2;
        }
        if (c == 0xE3 && s[1] == 0x80 && s[2] == 0x80) {
            return 1;
        }
        if (c == 0xEF && s[1] == 0xBB && s[2] == 0xBF) {
            return 2;
        }
    }
    *k = 1;
    return 0;
}

void wh_extract_text_append(struct wh_buf *b, const char *s, size_t len,
                            int *pending_space)
{
    const unsigned char *u = (const unsigned char *)s;
    size_t i = 0;
    size_t run = 0; /* start of a run of ordinary bytes */

    while (i < len) {
        size_t k;
        int t = blank_at(u + i, len - i, &k);

        if (t == 0) {
            if (i + k > len) {
                k = len - i;
            }
            if (*pending_space && b->len > 0) {
                wh_buf_append(b, " ", 1);
            }
            *pending_space = 0;
            run = i;
            i += k;
            /* copy the whole run of ordinary characters at once */
            while (i < len && u[i] != ' ' && u[i] != '\n' && u[i] >= 0x20 &&
                   u[i] < 0x80) {
                i++;
            }
            wh_buf_append(b, s + run, i - run);
            continue;
        }
        if (t == 1) {
            *pending_space = 1;
        }
        i += k;
    }
}

char *wh_extract_text_clean(const char *s)
{
    struct wh_buf b;
    int sp = 0;

    wh_buf_init(&b, 0);
    wh_extract_text_append(&b, s, strlen(s), &sp);
    return wh_buf_steal(&b);
}

void wh_extract_html_escape(struct wh_buf *b, const char *s, size_t len)
{
    size_t run = 0;

    for (size_t i = 0; i < len; i++) {
        const char *rep = NULL;

        switch (s[i]) {
        case '&':
            rep = "&amp;";
            break;
        case '<':
            rep = "&lt;";
            break;
        case '>':
            rep = "&gt;";
            break;
        case '"':
            rep = "&quot;";
            break;
        default:
            break;
        }
        if (rep != NULL) {
            wh_buf_append(b, s + run, i - run);
            wh_buf_puts(b, rep);
            run = i + 1;
        }
    }
    wh_buf_append(b, s + run, len - run);
}

size_t wh_extract_count_words(const char *s)
{
    size_t n = 0;
    int in = 0;

    for (const unsigned char *p = (const unsigned char *)s; *p != '\0'; p++) {
        int w = (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
                (*p >= '0' && *p <= '9') || *p >= 0x80;

        if (w && !in) {
            n++;
        }
        in = w;
    }
    return n;
}

size_t wh_extract_utf8_len(const char *s, size_t len)
{
    size_t n = 0;

    for (size_t i = 0; i < len; i++) {
        if (((unsigned char)s[i] & 0xC0) != 0x80) {
            n++;
        }
    }
    return n;
}

int wh_extract_starts_with(const char *s, const char *prefix)
{
    for (; *prefix != '\0'; s++, prefix++) {
        char a = *s;
        char b = *prefix;

        if (a >= 'A' && a <= 'Z') {
            a = (char)(a + 32);
        }
        if (b >= 'A' && b <= 'Z') {
            b = (char)(b + 32);
        }
        if (a != b) {
            return 0;
        }
    }
    return 1;
}

char *wh_extract_attr(xmlNodePtr node, const char *name)
{
    xmlChar *v = xmlGetNoNsProp(node, (const xmlChar *)name);
    char *res;

    if (v == NULL) {
        return NULL;
    }
    res = wh_xstrdup((const char *)v);
    xmlFree(v);
    return res;
}

const char *wh_extract_attr_ref(const xmlNode *node, const char *name)
{
    for (const xmlAttr *a = node->properties; a != NULL; a = a->next) {
        if (strcmp((const char *)a->name, name) == 0) {
            if (a->children != NULL && a->children->content != NULL) {
                return (const char *)a->children->content;
            }
            return "";
        }
    }
    return NULL;
}

static int skip_text_of(const xmlNode *n)
{
    const char *name = (const char *)n->name;

    return n->type == XML_ELEMENT_NODE &&
           (strcmp(name, "script") == 0 || strcmp(name, "style") == 0 ||
            strcmp(name, "noscript") == 0 || strcmp(name, "template") == 0);
}

char *wh_extract_node_text(xmlNodePtr node, size_t max)
{
    struct wh_buf b;
    int sp = 0;
    xmlNodePtr cur = node;

    wh_buf_init(&b, 0);
    if (node == NULL) {
        return NULL;
    }
    if (node->type == XML_TEXT_NODE || node->type == XML_CDATA_SECTION_NODE) {
        if (node->content != NULL) {
            const char *t = (const char *)node->content;

            wh_extract_text_append(&b, t, strlen(t), &sp);
        }
        cur = NULL;
    } else {
        cur = node->children;
    }
    while (cur != NULL && b.len < max) {
        if (cur->type == XML_TEXT_NODE || cur->type == XML_CDATA_SECTION_NODE) {
            if (cur->content != NULL) {
                const char *t = (const char *)cur->content;

                wh_extract_text_append(&b, t, strlen(t), &sp);
            }
        } else if (cur->type == XML_ELEMENT_NODE) {
            const char *name = (const char *)cur->name;

            if (strcmp(name, "br") == 0 || strcmp(name, "p") == 0 ||
                strcmp(name, "li") == 0 || strcmp(name, "div") == 0) {
                sp = 1;
            }
            if (cur->children != NULL && !skip_text_of(cur)) {
                cur = cur->children;
                continue;
            }
        }
        while (cur != NULL && cur->next == NULL) {
            cur = cur->parent;
            if (cur == node) {
                cur = NULL;
            }
        }
        if (cur != NULL) {
            cur = cur->next;
        }
    }
    if (b.len > max) {
        size_t cut = max;

        while (cut > 0 && ((unsigned char)b.data[cut] & 0xC0) == 0x80) {
            cut--;
        }
        b.len = cut;
        b.data[cut] = '\0';
    }
    if (b.len == 0) {
        wh_buf_free(&b);
        return NULL;
    }
    return wh_buf_steal(&b);
}

char *wh_extract_title_text(xmlNodePtr title, size_t max)
{
    if (title != NULL && xmlFirstElementChild(title) != NULL) {
        /* left open, it swallowed the page: its own text is the text
         * before the first element */
        return title->children != NULL && title->children->type == XML_TEXT_NODE
                   ? wh_extract_node_text(title->children, max)
                   : NULL;
    }
    return wh_extract_node_text(title, max);
}

char *wh_extract_abs_url(const char *href, const char *base)
{
    char *clean;
    xmlChar *abs;
    char *res;

    if (href == NULL) {
        return NULL;
    }
    clean = wh_extract_text_clean(href);
    if (clean[0] == '\0' || wh_extract_starts_with(clean, "javascript:") ||
        wh_extract_starts_with(clean, "data:")) {
        free(clean);
        return NULL;
    }
    if (base == NULL || strstr(clean, "://") != NULL ||
        wh_extract_starts_with(clean, "mailto:")) {
        return clean;
    }
    abs = xmlBuildURI((const xmlChar *)clean, (const xmlChar *)base);
    if (abs == NULL) {
        return clean;
    }
    res = wh_xstrdup((const char *)abs);
    xmlFree(abs);
    free(clean);
    return res;
}

const char *const wh_extract_date_words[] = {
    "jan",       "feb",      "mar",       "apr",      "may",      "jun",
    "jul",       "aug",      "sep",       "sept",     "oct",      "nov",
    "dec",       "january",  "february",  "march",    "april",    "june",
    "july",      "august",   "september", "october",  "november", "december",
    "mon",       "tue",      "tues",      "wed",      "thu",      "thur",
    "thurs",     "fri",      "sat",       "sun",      "monday",   "tuesday",
    "wednesday", "thursday", "friday",    "saturday", "sunday",   NULL};
