/*
 * langs.c - per-language resources: a stemmer, a stop-word list and a
 * stem memo, loaded on first use of a language (see enrich.h).
 */
#include <stdlib.h>
#include <string.h>

#include <libstemmer.h>

#include "enrich.h"
#include "stems.h"
#include "wh/wh.h"

#define LANGS_MAX 64 /* languages cached; more get no resources */

struct wh_enrich_langs {
    char *data_dir;
    struct wh_enrich_lang v[LANGS_MAX];
    size_t n;
    struct wh_enrich_lang none;
};

struct wh_enrich_langs *wh_enrich_langs_new(const struct wh_config *cfg)
{
    struct wh_enrich_langs *langs = wh_xcalloc(1, sizeof(*langs));

    langs->data_dir = wh_xstrdup(wh_enrich_data_dir(cfg));
    return langs;
}

void wh_enrich_langs_free(struct wh_enrich_langs *langs)
{
    size_t k;

    if (langs == NULL) {
        return;
    }
    for (k = 0; k < langs->n; k++) {
        if (langs->v[k].stemmer != NULL) {
            sb_stemmer_delete(langs->v[k].stemmer);
        }
        wh_enrich_words_free(langs->v[k].stop);
        wh_enrich_stems_free(langs->v[k].memo);
    }
    free(langs->data_dir);
    free(langs);
}

struct wh_enrich_lang *wh_enrich_langs_get(struct wh_enrich_langs *langs,
                                           const char *tag)
{
    struct wh_enrich_lang *lang;
    char code[8];
    char errstr[256];
    char *path;
    size_t k;

    wh_enrich_primary_lang(tag, code);
    if (code[0] == '\0' || strcmp(code, "und") == 0) {
        return &langs->none;
    }
    for (k = 0; k < langs->n; k++) {
        if (strcmp(langs->v[k].code, code) == 0) {
            return &langs->v[k];
        }
    }
    if (langs->n == LANGS_MAX) {
        return &langs->none;
    }
    lang = &langs->v[langs->n++];
    memcpy(lang->code, code, sizeof(code));
    /* code is 2 or 3 ASCII letters: safe in a path and for libstemmer */
    lang->stemmer = sb_stemmer_new(code, "UTF_8");
    path = wh_xasprintf("%s/enrich/stopwords/%s.txt", langs->data_dir, code);
    lang->stop = wh_enrich_words_new();
    if (wh_enrich_words_load(lang->stop, path, 1, 1, errstr, sizeof(errstr)) !=
        WH_OK) {
        wh_enrich_words_free(lang->stop);
        lang->stop = NULL;
    }
    free(path);
    return lang;
}
