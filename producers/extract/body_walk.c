/*
 * body_walk.c - the one walk over the page for body.c: cuts it into
 * blocks (runs of inline text between block-level boundaries), sums text
 * and link lengths per element, and flags elements by tag, class, id and
 * role through a hashed lexicon of tag names and class/id words.
 */
#include <ctype.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "body_int.h"
#include "wh/log.h"
#include "wh/wh.h"

const char *body_attr_val(const xmlNode *n, const char *name)
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
    "ad",         "ads",           "adv",          "advert",
    "adverts",    "advertisement", "advertising",  "banner",
    "sponsor",    "sponsored",     "promo",        "promos",
    "promotion",  "share",         "sharing",      "shares",
    "social",     "comment",       "comments",     "discussion",
    "disqus",     "related",       "recommended",  "recommendations",
    "newsletter", "subscribe",     "subscription", "signup",
    "cookie",     "cookies",       "consent",      "gdpr",
    "sidebar",    "widget",        "widgets",      "footer",
    "nav",        "navbar",        "navigation",   "menu",
    "breadcrumb", "breadcrumbs",   "tags",         "tag",
    "taglist",    "keywords",      "popular",      "trending",
    "outbrain",   "taboola",       "teaser",       "teasers",
    "masthead",   "toolbar",       "pagination",   "pager",
    "print",      "modal",         "popup",        "overlay",
    "skip",       "hidden",        "hide",         "bio",
    "login",      "register",      "rail",         "copyright",
    "legal",      "disclaimer",    "pullquote",    "byline",
    "dateline",   "meta",          "header",       "tools",
    "utility",    "utilities",     "next",         "prev",
    "previous",   "follow",        "tweet",        "facebook",
    "twitter",    "whatsapp",      "linkedin",     "email",
    "mail",       "rss",           "jump",         "survey",
    "poll",       "ticker",        "alert",        "notice",
    "extra",      "extras",        "secondary",    "author",
    "credits",    "credit",        "timestamp",    "date",
    "kicker",     "foot",          "caption",      "captions",
    "figcaption", "textsize",      "fontsize",     "strapline",
    "subtitle",   "summary",       "excerpt",      "sitemap",
    "topbar",     "sharetools",    "addthis",      NULL};

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
    "signup",       "sign-up",    NULL};

/* the author's box after the story, whatever else its name says, and
 * wherever in a class word ("postauthor", "wp-about-author-text",
 * "plugin-author-box") */
static const char *const author_box_words[] = {"postauthor",
                                               "post-author",
                                               "aboutauthor",
                                               "about-author",
                                               "about-the-author",
                                               "authorbox",
                                               "author-box",
                                               "authorbio",
                                               "author-bio",
                                               "authorinfo",
                                               "author-info",
                                               "author-profile",
                                               NULL};

/* class / id substrings of article containers */
static const char *const pos_words[] = {"article", "body",  "content", "entry",
                                        "main",    "post",  "story",   "text",
                                        "blog",    "prose", NULL};

#define LEX_SIZE 1024 /* power of two, > 2x the entries */

struct lex_ent {
    const char *s;
    size_t n;
    unsigned flags;
};

static struct lex_ent lex[LEX_SIZE];
static size_t prefix_len[WH_ARRAY_SIZE(neg_prefixes)];

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

unsigned body_lex_get(const char *s, size_t n)
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

void body_lex_init(void)
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

/* what CSS utility classes put after "text-" ("text-center",
 * "text-muted", "text-gray-700"): the style of a line, not its role */
static const char *const text_styles[] = {
    "center", "left",      "right",     "justify",    "start",  "end",
    "muted",  "dark",      "light",     "white",      "black",  "gray",
    "grey",   "primary",   "secondary", "success",    "danger", "warning",
    "info",   "uppercase", "lowercase", "capitalize", "nowrap", "truncate",
    "wrap",   "bold",      "italic",    "small",      "sm",     "xs",
    "md",     "lg",        "xl",        "base",       "red",    "blue",
    "green",  "reset",     "inherit",   NULL};

/* Does the lower-cased name buf hold the article-like word w? "text"
 * counts unless it is the "text-<style>" of a utility class. */
static int has_pos_word(const char *buf, const char *w)
{
    if (memcmp(w, "text", 5) != 0) {
        return strstr(buf, w) != NULL;
    }
    for (const char *p = strstr(buf, w); p != NULL; p = strstr(p + 1, w)) {
        const char *after = p + 4;
        int style = 0;

        if (*after != '-') {
            return 1;
        }
        after++;
        if (*after >= '0' && *after <= '9') {
            style = 1; /* "text-2xl" */
        }
        for (size_t k = 0; !style && text_styles[k] != NULL; k++) {
            size_t sn = strlen(text_styles[k]);

            if (strncmp(after, text_styles[k], sn) == 0 &&
                (after[sn] == '\0' || after[sn] == ' ' || after[sn] == '-' ||
                 after[sn] == '_')) {
                style = 1;
            }
        }
        if (!style) {
            return 1;
        }
    }
    return 0;
}

/* Does a class word of v end in a camel-case "Ad" or "Ads" ("YahooAds",
 * "textAd", "ctl00_GoogleAds")? Lower-cased, such names hide the word
 * ("yahooads"), and "uploads" or "threads" must not count. */
static int camel_ad_suffix(const char *v)
{
    size_t i = 0;

    while (v[i] != '\0') {
        size_t s;

        while (v[i] == ' ' || v[i] == '\t' || v[i] == '\n') {
            i++;
        }
        s = i;
        while (v[i] != '\0' && v[i] != ' ' && v[i] != '\t' && v[i] != '\n') {
            i++;
        }
        for (size_t n = 2; n <= 3; n++) {
            const char *w = v + i - n;

            if (i - s > n && strncmp(w, n == 2 ? "Ad" : "Ads", n) == 0 &&
                ((w[-1] >= 'a' && w[-1] <= 'z') ||
                 (w[-1] >= '0' && w[-1] <= '9'))) {
                return 1;
            }
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
        int has_author;
        int camel = 0;

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
            camel |= ch == 'A' && v[k + 1] == 'd';
        }
        buf[len] = '\0';
        if (camel && camel_ad_suffix(v)) {
            *neg = 2;
        }
        for (size_t k = 0; pos_words[k] != NULL && !*pos; k++) {
            if (has_pos_word(buf, pos_words[k])) {
                *pos = 1;
            }
        }
        has_author = strstr(buf, "author") != NULL;
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
            for (size_t k = 0; has_author && author_box_words[k] != NULL; k++) {
                const char *at = strstr(buf + s, author_box_words[k]);

                if (at != NULL && at < buf + i) {
                    *neg = 2;
                }
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
                    unsigned f = body_lex_get(buf + a, b - a);
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
    tf = body_lex_get(name, strlen(name));
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
        /* the raw href goes in; body_emit() resolves the links of the blocks
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
            const char *href = body_attr_val(n, "href");

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

void body_walk(struct body_ctx *c, xmlNodePtr start)
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
