/*
 * input.c - a record's text as the enrichers read it: capped, valid
 * UTF-8, its parts in one string; that text with its words, and the
 * calling thread's cache of the last one built; and where a dateline at
 * the start of the body ends (see enrich.h).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "enrich.h"
#include "wh/buf.h"
#include "wh/record.h"
#include "wh/wh.h"

/* Appends s[0..len) to b, replacing invalid sequences with U+FFFD; valid
 * runs are copied in one go. Returns the number of invalid bytes. */
static size_t append_clean(struct wh_buf *b, const char *s, size_t len)
{
    static const char repl[] = "\xEF\xBF\xBD";
    size_t run = 0;
    size_t i = 0;
    size_t invalid = 0;

    while (i < len) {
        size_t at = i;
        int bad = 0;

        if ((unsigned char)s[i] < 0x80) {
            uint64_t w;

            /* eight ASCII bytes at a time: most text is */
            while (len - i >= 8) {
                memcpy(&w, s + i, 8);
                if ((w & 0x8080808080808080ull) != 0) {
                    break;
                }
                i += 8;
            }
            while (i < len && (unsigned char)s[i] < 0x80) {
                i++;
            }
            continue;
        }
        (void)wh_enrich_utf8_next(s, len, &i, &bad);
        if (bad) {
            WH_ASSERT(wh_buf_append(b, s + run, at - run) == WH_OK);
            WH_ASSERT(wh_buf_append(b, repl, 3) == WH_OK);
            invalid++;
            run = i;
        }
    }
    WH_ASSERT(wh_buf_append(b, s + run, len - run) == WH_OK);
    return invalid;
}

void wh_enrich_input_build(struct wh_enrich_input *in,
                           const struct wh_record *rec, unsigned parts,
                           size_t cap)
{
    const char *part[3];
    unsigned bit[3] = {WH_INPUT_HEADLINE, WH_INPUT_DESCRIPTION, WH_INPUT_BODY};
    struct wh_buf b;
    size_t left = cap;
    size_t k;

    part[0] = rec->headline;
    part[1] = rec->description;
    part[2] = rec->body_text;
    memset(in, 0, sizeof(*in));
    wh_buf_init(&b, 0);
    in->body_off = (size_t)-1;
    for (k = 0; k < 3; k++) {
        size_t n;
        size_t take;

        if ((parts & bit[k]) == 0 || part[k] == NULL || part[k][0] == '\0') {
            continue;
        }
        if (left == 0) {
            in->truncated = 1;
            break;
        }
        if (b.len > 0) {
            WH_ASSERT(wh_buf_append(&b, "\n\n", 2) == WH_OK);
        }
        if (bit[k] == WH_INPUT_BODY) {
            in->body_off = b.len;
        }
        /* strnlen: never walk a 10 MB body past the cap */
        n = strnlen(part[k], left + 1);
        take = n < left ? n : left;
        while (take > 0 && take < n &&
               ((unsigned char)part[k][take] & 0xC0) == 0x80) {
            take--; /* do not cut a character in two */
        }
        if (take < n) {
            in->truncated = 1;
        }
        in->invalid += append_clean(&b, part[k], take);
        left -= take;
    }
    in->len = b.len;
    in->text = wh_buf_steal(&b);
    if (in->body_off == (size_t)-1) {
        in->body_off = in->len;
    }
}

void wh_enrich_input_free(struct wh_enrich_input *in)
{
    free(in->text);
    in->text = NULL;
    in->len = 0;
}
void wh_enrich_text_build(struct wh_enrich_text *tx,
                          const struct wh_record *rec, size_t cap)
{
    static _Thread_local unsigned long long serial;
    struct wh_enrich_tokenizer tz;
    size_t alloc = 0;

    memset(tx, 0, sizeof(*tx));
    wh_enrich_input_build(
        &tx->in, rec, WH_INPUT_HEADLINE | WH_INPUT_DESCRIPTION | WH_INPUT_BODY,
        cap);
    tx->cap = cap;
    tx->serial = ++serial;
    wh_enrich_tok_init(&tz, tx->in.text, tx->in.len, tx->in.body_off);
    for (;;) {
        if (tx->ntok == alloc) {
            /* about one word in six bytes of news text */
            alloc = alloc == 0 ? tx->in.len / 5 + 16 : alloc * 2;
            tx->tok = wh_xrealloc(tx->tok, alloc * sizeof(*tx->tok));
        }
        if (!wh_enrich_tok_next(&tz, &tx->tok[tx->ntok])) {
            break;
        }
        tx->ntok++;
    }
}

void wh_enrich_text_free(struct wh_enrich_text *tx)
{
    wh_enrich_input_free(&tx->in);
    free(tx->tok);
    tx->tok = NULL;
    tx->ntok = 0;
}

/* The calling thread's cached text (see wh_enrich_text_get()). */
struct text_cache {
    int full; /* tx holds a text */
    struct wh_enrich_text tx;
    struct wh_buf key; /* the bytes of the parts that the cap let in */
    size_t key_len[3]; /* of each part, in key one after the other */
};

static _Thread_local struct text_cache text_cache;

void wh_enrich_text_cache_clear(void)
{
    struct text_cache *c = &text_cache;

    if (c->full) {
        wh_enrich_text_free(&c->tx);
        wh_buf_free(&c->key);
        c->full = 0;
    }
}

/* The parts of rec wh_enrich_text_build() reads, NULL for none. */
static void text_parts(const struct wh_record *rec, const char *part[3])
{
    part[0] = rec->headline;
    part[1] = rec->description;
    part[2] = rec->body_text;
}

const struct wh_enrich_text *wh_enrich_text_get(const struct wh_record *rec,
                                                size_t cap)
{
    struct text_cache *c = &text_cache;
    const char *part[3];
    size_t n[3];
    size_t off = 0;
    size_t k;
    int same = c->full && c->tx.cap == cap;

    /* wh_enrich_input_build() reads at most cap + 1 bytes of a part: the
     * text depends on those bytes only */
    text_parts(rec, part);
    for (k = 0; k < 3; k++) {
        n[k] = part[k] != NULL ? strnlen(part[k], cap + 1) : 0;
        if (same &&
            (n[k] != c->key_len[k] ||
             (n[k] > 0 && memcmp(c->key.data + off, part[k], n[k]) != 0))) {
            same = 0;
        }
        off += n[k];
    }
    if (same) {
        return &c->tx;
    }
    wh_enrich_text_cache_clear();
    wh_enrich_text_build(&c->tx, rec, cap);
    wh_buf_init(&c->key, 0);
    for (k = 0; k < 3; k++) {
        /* no maximum on the key: this cannot fail (out of memory aborts) */
        if (n[k] > 0) {
            (void)wh_buf_append(&c->key, part[k], n[k]);
        }
        c->key_len[k] = n[k];
    }
    c->full = 1;
    return &c->tx;
}

size_t wh_enrich_dateline_end(const char *s, size_t len)
{
    size_t max = len < 120 ? len : 120;
    size_t i;
    size_t caps = 0;

    while (caps < max && s[caps] >= 'A' && s[caps] <= 'Z') {
        caps++;
    }
    for (i = 1; i < max && s[i] != '\n'; i++) {
        size_t dash = 0;
        size_t j = i;

        if (i + 3 <= len && (memcmp(s + i, "\xE2\x80\x94", 3) == 0 ||
                             memcmp(s + i, "\xE2\x80\x93", 3) == 0)) {
            dash = 3;
        } else if (s[i] == '-' && s[i - 1] == ' ') {
            dash = (i + 1 < len && s[i + 1] == '-') ? 2 : 1;
        } else {
            continue;
        }
        while (j > 0 && s[j - 1] == ' ') {
            j--;
        }
        return (caps >= 2 || (j > 0 && s[j - 1] == ')')) ? i + dash : 0;
    }
    return 0;
}
