/*
 * body.c - the main text of a page, from generic signals only.
 *
 * One iterative walk cuts the page into blocks (runs of inline text
 * between block-level boundaries) and sums text and link lengths per
 * element. Blocks vote for their ancestors by length and commas (as
 * Readability does); the element with the best score, corrected by its
 * link density and class/id semantics, is the article container, and
 * siblings that score close to it join it. Blocks inside the container
 * are then filtered: boilerplate subtrees (class/id/role/tag semantics),
 * link lists, boilerplate labels, headings that lead nowhere, the
 * headline and standfirst themselves, a teaser printed twice, and
 * trailing sign-off marks. When that leaves next to nothing, a last pass
 * keeps text that only weakly named wrappers hid.
 *
 * Work is bounded per page: at most MAX_NODES elements and MAX_BLOCKS
 * blocks are looked at, every upward walk stops after MAX_UP steps, and
 * libxml2 itself stops building the tree 256 levels deep.
 *
 * For developers, stderr traces: WH_EXTRACT_DEBUG=1 (the candidates),
 * WH_EXTRACT_DEBUG_BLOCKS=1 (every block), WH_EXTRACT_DEBUG_DROPS=1 (why
 * each block went), WH_EXTRACT_DEBUG_TEXT=words (the ancestors of the
 * block holding those words).
 */
#include <ctype.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "extract_int.h"
#include "wh/log.h"
#include "wh/wh.h"

#define MAX_NODES 400000  /* elements looked at per page */
#define MAX_BLOCKS 100000 /* text blocks kept per page */
#define MAX_UP 300        /* parent steps in any upward walk */
#define NI_CHUNK 1024     /* element infos per allocation */
#define NAME_BONUS_CHARS 120.0 /* text an article-named element needs */
#define CONF_WORDS 150.0       /* body words below which confidence drops */

/* node flags */
#define NF_SKIP 0x01       /* not text: script, style, hidden, ... */
#define NF_NEG 0x02        /* boilerplate by tag, class, id or role */
#define NF_POS 0x04        /* article-like class or id */
#define NF_BLOCK 0x08      /* block-level element */
#define NF_KEEP 0x10       /* part of the chosen content */
#define NF_ARTICLE 0x20    /* <article>, <main>, itemprop=articleBody */
#define NF_WEAKNEG 0x40    /* boilerplate and article-like names both */
#define NF_HASART 0x80     /* has an NF_ARTICLE descendant */
#define NF_HASPOS 0x100    /* has a plainly article-named descendant */
#define NF_STRONGNEG 0x200 /* named with a word like "comment" */
#define NF_ITEMHDR 0x400   /* a list item with a byline/date line */

/* block kinds */
enum bkind { BK_P, BK_H, BK_LI, BK_PRE, BK_CAPTION, BK_CELL };

struct ninfo {
    xmlNodePtr node;
    double score;
    size_t chars;      /* text characters in the subtree */
    size_t link_chars; /* of which inside links */
    unsigned flags;
    unsigned tflags; /* L_* flags of the tag name */
    int scored;
    int items;         /* children flagged NF_ITEMHDR */
    size_t kept_chars; /* kept text of child blocks (teasers) */
};

struct block {
    xmlNodePtr owner; /* innermost block-level element */
    size_t text_off, text_len;
    size_t html_off, html_len;
    size_t chars;
    size_t link_chars;
    enum bkind kind;
    int level; /* heading level 1-6 */
    int in_quote;
    int list_ordered;
    int drop;
};

struct body_ctx {
    const char *base;
    char *title;           /* the page's <title>, for headline lines */
    struct ninfo **chunks; /* NI_CHUNK infos each: stable addresses */
    size_t nni, nchunks;
    struct block *blk;
    size_t nblk, cap_blk;
    struct wh_buf text;     /* all block texts, back to back */
    struct wh_buf html;     /* all block htmls */
    struct wh_buf cur_text; /* the block being collected */
    struct wh_buf cur_html;
    int cur_sp;
    size_t cur_link_chars;
    size_t cur_hash_chars; /* of which in links within the page */
    xmlNodePtr owner;
    int link_depth;
    int hash_depth;      /* of which links to a place in this page */
    int link_open_block; /* block serial an <a> was opened in */
    int serial;          /* serial of the block being collected */
    int quote_depth;
    int pre_depth;
    int caption_depth;
    size_t total_chars;
    int truncated;
    int walk_head; /* no single <body>: <head> may hold content */
    int lenient;   /* filter: only strongly named boilerplate goes */
    int passes;    /* run_pass() calls so far */
    double rival;  /* this pass: best other candidate / best, 0..1 */
    /* what the emitted pass saw, for the confidence */
    double out_rival;
    int out_fallback;
    size_t out_chars, out_link_chars;
};

/* The info of element n, or NULL when the walk did not enter it. The
 * walk stores it in n->_private, which libxml2 leaves to applications;
 * the document belongs to this call only. */
static struct ninfo *info(const struct body_ctx *c, const xmlNode *n)
{
    (void)c;
    return (struct ninfo *)n->_private;
}

/* The i-th info, in walk order. */
static struct ninfo *ni_at(const struct body_ctx *c, size_t i)
{
    return &c->chunks[i / NI_CHUNK][i % NI_CHUNK];
}

static const char *attr_val(const xmlNode *n, const char *name)
{
    for (const xmlAttr *a = n->properties; a != NULL; a = a->next) {
        if (strcasecmp((const char *)a->name, name) == 0) {
            if (a->children != NULL && a->children->content != NULL) {
                return (const char *)a->children->content;
            }
            return "";
        }
    }
    return NULL;
}

static int tag_in(const char *name, const char *const *list)
{
    for (size_t i = 0; list[i] != NULL; i++) {
        if (strcmp(name, list[i]) == 0) {
            return 1;
        }
    }
    return 0;
}

static const char *const skip_tags[] = {
    "script", "style",  "noscript", "template", "svg",    "math",
    "iframe", "object", "embed",    "canvas",   "video",  "audio",
    "select", "button", "input",    "textarea", "option", "head",
    "title",  "meta",   "link",     "map",      "area",   "frameset",
    "frame",  "label",  "dialog",   "menu",     NULL};

static const char *const block_tags[] = {
    "p",        "div",     "section", "article", "main",       "li",
    "ul",       "ol",      "dl",      "dt",      "dd",         "h1",
    "h2",       "h3",      "h4",      "h5",      "h6",         "blockquote",
    "pre",      "table",   "tr",      "td",      "th",         "tbody",
    "thead",    "tfoot",   "caption", "figure",  "figcaption", "form",
    "fieldset", "address", "center",  "hr",      "br",         "header",
    "footer",   "nav",     "aside",   "details", "summary",    "body",
    "html",     "hgroup",  "legend",  NULL};

static const char *const neg_tags[] = {"nav",  "aside",    "footer", "header",
                                       "form", "fieldset", NULL};

/* class / id tokens: whole-token matches */
static const char *const neg_tokens[] = {
    "ad",          "ads",         "adv",
    "advert",      "adverts",     "advertisement",
    "advertising", "banner",      "sponsor",
    "sponsored",   "promo",       "promos",
    "promotion",   "share",       "sharing",
    "shares",      "social",      "comment",
    "comments",    "discussion",  "disqus",
    "related",     "recommended", "recommendations",
    "newsletter",  "subscribe",   "subscription",
    "signup",      "cookie",      "cookies",
    "consent",     "gdpr",        "sidebar",
    "widget",      "widgets",     "footer",
    "nav",         "navbar",      "navigation",
    "menu",        "breadcrumb",  "breadcrumbs",
    "tags",        "tag",         "taglist",
    "keywords",    "popular",     "trending",
    "outbrain",    "taboola",     "teaser",
    "teasers",     "masthead",    "toolbar",
    "pagination",  "pager",       "print",
    "modal",       "popup",       "overlay",
    "skip",        "hidden",      "hide",
    "bio",         "login",       "register",
    "rail",        "copyright",   "legal",
    "disclaimer",  "pullquote",   "byline",
    "dateline",    "meta",        "header",
    "tools",       "utility",     "utilities",
    "next",        "prev",        "previous",
    "follow",      "tweet",       "facebook",
    "twitter",     "whatsapp",    "linkedin",
    "email",       "mail",        "rss",
    "jump",        "survey",      "poll",
    "ticker",      "alert",       "notice",
    "extra",       "extras",      "secondary",
    "author",      "credits",     "credit",
    "timestamp",   "date",        "kicker",
    "foot",        "caption",     "captions",
    "figcaption",  "textsize",    "fontsize",
    "strapline",   "subtitle",    "summary",
    "excerpt",     "sitemap",     "topbar",
    "sharetools",  "addthis",     NULL};

/* of those, the ones that mean boilerplate even in an article-like name
 * ("comments-body", "share_article") */
static const char *const strong_tokens[] = {"ad",
                                            "ads",
                                            "advert",
                                            "adverts",
                                            "advertisement",
                                            "advertising",
                                            "sponsor",
                                            "sponsored",
                                            "promo",
                                            "share",
                                            "sharing",
                                            "social",
                                            "comment",
                                            "comments",
                                            "discussion",
                                            "disqus",
                                            "related",
                                            "recommended",
                                            "recommendations",
                                            "newsletter",
                                            "subscribe",
                                            "cookie",
                                            "cookies",
                                            "consent",
                                            "sidebar",
                                            "footer",
                                            "nav",
                                            "navbar",
                                            "navigation",
                                            "breadcrumb",
                                            "breadcrumbs",
                                            "outbrain",
                                            "taboola",
                                            "popular",
                                            "trending",
                                            "masthead",
                                            "pagination",
                                            NULL};

/* class / id tokens: prefix matches (all strong) */
static const char *const neg_prefixes[] = {
    "advert",       "sponsor",    "promo",       "sharebar",  "share-",
    "sharing",      "socialbar",  "social-",     "comment",   "related",
    "recommend",    "newsletter", "subscri",     "cookie",    "sidebar",
    "footer",       "navbar",     "breadcrumb",  "outbrain",  "taboola",
    "popular",      "trending",   "pagination",  "adslot",    "adunit",
    "adwrap",       "adbox",      "adcontainer", "adsense",   "dfp",
    "mostread",     "most-read",  "readmore",    "read-more", "morestories",
    "more-stories", "youmay",     "you-may",     "alsolike",  "paywall",
    "signup",       "sign-up",
    /* the author's box after the story, whatever else its name says
     * ("postauthor", "about-author", "author-bio") */
    "postauthor",   "post-author", "aboutauthor", "about-author",
    "about-the-author", "authorbox", "author-box", "authorbio",
    "author-bio",   "authorinfo", "author-info", "author-profile", NULL};

/* class / id substrings of article containers */
static const char *const pos_words[] = {"article", "body",  "content", "entry",
                                        "main",    "post",  "story",   "text",
                                        "blog",    "prose", NULL};

/* ---- lexicon: tag names and class/id words, looked up by hash ---- */

#define L_SKIPTAG 0x01  /* element holds no article text */
#define L_BLOCKTAG 0x02 /* block-level element */
#define L_NEGTAG 0x04   /* nav, aside, footer, ... */
#define L_NEG 0x08      /* boilerplate class/id word */
#define L_STRONG 0x10   /* ... that wins over article-like words */
#define L_A 0x20
#define L_QUOTE 0x40
#define L_PRE 0x80
#define L_CAPTION 0x100
#define L_BREAK 0x200   /* br, hr: a boundary, never an owner */
#define L_MAINTAG 0x400 /* article, main */
#define L_ROOTTAG 0x800 /* body, html */
#define L_DATE 0x1000   /* month, weekday, am/pm, time zone */

#define LEX_SIZE 1024 /* power of two, > 2x the entries */

struct lex_ent {
    const char *s;
    size_t n;
    unsigned flags;
};

static struct lex_ent lex[LEX_SIZE];
static size_t prefix_len[WH_ARRAY_SIZE(neg_prefixes)];
static pthread_once_t lex_once = PTHREAD_ONCE_INIT;

static size_t lex_hash(const char *s, size_t n)
{
    uint32_t h = 2166136261u;

    for (size_t i = 0; i < n; i++) {
        h = (h ^ (unsigned char)s[i]) * 16777619u;
    }
    return h & (LEX_SIZE - 1);
}

static void lex_add(const char *s, unsigned flags)
{
    size_t n = strlen(s);
    size_t h = lex_hash(s, n);

    while (lex[h].s != NULL) {
        if (lex[h].n == n && memcmp(lex[h].s, s, n) == 0) {
            lex[h].flags |= flags;
            return;
        }
        h = (h + 1) & (LEX_SIZE - 1);
    }
    lex[h].s = s;
    lex[h].n = n;
    lex[h].flags = flags;
}

static unsigned lex_get(const char *s, size_t n)
{
    size_t h = lex_hash(s, n);

    while (lex[h].s != NULL) {
        if (lex[h].n == n && memcmp(lex[h].s, s, n) == 0) {
            return lex[h].flags;
        }
        h = (h + 1) & (LEX_SIZE - 1);
    }
    return 0;
}

static void lex_add_list(const char *const *list, unsigned flags)
{
    for (size_t i = 0; list[i] != NULL; i++) {
        lex_add(list[i], flags);
    }
}

/* besides the months and weekdays: clock and time-zone words */
static const char *const time_names[] = {
    "am",  "pm",  "gmt", "utc", "bst", "cet", "cest", "est", "edt",
    "cst", "cdt", "mst", "mdt", "pst", "pdt", "et",   "pt",  NULL};

static void lex_init(void)
{
    lex_add_list(wh_extract_date_words, L_DATE);
    lex_add_list(time_names, L_DATE);
    lex_add_list(skip_tags, L_SKIPTAG);
    lex_add_list(block_tags, L_BLOCKTAG);
    lex_add_list(neg_tags, L_NEGTAG);
    lex_add_list(neg_tokens, L_NEG);
    lex_add_list(strong_tokens, L_NEG | L_STRONG);
    lex_add("a", L_A);
    lex_add("blockquote", L_QUOTE);
    lex_add("pre", L_PRE);
    lex_add("figcaption", L_CAPTION);
    lex_add("caption", L_CAPTION);
    lex_add("br", L_BREAK);
    lex_add("hr", L_BREAK);
    lex_add("article", L_MAINTAG);
    lex_add("main", L_MAINTAG);
    lex_add("body", L_ROOTTAG);
    lex_add("html", L_ROOTTAG);
    /* the list ends with NULL */
    for (size_t i = 0; i + 1 < WH_ARRAY_SIZE(neg_prefixes); i++) {
        prefix_len[i] = strlen(neg_prefixes[i]);
    }
}

static int has_neg_prefix(const char *t, size_t n)
{
    for (size_t i = 0; i + 1 < WH_ARRAY_SIZE(neg_prefixes); i++) {
        if (neg_prefixes[i][0] == t[0] && n >= prefix_len[i] &&
            memcmp(t, neg_prefixes[i], prefix_len[i]) == 0) {
            return 1;
        }
    }
    return 0;
}

/* Reads the class and id of n: *neg = 1 for a boilerplate word, 2 for
 * one that stays boilerplate in an article-like name; *pos = 1 for an
 * article-like word. */
static void class_signals(const char *cls, const char *id, int *neg, int *pos)
{
    for (int pass = 0; pass < 2; pass++) {
        const char *v = pass == 0 ? cls : id;
        char buf[256];
        size_t len;
        size_t i = 0;

        if (v == NULL) {
            continue;
        }
        len = strlen(v);
        if (len >= sizeof(buf)) {
            len = sizeof(buf) - 1;
        }
        for (size_t k = 0; k < len; k++) {
            char ch = v[k];

            buf[k] = (char)(ch >= 'A' && ch <= 'Z' ? ch + 32 : ch);
        }
        buf[len] = '\0';
        for (size_t k = 0; pos_words[k] != NULL && !*pos; k++) {
            if (strstr(buf, pos_words[k]) != NULL) {
                *pos = 1;
            }
        }
        /* whole class words (split on blanks) for prefixes, and
         * sub-tokens (split on - and _) for exact words */
        while (i < len) {
            size_t s;
            size_t w;
            size_t nparts;

            while (i < len &&
                   (buf[i] == ' ' || buf[i] == '\t' || buf[i] == '\n')) {
                i++;
            }
            s = i;
            while (i < len && buf[i] != ' ' && buf[i] != '\t' &&
                   buf[i] != '\n') {
                i++;
            }
            w = i - s;
            if (w == 0) {
                continue;
            }
            /* taxonomy classes ("category-worth-sharing", "tag-ads")
             * describe the story, not the markup */
            if (strncmp(buf + s, "category-", 9) == 0 ||
                strncmp(buf + s, "tag-", 4) == 0 ||
                strncmp(buf + s, "format-", 7) == 0) {
                continue;
            }
            nparts = 1;
            for (size_t k = s; k < i; k++) {
                if (buf[k] == '-' || buf[k] == '_') {
                    nparts++;
                }
            }
            /* long names are slugs of text ("sharing-with-a-single-
             * developer"), not layout names */
            if (nparts <= 3 && has_neg_prefix(buf + s, w)) {
                *neg = 2;
            }
            /* "share_wrapper", "post-author": a boilerplate word counts
             * as the first or the last part of a compound name, not in
             * the middle ("entry-author-jane_doe" names an entry) */
            for (size_t a = s; a < i;) {
                size_t b = a;

                while (b < i && ((buf[b] >= 'a' && buf[b] <= 'z') ||
                                 (buf[b] >= '0' && buf[b] <= '9'))) {
                    b++;
                }
                if (b > a && (b >= i || (a == s && nparts <= 2))) {
                    unsigned f = lex_get(buf + a, b - a);
                    int lvl = (f & L_STRONG) != 0 ? 2 : (f & L_NEG) != 0;

                    if (lvl > *neg) {
                        *neg = lvl;
                    }
                }
                a = b + 1;
            }
        }
    }
}

/* The attributes enter() looks at, read in one pass. */
struct attrs {
    const char *cls, *id, *style, *role, *itemprop, *href;
    int hidden;
};

static void read_attrs(const xmlNode *n, struct attrs *a)
{
    memset(a, 0, sizeof(*a));
    for (const xmlAttr *p = n->properties; p != NULL; p = p->next) {
        const char *k = (const char *)p->name;
        const char *v = p->children != NULL && p->children->content != NULL
                            ? (const char *)p->children->content
                            : "";

        switch (k[0]) {
        case 'c':
            if (strcmp(k, "class") == 0) {
                a->cls = v;
            }
            break;
        case 'i':
            if (strcmp(k, "id") == 0) {
                a->id = v;
            } else if (strcmp(k, "itemprop") == 0) {
                a->itemprop = v;
            }
            break;
        case 's':
            if (strcmp(k, "style") == 0) {
                a->style = v;
            }
            break;
        case 'r':
            if (strcmp(k, "role") == 0) {
                a->role = v;
            }
            break;
        case 'h':
            if (strcmp(k, "href") == 0) {
                a->href = v;
            } else if (strcmp(k, "hidden") == 0) {
                a->hidden = 1;
            }
            break;
        case 'a':
            if (strcmp(k, "aria-hidden") == 0 && strcmp(v, "true") == 0) {
                a->hidden = 1;
            }
            break;
        default:
            break;
        }
    }
    /* (most styles say neither "none" nor "hidden": test that first) */
    if (a->style != NULL && (strcasestr(a->style, "none") != NULL ||
                             strcasestr(a->style, "hidden") != NULL)) {
        if (strcasestr(a->style, "display:none") != NULL ||
            strcasestr(a->style, "display: none") != NULL ||
            strcasestr(a->style, "visibility:hidden") != NULL ||
            strcasestr(a->style, "visibility: hidden") != NULL) {
            a->hidden = 1;
        }
    }
}

static int role_is_neg(const char *role)
{
    static const char *const roles[] = {
        "navigation", "complementary", "banner", "contentinfo", "menu",
        "menubar",    "dialog",        "alert",  "alertdialog", "search",
        "toolbar",    "tablist",       NULL};

    return role != NULL && tag_in(role, roles);
}

/* ---- collecting blocks ---- */

static void flush(struct body_ctx *c)
{
    struct block *b;
    const char *oname;
    const xmlNode *o;

    if (c->cur_text.len == 0) {
        wh_buf_reset(&c->cur_html);
        c->cur_link_chars = 0;
        c->cur_hash_chars = 0;
        c->cur_sp = 0;
        c->serial++;
        return;
    }
    if (c->link_open_block == c->serial) {
        wh_buf_puts(&c->cur_html, "</a>");
        c->link_open_block = -1;
    }
    if (c->nblk >= MAX_BLOCKS) {
        c->truncated = 1;
        goto reset;
    }
    if (c->nblk == c->cap_blk) {
        c->cap_blk = c->cap_blk != 0 ? c->cap_blk * 2 : 256;
        c->blk = wh_xrealloc(c->blk, c->cap_blk * sizeof(*c->blk));
    }
    b = &c->blk[c->nblk++];
    memset(b, 0, sizeof(*b));
    b->owner = c->owner;
    b->text_off = c->text.len;
    b->text_len = c->cur_text.len;
    wh_buf_append(&c->text, c->cur_text.data, c->cur_text.len);
    b->html_off = c->html.len;
    b->html_len = c->cur_html.len;
    wh_buf_append(&c->html, c->cur_html.data, c->cur_html.len);
    b->chars = wh_extract_utf8_len(c->cur_text.data, c->cur_text.len);
    b->link_chars = c->cur_link_chars < b->chars ? c->cur_link_chars : b->chars;
    b->in_quote = c->quote_depth > 0;
    b->kind = BK_P;
    o = c->owner;
    oname = o != NULL ? (const char *)o->name : "";
    if (c->pre_depth > 0) {
        b->kind = BK_PRE;
    } else if (c->caption_depth > 0) {
        b->kind = BK_CAPTION;
    } else if (oname[0] == 'h' && oname[1] >= '1' && oname[1] <= '6' &&
               oname[2] == '\0' && b->chars <= 200) {
        /* (a "heading" of several sentences is a paragraph) */
        b->kind = BK_H;
        b->level = oname[1] - '0';
        /* a heading that links to itself (an anchor for the section)
         * is no link to elsewhere */
        if (c->cur_hash_chars <= b->link_chars) {
            b->link_chars -= c->cur_hash_chars;
        }
    } else if (strcmp(oname, "li") == 0) {
        b->kind = BK_LI;
        b->list_ordered = o->parent != NULL && o->parent->name != NULL &&
                          strcmp((const char *)o->parent->name, "ol") == 0;
    } else if (strcmp(oname, "td") == 0 || strcmp(oname, "th") == 0) {
        b->kind = BK_CELL;
    }
    if (o != NULL) {
        struct ninfo *in = info(c, o);

        if (in != NULL) {
            in->chars += b->chars;
            in->link_chars += b->link_chars;
        }
    }
    c->total_chars += b->chars;
reset:
    wh_buf_reset(&c->cur_text);
    wh_buf_reset(&c->cur_html);
    c->cur_link_chars = 0;
    c->cur_hash_chars = 0;
    c->cur_sp = 0;
    c->serial++;
}

static void add_text(struct body_ctx *c, const char *t)
{
    size_t before = c->cur_text.len;
    size_t len = strlen(t);

    wh_extract_text_append(&c->cur_text, t, len, &c->cur_sp);
    if (c->cur_text.len > before) {
        /* html gets the same normalized text, escaped */
        wh_extract_html_escape(&c->cur_html, c->cur_text.data + before,
                               c->cur_text.len - before);
        if (c->link_depth > 0) {
            size_t n = wh_extract_utf8_len(c->cur_text.data + before,
                                           c->cur_text.len - before);

            c->cur_link_chars += n;
            if (c->hash_depth > 0 && c->hash_depth == c->link_depth) {
                c->cur_hash_chars += n;
            }
        }
    }
}

static xmlNodePtr block_ancestor(const struct body_ctx *c, xmlNodePtr n)
{
    int steps = 0;

    while (n != NULL && n->type == XML_ELEMENT_NODE && steps++ < MAX_UP) {
        const struct ninfo *in = info(c, n);

        if (in != NULL && (in->flags & NF_BLOCK) != 0) {
            return n;
        }
        n = n->parent;
    }
    return NULL;
}

/* Enter an element; returns 1 to descend into it. */
static int enter(struct body_ctx *c, xmlNodePtr n)
{
    const char *name = (const char *)n->name;
    struct ninfo *in;
    struct attrs at;
    unsigned tf;
    int neg = 0;
    int pos = 0;

    if (c->nni >= MAX_NODES) {
        c->truncated = 1;
        return 0;
    }
    if (c->nni % NI_CHUNK == 0) {
        c->chunks =
            wh_xrealloc(c->chunks, (c->nchunks + 1) * sizeof(struct ninfo *));
        c->chunks[c->nchunks++] = wh_xmalloc(NI_CHUNK * sizeof(struct ninfo));
    }
    in = ni_at(c, c->nni++);
    memset(in, 0, sizeof(*in));
    in->node = n;
    n->_private = in;
    tf = lex_get(name, strlen(name));
    in->tflags = tf;
    read_attrs(n, &at);
    /* (without a <body>, an unclosed element in <head> can hold the
     * whole page: then <head> is walked, and a <title> holding elements
     * (left open, it swallowed the page); scripts are still skipped) */
    if (((tf & L_SKIPTAG) != 0 &&
         !(c->walk_head &&
           (strcmp(name, "head") == 0 || (strcmp(name, "title") == 0 &&
                                          xmlFirstElementChild(n) != NULL)))) ||
        at.hidden) {
        in->flags |= NF_SKIP;
        return 0;
    }
    if ((tf & L_BLOCKTAG) != 0) {
        in->flags |= NF_BLOCK;
        flush(c);
        if ((tf & L_BREAK) == 0) {
            c->owner = n;
        }
    }
    if ((tf & L_NEGTAG) != 0 || role_is_neg(at.role)) {
        neg = 1;
    }
    class_signals(at.cls, at.id, &neg, &pos);
    /* <article> and <main> mark content unless named as boilerplate
     * (comment threads often are <article class="comment">) */
    if ((at.itemprop != NULL && strcasestr(at.itemprop, "articleBody")) ||
        ((tf & L_MAINTAG) != 0 && !neg)) {
        in->flags |= NF_ARTICLE;
        pos = 1;
        neg = 0;
    }
    if ((tf & L_ROOTTAG) != 0) {
        neg = 0;
    }
    if ((neg && !pos) || (neg == 2 && (in->flags & NF_ARTICLE) == 0)) {
        in->flags |= NF_NEG;
        if (neg == 2) {
            in->flags |= NF_STRONGNEG;
        }
    } else if (neg && (in->flags & NF_ARTICLE) == 0) {
        in->flags |= NF_WEAKNEG;
    }
    if (pos) {
        in->flags |= NF_POS;
    }
    if ((tf & L_A) != 0) {
        c->link_depth++;
        if (at.href != NULL && at.href[0] == '#' && at.href[1] != '\0') {
            c->hash_depth++;
        }
        /* the raw href goes in; emit() resolves the links of the blocks
         * it keeps (most links are in blocks that go) */
        if (at.href != NULL && at.href[0] != '\0' && c->link_open_block < 0) {
            wh_buf_puts(&c->cur_html, "<a href=\"");
            wh_extract_html_escape(&c->cur_html, at.href, strlen(at.href));
            wh_buf_puts(&c->cur_html, "\">");
            c->link_open_block = c->serial;
        }
    } else if ((tf & L_QUOTE) != 0) {
        c->quote_depth++;
    } else if ((tf & L_PRE) != 0) {
        c->pre_depth++;
    } else if ((tf & L_CAPTION) != 0) {
        c->caption_depth++;
    }
    return 1;
}

static void leave(struct body_ctx *c, xmlNodePtr n)
{
    struct ninfo *in = info(c, n);
    struct ninfo *pin;

    if (in == NULL || (in->flags & NF_SKIP) != 0) {
        return;
    }
    if ((in->flags & NF_BLOCK) != 0) {
        flush(c);
        if (c->owner == n) {
            c->owner = block_ancestor(c, n->parent);
        }
    }
    if ((in->tflags & L_A) != 0) {
        c->link_depth--;
        {
            const char *href = attr_val(n, "href");

            if (href != NULL && href[0] == '#' && href[1] != '\0' &&
                c->hash_depth > 0) {
                c->hash_depth--;
            }
        }
        if (c->link_open_block == c->serial) {
            wh_buf_puts(&c->cur_html, "</a>");
            c->link_open_block = -1;
        } else if (c->link_open_block >= 0 && c->link_depth == 0) {
            c->link_open_block = -1;
        }
    } else if ((in->tflags & L_QUOTE) != 0) {
        c->quote_depth--;
    } else if ((in->tflags & L_PRE) != 0) {
        c->pre_depth--;
    } else if ((in->tflags & L_CAPTION) != 0) {
        c->caption_depth--;
    }
    pin = n->parent != NULL ? info(c, n->parent) : NULL;
    if (pin != NULL && (in->flags & (NF_ARTICLE | NF_HASART)) != 0) {
        pin->flags |= NF_HASART;
    }
    if (pin != NULL && ((in->flags & NF_HASPOS) != 0 ||
                        ((in->flags & NF_POS) != 0 &&
                         (in->flags & (NF_NEG | NF_WEAKNEG)) == 0))) {
        pin->flags |= NF_HASPOS;
    }
    if (pin != NULL) {
        pin->chars += in->chars;
        pin->link_chars += in->link_chars;
    }
}

static void walk(struct body_ctx *c, xmlNodePtr start)
{
    xmlNodePtr cur = start;
    int down = enter(c, cur);

    for (;;) {
        if (down && cur->children != NULL) {
            cur = cur->children;
        } else {
            while (cur != start && cur->next == NULL) {
                if (cur->type == XML_ELEMENT_NODE) {
                    leave(c, cur);
                }
                cur = cur->parent;
            }
            if (cur->type == XML_ELEMENT_NODE) {
                leave(c, cur);
            }
            if (cur == start) {
                break;
            }
            cur = cur->next;
        }
        if (cur->type == XML_ELEMENT_NODE) {
            down = enter(c, cur);
        } else {
            if ((cur->type == XML_TEXT_NODE ||
                 cur->type == XML_CDATA_SECTION_NODE) &&
                cur->content != NULL) {
                add_text(c, (const char *)cur->content);
            }
            down = 0;
        }
    }
    flush(c);
}

/* ---- choosing the container ---- */

static size_t count_commas(const char *s, size_t n)
{
    size_t k = 0;

    for (size_t i = 0; i < n; i++) {
        if (s[i] == ',') {
            k++;
        } else if ((unsigned char)s[i] == 0xEF && i + 2 < n &&
                   (unsigned char)s[i + 1] == 0xBC &&
                   (unsigned char)s[i + 2] == 0x8C) {
            k++;
        } else if ((unsigned char)s[i] == 0xE3 && i + 2 < n &&
                   (unsigned char)s[i + 1] == 0x80 &&
                   ((unsigned char)s[i + 2] == 0x81 ||
                    (unsigned char)s[i + 2] == 0x82)) {
            k++;
        }
    }
    return k;
}

/* Is the element n boilerplate by its name, given ref, the text of the
 * region we look at? A wrapper around article-named content that holds
 * most of the text is not ("business has-no-ticker" around
 * "story-body"); nor is anything holding an <article> or articleBody. */
static int is_neg(const struct ninfo *in, size_t ref)
{
    if (in == NULL || (in->flags & NF_HASART) != 0) {
        return 0;
    }
    if ((in->flags & NF_NEG) != 0 &&
        ((in->flags & (NF_HASPOS | NF_STRONGNEG)) != NF_HASPOS ||
         in->chars * 2 < ref)) {
        return 1;
    }
    /* named both ways: boilerplate when small or link-heavy
     * ("post-author", "entry-tags") */
    return (in->flags & NF_WEAKNEG) != 0 &&
           (in->chars < 200 || in->link_chars * 2 > in->chars);
}

/* Is n, or an ancestor below limit, boilerplate by its name? With
 * strong, only names that stay boilerplate inside article-like markup
 * ("comment", "related", "share", ...) count. */
static int under_neg_names(const struct body_ctx *c, xmlNodePtr n,
                           xmlNodePtr limit, int strong)
{
    int steps = 0;
    size_t ref = c->total_chars;

    if (limit != NULL) {
        const struct ninfo *li = info(c, limit);

        ref = li != NULL ? li->chars : 0;
    }
    while (n != NULL && n != limit && n->type == XML_ELEMENT_NODE &&
           steps++ < MAX_UP) {
        const struct ninfo *in = info(c, n);

        if (is_neg(in, ref) && (!strong || (in->flags & NF_STRONGNEG) != 0)) {
            return 1;
        }
        n = n->parent;
    }
    return 0;
}

/* Is n, or an ancestor below limit (the kept root), boilerplate by its
 * name? Not counted: a wrapper that holds most of the root's text, with
 * few links and no list items, after a real start of the article
 * outside it ("read-more" around the rest of a story that a button
 * reveals): that wrapper is the article's own. Comment threads, which
 * also outweigh short posts, are left out by the repeated-item marks
 * and by needing 600 characters of the article outside them. */
static int under_neg_in(const struct body_ctx *c, xmlNodePtr n,
                        xmlNodePtr limit)
{
    int steps = 0;
    const struct ninfo *li = info(c, limit);
    size_t ref = li != NULL ? li->chars : 0;
    int in_item = 0;

    while (n != NULL && n != limit && n->type == XML_ELEMENT_NODE &&
           steps++ < MAX_UP) {
        const struct ninfo *in = info(c, n);

        /* (items of a list in such a wrapper are a slideshow's or a
         * teaser list's, not the story's) */
        if (strcmp((const char *)n->name, "li") == 0) {
            in_item = 1;
        }
        if (is_neg(in, ref) &&
            !(!in_item && in->chars * 2 >= ref && ref >= in->chars + 600 &&
              in->chars >= 500 && in->link_chars * 5 < in->chars &&
              in->items < 3 && (in->flags & NF_ITEMHDR) == 0)) {
            return 1;
        }
        n = n->parent;
    }
    return 0;
}

static double tag_base(const char *name)
{
    if (strcmp(name, "div") == 0 || strcmp(name, "article") == 0 ||
        strcmp(name, "section") == 0 || strcmp(name, "main") == 0) {
        return 5;
    }
    if (strcmp(name, "pre") == 0 || strcmp(name, "td") == 0 ||
        strcmp(name, "blockquote") == 0) {
        return 3;
    }
    if (strcmp(name, "address") == 0 || strcmp(name, "ol") == 0 ||
        strcmp(name, "ul") == 0 || strcmp(name, "dl") == 0 ||
        strcmp(name, "dd") == 0 || strcmp(name, "dt") == 0 ||
        strcmp(name, "li") == 0 || strcmp(name, "form") == 0) {
        return -3;
    }
    if (name[0] == 'h' || strcmp(name, "th") == 0) {
        return -5;
    }
    return 0;
}

static void add_score(struct body_ctx *c, xmlNodePtr n, double s)
{
    struct ninfo *in = info(c, n);

    if (in == NULL) {
        return;
    }
    if (!in->scored) {
        in->scored = 1;
        in->score = tag_base((const char *)n->name);
        /* a name says "article" only of an element that holds enough
         * text to be one: a one-line teaser box named "text_subhead"
         * earns a share of the bonus, by its length */
        double share = in->chars >= NAME_BONUS_CHARS
                           ? 1.0
                           : (double)in->chars / NAME_BONUS_CHARS;

        if ((in->flags & NF_POS) != 0) {
            in->score += 25 * share;
        }
        if ((in->flags & NF_ARTICLE) != 0) {
            in->score += 10 * share;
        }
    }
    in->score += s;
}

static int is_para_tag(const char *name)
{
    return strcmp(name, "p") == 0 || strcmp(name, "pre") == 0 ||
           strcmp(name, "li") == 0 || strcmp(name, "dd") == 0 ||
           strcmp(name, "dt") == 0 || strcmp(name, "blockquote") == 0 ||
           strcmp(name, "td") == 0 ||
           (name[0] == 'h' && name[1] >= '1' && name[1] <= '6');
}

static void score_blocks(struct body_ctx *c, int strict)
{
    for (size_t i = 0; i < c->nni; i++) {
        ni_at(c, i)->scored = 0;
        ni_at(c, i)->score = 0;
    }
    for (size_t i = 0; i < c->nblk; i++) {
        const struct block *b = &c->blk[i];
        xmlNodePtr n = b->owner;
        double s;

        if (n == NULL || b->kind == BK_H || b->chars < 25) {
            continue;
        }
        if (b->link_chars * 2 > b->chars) {
            continue;
        }
        if (strict && is_neg(info(c, n), c->total_chars)) {
            continue;
        }
        s = 1.0 + (double)count_commas(c->text.data + b->text_off, b->text_len);
        s += (double)(b->chars / 100 < 3 ? b->chars / 100 : 3);
        /* list items vote at half weight: long ones are more often
         * teasers, captions or comments than article text */
        if (b->kind == BK_LI) {
            s *= 0.5;
        }
        if (is_para_tag((const char *)n->name) && n->parent != NULL) {
            n = n->parent;
        }
        /* In strict mode a block's votes stop at a boilerplate-named
         * element: text inside a "date-outer" wrapper still elects the
         * "post-body" below it, never the wrapper or its ancestors. */
        for (int level = 0;
             level < 5 && n != NULL && n->type == XML_ELEMENT_NODE; level++) {
            double div = level == 0 ? 1.0 : level == 1 ? 2.0 : level * 3.0;

            if (strict && is_neg(info(c, n), c->total_chars)) {
                break;
            }
            add_score(c, n, s / div);
            n = n->parent;
        }
    }
    /* and a candidate inside boilerplate-named markup counts less: much
     * less inside comments, related stories and the like */
    if (strict) {
        for (size_t i = 0; i < c->nni; i++) {
            int steps = 0;
            double f = 1.0;

            struct ninfo *ci = ni_at(c, i);

            if (!ci->scored) {
                continue;
            }
            for (xmlNodePtr n = ci->node;
                 n != NULL && n->type == XML_ELEMENT_NODE && steps++ < MAX_UP;
                 n = n->parent) {
                const struct ninfo *in = info(c, n);

                if (is_neg(in, c->total_chars)) {
                    f = (in->flags & NF_STRONGNEG) != 0 ? 0.2
                                                        : (f < 0.6 ? f : 0.6);
                    if (f < 0.5) {
                        break;
                    }
                }
            }
            ci->score *= f;
        }
    }
}

static double final_score(const struct ninfo *in)
{
    double ld =
        in->chars > 0 ? (double)in->link_chars / (double)in->chars : 0.0;

    return in->score * (1.0 - ld);
}

static int is_ancestor(const xmlNode *a, const xmlNode *n)
{
    int steps = 0;

    while (n != NULL && steps++ < MAX_UP) {
        if (n == a) {
            return 1;
        }
        n = n->parent;
    }
    return 0;
}

/* Picks the container; marks it and joining siblings NF_KEEP. Returns the
 * container or NULL. */
/* Do two class attributes start with the same class name ("story-body
 * story-body-1", "story-body story-body-2")? */
static int same_first_class(const char *a, const char *b)
{
    size_t na;
    size_t nb;

    while (*a == ' ') {
        a++;
    }
    while (*b == ' ') {
        b++;
    }
    na = strcspn(a, " \t\n");
    nb = strcspn(b, " \t\n");
    return na > 0 && na == nb && memcmp(a, b, na) == 0;
}

/* May the container grow from its child to p? Not into markup named as
 * boilerplate (in strict mode), nor above what the walk saw. */
static int can_climb(const struct body_ctx *c, xmlNodePtr p, xmlNodePtr body,
                     int strict)
{
    const struct ninfo *pi;

    if (p == NULL || p == body || p->type != XML_ELEMENT_NODE) {
        return 0;
    }
    pi = info(c, p);
    return pi != NULL && !(strict && is_neg(pi, c->total_chars));
}

/* Marks the siblings of n that share its first class name and hold
 * mostly unlinked text as part of the article. */
static void join_same_class(struct body_ctx *c, xmlNodePtr n, int strict)
{
    const char *cls;

    if (n == NULL || n->type != XML_ELEMENT_NODE || n->parent == NULL ||
        info(c, n) == NULL) {
        return;
    }
    cls = attr_val(n, "class");
    if (cls == NULL || cls[0] == '\0') {
        return;
    }
    for (xmlNodePtr s = n->parent->children; s != NULL; s = s->next) {
        struct ninfo *si;
        const char *scls;

        if (s == n || s->type != XML_ELEMENT_NODE) {
            continue;
        }
        si = info(c, s);
        scls = attr_val(s, "class");
        if (si == NULL || scls == NULL || !same_first_class(scls, cls) ||
            (si->flags & NF_SKIP) != 0 ||
            (strict && is_neg(si, c->total_chars))) {
            continue;
        }
        if (si->chars >= 100 && si->link_chars * 10 < si->chars * 3) {
            si->flags |= NF_KEEP;
        }
    }
}

static xmlNodePtr choose(struct body_ctx *c, xmlNodePtr body, int strict)
{
    struct ninfo *top[5] = {NULL, NULL, NULL, NULL, NULL};
    struct ninfo *best;
    xmlNodePtr cand;
    xmlNodePtr parent;
    double best_score;
    double threshold;

    for (size_t i = 0; i < c->nni; i++) {
        struct ninfo *in = ni_at(c, i);

        if (!in->scored) {
            continue;
        }
        for (int k = 0; k < 5; k++) {
            if (top[k] == NULL || final_score(in) > final_score(top[k])) {
                for (int j = 4; j > k; j--) {
                    top[j] = top[j - 1];
                }
                top[k] = in;
                break;
            }
        }
    }
    if (top[0] == NULL) {
        return NULL;
    }
    best = top[0];
    cand = best->node;
    best_score = final_score(best);
    /* Several near-top candidates under one ancestor: take the ancestor
     * (an article split in several blocks). */
    {
        int close = 0;

        /* alternatives: close in score, and not an ancestor of the best
         * (ancestors score by the best's own text) */
        for (int k = 1; k < 5; k++) {
            if (top[k] != NULL && final_score(top[k]) >= best_score * 0.75 &&
                !is_ancestor(top[k]->node, cand)) {
                close++;
            }
        }
        if (close >= 2) {
            xmlNodePtr p = cand->parent;

            while (can_climb(c, p, body, strict)) {
                int under = 0;

                for (int k = 1; k < 5; k++) {
                    if (top[k] != NULL &&
                        final_score(top[k]) >= best_score * 0.75 &&
                        !is_ancestor(top[k]->node, cand) &&
                        is_ancestor(p, top[k]->node)) {
                        under++;
                    }
                }
                if (under >= 2) {
                    cand = p;
                    break;
                }
                p = p->parent;
            }
        }
    }
    /* Climb while the parent scores better (its text is mostly ours). */
    {
        const struct ninfo *ci = info(c, cand);
        double last = ci != NULL ? ci->score : 0;
        xmlNodePtr p = cand->parent;
        int steps = 0;

        while (can_climb(c, p, body, strict) && steps++ < MAX_UP) {
            const struct ninfo *pi = info(c, p);

            if (!pi->scored) {
                p = p->parent;
                continue;
            }
            if (pi->score < best->score / 3) {
                break;
            }
            if (pi->score > last) {
                cand = p;
                break;
            }
            last = pi->score;
            p = p->parent;
        }
        /* an only child adds nothing: use the parent (a few levels up:
         * blocks find their container by walking up at most MAX_UP) */
        steps = 0;
        while (cand != body && can_climb(c, cand->parent, body, strict) &&
               xmlChildElementCount(cand->parent) == 1 && steps++ < 32) {
            cand = cand->parent;
        }
    }
    /* the strongest candidate outside the chosen one (nor holding it):
     * a second article-like box the choice could have gone to */
    c->rival = 0;
    for (int k = 1; k < 5 && best_score > 0; k++) {
        if (top[k] != NULL && !is_ancestor(top[k]->node, cand) &&
            !is_ancestor(cand, top[k]->node)) {
            double r = final_score(top[k]) / best_score;

            c->rival = r > 1 ? 1 : r;
            break;
        }
    }
    if (getenv("WH_EXTRACT_DEBUG") != NULL) {
        for (int k = 0; k < 5 && top[k] != NULL; k++) {
            const char *cl = attr_val(top[k]->node, "class");
            const char *id = attr_val(top[k]->node, "id");

            fprintf(stderr, "top%d %s.%s#%s score %.1f final %.1f\n", k,
                    (const char *)top[k]->node->name, cl ? cl : "",
                    id ? id : "", top[k]->score, final_score(top[k]));
        }
        fprintf(stderr, "chosen %s.%s\n", (const char *)cand->name,
                attr_val(cand, "class") ? attr_val(cand, "class") : "");
    }
    if (info(c, cand) == NULL) {
        cand = best->node;
    }
    {
        struct ninfo *ci = info(c, cand);

        if (ci != NULL) {
            ci->flags |= NF_KEEP;
            best_score = ci->scored ? ci->score : best_score;
        }
    }
    /* Siblings that look like more of the same article. */
    parent = cand->parent;
    threshold = best_score * 0.2 > 10 ? best_score * 0.2 : 10;
    if (parent != NULL && parent->type == XML_ELEMENT_NODE) {
        const char *cls = attr_val(cand, "class");

        for (xmlNodePtr s = parent->children; s != NULL; s = s->next) {
            struct ninfo *si;
            double ss;

            if (s == cand || s->type != XML_ELEMENT_NODE) {
                continue;
            }
            si = info(c, s);
            if (si == NULL || (si->flags & NF_SKIP) != 0 ||
                is_neg(si, c->total_chars)) {
                continue;
            }
            ss = si->scored ? final_score(si) : 0;
            if (cls != NULL && cls[0] != '\0') {
                const char *scls = attr_val(s, "class");

                if (scls != NULL && same_first_class(scls, cls)) {
                    ss += best_score * 0.2;
                    /* more of the same: an article cut in sections */
                    if (si->chars >= 100 &&
                        si->link_chars * 10 < si->chars * 3) {
                        ss = threshold;
                    }
                }
            }
            if (ss >= threshold) {
                si->flags |= NF_KEEP;
            } else if (strcmp((const char *)s->name, "p") == 0 &&
                       si->chars > 0) {
                double ld = (double)si->link_chars / (double)si->chars;

                if ((si->chars > 80 && ld < 0.25) ||
                    (si->chars <= 80 && si->link_chars == 0 &&
                     si->chars > 20)) {
                    si->flags |= NF_KEEP;
                }
            }
        }
        /* one level up too: an article split over wrappers of one class
         * ("supplemental" > "story-body-1", "supplemental" >
         * "story-body-2") */
        join_same_class(c, parent, strict);
    }
    return cand;
}

/* ---- filtering blocks ---- */

/* why a block was dropped (0: kept); shown by WH_EXTRACT_DEBUG_DROPS */
enum {
    DROP_NONE = 0,
    DROP_OUTSIDE = 2, /* outside the chosen container */
    DROP_NEG,         /* inside boilerplate-named markup */
    DROP_CAPTION,
    DROP_H1,
    DROP_HEADLINE, /* the headline or standfirst again */
    DROP_LINKS,    /* mostly link text */
    DROP_HLINKS,   /* a heading that is a link */
    DROP_BOILER,   /* "Advertisement", "Share this", ... */
    DROP_AFTER,    /* after a comments/related marker */
    DROP_DATELINE, /* a byline or date line */
    DROP_TITLE,    /* the page title at the top */
    DROP_MARKER,   /* the marker itself */
    DROP_BYLINE,   /* the byline text again */
    DROP_TRAILING, /* a heading that leads to nothing */
    DROP_TEASER,   /* a blurb under a headline link */
    DROP_LABEL,    /* a credit or label line at an edge */
    DROP_REPEAT    /* the same paragraph again */
};

/* Is the block inside kept content? Returns the keep root or NULL. */
static xmlNodePtr kept_root(const struct body_ctx *c, xmlNodePtr n)
{
    int steps = 0;

    while (n != NULL && n->type == XML_ELEMENT_NODE && steps++ < MAX_UP) {
        const struct ninfo *in = info(c, n);

        if (in != NULL && (in->flags & NF_KEEP) != 0) {
            return n;
        }
        n = n->parent;
    }
    return NULL;
}

static const char *const boiler_starts[] = {"advertisement",
                                            "advertising",
                                            "this article is more than",
                                            "this article is over",
                                            "share this",
                                            "share on",
                                            "copyright",
                                            "\xc2\xa9",
                                            "(c) ",
                                            "all rights reserved",
                                            "send us news",
                                            "sign up",
                                            "subscribe",
                                            "follow us",
                                            "click here",
                                            "read more",
                                            "related:",
                                            "related stories",
                                            "related articles",
                                            "more about",
                                            "other stories",
                                            "you might also like",
                                            "you may also like",
                                            "recommended",
                                            "most read",
                                            "most popular",
                                            "print this",
                                            "email this",
                                            "comments",
                                            "leave a comment",
                                            "post a comment",
                                            "story continues below",
                                            "continue reading",
                                            "skip to",
                                            "image:",
                                            "photo:",
                                            "sponsored",
                                            "tags:",
                                            "filed under",
                                            "see also",
                                            "more on this",
                                            "back to top",
                                            "we use cookies",
                                            "report an error",
                                            "text size",
                                            "font size",
                                            "loading",
                                            "printer friendly",
                                            "printer-friendly",
                                            "print version",
                                            "send this",
                                            "e-mail this",
                                            "email to a friend",
                                            "e-mail to a friend",
                                            "send to a friend",
                                            "share this",
                                            "bookmark this",
                                            "be the first to like",
                                            NULL};

/* Does t (len bytes, not NUL-terminated) start with prefix, ignoring
 * ASCII case? */
static int starts_n(const char *t, size_t len, const char *prefix)
{
    size_t pl = strlen(prefix);

    return len >= pl && strncasecmp(t, prefix, pl) == 0;
}

static int is_boiler_line(const char *t, size_t len, size_t chars)
{
    /* photo captions that name themselves */
    static const char *const caption_starts[] = {
        "above:",      "below:",      "pictured:",  "picture:",
        "photo:",      "photograph:", "image:",     "caption:",
        "staff photo", "file photo",  "(photo",     "photo by ",
        "photos:",     "top photo",   "main photo", NULL};

    if (chars <= 2) {
        return 1;
    }
    if (chars <= 300) {
        for (size_t i = 0; caption_starts[i] != NULL; i++) {
            if (starts_n(t, len, caption_starts[i])) {
                return 1;
            }
        }
    }
    static const char *const anywhere[] = {
        "all rights reserved",         "may not be published, broadcast",
        "may not be reproduced",       "may not be republished",
        "must not be reproduced",      "personal, non-commercial use",
        "personal non-commercial use", NULL};

    if (chars <= 300) {
        for (size_t i = 0; anywhere[i] != NULL; i++) {
            if (memmem(t, len, anywhere[i], strlen(anywhere[i])) != NULL) {
                return 1;
            }
        }
    }
    /* a media widget's label alone on its line */
    static const char *const labels[] = {
        "gallery", "photo gallery", "photos", "video", "videos",
        "watch video", "don't miss", "audio", NULL};

    if (chars <= 16) {
        for (size_t i = 0; labels[i] != NULL; i++) {
            size_t n = strlen(labels[i]);

            if (len >= n && strncasecmp(t, labels[i], n) == 0 &&
                (len == n || t[n] == ':')) {
                return 1;
            }
        }
    }
    /* what blog engines and print editions put under a story */
    static const char *const footer_starts[] = {
        "this entry was posted", "trackback url",
        "a version of this article appeared", NULL};

    if (chars <= 300) {
        for (size_t i = 0; footer_starts[i] != NULL; i++) {
            if (starts_n(t, len, footer_starts[i])) {
                return 1;
            }
        }
    }
    /* a breadcrumb trail: "Home / News / Story", "Home > Headlines" */
    if (chars <= 200 && starts_n(t, len, "home")) {
        size_t k = 4;

        while (k < len && t[k] == ' ') {
            k++;
        }
        if (k < len && (t[k] == '/' || t[k] == '>' || t[k] == '|' ||
                        starts_n(t + k, len - k, "\xc2\xbb") ||
                        starts_n(t + k, len - k, "\xe2\x80\xba"))) {
            return 1;
        }
    }
    if (chars > 100) {
        return 0;
    }
    for (size_t i = 0; boiler_starts[i] != NULL; i++) {
        if (starts_n(t, len, boiler_starts[i])) {
            return 1;
        }
    }
    return 0;
}

static int same_text(const char *a, size_t alen, const char *b)
{
    return b != NULL && strlen(b) == alen && memcmp(a, b, alen) == 0;
}

/* Trailing sign-off marks: " ®", "■", "(END)", "###", "-30-". */
static size_t strip_signoff(const char *t, size_t len)
{
    static const char *const marks[] = {
        "\xc2\xae",     "\xe2\x96\xa0", "\xe2\x96\xa1", "\xe2\x97\x8f",
        "\xe2\x97\x86", "\xe2\x96\xaa", "(END)",        "(end)",
        "###",          "-30-",         "(C)",          NULL};
    int changed = 1;

    while (changed && len > 0) {
        changed = 0;
        for (size_t i = 0; marks[i] != NULL; i++) {
            size_t ml = strlen(marks[i]);

            if (len >= ml && memcmp(t + len - ml, marks[i], ml) == 0) {
                len -= ml;
                while (len > 0 && t[len - 1] == ' ') {
                    len--;
                }
                changed = 1;
            }
        }
    }
    return len;
}

/* Compares the letters and digits of a (alen bytes) and b, ignoring
 * case, blanks and punctuation. */
static int loose_eq(const char *a, size_t alen, const char *b)
{
    size_t i = 0;
    size_t j = 0;
    size_t blen;

    if (b == NULL) {
        return 0;
    }
    blen = strlen(b);
    for (;;) {
        unsigned char x;
        unsigned char y;

        while (i < alen && !isalnum((unsigned char)a[i]) &&
               (unsigned char)a[i] < 0x80) {
            i++;
        }
        while (j < blen && !isalnum((unsigned char)b[j]) &&
               (unsigned char)b[j] < 0x80) {
            j++;
        }
        if (i >= alen || j >= blen) {
            return i >= alen && j >= blen;
        }
        x = (unsigned char)tolower((unsigned char)a[i]);
        y = (unsigned char)tolower((unsigned char)b[j]);
        if (x != y) {
            return 0;
        }
        i++;
        j++;
    }
}

/* Lower-cased letters and digits of s[0..len), into a new string. */
static char *loose_key(const char *s, size_t len)
{
    char *k = wh_xmalloc(len + 1);
    size_t n = 0;

    for (size_t i = 0; i < len; i++) {
        unsigned char ch = (unsigned char)s[i];

        if (isalnum(ch) || ch >= 0x80) {
            k[n++] = (char)tolower(ch);
        }
    }
    k[n] = '\0';
    return k;
}

/* Is the text t (a heading) part of the headline, loosely compared? */
static int loose_in(const char *t, size_t len, const char *headline)
{
    char *a;
    char *b;
    int res;

    if (headline == NULL || len == 0) {
        return 0;
    }
    a = loose_key(t, len);
    b = loose_key(headline, strlen(headline));
    res = a[0] != '\0' && strstr(b, a) != NULL;
    free(a);
    free(b);
    return res;
}

static int has_letter(const char *t, size_t len)
{
    for (size_t i = 0; i < len; i++) {
        if (isalpha((unsigned char)t[i]) || (unsigned char)t[i] >= 0xC0) {
            return 1;
        }
    }
    return 0;
}

static int memchr_digit(const char *t, size_t len)
{
    for (size_t i = 0; i < len; i++) {
        if (t[i] >= '0' && t[i] <= '9') {
            return 1;
        }
    }
    return 0;
}

/* Words (runs of letters and digits) in t[0..len). */
static size_t words_n(const char *t, size_t len)
{
    size_t n = 0;
    int in = 0;

    for (size_t i = 0; i < len; i++) {
        unsigned char ch = (unsigned char)t[i];
        int w = isalnum(ch) || ch >= 0x80;

        if (w && !in) {
            n++;
        }
        in = w;
    }
    return n;
}

/* Is the word w[0..n) a date word: a number ("27", "1st"), a month or a
 * weekday name, am/pm or a time zone? */
static int date_word(const char *w, size_t n)
{
    char low[16];

    if (isdigit((unsigned char)w[0])) {
        return 1;
    }
    if (n < 2 || n >= sizeof(low)) {
        return 0;
    }
    for (size_t i = 0; i < n; i++) {
        low[i] = (char)tolower((unsigned char)w[i]);
    }
    return (lex_get(low, n) & L_DATE) != 0;
}

/* A short line that is mostly a date or time: "Tuesday, 11.06.2012 /
 * 4:54 PM", "2007-12-30 14:49:00.0", "Fri, January 18, 2008" - and not
 * a sentence that mentions one ("The charges take effect on 1 April"). */
static int looks_dateline(const char *t, size_t len, size_t chars)
{
    size_t words = 0;
    size_t dates = 0;
    int month_or_year = 0;
    size_t i = 0;

    if (chars > 80 || memchr_digit(t, len) == 0) {
        return 0;
    }
    while (i < len) {
        size_t k = i;

        while (k < len &&
               (isalnum((unsigned char)t[k]) || (unsigned char)t[k] >= 0x80)) {
            k++;
        }
        if (k == i) {
            i++;
            continue;
        }
        words++;
        if (date_word(t + i, k - i)) {
            dates++;
            if (!isdigit((unsigned char)t[i]) ||
                (k - i == 4 && (t[i] == '1' || t[i] == '2'))) {
                month_or_year = 1;
            }
        }
        i = k;
    }
    return words > 0 && words <= 14 && dates >= 2 && month_or_year &&
           dates * 5 >= words * 2;
}

static int looks_byline(const char *t, size_t len, size_t chars)
{
    static const char *const starts[] = {
        "by ",     "written by",   "posted by",   "posted on", "published",
        "updated", "last updated", "filed under", NULL};

    if (chars >= 100) {
        return 0;
    }
    for (size_t i = 0; starts[i] != NULL; i++) {
        if (starts_n(t, len, starts[i])) {
            return 1;
        }
    }
    return 0;
}

/* Lines after which only boilerplate follows: comment and related-story
 * sections that sit inside the article container. */
static int is_terminal(const char *t, size_t len, size_t chars)
{
    static const char *const marks[] = {"comments",
                                        "comment",
                                        "leave a comment",
                                        "leave a reply",
                                        "post a comment",
                                        "add a comment",
                                        "add your comment",
                                        "have your say",
                                        "reader comments",
                                        "your comments",
                                        "join the discussion",
                                        "join the conversation",
                                        "related",
                                        "related stories",
                                        "related articles",
                                        "related posts",
                                        "related content",
                                        "related links",
                                        "related news",
                                        "you might also like",
                                        "you may also like",
                                        "recommended for you",
                                        "more stories",
                                        "other stories you might like",
                                        "most read",
                                        "most popular",
                                        "read next",
                                        "discussion",
                                        "responses",
                                        "trackbacks",
                                        "what do you think",
                                        "share your thoughts",
                                        "top stories",
                                        "other news",
                                        "more news",
                                        "latest news",
                                        "editor's choice",
                                        "editors choice",
                                        "editors' picks",
                                        "most viewed",
                                        "most commented",
                                        "most emailed",
                                        "popular stories",
                                        "like this",
                                        "about the author",
                                        "about the authors",
                                        "about author",
                                        NULL};
    /* and lines that start so: "Also in UK News", "12 comments so far",
     * "The following are comments from the readers" */
    static const char *const starts[] = {"also in ",
                                         "more from ",
                                         "more in ",
                                         "more on ",
                                         "more stories",
                                         "related ",
                                         "the following are comments",
                                         "no comments",
                                         "comments are closed",
                                         "comment on this",
                                         "post your comment",
                                         "add your comment",
                                         "leave a comment",
                                         "reader comments",
                                         "readers comments",
                                         "reader's comments",
                                         "readers' comments",
                                         "comments for this",
                                         "discuss this",
                                         "you might also",
                                         "you may also",
                                         "recommended ",
                                         "most popular",
                                         "most read",
                                         "other stories",
                                         "latest from ",
                                         "top stories",
                                         NULL};
    /* and the notice above a comment section, however long: "Some
     * comments posted here may be reviewed before they are displayed" */
    static const char *const notices[] = {"the following are comments",
                                          "comments are moderated",
                                          "comments are reviewed",
                                          "comments will be",
                                          "comments may be",
                                          "comments posted",
                                          "some comments",
                                          "all comments are",
                                          "readers' comments",
                                          "by posting a comment",
                                          "by submitting a comment",
                                          NULL};
    char buf[64];
    size_t n = 0;

    if (chars > 48) {
        for (size_t i = 0; chars <= 400 && notices[i] != NULL; i++) {
            if (starts_n(t, len, notices[i])) {
                return 1;
            }
        }
        return 0;
    }
    /* letters and single blanks only: "12 Comments:" -> "comments" */
    for (size_t i = 0; i < len && n + 1 < sizeof(buf); i++) {
        unsigned char ch = (unsigned char)t[i];

        if (isalpha(ch)) {
            buf[n++] = (char)tolower(ch);
        } else if ((ch == ' ' || ch == '\'') && n > 0 && buf[n - 1] != ' ') {
            buf[n++] = ch == ' ' ? ' ' : '\'';
        }
    }
    while (n > 0 && buf[n - 1] == ' ') {
        n--;
    }
    buf[n] = '\0';
    for (size_t i = 0; marks[i] != NULL; i++) {
        if (strcmp(buf, marks[i]) == 0) {
            return 1;
        }
    }
    for (size_t i = 0; starts[i] != NULL; i++) {
        if (strncmp(buf, starts[i], strlen(starts[i])) == 0) {
            return 1;
        }
    }
    return 0;
}

/* Is n inside article-named markup that does not also hold scope (the
 * box of a marker)? Then the article goes on after the marker's box. */
static int in_other_article(const struct body_ctx *c, xmlNodePtr n,
                            xmlNodePtr scope)
{
    int steps = 0;

    while (n != NULL && n->type == XML_ELEMENT_NODE && steps++ < MAX_UP) {
        const struct ninfo *in = info(c, n);

        if (in != NULL && (in->flags & NF_KEEP) != 0) {
            return 0;
        }
        if (in != NULL && (in->flags & (NF_ARTICLE | NF_POS)) != 0 &&
            (in->flags & (NF_NEG | NF_WEAKNEG)) == 0) {
            return !is_ancestor(n, scope);
        }
        n = n->parent;
    }
    return 0;
}

/* Ends with sentence punctuation (closing quotes and brackets skipped)? */
static int ends_sentence(const char *t, size_t len)
{
    while (len > 0) {
        unsigned char ch = (unsigned char)t[len - 1];

        if (ch == '"' || ch == '\'' || ch == ')' || ch == ' ') {
            len--;
            continue;
        }
        /* closing curly quotes: E2 80 9D / E2 80 99 */
        if (len >= 3 && ch >= 0x98 && ch <= 0x9D &&
            (unsigned char)t[len - 2] == 0x80 &&
            (unsigned char)t[len - 3] == 0xE2) {
            len -= 3;
            continue;
        }
        /* ideographic full stop, fullwidth ! and ? */
        if (len >= 3 && ((unsigned char)t[len - 3] == 0xE3 &&
                         (unsigned char)t[len - 2] == 0x80 && ch == 0x82)) {
            return 1;
        }
        if (len >= 3 && (unsigned char)t[len - 3] == 0xEF &&
            (unsigned char)t[len - 2] == 0xBC && (ch == 0x81 || ch == 0x9F)) {
            return 1;
        }
        return ch == '.' || ch == '!' || ch == '?' || ch == ':';
    }
    return 0;
}

/* A credit or label line: a few words, no sentence ("The Associated
 * Press", "Special Correspondent", "Source: The Sun-Herald"), or a
 * contact line ("X can be reached at x@example.com"). */
static int is_label_line(const struct body_ctx *c, const struct block *b)
{
    const char *t = c->text.data + b->text_off;

    if (b->kind == BK_H || b->kind == BK_LI) {
        return 0;
    }
    if (b->chars < 3) {
        return 1;
    }
    if (b->chars < 200 && memchr(t, '@', b->text_len) != NULL) {
        return 1;
    }
    /* (by characters too: CJK text has few blank-separated words) */
    return b->chars <= 40 && words_n(t, b->text_len) <= 6 &&
           !ends_sentence(t, b->text_len);
}

/* Label lines before the first real paragraph and after the last one. */
static void trim_edges(struct body_ctx *c)
{
    size_t first = SIZE_MAX;
    size_t last = SIZE_MAX;
    size_t nlead = 0;
    size_t ntrail = 0;

    for (size_t i = 0; i < c->nblk; i++) {
        const struct block *b = &c->blk[i];

        if (!b->drop && b->kind == BK_P && b->chars >= 80) {
            if (first == SIZE_MAX) {
                first = i;
            }
            last = i;
        }
    }
    if (first == SIZE_MAX) {
        return;
    }
    /* many short lines at an edge are a list (tour dates, a changelog),
     * not labels */
    for (size_t i = 0; i < c->nblk; i++) {
        if (!c->blk[i].drop && (i < first || i > last)) {
            if (i < first) {
                nlead++;
            } else {
                ntrail++;
            }
        }
    }
    for (size_t i = 0; i < c->nblk; i++) {
        struct block *b = &c->blk[i];

        if (b->drop || (i >= first && i <= last) ||
            (i < first ? nlead : ntrail) > 3) {
            continue;
        }
        if (is_label_line(c, b)) {
            b->drop = DROP_LABEL;
        }
    }
}

/* Teasers: a short blurb right after a headline link ("Love Sudoku?
 * Play our new game" under a linked title), outside the element that
 * holds most of the article's paragraphs. */
static void drop_teasers(struct body_ctx *c)
{
    xmlNodePtr main_parent = NULL;
    size_t best = 0;

    /* the parent holding the most kept text */
    for (size_t i = 0; i < c->nblk; i++) {
        const struct block *b = &c->blk[i];
        struct ninfo *pi = b->owner != NULL && b->owner->parent != NULL
                               ? info(c, b->owner->parent)
                               : NULL;

        if (pi != NULL) {
            pi->kept_chars = 0;
        }
    }
    for (size_t i = 0; i < c->nblk; i++) {
        const struct block *b = &c->blk[i];
        struct ninfo *pi = b->owner != NULL && b->owner->parent != NULL
                               ? info(c, b->owner->parent)
                               : NULL;

        if (b->drop || pi == NULL) {
            continue;
        }
        pi->kept_chars += b->chars;
        if (pi->kept_chars > best) {
            best = pi->kept_chars;
            main_parent = b->owner->parent;
        }
    }
    for (size_t i = 1; i < c->nblk; i++) {
        struct block *b = &c->blk[i];
        const struct block *prev = &c->blk[i - 1];

        if (b->drop || b->chars >= 250 || b->owner == NULL ||
            b->owner->parent == main_parent || b->kind == BK_LI) {
            continue;
        }
        /* (list items of links are lists, not teaser titles) */
        if ((prev->drop == DROP_HLINKS ||
             (prev->drop == DROP_LINKS && prev->kind != BK_LI)) &&
            prev->chars >= 15) {
            b->drop = DROP_TEASER;
        }
    }
}

/* Does the text end cut short, with "..." or an ellipsis? */
static int ends_cut(const char *t, size_t len)
{
    while (len > 0 && t[len - 1] == ' ') {
        len--;
    }
    return (len >= 3 && memcmp(t + len - 3, "...", 3) == 0) ||
           (len >= 3 && memcmp(t + len - 3, "\xe2\x80\xa6", 3) == 0);
}

/* Repetition: a teaser cut short ("... because ...") printed twice
 * word for word (a paywalled template showing its teaser in two
 * versions) is kept once: a run of repeated paragraphs that ends cut
 * short goes. Other repeats stay: writers repeat a line on purpose, and
 * some pages print the whole story twice. */
static void drop_repeats(struct body_ctx *c)
{
    size_t cap = 256;
    uint64_t *seen;
    unsigned char *rep;

    while (cap < c->nblk * 2) {
        cap *= 2;
    }
    seen = wh_xcalloc(cap, sizeof(*seen));
    rep = wh_xcalloc(c->nblk + 1, 1);
    for (size_t i = 0; i < c->nblk; i++) {
        const struct block *b = &c->blk[i];
        const unsigned char *t =
            (const unsigned char *)c->text.data + b->text_off;
        uint64_t h = 14695981039346656037u;
        size_t k;

        if (b->drop || b->chars < 80 || b->kind == BK_LI ||
            b->kind == BK_CELL) {
            continue;
        }
        for (size_t j = 0; j < b->text_len; j++) {
            h = (h ^ t[j]) * 1099511628211u;
        }
        h |= 1; /* 0 marks a free slot */
        for (k = h & (cap - 1); seen[k] != 0 && seen[k] != h;
             k = (k + 1) & (cap - 1)) {
        }
        if (seen[k] == h) {
            rep[i] = 1;
        } else {
            seen[k] = h;
        }
    }
    for (size_t i = 0; i < c->nblk;) {
        size_t end = i;
        size_t last = i;

        if (!rep[i]) {
            i++;
            continue;
        }
        /* the run of repeats, over dropped blocks between them */
        while (end < c->nblk && (rep[end] || c->blk[end].drop)) {
            if (rep[end]) {
                last = end;
            }
            end++;
        }
        if (ends_cut(c->text.data + c->blk[last].text_off,
                     c->blk[last].text_len)) {
            for (size_t k = i; k <= last; k++) {
                if (rep[k]) {
                    c->blk[k].drop = DROP_REPEAT;
                }
            }
        }
        i = end;
    }
    free(rep);
    free(seen);
}

/* Is n named as a standfirst ("standfirst", "dek", "article-deck")? */
static int is_dek(const xmlNode *n)
{
    static const char *const names[] = {"standfirst", "dek", "deck", NULL};
    const char *cls = n != NULL ? attr_val(n, "class") : NULL;

    while (cls != NULL && *cls != '\0') {
        size_t len = strcspn(cls, " -_");

        for (size_t i = 0; names[i] != NULL; i++) {
            if (len == strlen(names[i]) &&
                strncasecmp(cls, names[i], len) == 0) {
                return 1;
            }
        }
        cls += len;
        cls += strspn(cls, " -_");
    }
    return 0;
}

/* Is block i a list item the article announced ("Other deals:", "The
 * winners are:")? Such items stay even when mostly links, as long as
 * they also say something of their own (a price, a comment): a list of
 * bare headline links is still a link list. */
static int announced_item(const struct body_ctx *c, size_t i)
{
    const struct block *b = &c->blk[i];

    if (b->kind != BK_LI || b->chars < 40 ||
        b->link_chars * 20 > b->chars * 19) {
        return 0;
    }
    for (size_t k = i; k-- > 0;) {
        const struct block *p = &c->blk[k];
        const char *t = c->text.data + p->text_off;
        size_t len = p->text_len;

        if (p->kind == BK_LI) {
            continue;
        }
        while (len > 0 && t[len - 1] == ' ') {
            len--;
        }
        return p->drop == DROP_NONE && p->link_chars == 0 && len > 0 &&
               t[len - 1] == ':';
    }
    return 0;
}

static void filter(struct body_ctx *c, const struct wh_article *art)
{
    for (size_t i = 0; i < c->nblk; i++) {
        struct block *b = &c->blk[i];
        const char *t = c->text.data + b->text_off;
        xmlNodePtr root = kept_root(c, b->owner);

        if (root == NULL) {
            b->drop = DROP_OUTSIDE;
            continue;
        }
        if (c->lenient ? under_neg_names(c, b->owner, root, 1)
                       : under_neg_in(c, b->owner, root)) {
            b->drop = DROP_NEG;
            continue;
        }
        if (b->kind == BK_CAPTION) {
            b->drop = DROP_CAPTION;
            continue;
        }
        if (b->kind == BK_H && b->level == 1) {
            b->drop = DROP_H1;
            continue;
        }
        /* the headline repeated in the body goes; the description only
         * as a heading or a one-line dek: as a paragraph it is often the
         * first paragraph itself */
        if (same_text(t, b->text_len, art->headline) ||
            ((b->kind == BK_H || (b->chars < 100 && is_dek(b->owner))) &&
             same_text(t, b->text_len, art->description))) {
            b->drop = DROP_HEADLINE;
            continue;
        }
        if (b->link_chars * 2 > b->chars && b->chars < 300 && b->kind != BK_H &&
            !announced_item(c, i)) {
            b->drop = DROP_LINKS;
            continue;
        }
        if (b->kind == BK_H && b->link_chars * 2 > b->chars) {
            b->drop = DROP_HLINKS;
            continue;
        }
        if (is_boiler_line(t, b->text_len, b->chars) &&
            !is_terminal(t, b->text_len, b->chars)) {
            b->drop = DROP_BOILER;
            continue;
        }
    }
    /* Around the start of the text: the headline again, datelines,
     * bylines. Anywhere: lines without letters; after a comments or
     * related-stories marker, everything. */
    {
        int started = 0;
        size_t kept = 0;
        int cut = 0;
        xmlNodePtr scope = NULL;
        xmlNodePtr last_parent = NULL;

        for (size_t i = 0; i < c->nblk; i++) {
            struct block *b = &c->blk[i];
            const char *t = c->text.data + b->text_off;

            if (b->drop) {
                /* a marker can hide in boilerplate-named markup:
                 * <h2 id="comments">Comments</h2> */
                if ((b->drop == DROP_NEG || b->drop == DROP_BOILER) &&
                    cut == 0 && kept >= 300 && b->owner != NULL &&
                    b->owner->parent != NULL &&
                    is_terminal(t, b->text_len, b->chars)) {
                    /* only its box: such widgets also sit mid-article */
                    scope = b->owner->parent;
                    cut = 3;
                }
                continue;
            }
            /* after a marker everything goes, unless the article goes
             * on: a block outside the marker's box, beside the
             * paragraphs that came before it (cut 1), or any real
             * paragraph after a marker hidden in a widget (cut 3) */
            if (cut == 2 ||
                (cut == 1 &&
                 (is_ancestor(scope, b->owner) || b->owner == NULL ||
                  b->owner->parent != last_parent)) ||
                (cut == 3 &&
                 (is_ancestor(scope, b->owner) || b->owner == NULL ||
                  (b->owner->parent != last_parent &&
                   (b->kind != BK_P || b->chars < 80 ||
                    b->link_chars * 5 >= b->chars ||
                    !in_other_article(c, b->owner, scope)))))) {
                b->drop = DROP_AFTER;
                continue;
            }
            cut = 0;
            /* a line without letters is a stray mark, unless it is a
             * figure in a table cell ("$83", "-2.1%"): a results table
             * keeps its figures beside its names */
            if ((b->chars < 20 && !has_letter(t, b->text_len) &&
                 !(b->kind == BK_CELL && memchr_digit(t, b->text_len))) ||
                looks_byline(t, b->text_len, b->chars) ||
                looks_dateline(t, b->text_len, b->chars)) {
                b->drop = DROP_DATELINE;
                continue;
            }
            if (b->chars < 100 && loose_eq(t, b->text_len, art->byline)) {
                b->drop = DROP_BYLINE;
                continue;
            }
            if (!started && (loose_eq(t, b->text_len, art->headline) ||
                             (b->kind == BK_H && kept == 0 &&
                              loose_in(t, b->text_len, art->headline)) ||
                             (b->chars < 200 && words_n(t, b->text_len) >= 3 &&
                              loose_in(t, b->text_len, c->title)))) {
                b->drop = DROP_TITLE;
                continue;
            }
            if (is_terminal(t, b->text_len, b->chars) && kept < 300) {
                b->drop = DROP_BOILER;
                continue;
            }
            if (kept >= 300 && is_terminal(t, b->text_len, b->chars)) {
                /* the marker's box goes: a "Related" box between two
                 * paragraphs ends where the box ends; a marker standing
                 * in the article container itself ends the article */
                xmlNodePtr root = kept_root(c, b->owner);

                scope = b->owner != NULL ? b->owner->parent : NULL;
                cut = scope == NULL || root == NULL || is_ancestor(scope, root)
                          ? 2
                          : 1;
                b->drop = DROP_MARKER;
                continue;
            }
            if (b->kind != BK_H && b->chars >= 80) {
                started = 1;
            }
            if (b->kind == BK_P && b->owner != NULL && b->chars >= 80 &&
                b->link_chars * 5 < b->chars) {
                last_parent = b->owner->parent;
            }
            kept += b->chars;
        }
    }
    drop_teasers(c);
    drop_repeats(c);
    trim_edges(c);
    /* headings must lead to text: drop trailing ones */
    for (size_t i = c->nblk; i-- > 0;) {
        struct block *b = &c->blk[i];

        if (b->drop) {
            continue;
        }
        if (b->kind != BK_H) {
            break;
        }
        b->drop = DROP_TRAILING;
    }
}

/* ---- output ---- */

/* Copies block html h[0..hl) to out, resolving the raw hrefs the walk
 * stored into absolute links (dropping javascript: and empty ones with
 * their closing tag). Our own markup is the only markup in h, and text in
 * it is escaped, so the scan is exact. */
static void append_resolved(struct wh_buf *out, const char *h, size_t hl,
                            const char *base)
{
    static const char open[] = "<a href=\"";
    size_t ol = sizeof(open) - 1;
    size_t i = 0;
    int skip_close = 0;

    while (i < hl) {
        const char *lt = memchr(h + i, '<', hl - i);
        size_t at;

        if (lt == NULL) {
            wh_buf_append(out, h + i, hl - i);
            break;
        }
        at = (size_t)(lt - h);
        wh_buf_append(out, h + i, at - i);
        if (hl - at >= 4 && memcmp(h + at, "</a>", 4) == 0) {
            if (!skip_close) {
                wh_buf_append(out, "</a>", 4);
            }
            skip_close = 0;
            i = at + 4;
            continue;
        }
        if (hl - at > ol && memcmp(h + at, open, ol) == 0) {
            const char *q = memchr(h + at + ol, '"', hl - at - ol);
            struct wh_buf raw;
            char *abs;

            if (q == NULL) {
                break;
            }
            wh_buf_init(&raw, 0);
            for (const char *p = h + at + ol; p < q; p++) {
                if (*p == '&' && q - p >= 5 && memcmp(p, "&amp;", 5) == 0) {
                    wh_buf_append(&raw, "&", 1);
                    p += 4;
                } else if (*p == '&' && q - p >= 6 &&
                           memcmp(p, "&quot;", 6) == 0) {
                    wh_buf_append(&raw, "\"", 1);
                    p += 5;
                } else if (*p == '&' && q - p >= 4 &&
                           memcmp(p, "&lt;", 4) == 0) {
                    wh_buf_append(&raw, "<", 1);
                    p += 3;
                } else if (*p == '&' && q - p >= 4 &&
                           memcmp(p, "&gt;", 4) == 0) {
                    wh_buf_append(&raw, ">", 1);
                    p += 3;
                } else {
                    wh_buf_append(&raw, p, 1);
                }
            }
            abs = raw.data != NULL ? wh_extract_abs_url(raw.data, base) : NULL;
            if (abs != NULL) {
                wh_buf_puts(out, open);
                wh_extract_html_escape(out, abs, strlen(abs));
                wh_buf_puts(out, "\">");
                free(abs);
            } else {
                skip_close = 1;
            }
            wh_buf_free(&raw);
            i = (size_t)(q - h) + 2; /* past the closing "> */
            continue;
        }
        wh_buf_append(out, h + at, 1);
        i = at + 1;
    }
}

static void emit(struct body_ctx *c, struct wh_article *art)
{
    struct wh_buf txt;
    struct wh_buf html;
    const char *list_open = NULL;
    int quote_open = 0;
    size_t last = SIZE_MAX;

    wh_buf_init(&txt, 0);
    wh_buf_init(&html, 0);
    c->out_rival = c->rival;
    c->out_fallback = c->passes > 1;
    c->out_chars = 0;
    c->out_link_chars = 0;
    for (size_t i = 0; i < c->nblk; i++) {
        if (!c->blk[i].drop) {
            last = i;
            c->out_chars += c->blk[i].chars;
            c->out_link_chars += c->blk[i].link_chars;
        }
    }
    for (size_t i = 0; i < c->nblk; i++) {
        const struct block *b = &c->blk[i];
        const char *t = c->text.data + b->text_off;
        const char *h = c->html.data + b->html_off;
        size_t tl = b->text_len;
        size_t hl = b->html_len;
        const char *want_list;

        if (b->drop) {
            continue;
        }
        if (i == last) {
            size_t nt = strip_signoff(t, tl);

            if (nt != tl) {
                /* the html usually ends with the same characters (the
                 * marks have no & < > "); when markup follows them
                 * (a mark inside a link) the html keeps it */
                size_t cut = tl - nt;

                if (hl >= cut && memcmp(h + hl - cut, t + nt, cut) == 0) {
                    hl -= cut;
                    while (hl > 0 && h[hl - 1] == ' ') {
                        hl--;
                    }
                }
                tl = nt;
            }
            if (tl == 0) {
                continue;
            }
        }
        if (txt.len > 0) {
            wh_buf_puts(&txt, "\n\n");
        }
        wh_buf_append(&txt, t, tl);
        want_list = b->kind == BK_LI ? (b->list_ordered ? "ol" : "ul") : NULL;
        if (list_open != NULL && want_list != list_open) {
            wh_buf_printf(&html, "</%s>", list_open);
            list_open = NULL;
        }
        if (quote_open && !b->in_quote) {
            wh_buf_puts(&html, "</blockquote>");
            quote_open = 0;
        }
        if (b->in_quote && !quote_open) {
            wh_buf_puts(&html, "<blockquote>");
            quote_open = 1;
        }
        if (want_list != NULL && list_open == NULL) {
            wh_buf_printf(&html, "<%s>", want_list);
            list_open = want_list;
        }
        switch (b->kind) {
        case BK_H:
            wh_buf_printf(&html, "<h%d>", b->level);
            append_resolved(&html, h, hl, c->base);
            wh_buf_printf(&html, "</h%d>", b->level);
            break;
        case BK_LI:
            wh_buf_puts(&html, "<li>");
            append_resolved(&html, h, hl, c->base);
            wh_buf_puts(&html, "</li>");
            break;
        case BK_PRE:
            wh_buf_puts(&html, "<pre>");
            append_resolved(&html, h, hl, c->base);
            wh_buf_puts(&html, "</pre>");
            break;
        default:
            wh_buf_puts(&html, "<p>");
            append_resolved(&html, h, hl, c->base);
            wh_buf_puts(&html, "</p>");
            break;
        }
    }
    if (list_open != NULL) {
        wh_buf_printf(&html, "</%s>", list_open);
    }
    if (quote_open) {
        wh_buf_puts(&html, "</blockquote>");
    }
    art->body_text = wh_buf_steal(&txt);
    art->body_html = wh_buf_steal(&html);
    art->body_words = wh_extract_count_words(art->body_text);
}

/* Did an element left open in <head> (an unclosed <title>) swallow the
 * page? Then <head> holds block-level elements, and the <body> that
 * follows is empty. */
static int head_holds_page(htmlDocPtr doc)
{
    xmlNodePtr root = xmlDocGetRootElement(doc);

    if (root == NULL) {
        return 0;
    }
    for (xmlNodePtr h = root->children; h != NULL; h = h->next) {
        if (h->type != XML_ELEMENT_NODE ||
            strcmp((const char *)h->name, "head") != 0) {
            continue;
        }
        for (xmlNodePtr k = h->children; k != NULL; k = k->next) {
            if (k->type != XML_ELEMENT_NODE) {
                continue;
            }
            if (strcmp((const char *)k->name, "div") == 0 ||
                strcmp((const char *)k->name, "p") == 0 ||
                strcmp((const char *)k->name, "table") == 0 ||
                (strcmp((const char *)k->name, "title") == 0 &&
                 xmlFirstElementChild(k) != NULL)) {
                return 1;
            }
        }
        break;
    }
    return 0;
}

/* The <body>, searched among the document's top-level nodes and the
 * children of <html>. Broken markup can leave content beside an empty
 * <html> element, or give a page two <html>/<body> pairs (pages pasted
 * together): then NULL, and the caller walks every top-level element. */
static xmlNodePtr find_body(htmlDocPtr doc)
{
    xmlNodePtr found = NULL;
    int nbody = 0;

    for (xmlNodePtr n = doc->children; n != NULL; n = n->next) {
        if (n->type != XML_ELEMENT_NODE) {
            continue;
        }
        if (strcmp((const char *)n->name, "body") == 0) {
            found = n;
            nbody++;
            continue;
        }
        for (xmlNodePtr k = n->children; k != NULL; k = k->next) {
            if (k->type != XML_ELEMENT_NODE) {
                continue;
            }
            if (strcmp((const char *)k->name, "body") == 0) {
                found = found != NULL ? found : k;
                nbody++;
            } else if (strcmp((const char *)k->name, "html") == 0) {
                /* a second page's <html> inside the first */
                for (xmlNodePtr g = k->children; g != NULL; g = g->next) {
                    if (g->type == XML_ELEMENT_NODE &&
                        strcmp((const char *)g->name, "body") == 0) {
                        nbody++;
                    }
                }
            }
        }
    }
    return nbody == 1 && !head_holds_page(doc) ? found : NULL;
}

/* Does the line look like the header of a comment or a teaser: a byline,
 * a date, "X says:"? */
/* Does the line start with a slideshow counter ("3/50 Title", "12 / 40")?
 * The count must be at least 5 and the counter stand alone before a
 * capital or the end, so that "1/2 cup of flour" is not one. */
static int starts_counter(const char *t, size_t len)
{
    size_t i = 0;
    unsigned long k = 0;
    unsigned long n = 0;
    size_t nd = 0;

    while (i < len && i < 4 && t[i] >= '0' && t[i] <= '9') {
        k = k * 10 + (unsigned long)(t[i++] - '0');
    }
    if (i == 0) {
        return 0;
    }
    while (i < len && t[i] == ' ') {
        i++;
    }
    if (i >= len || t[i++] != '/') {
        return 0;
    }
    while (i < len && t[i] == ' ') {
        i++;
    }
    while (i < len && nd < 4 && t[i] >= '0' && t[i] <= '9') {
        n = n * 10 + (unsigned long)(t[i++] - '0');
        nd++;
    }
    if (nd == 0 || n < 5 || k < 1 || k > n) {
        return 0;
    }
    while (i < len && t[i] == ' ') {
        i++;
    }
    return i >= len || (t[i] >= 'A' && t[i] <= 'Z') ||
           (t[i] >= '0' && t[i] <= '9') || (unsigned char)t[i] >= 0x80;
}

static int is_item_header(const char *t, size_t len, size_t chars)
{
    if (chars > 100) {
        return 0;
    }
    /* the captions of a slideshow, one item a photo */
    if (starts_counter(t, len)) {
        return 1;
    }
    if (looks_byline(t, len, chars) || looks_dateline(t, len, chars)) {
        return 1;
    }
    while (len > 0 && t[len - 1] == ' ') {
        len--;
    }
    return (len >= 5 && memcmp(t + len - 5, "says:", 5) == 0) ||
           (len >= 6 && memcmp(t + len - 6, "wrote:", 6) == 0) ||
           (len >= 5 && memcmp(t + len - 5, "said:", 5) == 0);
}

/* Counts p's element children named name, up to 3 (all we need), with
 * *budget bounding the steps taken over the whole page. */
static size_t same_tag_children(const xmlNode *p, const xmlChar *name,
                                size_t *budget)
{
    size_t n = 0;

    for (const xmlNode *k = p->children; k != NULL && n < 3 && *budget > 0;
         k = k->next) {
        (*budget)--;
        if (k->type == XML_ELEMENT_NODE && xmlStrEqual(k->name, name)) {
            n++;
        }
    }
    return n;
}

/* A flat list of comments: the byline line hdr ("Posted by: ... on
 * 9:06pm") is a sibling of its comment's text, not its child. The
 * element just before or after it whose class three or more siblings
 * share is one item's text: boilerplate too. */
static void mark_flat_items(struct body_ctx *c, xmlNodePtr hdr)
{
    for (int dir = 0; dir < 2; dir++) {
        xmlNodePtr k = dir == 0 ? xmlPreviousElementSibling(hdr)
                                : xmlNextElementSibling(hdr);
        struct ninfo *ki;
        const char *cls;
        size_t same = 0;
        int steps = 0;

        /* past one line of buttons ("Quote | Report this post") */
        if (k != NULL && dir == 0 && info(c, k) != NULL &&
            info(c, k)->chars < 40) {
            k = xmlPreviousElementSibling(k);
        }
        if (k == NULL || (ki = info(c, k)) == NULL ||
            (ki->flags & (NF_ITEMHDR | NF_HASART)) != 0 ||
            (cls = attr_val(k, "class")) == NULL || cls[0] == '\0' ||
            ki->chars * 2 >= c->total_chars) {
            continue;
        }
        for (xmlNodePtr s = k->parent->children;
             s != NULL && same < 3 && steps++ < MAX_UP; s = s->next) {
            const char *scls;

            if (s != k && s->type == XML_ELEMENT_NODE &&
                xmlStrEqual(s->name, k->name) &&
                (scls = attr_val(s, "class")) != NULL &&
                strcmp(scls, cls) == 0) {
                same++;
            }
        }
        if (same >= 2) {
            ki->flags |= NF_NEG | NF_STRONGNEG;
        }
    }
}

/* Is the item in the story the others answer? A blog post printed as
 * one more "item" among its comments (a date line above it, "Posted by
 * ... at ..." below) holds more text than any of them, or is the only
 * item of its class ("blogbody" among "comment-body"s). */
static int story_among_items(const struct body_ctx *c, const struct ninfo *in,
                             size_t *budget)
{
    const char *cls = attr_val(in->node, "class");
    size_t most = 0;
    size_t same = 0;

    if (in->chars < 300) {
        return 0;
    }
    for (const xmlNode *k = in->node->parent->children;
         k != NULL && *budget > 0; k = k->next) {
        const struct ninfo *ki;
        const char *kcls;

        (*budget)--;
        if (k == in->node || k->type != XML_ELEMENT_NODE) {
            continue;
        }
        ki = info(c, k);
        if (ki == NULL || (ki->flags & NF_ITEMHDR) == 0) {
            continue;
        }
        if (ki->chars > most) {
            most = ki->chars;
        }
        kcls = attr_val(k, "class");
        if (cls != NULL && kcls != NULL && same_first_class(cls, kcls)) {
            same++;
        }
    }
    return in->chars > most || (cls != NULL && cls[0] != '\0' && same == 0);
}

/* Repetition: items of a list (three or more siblings of one tag) that
 * each start with a byline or a date are comments or teasers, named so
 * or not. They count as boilerplate, like a "comment" class. */
static void mark_repeated_items(struct body_ctx *c)
{
    size_t budget = (size_t)4 * MAX_NODES; /* sibling steps per page */

    for (size_t i = 0; i < c->nblk; i++) {
        const struct block *b = &c->blk[i];
        xmlNodePtr x = b->owner;

        if (x == NULL || !is_item_header(c->text.data + b->text_off,
                                         b->text_len, b->chars)) {
            continue;
        }
        for (int up = 0; up < 4 && x != NULL && x->parent != NULL &&
                         x->parent->type == XML_ELEMENT_NODE;
             up++, x = x->parent) {
            struct ninfo *xi = info(c, x);
            struct ninfo *pi = info(c, x->parent);

            if (xi == NULL || pi == NULL) {
                break;
            }
            /* (the HTML parser does not intern element names: compare
             * the strings) */
            if (same_tag_children(x->parent, x->name, &budget) >= 3) {
                if ((xi->flags & NF_ITEMHDR) == 0) {
                    xi->flags |= NF_ITEMHDR;
                    pi->items++;
                }
                break;
            }
        }
    }
    for (size_t i = 0; i < c->nni; i++) {
        struct ninfo *in = ni_at(c, i);
        const struct ninfo *pi;

        if ((in->flags & NF_ITEMHDR) == 0 || in->node->parent == NULL) {
            continue;
        }
        pi = info(c, in->node->parent);
        if (pi != NULL && pi->items >= 3 && in->chars * 2 < c->total_chars &&
            (in->flags & NF_HASART) == 0 &&
            !story_among_items(c, in, &budget)) {
            in->flags |= NF_NEG | NF_STRONGNEG;
            mark_flat_items(c, in->node);
        }
    }
}

/* One pass: scores, chooses and filters. Returns the characters kept
 * (0 when nothing was chosen); *cand is the container. */
static size_t run_pass(struct body_ctx *c, xmlNodePtr body,
                       const struct wh_article *art, int strict,
                       xmlNodePtr *cand)
{
    size_t kept = 0;

    c->passes++;
    c->rival = 0;
    for (size_t i = 0; i < c->nblk; i++) {
        c->blk[i].drop = 0;
    }
    score_blocks(c, strict);
    for (size_t i = 0; i < c->nni; i++) {
        ni_at(c, i)->flags &= ~(unsigned)NF_KEEP;
    }
    *cand = choose(c, body, strict);
    if (*cand == NULL) {
        return 0;
    }
    filter(c, art);
    for (size_t i = 0; i < c->nblk; i++) {
        if (!c->blk[i].drop) {
            kept += c->blk[i].chars;
        }
    }
    if (getenv("WH_EXTRACT_DEBUG_DROPS") != NULL) {
        for (size_t i = 0; i < c->nblk; i++) {
            fprintf(stderr, "drop=%d %s %zu/%zu: %.*s\n", c->blk[i].drop,
                    c->blk[i].owner != NULL
                        ? (const char *)c->blk[i].owner->name
                        : "-",
                    c->blk[i].chars, c->blk[i].link_chars,
                    (int)(c->blk[i].text_len < 60 ? c->blk[i].text_len : 60),
                    c->text.data + c->blk[i].text_off);
        }
    }
    return kept;
}

/* The text of <title> in <head>, or NULL. */
static char *page_title(htmlDocPtr doc)
{
    for (xmlNodePtr h = doc->children; h != NULL; h = h->next) {
        if (h->type != XML_ELEMENT_NODE) {
            continue;
        }
        for (xmlNodePtr k = h->children; k != NULL; k = k->next) {
            if (k->type != XML_ELEMENT_NODE ||
                strcmp((const char *)k->name, "head") != 0) {
                continue;
            }
            for (xmlNodePtr t = k->children; t != NULL; t = t->next) {
                if (t->type == XML_ELEMENT_NODE &&
                    strcmp((const char *)t->name, "title") == 0) {
                    return wh_extract_title_text(t, 2000);
                }
            }
        }
    }
    return NULL;
}

/* How far to trust the emitted text, from what the choice saw: each
 * weak signal scales the confidence down and, when it costs much, names
 * itself in art->weak. */
static void set_confidence(const struct body_ctx *c, struct wh_article *art)
{
    double conf = 1.0;
    double f;
    double ld = c->out_chars > 0
                    ? (double)c->out_link_chars / (double)c->out_chars
                    : 0.0;
    unsigned weak = 0;

    /* a news story has a few paragraphs; a one-liner is a teaser, a
     * caption or what was left of a page that lost its markup */
    f = art->body_words >= CONF_WORDS
            ? 1.0
            : 0.3 + 0.7 * (double)art->body_words / CONF_WORDS;
    if (f < 0.85) {
        weak |= WH_EXTRACT_WEAK_SHORT;
    }
    conf *= f;
    /* article text links little; link lists and menus link a lot */
    f = ld <= 0.1 ? 1.0 : ld >= 0.6 ? 0.2 : 1.0 - 1.6 * (ld - 0.1);
    if (f < 0.85) {
        weak |= WH_EXTRACT_WEAK_LINKS;
    }
    conf *= f;
    /* another box scored nearly as well: the choice was close */
    f = c->out_rival <= 0.5 ? 1.0 : 1.0 - 0.8 * (c->out_rival - 0.5);
    if (f < 0.85) {
        weak |= WH_EXTRACT_WEAK_RIVAL;
    }
    conf *= f;
    /* the strict pass found too little and a looser one was used */
    if (c->out_fallback) {
        weak |= WH_EXTRACT_WEAK_FALLBACK;
        conf *= 0.7;
    }
    /* in steps of 1/16: fine enough for a confidence, and exact in
     * binary, so records print "0.8125", never "0.81000000000000005" */
    art->confidence = (double)(long)(conf * 16 + 0.5) / 16;
    art->weak = weak;
}

int wh_extract_body(htmlDocPtr doc, const char *base, struct wh_article *art)
{
    const char *debug_text;
    struct body_ctx c;
    xmlNodePtr body = find_body(doc);
    xmlNodePtr cand;
    int rc = WH_ENOENT;

    pthread_once(&lex_once, lex_init);
    debug_text = getenv("WH_EXTRACT_DEBUG_TEXT");
    memset(&c, 0, sizeof(c));
    c.base = base;
    c.link_open_block = -1;
    wh_buf_init(&c.text, 0);
    wh_buf_init(&c.html, 0);
    wh_buf_init(&c.cur_text, 0);
    wh_buf_init(&c.cur_html, 0);
    c.title = page_title(doc);
    if (body != NULL) {
        walk(&c, body);
    } else {
        c.walk_head = 1;
        for (xmlNodePtr n = doc->children; n != NULL; n = n->next) {
            if (n->type == XML_ELEMENT_NODE) {
                walk(&c, n);
            }
        }
    }
    if (c.nblk == 0) {
        goto out;
    }
    if (getenv("WH_EXTRACT_DEBUG_BLOCKS") != NULL) {
        for (size_t i = 0; i < c.nblk; i++) {
            fprintf(stderr, "[%zu] %s chars %zu links %zu: %.*s\n", i,
                    c.blk[i].owner ? (const char *)c.blk[i].owner->name : "-",
                    c.blk[i].chars, c.blk[i].link_chars,
                    (int)(c.blk[i].text_len < 70 ? c.blk[i].text_len : 70),
                    c.text.data + c.blk[i].text_off);
        }
    }
    if (debug_text != NULL) {
        const char *want = debug_text;

        for (size_t i = 0; i < c.nblk; i++) {
            xmlNodePtr n = c.blk[i].owner;

            if (c.text.data == NULL ||
                memmem(c.text.data + c.blk[i].text_off, c.blk[i].text_len, want,
                       strlen(want)) == NULL) {
                continue;
            }
            for (int k = 0; n != NULL && k < 40 && n->type == XML_ELEMENT_NODE;
                 k++) {
                const struct ninfo *in = info(&c, n);

                fprintf(stderr, "  %s.%s#%s flags %x chars %zu\n",
                        (const char *)n->name,
                        attr_val(n, "class") ? attr_val(n, "class") : "",
                        attr_val(n, "id") ? attr_val(n, "id") : "",
                        in ? in->flags : 0u, in ? in->chars : 0);
                n = n->parent;
            }
            break;
        }
    }
    mark_repeated_items(&c);
    /* Strict first (boilerplate-named markup does not vote). When that
     * keeps little, try again with every block voting, but a container
     * the strict pass refused for its name loses to a short strict
     * result. */
    {
        size_t kept_strict = run_pass(&c, body, art, 1, &cand);
        size_t kept = kept_strict;

        if (kept_strict >= 200) {
            emit(&c, art);
        } else {
            kept = run_pass(&c, body, art, 0, &cand);
            if (kept_strict > 0 && (kept == 0 || cand == NULL ||
                                    under_neg_names(&c, cand, NULL, 0))) {
                kept = run_pass(&c, body, art, 1, &cand);
            }
            if (kept > 0) {
                emit(&c, art);
            }
        }
        /* Still next to nothing: the text may sit in wrappers named
         * with a weak boilerplate word ("caption-image" around every
         * paragraph of a photo post). Keep those when that gives a real
         * article. */
        if (kept < 200) {
            size_t kept_lenient;
            size_t nlong = 0;

            c.lenient = 1;
            kept_lenient = run_pass(&c, body, art, 1, &cand);
            if (kept_lenient == 0) {
                kept_lenient = run_pass(&c, body, art, 0, &cand);
            }

            for (size_t i = 0; i < c.nblk; i++) {
                if (!c.blk[i].drop && c.blk[i].chars >= 150) {
                    nlong++;
                }
            }
            /* (paragraphs, not a column of short photo captions) */
            if (kept_lenient >= 300 && kept_lenient >= 2 * kept && nlong >= 2) {
                free(art->body_text);
                free(art->body_html);
                art->body_text = NULL;
                art->body_html = NULL;
                emit(&c, art);
            }
        }
        if (art->body_text != NULL && art->body_text[0] != '\0') {
            set_confidence(&c, art);
            rc = WH_OK;
        }
    }
out:
    /* the document is freed by the caller; clear what we pointed at */
    for (size_t i = 0; i < c.nni; i++) {
        ni_at(&c, i)->node->_private = NULL;
    }
    for (size_t i = 0; i < c.nchunks; i++) {
        free(c.chunks[i]);
    }
    free(c.chunks);
    free(c.title);
    free(c.blk);
    wh_buf_free(&c.text);
    wh_buf_free(&c.html);
    wh_buf_free(&c.cur_text);
    wh_buf_free(&c.cur_html);
    return rc;
}
