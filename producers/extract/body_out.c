/*
 * body_out.c - the kept blocks as the article's body text and html, with
 * links resolved against the page's base.
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

void body_emit(struct body_ctx *c, struct wh_article *art)
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
            size_t nt = body_strip_signoff(t, tl);

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
