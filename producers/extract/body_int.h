/*
 * body_int.h - what the parts of the body extractor share: the per-page
 * context, element infos and blocks, and the functions one part calls in
 * another. Internal to producers/extract/body*.c.
 *
 * body_walk.c    cuts the page into blocks, sums text/link lengths
 * body.c         scores blocks, chooses the container, runs the passes
 * body_filter.c  drops boilerplate blocks inside the container
 * body_out.c     writes the kept blocks as text and html
 */
#ifndef WH_EXTRACT_BODY_INT_H
#define WH_EXTRACT_BODY_INT_H

#include <stddef.h>

#include "extract_int.h"

#define MAX_NODES 400000       /* elements looked at per page */
#define MAX_BLOCKS 100000      /* text blocks kept per page */
#define MAX_UP 300             /* parent steps in any upward walk */
#define NI_CHUNK 1024          /* element infos per allocation */
#define NAME_BONUS_CHARS 120.0 /* text an article-named element needs */
#define CONF_WORDS 150.0       /* body words below which confidence drops */
#define LEAD_BOX_CHARS 80      /* a lead paragraph boxed before the body */

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

/* The info of element n, or NULL when the walk did not enter it. The
 * walk stores it in n->_private, which libxml2 leaves to applications;
 * the document belongs to this call only. */
static inline struct ninfo *info(const struct body_ctx *c, const xmlNode *n)
{
    (void)c;
    return (struct ninfo *)n->_private;
}

/* The i-th info, in walk order. */
static inline struct ninfo *ni_at(const struct body_ctx *c, size_t i)
{
    return &c->chunks[i / NI_CHUNK][i % NI_CHUNK];
}

/* body_walk.c */
const char *body_attr_val(const xmlNode *n, const char *name);
unsigned body_lex_get(const char *s, size_t n);
void body_lex_init(void);
void body_walk(struct body_ctx *c, xmlNodePtr start);

/* body.c */
int body_under_neg_names(const struct body_ctx *c, xmlNodePtr n,
                         xmlNodePtr limit, int strong);
int body_under_neg_in(const struct body_ctx *c, xmlNodePtr n, xmlNodePtr limit);
int body_is_ancestor(const xmlNode *a, const xmlNode *n);

/* body_filter.c */
size_t body_strip_signoff(const char *t, size_t len);
int body_looks_dateline(const char *t, size_t len, size_t chars);
int body_looks_byline(const char *t, size_t len, size_t chars);
void body_filter(struct body_ctx *c, const struct wh_article *art);

/* body_out.c */
void body_emit(struct body_ctx *c, struct wh_article *art);

#endif
