/*
 * entities.c - the "entities" enricher: people, organisations and places,
 * found first as names and then typed from evidence, every entity kept
 * with the cue that typed it and its mention count.
 *
 * 1. Names, independent of any list. A name is a run of capitalized
 *    words of the headline, description or body (not a dateline) with its
 *    inner connectors: particles ("Charles de Gaulle", "Ursula von der
 *    Leyen", "al-Assad"), initials with their period ("Steven F.
 *    Udvar-Hazy", "J. R. R. Tolkien"), "&", and "of", "for", "on" or "and"
 *    when the part before is an organisation or place head ("University
 *    of Oxford", "Gulf of Aden", "Securities and Exchange
 *    Commission"). A run never crosses punctuation, nor "and" between two
 *    complete names ("Massachusetts Institute of Technology and Colorado
 *    State University" is two). Leading function words ("The", "When")
 *    and person titles ("President", "Mr.") are cut off; a title alone
 *    is no name ("Justice"). A capital explained by position - the first
 *    word of a sentence, a title-case line, the headline - is weak: such
 *    a word counts only with other evidence (a gazetteer, an organisation
 *    or place head, the same name written mid-sentence elsewhere), so
 *    "Nice job!" gives no "Nice".
 *
 * 2. Types, from evidence summed over every mention of the same name:
 *    internal cues (a listed name, an organisation suffix or head - Inc,
 *    University, Ministry, Pictures, Times -, a place head or prefix -
 *    River, County, Island, Cape, Mount -, a listed given name first,
 *    initials), context (a title before, "said" or ", who" after, "in" /
 *    "at" / "based in" before, "CEO of" before, ", a company" or ", a
 *    city" after, "Fresno, California", a role noun such as "actor" or
 *    "starring" before, a citation "(Moravec, 2014)" or "et al." after),
 *    and a weak prior for a run of two to four name-like words (a person:
 *    "Seth Rogen"). A name made only of common English words (Debian's
 *    wamerican word list, or written in lower case elsewhere in the
 *    text: "Public Policy") takes no context cue and no prior. The
 *    strongest type wins when it reaches the threshold; a tie of a single
 *    word between lists ("Jordan" alone, a country and a given name)
 *    goes nowhere and is listed as "ambiguous" in the evidence. Names
 *    listed together ("A, B and C") share a type: one typed lends it to
 *    the others.
 *
 * 3. One entity per person, organisation and place (coreference within
 *    the document): one word of a person's name ("Rogen" after "Seth
 *    Rogen", "Mr Smith" and "John Smith") is that person; the first word
 *    of an organisation's name or its initials ("Sony" after "Sony
 *    Pictures", "NRC" after "National Research Council") is that
 *    organisation, unless its own evidence says otherwise ("in Paris"
 *    after "Paris Hilton" is the city). Each entity is named once, by
 *    its fullest name, with its mentions counted.
 *
 * data/gazetteers/ holds the lists (see data/README.md); the provinces
 * and regions of every country come from Debian's iso-codes (ISO
 * 3166-2), the common words from wamerican. Output: ninjs
 * "people", "organisations", "places" in rec->extra, arrays of {"name":
 * ...}, merged by name with what the source set; the evidence object
 * has, per type, {"name", "rule", "mentions"} for each entity.
 *
 * This file is the stage (init, check, process, close) and its output;
 * stage 1 is in ent_names.c, stage 2 in ent_types.c, stage 3 in
 * ent_coref.c, the lexicon and lists in ent_lists.c, and what they
 * share in ent_internal.h.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "enrich.h"
#include "wh/buf.h"
#include "wh/hash.h"
#include "wh/record.h"
#include "wh/wh.h"
#include "ent_internal.h"

static const char *const kind_key[] = {NULL, "people", "organisations",
                                       "places"};

static const struct {
    const char *file;
    unsigned bit;
} gazetteers[] = {
    {"gazetteers/places.txt", G_PLACE},
    {"gazetteers/organisations.txt", G_ORG},
    {"gazetteers/given-names.txt", G_GIVEN},
    {"gazetteers/person-titles.txt", G_TITLE},
    {"gazetteers/org-suffixes.txt", G_SUFFIX},
    {"gazetteers/place-heads.txt", G_PHEAD},
    {"gazetteers/place-prefixes.txt", G_PPRE},
    {"gazetteers/not-names.txt", G_NONAME},
    {"gazetteers/other-heads.txt", G_OTHER},
};

static void entities_close(void *p)
{
    struct entities_ctx *ctx = p;

    if (ctx == NULL) {
        return;
    }
    wh_enrich_words_free(ctx->gaz);
    wh_enrich_words_free(ctx->lex);
    free(ctx->lex_bloom);
    wh_enrich_langs_free(ctx->langs);
    wh_enrich_text_cache_clear(); /* this thread's shared words */
    free(ctx->tok);
    free(ctx->gaz_bits);
    free(ctx->stop);
    free(ctx->tflags);
    free(ctx->grp);
    free(ctx->slots);
    free(ctx->lower);
    free(ctx->lower_len);
    free(ctx->lower_stamp);
    free(ctx->men);
    free(ctx);
}

/* --check-config: every gazetteer exists under the data directory, and
 * the two Debian lists read from the system are there. */
static int entities_check(const char *arg, const struct wh_config *cfg,
                          char *errstr, size_t errstr_size)
{
    static const char *const system_files[] = {WH_LEXICON_PATH,
                                               WH_ISO3166_2_PATH};
    size_t k;

    (void)arg;
    if (wh_enrich_check_data(cfg, NULL, 0, errstr, errstr_size) != WH_OK) {
        return WH_EINVAL;
    }
    for (k = 0; k < WH_ARRAY_SIZE(gazetteers); k++) {
        if (wh_enrich_data_check(cfg, gazetteers[k].file, errstr,
                                 errstr_size) != WH_OK) {
            return WH_ENOENT;
        }
    }
    for (k = 0; k < WH_ARRAY_SIZE(system_files); k++) {
        if (access(system_files[k], R_OK) != 0) {
            snprintf(errstr, errstr_size,
                     "%s: %s (Debian's wamerican and "
                     "iso-codes)",
                     system_files[k], strerror(errno));
            return WH_ENOENT;
        }
    }
    return WH_OK;
}

static void *entities_init(const char *arg, const struct wh_config *cfg,
                           char *errstr, size_t errstr_size)
{
    struct entities_ctx *ctx;
    long long max_bytes;
    size_t k;

    (void)arg;
    if (wh_config_int(cfg, wh_enrich_config_keys, "enrich.max_bytes",
                      &max_bytes, errstr, errstr_size) != WH_OK) {
        return NULL;
    }
    ctx = wh_xcalloc(1, sizeof(*ctx));
    ctx->max_bytes = (size_t)max_bytes;
    ctx->gaz = wh_enrich_words_new();
    for (k = 0; k < WH_ARRAY_SIZE(gazetteers); k++) {
        char *path = wh_enrich_data_path(cfg, gazetteers[k].file);
        int rc = wh_enrich_words_load(ctx->gaz, path, gazetteers[k].bit, 0,
                                      errstr, errstr_size);

        if (rc == WH_OK) {
            ent_mark_first_words(ctx->gaz, path);
        }
        free(path);
        if (rc != WH_OK) {
            wh_enrich_words_free(ctx->gaz);
            free(ctx);
            return NULL;
        }
    }
    ctx->lex_bloom = wh_xcalloc(LEX_BLOOM_BITS / 64, sizeof(uint64_t));
    ctx->lex = ent_load_lexicon(ctx->lex_bloom, errstr, errstr_size);
    if (ctx->lex == NULL ||
        ent_load_subdivisions(ctx, errstr, errstr_size) != WH_OK) {
        entities_close(ctx);
        return NULL;
    }
    ctx->langs = wh_enrich_langs_new(cfg);
    return ctx;
}

/* ---- output ---- */

/* 1 when one of the first n objects of arr has the name. */
static int has_name(const json_t *arr, size_t n, const char *name)
{
    size_t k;

    for (k = 0; k < n; k++) {
        const char *v =
            json_string_value(json_object_get(json_array_get(arr, k), "name"));

        if (v != NULL && strcmp(v, name) == 0) {
            return 1;
        }
    }
    return 0;
}

static char *rule_of(const struct cue *c)
{
    if (c->what == NULL) {
        return wh_xstrdup("");
    }
    if (c->s == NULL) {
        return wh_xstrdup(c->what);
    }
    return wh_xasprintf("%s%.*s", c->what, (int)c->len, c->s);
}

static void write_out(struct run *r, struct wh_record *rec, json_t *ev)
{
    json_t *extra = wh_enrich_extra(rec);
    size_t *mentions = wh_xcalloc(r->ngrp + 1, sizeof(size_t));
    int kind;
    size_t k;

    /* follow the merges: each entity counts its aliases' mentions */
    for (k = 0; k < r->ngrp; k++) {
        size_t root = k;

        while (r->grp[root].into >= 0) {
            root = (size_t)r->grp[root].into;
        }
        mentions[root] += r->grp[k].mentions;
    }
    for (kind = K_PERSON; kind < K_COUNT; kind++) {
        json_t *arr = json_object_get(extra, kind_key[kind]);
        json_t *evk = json_array();
        int created = 0;
        size_t given; /* what the source set: names filed here are unique */
        size_t filed = 0;

        if (!json_is_array(arr)) {
            arr = json_array();
            created = 1;
        }
        given = json_array_size(arr);
        for (k = 0; k < r->ngrp && filed < ENTITIES_MAX; k++) {
            const struct group *g = &r->grp[k];
            json_t *obj;
            json_t *name;
            char *rule;

            if ((int)g->kind != kind || g->into >= 0) {
                continue;
            }
            filed++;
            /* names are cut from valid UTF-8 at word bounds */
            name = json_string_nocheck(ent_grp_name(r, g));
            rule = rule_of(&g->cue[kind]);
            obj = json_object();
            json_object_set_nocheck(obj, "name", name);
            json_object_set_new(obj, "rule", json_string(rule));
            json_object_set_new_nocheck(obj, "mentions",
                                        json_integer((json_int_t)mentions[k]));
            json_array_append_new(evk, obj);
            free(rule);
            if (!has_name(arr, given, ent_grp_name(r, g))) {
                obj = json_object();
                json_object_set_nocheck(obj, "name", name);
                json_array_append_new(arr, obj);
            }
            json_decref(name);
        }
        if (created && json_array_size(arr) > 0) {
            json_object_set_new(extra, kind_key[kind], arr);
        } else if (created) {
            json_decref(arr);
        }
        json_object_set_new(ev, kind_key[kind], evk);
    }
    free(mentions);
}

/* Sizes the per-token buffers for ntok tokens, marks the name words,
 * and sizes the group table for them (at most one name each). */
static void prepare(struct run *r)
{
    struct entities_ctx *ctx = r->ctx;
    size_t slots = 64;
    size_t k;

    if (ctx->cap_aux < ctx->cap_tok) {
        ctx->cap_aux = ctx->cap_tok;
        ctx->gaz_bits =
            wh_xrealloc(ctx->gaz_bits, ctx->cap_aux * sizeof(*ctx->gaz_bits));
        ctx->stop = wh_xrealloc(ctx->stop, ctx->cap_aux);
        ctx->tflags = wh_xrealloc(ctx->tflags, ctx->cap_aux);
    }
    r->tok = ctx->tok;
    r->gaz_bits = ctx->gaz_bits;
    r->stop = ctx->stop;
    r->tflags = ctx->tflags;
    r->grp = ctx->grp;
    r->men = ctx->men;
    memset(r->gaz_bits, 0, r->ntok * sizeof(*r->gaz_bits));
    memset(r->stop, STOP_UNKNOWN, r->ntok);
    r->ncased = 0;
    for (k = 0; k < r->ntok; k++) {
        r->tflags[k] = ent_is_name_word(&r->tok[k]) ? T_NAME : 0;
        r->ncased += r->tflags[k] != 0 ? 1 : 0;
    }
    while (slots < r->ncased * 2) {
        slots *= 2;
    }
    if (ctx->cap_slots < slots) {
        ctx->cap_slots = slots;
        ctx->slots = wh_xrealloc(ctx->slots, slots * sizeof(*ctx->slots));
    }
    memset(ctx->slots, 0, slots * sizeof(*ctx->slots));
    r->nslots = slots;
}

static int entities_process(void *p, struct wh_record *rec,
                            const struct wh_msg_meta *meta, char *errstr,
                            size_t errstr_size)
{
    struct entities_ctx *ctx = p;
    json_t *ev = wh_enrich_begin(rec, &wh_enrich_entities);
    /* the words keywords and subjects read too: tokenized once */
    const struct wh_enrich_text *tx = wh_enrich_text_get(rec, ctx->max_bytes);
    const struct wh_enrich_input *in = &tx->in;
    size_t j;
    struct run r;
    size_t cased = 0;
    size_t skip = 0;
    size_t head_end = 0;

    (void)meta;
    (void)errstr;
    (void)errstr_size;
    memset(&r, 0, sizeof(r));
    r.ctx = ctx;
    r.lang = wh_enrich_langs_get(ctx->langs, rec->language);
    r.en = wh_enrich_langs_get(ctx->langs, "en");
    wh_buf_init(&r.arena, 0);
    r.text = in->text;
    if (rec->headline != NULL && rec->headline[0] != '\0') {
        const char *e = strstr(in->text, "\n\n");

        head_end = e == NULL ? in->len : (size_t)(e - in->text);
    }
    if (in->body_off != (size_t)-1) {
        skip = in->body_off + wh_enrich_dateline_end(in->text + in->body_off,
                                                     in->len - in->body_off);
    }
    for (j = 0; j < tx->ntok; j++) {
        const struct wh_enrich_token *tok = &tx->tok[j];

        if (tok->s >= in->text + in->body_off && tok->s < in->text + skip) {
            continue; /* the dateline */
        }
        if (r.ntok == ctx->cap_tok) {
            ctx->cap_tok = ctx->cap_tok == 0 ? 256 : ctx->cap_tok * 2;
            ctx->tok = wh_xrealloc(ctx->tok, ctx->cap_tok * sizeof(*ctx->tok));
        }
        ctx->tok[r.ntok] = *tok;
        /* as before the shared words: no WH_TOK_HEAD */
        ctx->tok[r.ntok++].flags &= ~(unsigned)WH_TOK_HEAD;
        cased += (tok->flags & WH_TOK_CAP) ? 1 : 0;
    }
    if (r.ntok == 0) {
        wh_enrich_unknown(ev, "no text");
        goto out;
    }
    if (cased == 0) {
        wh_enrich_unknown(ev, "no capitalized word: script without letter "
                              "case, or all lower case");
        goto out;
    }
    prepare(&r);
    ent_mark_lower(&r);
    ent_mark_weak(&r, head_end);
    r.ambiguous = json_array();
    ent_find_names(&r);
    ent_decide(&r);
    ent_coordinate(&r);
    write_out(&r, rec, ev);
    if (json_array_size(r.ambiguous) > 0) {
        json_object_set(ev, "ambiguous", r.ambiguous);
    }
out:
    json_decref(r.ambiguous);
    wh_buf_free(&r.arena);
    return WH_OK;
}

const struct wh_stage wh_enrich_entities = {
    .name = "entities",
    .type = WH_STAGE_ENRICH,
    .version = "2.0",
    .description = "people, organisations and places: capitalized names "
                   "typed from context, internal cues and gazetteers",
    .keys = wh_enrich_config_keys,
    .check = entities_check,
    .init = entities_init,
    .process = entities_process,
    .flush = NULL,
    .close = entities_close,
};
