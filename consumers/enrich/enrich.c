/*
 * enrich.c - what the enrichers share: the key table, the data directory,
 * the extension-object layout and language tags. The text helpers live
 * beside it, one file per API of enrich.h: text.c (UTF-8, character
 * classes, lower case), input.c (a record's capped text, datelines),
 * tokenizer.c, words.c (word lists), stems.c (the stem memo), langs.c
 * (per-language resources) and terms.c (the term bag).
 */
#include "enrich.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "wh/config.h"
#include "wh/record.h"
#include "wh/wh.h"

#ifndef WH_DATADIR
#define WH_DATADIR "/usr/share/wirehose"
#endif

const struct wh_config_key wh_enrich_config_keys[] = {
    WH_KEY_PATH("enrich.data_dir", WH_DATADIR,
                "directory of enrichment data (stop words, gazetteers, "
                "topics)"),
    WH_KEY_INT("enrich.max_bytes", "65536", 256, 16 << 20, "bytes",
               "most bytes of text an enricher reads per record"),
    WH_KEY_INT("enrich.keywords", "10", 1, 100, NULL,
               "how many keywords to keep"),
    WH_KEY_END};

const char *wh_enrich_data_dir(const struct wh_config *cfg)
{
    return wh_config_str(cfg, wh_enrich_config_keys, "enrich.data_dir");
}

char *wh_enrich_data_path(const struct wh_config *cfg, const char *rel)
{
    return wh_xasprintf("%s/%s", wh_enrich_data_dir(cfg), rel);
}

int wh_enrich_data_check(const struct wh_config *cfg, const char *rel,
                         char *errstr, size_t errstr_size)
{
    char *path = wh_enrich_data_path(cfg, rel);
    int rc = WH_OK;

    if (access(path, R_OK) != 0) {
        snprintf(errstr, errstr_size, "%s: %s (set enrich.data_dir)", path,
                 strerror(errno));
        rc = WH_ENOENT;
    }
    free(path);
    return rc;
}

int wh_enrich_check_data(const struct wh_config *cfg, const char *const *rels,
                         size_t n, char *errstr, size_t errstr_size)
{
    char reason[512];
    size_t i;

    if (wh_config_check_dir(wh_enrich_data_dir(cfg), 0, reason,
                            sizeof(reason)) != WH_OK) {
        snprintf(errstr, errstr_size, "%s: enrich.data_dir: %s",
                 wh_config_origin(cfg, "enrich.data_dir"), reason);
        return WH_EINVAL;
    }
    for (i = 0; i < n; i++) {
        if (wh_enrich_data_check(cfg, rels[i], errstr, errstr_size) != WH_OK) {
            return WH_ENOENT;
        }
    }
    return WH_OK;
}

/* ---- extension object ---- */

/* jansson returns NULL only on out-of-memory here (our strings are valid
 * UTF-8): treat it like wh_xmalloc does. */
static json_t *xjson(json_t *j)
{
    WH_ASSERT(j != NULL);
    return j;
}

static json_t *child_object(json_t *parent, const char *key)
{
    json_t *obj = json_object_get(parent, key);

    if (!json_is_object(obj)) {
        obj = xjson(json_object());
        json_object_set_new(parent, key, obj);
    }
    return obj;
}

json_t *wh_enrich_begin(struct wh_record *rec, const struct wh_stage *st)
{
    json_t *ev;

    if (!json_is_object(rec->ext)) {
        json_decref(rec->ext);
        rec->ext = xjson(json_object());
    }
    json_object_set_new(child_object(rec->ext, "enrichments"), st->name,
                        xjson(json_string(st->version)));
    ev = xjson(json_object());
    json_object_set_new(child_object(rec->ext, "enrich"), st->name, ev);
    return ev;
}

void wh_enrich_unknown(json_t *ev, const char *fmt, ...)
{
    char why[256];
    va_list ap;
    size_t len;
    size_t i = 0;

    va_start(ap, fmt);
    vsnprintf(why, sizeof(why), fmt, ap);
    len = strlen(why);
    va_end(ap);
    /* vsnprintf may have cut a character in two: keep the valid prefix,
     * which json_string() accepts */
    while (i < len) {
        size_t at = i;
        int bad = 0;

        (void)wh_enrich_utf8_next(why, len, &i, &bad);
        if (bad) {
            len = at;
            break;
        }
    }
    json_object_set_new(ev, "unknown", xjson(json_stringn(why, len)));
}

json_t *wh_enrich_extra(struct wh_record *rec)
{
    if (!json_is_object(rec->extra)) {
        json_decref(rec->extra);
        rec->extra = xjson(json_object());
    }
    return rec->extra;
}

/* ---- language tags ---- */

void wh_enrich_primary_lang(const char *tag, char out[8])
{
    size_t n = 0;

    out[0] = '\0';
    if (tag == NULL) {
        return;
    }
    while (n < 7 && ((tag[n] >= 'a' && tag[n] <= 'z') ||
                     (tag[n] >= 'A' && tag[n] <= 'Z'))) {
        out[n] = (char)(tag[n] | 0x20);
        n++;
    }
    if (n < 2 || n > 3 || (tag[n] != '\0' && tag[n] != '-' && tag[n] != '_')) {
        out[0] = '\0';
        return;
    }
    out[n] = '\0';
}
