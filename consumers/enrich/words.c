/*
 * words.c - word lists: sets of strings with a bit mask each, loaded
 * from the data directory (see enrich.h).
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "enrich.h"
#include "wh/hash.h"
#include "wh/wh.h"

struct word_slot {
    char *key; /* NULL: empty slot */
    size_t len;
    unsigned val;
    char *form; /* the entry as written in the file, or NULL */
};

struct wh_enrich_words {
    struct word_slot *slots;
    size_t cap; /* a power of two */
    size_t count;
};

struct wh_enrich_words *wh_enrich_words_new(void)
{
    struct wh_enrich_words *w = wh_xcalloc(1, sizeof(*w));

    w->cap = 64;
    w->slots = wh_xcalloc(w->cap, sizeof(*w->slots));
    return w;
}

void wh_enrich_words_free(struct wh_enrich_words *w)
{
    size_t k;

    if (w == NULL) {
        return;
    }
    for (k = 0; k < w->cap; k++) {
        free(w->slots[k].key);
        free(w->slots[k].form);
    }
    free(w->slots);
    free(w);
}

/* hash is wh_hash64(key, len). */
static struct word_slot *words_slot_hashed(const struct wh_enrich_words *w,
                                           const char *key, size_t len,
                                           uint64_t hash)
{
    size_t k = (size_t)hash & (w->cap - 1);

    for (;;) {
        struct word_slot *slot = &w->slots[k];

        if (slot->key == NULL ||
            (slot->len == len && memcmp(slot->key, key, len) == 0)) {
            return slot;
        }
        k = (k + 1) & (w->cap - 1);
    }
}

static struct word_slot *words_slot(const struct wh_enrich_words *w,
                                    const char *key, size_t len)
{
    return words_slot_hashed(w, key, len, wh_hash64(key, len));
}

static void words_grow(struct wh_enrich_words *w)
{
    struct word_slot *old = w->slots;
    size_t old_cap = w->cap;
    size_t k;

    w->cap *= 2;
    w->slots = wh_xcalloc(w->cap, sizeof(*w->slots));
    for (k = 0; k < old_cap; k++) {
        if (old[k].key != NULL) {
            *words_slot(w, old[k].key, old[k].len) = old[k];
        }
    }
    free(old);
}

void wh_enrich_words_add(struct wh_enrich_words *w, const char *key, size_t len,
                         unsigned val)
{
    struct word_slot *slot;

    if ((w->count + 1) * 2 > w->cap) {
        words_grow(w);
    }
    slot = words_slot(w, key, len);
    if (slot->key == NULL) {
        slot->key = wh_xstrndup(key, len);
        slot->len = len;
        w->count++;
    }
    slot->val |= val;
}

unsigned wh_enrich_words_get(const struct wh_enrich_words *w, const char *key,
                             size_t len)
{
    return words_slot(w, key, len)->val;
}

unsigned wh_enrich_words_get_hashed(const struct wh_enrich_words *w,
                                    const char *key, size_t len, uint64_t hash)
{
    return words_slot_hashed(w, key, len, hash)->val;
}

const char *wh_enrich_words_form(const struct wh_enrich_words *w,
                                 const char *key, size_t len)
{
    return words_slot(w, key, len)->form;
}

size_t wh_enrich_words_count(const struct wh_enrich_words *w)
{
    return w->count;
}

int wh_enrich_words_load(struct wh_enrich_words *w, const char *path,
                         unsigned val, int lower, char *errstr,
                         size_t errstr_size)
{
    char line[1024];
    FILE *fp = fopen(path, "r");
    int lineno = 0;
    int rc = WH_OK;

    if (fp == NULL) {
        snprintf(errstr, errstr_size, "%s: %s", path, strerror(errno));
        return errno == ENOENT ? WH_ENOENT : WH_EIO;
    }
    while (fgets(line, sizeof(line), fp) != NULL) {
        size_t len = strlen(line);
        const char *s = line;
        int bad = 0;
        size_t i = 0;

        lineno++;
        if (len == sizeof(line) - 1 && line[len - 1] != '\n') {
            snprintf(errstr, errstr_size, "%s:%d: line too long", path, lineno);
            rc = WH_EINVAL;
            goto out;
        }
        while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r' ||
                           line[len - 1] == ' ' || line[len - 1] == '\t')) {
            line[--len] = '\0';
        }
        while (*s == ' ' || *s == '\t') {
            s++;
            len--;
        }
        if (len == 0 || *s == '#') {
            continue;
        }
        while (i < len) {
            (void)wh_enrich_utf8_next(s, len, &i, &bad);
        }
        if (bad) {
            snprintf(errstr, errstr_size, "%s:%d: invalid UTF-8", path, lineno);
            rc = WH_EINVAL;
            goto out;
        }
        if (lower) {
            char *low = wh_enrich_lower(s, len);
            struct word_slot *slot;

            wh_enrich_words_add(w, low, strlen(low), val);
            slot = words_slot(w, low, strlen(low));
            if (slot->form == NULL) {
                slot->form = wh_xstrndup(s, len);
            }
            free(low);
        } else {
            wh_enrich_words_add(w, s, len, val);
        }
    }
    if (ferror(fp)) {
        snprintf(errstr, errstr_size, "%s: read error", path);
        rc = WH_EIO;
    }
out:
    fclose(fp);
    return rc;
}
