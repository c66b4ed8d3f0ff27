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
 * The parts: body_walk.c (blocks and sums), this file (scores, the
 * container, the passes), body_filter.c (what is dropped inside the
 * container), body_out.c (text and html); body_int.h is what they share.
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

#include "body_int.h"
#include "wh/log.h"
#include "wh/wh.h"

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
int body_under_neg_names(const struct body_ctx *c, xmlNodePtr n,
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
int body_under_neg_in(const struct body_ctx *c, xmlNodePtr n, xmlNodePtr limit)
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

int body_is_ancestor(const xmlNode *a, const xmlNode *n)
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
    cls = body_attr_val(n, "class");
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
        scls = body_attr_val(s, "class");
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

/* Is s the story's lead paragraph in a wrapper of its own, right before
 * the container ("firstpara" before "bodytext")? One <div> of prose
 * without links: inline markup and at most one <p> in it, so not a
 * "Key points" box (a heading and a list). */
static int is_lead_box(const struct body_ctx *c, xmlNodePtr s, xmlNodePtr cand)
{
    const struct ninfo *si = info(c, s);
    int paras = 0;

    if (si == NULL || xmlNextElementSibling(s) != cand ||
        strcmp((const char *)s->name, "div") != 0 ||
        si->chars < LEAD_BOX_CHARS || si->link_chars != 0) {
        return 0;
    }
    for (xmlNodePtr k = xmlFirstElementChild(s); k != NULL;
         k = xmlNextElementSibling(k)) {
        const char *name = (const char *)k->name;

        if (strcmp(name, "p") == 0
                ? ++paras > 1
                : (body_lex_get(name, strlen(name)) & L_BLOCKTAG) != 0) {
            return 0;
        }
    }
    return 1;
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
    /* A winner inside comment-like markup ("comment", "related", ...)
     * loses to an article-named candidate outside it that the text
     * itself voted for at least as much: the story's links (a post of
     * linked pictures) cost it more than the comments' name cost them. */
    if (body_under_neg_names(c, best->node, NULL, 1)) {
        for (int k = 1; k < 5 && top[k] != NULL; k++) {
            if ((top[k]->flags & (NF_POS | NF_ARTICLE)) != 0 &&
                top[k]->score >= best->score &&
                !body_under_neg_names(c, top[k]->node, NULL, 1)) {
                best = top[k];
                break;
            }
        }
    }
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
                !body_is_ancestor(top[k]->node, cand)) {
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
                        !body_is_ancestor(top[k]->node, cand) &&
                        body_is_ancestor(p, top[k]->node)) {
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
        if (top[k] != NULL && !body_is_ancestor(top[k]->node, cand) &&
            !body_is_ancestor(cand, top[k]->node)) {
            double r = final_score(top[k]) / best_score;

            c->rival = r > 1 ? 1 : r;
            break;
        }
    }
    if (getenv("WH_EXTRACT_DEBUG") != NULL) {
        for (int k = 0; k < 5 && top[k] != NULL; k++) {
            const char *cl = body_attr_val(top[k]->node, "class");
            const char *id = body_attr_val(top[k]->node, "id");

            fprintf(stderr, "top%d %s.%s#%s score %.1f final %.1f\n", k,
                    (const char *)top[k]->node->name, cl ? cl : "",
                    id ? id : "", top[k]->score, final_score(top[k]));
        }
        fprintf(stderr, "chosen %s.%s\n", (const char *)cand->name,
                body_attr_val(cand, "class") ? body_attr_val(cand, "class")
                                             : "");
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
        const char *cls = body_attr_val(cand, "class");

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
                const char *scls = body_attr_val(s, "class");

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
            } else if (is_lead_box(c, s, cand)) {
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

static pthread_once_t lex_once = PTHREAD_ONCE_INIT;

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
    if (body_looks_byline(t, len, chars) ||
        body_looks_dateline(t, len, chars)) {
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
            (cls = body_attr_val(k, "class")) == NULL || cls[0] == '\0' ||
            ki->chars * 2 >= c->total_chars) {
            continue;
        }
        for (xmlNodePtr s = k->parent->children;
             s != NULL && same < 3 && steps++ < MAX_UP; s = s->next) {
            const char *scls;

            if (s != k && s->type == XML_ELEMENT_NODE &&
                xmlStrEqual(s->name, k->name) &&
                (scls = body_attr_val(s, "class")) != NULL &&
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
    const char *cls = body_attr_val(in->node, "class");
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
        kcls = body_attr_val(k, "class");
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
    body_filter(c, art);
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

    pthread_once(&lex_once, body_lex_init);
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
        body_walk(&c, body);
    } else {
        c.walk_head = 1;
        for (xmlNodePtr n = doc->children; n != NULL; n = n->next) {
            if (n->type == XML_ELEMENT_NODE) {
                body_walk(&c, n);
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
                        body_attr_val(n, "class") ? body_attr_val(n, "class")
                                                  : "",
                        body_attr_val(n, "id") ? body_attr_val(n, "id") : "",
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
            body_emit(&c, art);
        } else {
            kept = run_pass(&c, body, art, 0, &cand);
            if (kept_strict > 0 && (kept == 0 || cand == NULL ||
                                    body_under_neg_names(&c, cand, NULL, 0))) {
                kept = run_pass(&c, body, art, 1, &cand);
            }
            if (kept > 0) {
                body_emit(&c, art);
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
                body_emit(&c, art);
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
