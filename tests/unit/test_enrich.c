/*
 * test_enrich.c - the enrichers on small texts: language, counts,
 * dateline, entities, keywords and subjects, and bad input (empty, 10 MB,
 * invalid UTF-8, scripts without case or spaces) through all of them.
 *
 * Data files are read from $WH_SRCDIR/data when WH_SRCDIR is set (ctest
 * sets it), else from the compiled-in data directory.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "enrich.h"
#include "stage.h"
#include "wh/config.h"
#include "wh/record.h"
#include "wh/wh.h"

static const struct wh_config_key *const keys = wh_enrich_config_keys;

static const struct wh_stage *const stages[] = {
    &wh_enrich_language, &wh_enrich_counts,   &wh_enrich_dateline,
    &wh_enrich_entities, &wh_enrich_keywords, &wh_enrich_subjects,
};

#define NSTAGES (sizeof(stages) / sizeof(stages[0]))

struct fixture {
    struct wh_config *cfg;
    void *ctx[NSTAGES];
};

static const char wire_story[] =
    "WASHINGTON (Reuters) \xE2\x80\x94 President Joe Biden met Prime "
    "Minister Keir Starmer at the White House on Tuesday to discuss the war "
    "in Ukraine and new sanctions on Russia, officials said.\n\n"
    "The two leaders agreed to increase military aid to Kyiv, according to "
    "a joint statement. Biden said the United States and Britain would "
    "stand with Ukraine \"for as long as it takes\".\n\n"
    "Starmer, who flew to Washington on Monday, also met Treasury Secretary "
    "Janet Yellen and executives from Goldman Sachs and the Bank of "
    "England. The European Commission welcomed the decision.\n\n"
    "The talks came as Russian troops pressed an offensive in eastern "
    "Ukraine, where fighting has killed thousands of soldiers and "
    "civilians. Ukrainian President Volodymyr Zelenskiy thanked the allies "
    "for the missiles and air defence systems. The war, now in its third "
    "year, has forced millions to flee, and the military aid package "
    "includes more missiles, drones and artillery for Ukrainian troops.";

static const char german[] =
    "Die Bundesregierung hat am Dienstag beschlossen, die Steuern auf "
    "Kraftstoff im n\xC3\xA4"
    "chsten Jahr deutlich zu erh\xC3\xB6hen. "
    "Finanzminister Christian Lindner sagte in Berlin, der Schritt sei "
    "notwendig, um den Haushalt zu stabilisieren.";

static const char french[] =
    "Le gouvernement fran\xC3\xA7"
    "ais a annonc\xC3\xA9 mardi qu'il "
    "augmenterait les taxes sur le carburant l'ann\xC3\xA9"
    "e prochaine. "
    "Le ministre de l'\xC3\x89"
    "conomie a d\xC3\xA9"
    "clar\xC3\xA9 "
    "\xC3\xA0 Paris que cette mesure \xC3\xA9tait n\xC3\xA9"
    "cessaire "
    "pour r\xC3\xA9"
    "duire le d\xC3\xA9"
    "ficit public.";

static const char basque[] =
    "Euskal Herriko hiriburuan atzo egindako bileran, alderdi politikoek "
    "akordio berri bat sinatu zuten etxebizitzaren arazoari aurre egiteko. "
    "Gobernuak adierazi duenez, datorren urtean milaka etxebizitza berri "
    "eraikiko dira, eta gazteek lehentasuna izango dute. Sindikatuek, "
    "ordea, neurriak nahikoak ez direla uste dute eta mobilizazioak "
    "iragarri dituzte hurrengo asteetarako.";

static int setup(void **state)
{
    struct fixture *fx = wh_xcalloc(1, sizeof(*fx));
    const char *src = getenv("WH_SRCDIR");
    char errstr[512];
    size_t k;

    fx->cfg = wh_config_new(keys);
    if (src != NULL) {
        char *dir = wh_xasprintf("%s/data", src);

        assert_int_equal(wh_config_set(fx->cfg, "enrich.data_dir", dir, errstr,
                                       sizeof(errstr)),
                         WH_OK);
        free(dir);
    }
    for (k = 0; k < NSTAGES; k++) {
        errstr[0] = '\0';
        fx->ctx[k] = stages[k]->init(NULL, fx->cfg, errstr, sizeof(errstr));
        if (fx->ctx[k] == NULL) {
            fprintf(stderr, "%s: %s\n", stages[k]->name, errstr);
        }
        assert_non_null(fx->ctx[k]);
        assert_int_equal(stages[k]->type, WH_STAGE_ENRICH);
        assert_non_null(stages[k]->version);
    }
    *state = fx;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *fx = *state;
    size_t k;

    for (k = 0; k < NSTAGES; k++) {
        stages[k]->close(fx->ctx[k]);
    }
    stages[0]->close(NULL);
    wh_config_free(fx->cfg);
    free(fx);
    return 0;
}

static struct wh_record *record(const char *headline, const char *body,
                                const char *language)
{
    struct wh_record *rec = wh_record_new();

    rec->uri = wh_xstrdup("urn:test:1");
    rec->headline = headline != NULL ? wh_xstrdup(headline) : NULL;
    rec->body_text = body != NULL ? wh_xstrdup(body) : NULL;
    rec->language = language != NULL ? wh_xstrdup(language) : NULL;
    return rec;
}

static int index_of(const struct wh_stage *st)
{
    size_t k;

    for (k = 0; k < NSTAGES; k++) {
        if (stages[k] == st) {
            return (int)k;
        }
    }
    fail();
    return -1;
}

static void run(struct fixture *fx, const struct wh_stage *st,
                struct wh_record *rec)
{
    char errstr[256];
    int k = index_of(st);

    assert_int_equal(st->process(fx->ctx[k], rec, NULL, errstr, sizeof(errstr)),
                     WH_OK);
}

static void run_all(struct fixture *fx, struct wh_record *rec)
{
    size_t k;

    for (k = 0; k < NSTAGES; k++) {
        run(fx, stages[k], rec);
    }
}

/* ext.enrich.<name> */
static json_t *evidence(const struct wh_record *rec, const char *name)
{
    json_t *ev = json_object_get(json_object_get(rec->ext, "enrich"), name);

    assert_true(json_is_object(ev));
    return ev;
}

static const char *unknown(const struct wh_record *rec, const char *name)
{
    return json_string_value(json_object_get(evidence(rec, name), "unknown"));
}

static int has_name(const json_t *arr, const char *name)
{
    size_t k;

    for (k = 0; k < json_array_size(arr); k++) {
        const char *n =
            json_string_value(json_object_get(json_array_get(arr, k), "name"));

        if (n != NULL && strcmp(n, name) == 0) {
            return 1;
        }
    }
    return 0;
}

static int has_string(const json_t *arr, const char *s)
{
    size_t k;

    for (k = 0; k < json_array_size(arr); k++) {
        if (strcmp(json_string_value(json_array_get(arr, k)), s) == 0) {
            return 1;
        }
    }
    return 0;
}

/* The record still serializes to valid JSON. */
static void assert_dumps(const struct wh_record *rec)
{
    char *text = wh_record_dump(rec);
    json_error_t err;
    json_t *doc = json_loads(text, 0, &err);

    assert_non_null(doc);
    json_decref(doc);
    free(text);
}

/* ---- language ---- */

static void test_language_detects(void **state)
{
    struct fixture *fx = *state;
    struct wh_record *rec = record(NULL, wire_story, NULL);
    json_t *names;

    run(fx, &wh_enrich_language, rec);
    assert_string_equal(rec->language, "en");
    assert_string_equal(
        json_string_value(json_object_get(evidence(rec, "language"), "chosen")),
        "detector");
    assert_true(
        json_is_true(json_object_get(evidence(rec, "language"), "reliable")));
    names = json_object_get(rec->ext, "enrichments");
    assert_string_equal(json_string_value(json_object_get(names, "language")),
                        wh_enrich_language.version);
    wh_record_free(rec);

    rec = record(NULL, german, "en"); /* a wrong hint is overridden */
    run(fx, &wh_enrich_language, rec);
    assert_string_equal(rec->language, "de");
    wh_record_free(rec);

    rec = record(NULL, french, NULL);
    run(fx, &wh_enrich_language, rec);
    assert_string_equal(rec->language, "fr");
    wh_record_free(rec);

    rec = record(NULL, basque, NULL);
    run(fx, &wh_enrich_language, rec);
    assert_string_equal(rec->language, "eu");
    wh_record_free(rec);

    rec = record(NULL, wire_story, "en-GB"); /* agreement keeps the hint */
    run(fx, &wh_enrich_language, rec);
    assert_string_equal(rec->language, "en-GB");
    wh_record_free(rec);
}

static void test_language_scripts(void **state)
{
    struct fixture *fx = *state;
    static const struct {
        const char *text;
        const char *lang;
    } cases[] = {
        {"\xD0\x9F\xD1\x80\xD0\xB0\xD0\xB2\xD0\xB8\xD1\x82\xD0\xB5\xD0\xBB"
         "\xD1\x8C\xD1\x81\xD1\x82\xD0\xB2\xD0\xBE \xD0\xB2\xD0\xBE "
         "\xD0\xB2\xD1\x82\xD0\xBE\xD1\x80\xD0\xBD\xD0\xB8\xD0\xBA "
         "\xD0\xB7\xD0\xB0\xD1\x8F\xD0\xB2\xD0\xB8\xD0\xBB\xD0\xBE, "
         "\xD1\x87\xD1\x82\xD0\xBE \xD0\xB2 \xD1\x81\xD0\xBB\xD0\xB5\xD0\xB4"
         "\xD1\x83\xD1\x8E\xD1\x89\xD0\xB5\xD0\xBC \xD0\xB3\xD0\xBE\xD0\xB4"
         "\xD1\x83 \xD0\xBF\xD0\xBE\xD0\xB2\xD1\x8B\xD1\x81\xD0\xB8\xD1\x82 "
         "\xD0\xBD\xD0\xB0\xD0\xBB\xD0\xBE\xD0\xB3\xD0\xB8.",
         "ru"},
        {"\xD9\x82\xD8\xA7\xD9\x84\xD8\xAA \xD8\xA7\xD9\x84\xD8\xAD\xD9\x83"
         "\xD9\x88\xD9\x85\xD8\xA9 \xD9\x8A\xD9\x88\xD9\x85 \xD8\xA7\xD9\x84"
         "\xD8\xAB\xD9\x84\xD8\xA7\xD8\xAB\xD8\xA7\xD8\xA1 \xD8\xA5\xD9\x86"
         "\xD9\x87\xD8\xA7 \xD8\xB3\xD8\xAA\xD8\xB1\xD9\x81\xD8\xB9 "
         "\xD8\xA7\xD9\x84\xD8\xB6\xD8\xB1\xD8\xA7\xD8\xA6\xD8\xA8",
         "ar"},
        {"\xE6\x94\xBF\xE5\xBA\x9C\xE5\x91\xA8\xE4\xBA\x8C\xE8\xA1\xA8\xE7"
         "\xA4\xBA\xEF\xBC\x8C\xE6\x98\x8E\xE5\xB9\xB4\xE5\xB0\x86\xE6\x8F"
         "\x90\xE9\xAB\x98\xE7\x87\x83\xE6\xB2\xB9\xE7\xA8\x8E\xE3\x80\x82"
         "\xE8\xB4\xA2\xE6\x94\xBF\xE9\x83\xA8\xE9\x95\xBF\xE5\x9C\xA8\xE5"
         "\x8C\x97\xE4\xBA\xAC\xE8\xAF\xB4\xEF\xBC\x8C\xE8\xBF\x99\xE4\xB8"
         "\x80\xE6\x8E\xAA\xE6\x96\xBD\xE5\xAF\xB9\xE4\xBA\x8E\xE7\xA8\xB3"
         "\xE5\xAE\x9A\xE9\xA2\x84\xE7\xAE\x97\xE6\x98\xAF\xE5\xBF\x85\xE8"
         "\xA6\x81\xE7\x9A\x84\xEF\xBC\x8C\xE5\xB9\xB6\xE5\xB0\x86\xE5\xB8"
         "\xAE\xE5\x8A\xA9\xE5\x87\x8F\xE5\xB0\x91\xE8\xB5\xA4\xE5\xAD\x97"
         "\xE3\x80\x82",
         "zh"},
    };
    size_t k;

    for (k = 0; k < sizeof(cases) / sizeof(cases[0]); k++) {
        struct wh_record *rec = record(NULL, cases[k].text, NULL);

        run_all(fx, rec);
        assert_non_null(rec->language);
        assert_memory_equal(rec->language, cases[k].lang, 2);
        /* no word segmentation / no letter case: unknown, not a crash */
        if (strcmp(cases[k].lang, "zh") == 0) {
            assert_non_null(unknown(rec, "keywords"));
            assert_non_null(unknown(rec, "entities"));
        }
        assert_dumps(rec);
        wh_record_free(rec);
    }
}

/* Close languages are told apart: Danish is not taken for Swedish,
 * Catalan not for Spanish. */
static void test_language_close(void **state)
{
    struct fixture *fx = *state;
    static const struct {
        const char *text;
        const char *lang;
    } cases[] = {
        {"Regeringen lade i dag fram ett nytt f\xC3\xB6rslag till budget, som "
         "ska ge mer pengar till sjukv\xC3\xA5rden och utbildningen. "
         "Finansministern sade p\xC3\xA5 en presskonferens att det "
         "ocks\xC3\xA5 "
         "blir skattes\xC3\xA4nkningar f\xC3\xB6r de l\xC3\xA4gsta "
         "inkomsterna, "
         "men att oppositionen inte har varit med i f\xC3\xB6rhandlingarna. "
         "Flera partier kritiserade f\xC3\xB6rslaget och sade att det inte "
         "r\xC3\xA4"
         "cker f\xC3\xB6r att l\xC3\xB6sa problemen p\xC3\xA5 "
         "sjukhusen.",
         "sv"},
        {"Regeringen har i dag fremlagt et nyt forslag til finansloven, som "
         "skal give flere penge til sundhedsv\xC3\xA6senet og uddannelse. "
         "Finansministeren sagde p\xC3\xA5 et pressem\xC3\xB8"
         "de, at der ogs\xC3\xA5 "
         "vil v\xC3\xA6re skattelettelser for de laveste indkomster, men at "
         "oppositionen ikke har v\xC3\xA6ret med i forhandlingerne. Flere "
         "partier kritiserede forslaget og sagde, at det ikke er nok til at "
         "l\xC3\xB8se problemerne p\xC3\xA5 hospitalerne.",
         "da"},
        {"El govern ha presentat avui una nova proposta de pressupostos, que "
         "inclou m\xC3\xA9s diners per a la sanitat i l'educaci\xC3\xB3. El "
         "conseller d'Economia va dir en una roda de premsa que tamb\xC3\xA9 "
         "hi haur\xC3\xA0 rebaixes fiscals per a les rendes m\xC3\xA9s baixes, "
         "per\xC3\xB2 que l'oposici\xC3\xB3 no ha participat en les "
         "negociacions. Diversos partits van criticar la proposta i van dir "
         "que no \xC3\xA9s suficient per resoldre els problemes dels "
         "hospitals.",
         "ca"},
    };
    size_t k;

    for (k = 0; k < sizeof(cases) / sizeof(cases[0]); k++) {
        struct wh_record *rec = record(NULL, cases[k].text, NULL);

        run(fx, &wh_enrich_language, rec);
        assert_string_equal(rec->language, cases[k].lang);
        wh_record_free(rec);
    }
}

/* Each run of one script is scored against the languages of that script
 * only: words of one Cyrillic language are told from the others, and a
 * script one language writes is decided by the script even when its
 * words are a jumble no n-gram model would call reliable. */
static void test_language_script_restricted(void **state)
{
    struct fixture *fx = *state;
    static const struct {
        const char *text;
        const char *lang;
    } cases[] = {
        /* Ukrainian and Bulgarian: the Cyrillic of Russian's neighbours */
        {"\xD0\xA3\xD1\x80\xD1\x8F\xD0\xB4 \xD0\xBE\xD0\xB3\xD0\xBE\xD0\xBB"
         "\xD0\xBE\xD1\x81\xD0\xB8\xD0\xB2 \xD1\x83 \xD0\xB2\xD1\x96\xD0\xB2"
         "\xD1\x82\xD0\xBE\xD1\x80\xD0\xBE\xD0\xBA, \xD1\x89\xD0\xBE "
         "\xD0\xBD\xD0\xB0\xD1\x81\xD1\x82\xD1\x83\xD0\xBF\xD0\xBD\xD0\xBE"
         "\xD0\xB3\xD0\xBE \xD1\x80\xD0\xBE\xD0\xBA\xD1\x83 \xD0\xBF\xD0\xBE"
         "\xD0\xB4\xD0\xB0\xD1\x82\xD0\xBA\xD0\xB8 \xD0\xB7\xD1\x80\xD0\xBE"
         "\xD1\x81\xD1\x82\xD1\x83\xD1\x82\xD1\x8C, \xD0\xB0 \xD0\xBC\xD1\x96"
         "\xD0\xBD\xD1\x96\xD1\x81\xD1\x82\xD1\x80 \xD1\x84\xD1\x96\xD0\xBD"
         "\xD0\xB0\xD0\xBD\xD1\x81\xD1\x96\xD0\xB2 \xD1\x81\xD0\xBA\xD0\xB0"
         "\xD0\xB7\xD0\xB0\xD0\xB2, \xD1\x89\xD0\xBE \xD1\x86\xD0\xB5 "
         "\xD0\xBF\xD0\xBE\xD1\x82\xD1\x80\xD1\x96\xD0\xB1\xD0\xBD\xD0\xBE "
         "\xD0\xB4\xD0\xBB\xD1\x8F \xD0\xB1\xD1\x8E\xD0\xB4\xD0\xB6\xD0\xB5"
         "\xD1\x82\xD1\x83.",
         "uk"},
        {"\xD0\x9F\xD1\x80\xD0\xB0\xD0\xB2\xD0\xB8\xD1\x82\xD0\xB5\xD0\xBB"
         "\xD1\x81\xD1\x82\xD0\xB2\xD0\xBE\xD1\x82\xD0\xBE \xD0\xBE\xD0\xB1"
         "\xD1\x8F\xD0\xB2\xD0\xB8 \xD0\xB2\xD1\x8A\xD0\xB2 \xD0\xB2\xD1\x82"
         "\xD0\xBE\xD1\x80\xD0\xBD\xD0\xB8\xD0\xBA, \xD1\x87\xD0\xB5 "
         "\xD0\xB4\xD0\xB0\xD0\xBD\xD1\x8A\xD1\x86\xD0\xB8\xD1\x82\xD0\xB5 "
         "\xD1\x89\xD0\xB5 \xD1\x81\xD0\xB5 \xD1\x83\xD0\xB2\xD0\xB5\xD0\xBB"
         "\xD0\xB8\xD1\x87\xD0\xB0\xD1\x82 \xD0\xBF\xD1\x80\xD0\xB5\xD0\xB7 "
         "\xD1\x81\xD0\xBB\xD0\xB5\xD0\xB4\xD0\xB2\xD0\xB0\xD1\x89\xD0\xB0"
         "\xD1\x82\xD0\xB0 \xD0\xB3\xD0\xBE\xD0\xB4\xD0\xB8\xD0\xBD\xD0\xB0, "
         "\xD0\xB7\xD0\xB0 \xD0\xB4\xD0\xB0 \xD1\x81\xD0\xB5 \xD0\xBD\xD0\xB0"
         "\xD0\xBC\xD0\xB0\xD0\xBB\xD0\xB8 \xD0\xB4\xD0\xB5\xD1\x84\xD0\xB8"
         "\xD1\x86\xD0\xB8\xD1\x82\xD1\x8A\xD1\x82 \xD0\xB2 \xD0\xB1\xD1\x8E"
         "\xD0\xB4\xD0\xB6\xD0\xB5\xD1\x82\xD0\xB0.",
         "bg"},
        /* Hebrew words in no sentence: the script decides */
        {"\xD7\xA9\xD7\x9C\xD7\x95\xD7\x9D \xD7\x9E\xD7\x97\xD7\xA9\xD7\x91"
         "\xD7\x94 \xD7\xA2\xD7\x99\xD7\xA8 \xD7\xA1\xD7\xA4\xD7\xA8 \xD7\x99"
         "\xD7\x9D \xD7\x9B\xD7\x9C\xD7\x91 \xD7\xA9\xD7\x95\xD7\x9C\xD7\x97"
         "\xD7\x9F \xD7\x90\xD7\x91\xD7\x9F \xD7\x93\xD7\x92 \xD7\xA2\xD7\xA5 "
         "\xD7\x9E\xD7\x99\xD7\x9D \xD7\x92\xD7\xA9\xD7\x9D \xD7\x97\xD7\x9C"
         "\xD7\x95\xD7\x9F \xD7\xA8\xD7\x97\xD7\x95\xD7\x91",
         "he"},
        /* Greek, Thai: one language each */
        {"\xCE\x97 \xCE\xBA\xCF\x85\xCE\xB2\xCE\xAD\xCF\x81\xCE\xBD\xCE\xB7"
         "\xCF\x83\xCE\xB7 \xCE\xB1\xCE\xBD\xCE\xB1\xCE\xBA\xCE\xBF\xCE\xAF"
         "\xCE\xBD\xCF\x89\xCF\x83\xCE\xB5 \xCF\x83\xCE\xAE\xCE\xBC\xCE\xB5"
         "\xCF\x81\xCE\xB1 \xCE\xBD\xCE\xAD\xCE\xB1 \xCE\xBC\xCE\xAD\xCF\x84"
         "\xCF\x81\xCE\xB1 \xCE\xB3\xCE\xB9\xCE\xB1 \xCF\x84\xCE\xB7\xCE\xBD "
         "\xCE\xBF\xCE\xB9\xCE\xBA\xCE\xBF\xCE\xBD\xCE\xBF\xCE\xBC\xCE\xAF"
         "\xCE\xB1.",
         "el"},
        {"\xE0\xB8\xA3\xE0\xB8\xB1\xE0\xB8\x90\xE0\xB8\x9A\xE0\xB8\xB2\xE0"
         "\xB8\xA5\xE0\xB8\x9B\xE0\xB8\xA3\xE0\xB8\xB0\xE0\xB8\x81\xE0\xB8"
         "\xB2\xE0\xB8\xA8\xE0\xB8\xA1\xE0\xB8\xB2\xE0\xB8\x95\xE0\xB8\xA3"
         "\xE0\xB8\x81\xE0\xB8\xB2\xE0\xB8\xA3\xE0\xB9\x83\xE0\xB8\xAB\xE0"
         "\xB8\xA1\xE0\xB9\x88\xE0\xB9\x80\xE0\xB8\x9E\xE0\xB8\xB7\xE0\xB9"
         "\x88\xE0\xB8\xAD\xE0\xB8\x8A\xE0\xB9\x88\xE0\xB8\xA7\xE0\xB8\xA2"
         "\xE0\xB9\x80\xE0\xB8\xAB\xE0\xB8\xA5\xE0\xB8\xB7\xE0\xB8\xAD",
         "th"},
    };
    size_t k;

    for (k = 0; k < sizeof(cases) / sizeof(cases[0]); k++) {
        struct wh_record *rec = record(NULL, cases[k].text, NULL);

        run(fx, &wh_enrich_language, rec);
        assert_string_equal(rec->language, cases[k].lang);
        assert_null(unknown(rec, "language"));
        wh_record_free(rec);
    }
}

/* Text that is no language gets "und" and the reason, or keeps the
 * page's hint; the detector never names a language for it. */
static void test_language_junk(void **state)
{
    struct fixture *fx = *state;
    static const struct {
        const char *text;
        const char *why;
    } cases[] = {
        {"static int parse(const char *s, size_t len)\n{\n"
         "    if (s == NULL || len == 0) {\n        return -1;\n    }\n"
         "    for (size_t i = 0; i < len; i++) {\n"
         "        state->count += table[(unsigned char)s[i]] & 0x0f;\n"
         "    }\n    return state->count > max_count ? 1 : 0;\n}\n",
         "code symbols"},
        {"TWFueSBoYW5kcyBtYWtlIGxpZ2h0IHdvcmsuIFRoaXMgaXMgYSB0ZXN0IG9mIGJh\n"
         "c2U2NCBlbmNvZGVkIGRhdGEgdGhhdCBsb29rcyBsaWtlIG5vIGxhbmd1YWdlIGF0\n"
         "IGFsbCwgYnV0IHN0aWxsIGNvbnRhaW5zIG1hbnkgbGV0dGVycyBhbmQgc29tZSBk\n"
         "aWdpdHMgMTIzNDU2Nzg5MCBhbmQgc3ltYm9scyBvZiB0aGUgYWxwaGFiZXQuIE1v\n",
         "tokens of"},
        {"qzvrt blorf xkcdw pmmnq zzrtb fwuug hjkql wertz vbnmo qqpla "
         "xxyzz trwqp lkjhg mnbvc poiuy qwert asdfg zxcvb ytrew hgfds "
         "bvcxz plokm ijnuh bygvt crdxe zsewq axsdc vfrtg bhnjm kiolp",
         "not language"},
        {"2026-11-02 | 1,204.50 | -3.2% | 88,120\n"
         "2026-11-03 | 1,198.25 | -0.5% | 91,004\n"
         "2026-11-04 | 1,250.00 | +4.3% | 79,880\n",
         "too short"},
    };
    size_t k;

    for (k = 0; k < sizeof(cases) / sizeof(cases[0]); k++) {
        struct wh_record *rec = record(NULL, cases[k].text, NULL);
        const char *why;

        run(fx, &wh_enrich_language, rec);
        assert_string_equal(rec->language, "und");
        why = unknown(rec, "language");
        assert_non_null(why);
        if (strstr(why, cases[k].why) == NULL) {
            fail_msg("case %zu: \"%s\" lacks \"%s\"", k, why, cases[k].why);
        }
        wh_record_free(rec);

        rec = record(NULL, cases[k].text, "en-US"); /* a hint is kept */
        run(fx, &wh_enrich_language, rec);
        assert_string_equal(rec->language, "en-US");
        assert_non_null(unknown(rec, "language"));
        wh_record_free(rec);
    }
}

static void test_language_short(void **state)
{
    struct fixture *fx = *state;
    struct wh_record *rec = record(NULL, "Hello world", "en-GB");

    run(fx, &wh_enrich_language, rec);
    assert_string_equal(rec->language, "en-GB"); /* the hint is kept */
    assert_non_null(strstr(unknown(rec, "language"), "too short"));
    wh_record_free(rec);

    rec = record(NULL, "Hello world", "english"); /* not a tag: dropped */
    run(fx, &wh_enrich_language, rec);
    assert_string_equal(rec->language, "und");
    wh_record_free(rec);

    rec = record(NULL, "Hello world", NULL);
    run(fx, &wh_enrich_language, rec);
    assert_string_equal(rec->language, "und");
    assert_non_null(unknown(rec, "language"));
    wh_record_free(rec);
}

/* ---- counts ---- */

static void test_counts(void **state)
{
    struct fixture *fx = *state;
    struct wh_record *rec =
        record(NULL,
               "One two three. Well-known, don\xE2\x80\x99t "
               "\xC3\xA9t\xC3\xA9 42!",
               NULL);
    json_t *ev;

    run(fx, &wh_enrich_counts, rec);
    ev = evidence(rec, "counts");
    /* One two three Well-known don't été 42 */
    assert_int_equal(json_integer_value(json_object_get(ev, "wordCount")), 7);
    assert_int_equal(json_integer_value(json_object_get(ev, "charCount")), 40);
    assert_true(json_is_integer(json_object_get(ev, "readingTimeSeconds")));
    assert_null(unknown(rec, "counts"));
    wh_record_free(rec);

    /* ideographs count one word each */
    rec = record(NULL, "\xE6\x94\xBF\xE5\xBA\x9C\xE5\x91\xA8 abc", NULL);
    run(fx, &wh_enrich_counts, rec);
    ev = evidence(rec, "counts");
    assert_int_equal(json_integer_value(json_object_get(ev, "wordCount")), 4);
    assert_int_equal(json_integer_value(json_object_get(ev, "charCount")), 7);
    wh_record_free(rec);

    rec = record("A headline", "", NULL);
    run(fx, &wh_enrich_counts, rec);
    assert_string_equal(unknown(rec, "counts"), "empty body");
    wh_record_free(rec);
}

/* ---- dateline ---- */

static void check_dateline(struct fixture *fx, const char *body,
                           const char *located, const char *agency,
                           const char *date)
{
    struct wh_record *rec = record(NULL, body, NULL);
    json_t *ev;

    run(fx, &wh_enrich_dateline, rec);
    ev = evidence(rec, "dateline");
    if (located == NULL) {
        assert_non_null(unknown(rec, "dateline"));
        assert_null(json_object_get(rec->extra, "located"));
        wh_record_free(rec);
        return;
    }
    assert_null(unknown(rec, "dateline"));
    assert_string_equal(
        json_string_value(json_object_get(rec->extra, "located")), located);
    if (agency != NULL) {
        assert_string_equal(json_string_value(json_object_get(ev, "agency")),
                            agency);
    } else {
        assert_null(json_object_get(ev, "agency"));
    }
    if (date != NULL) {
        assert_string_equal(json_string_value(json_object_get(ev, "date")),
                            date);
    }
    wh_record_free(rec);
}

static void test_dateline(void **state)
{
    struct fixture *fx = *state;

    check_dateline(fx, "WASHINGTON \xE2\x80\x94 The Senate voted.",
                   "Washington", NULL, NULL);
    check_dateline(fx, "LONDON (Reuters) - Shares fell on Monday.", "London",
                   "Reuters", NULL);
    check_dateline(fx,
                   "LISBON, Nov 25 (Agency) \xE2\x80\x93 Portugal's "
                   "president said.",
                   "Lisbon", "Agency", "Nov 25");
    check_dateline(fx, "RIO DE JANEIRO (AP) -- Rain fell.", "Rio de Janeiro",
                   "AP", NULL);
    check_dateline(fx, "PORT MORESBY, Nov. 3 - A ship sank.", "Port Moresby",
                   NULL, "Nov. 3");
    check_dateline(fx, "Berlin (dpa) - Die Regierung hat beschlossen.",
                   "Berlin", "dpa", NULL);
    check_dateline(fx, wire_story, "Washington", "Reuters", NULL);
    /* not datelines */
    check_dateline(fx, "The president said - again - that he would.", NULL,
                   NULL, NULL);
    check_dateline(fx, "WINSTON-SALEM is a city in North Carolina.", NULL, NULL,
                   NULL);
    check_dateline(fx, "", NULL, NULL, NULL);
}

/* ---- entities ---- */

static void test_entities_wire(void **state)
{
    struct fixture *fx = *state;
    struct wh_record *rec = record(NULL, wire_story, "en");
    json_t *people;
    json_t *orgs;
    json_t *places;

    run(fx, &wh_enrich_entities, rec);
    people = json_object_get(rec->extra, "people");
    orgs = json_object_get(rec->extra, "organisations");
    places = json_object_get(rec->extra, "places");
    assert_true(has_name(people, "Joe Biden"));
    assert_true(has_name(people, "Keir Starmer"));
    assert_true(has_name(people, "Janet Yellen"));
    assert_true(has_name(people, "Volodymyr Zelenskiy"));
    assert_false(has_name(people, "Biden")); /* filed under the full name */
    assert_true(has_name(orgs, "White House"));
    assert_true(has_name(orgs, "Goldman Sachs"));
    assert_true(has_name(orgs, "Bank of England"));
    assert_true(has_name(orgs, "European Commission"));
    assert_false(has_name(orgs, "Reuters")); /* the dateline is skipped */
    assert_true(has_name(places, "Ukraine"));
    assert_true(has_name(places, "Kyiv"));
    assert_true(has_name(places, "Washington"));
    assert_true(has_name(places, "United States"));
    assert_false(has_name(places, "England"));
    assert_false(has_name(people, "Washington"));
    /* evidence: each filing with its rule */
    assert_true(json_array_size(
                    json_object_get(evidence(rec, "entities"), "people")) >= 4);
    wh_record_free(rec);

    rec = record(NULL,
                 "NEW YORK (AP) \xE2\x80\x94 Shares of Acme Corp rose after "
                 "the U.S. Securities and Exchange Commission ended its "
                 "inquiry. Chief Executive Jane Roe thanked the Ministry of "
                 "Finance. Sen. Tom Smith of Ohio welcomed the news.",
                 "en");
    run(fx, &wh_enrich_entities, rec);
    people = json_object_get(rec->extra, "people");
    orgs = json_object_get(rec->extra, "organisations");
    assert_true(has_name(orgs, "Acme Corp"));
    assert_true(has_name(orgs, "U.S. Securities and Exchange Commission"));
    assert_true(has_name(orgs, "Ministry of Finance"));
    assert_true(has_name(people, "Jane Roe"));
    assert_true(has_name(people, "Tom Smith"));
    assert_false(has_name(orgs, "AP"));
    assert_dumps(rec);
    wh_record_free(rec);
}

static void test_entities_person_not_place(void **state)
{
    struct fixture *fx = *state;
    struct wh_record *rec =
        record(NULL,
               "Paris Hilton arrived in Paris on Monday for the fashion week. "
               "Hilton said she loved the city and would return next year.",
               "en");
    json_t *people;
    json_t *places;

    run(fx, &wh_enrich_entities, rec);
    people = json_object_get(rec->extra, "people");
    places = json_object_get(rec->extra, "places");
    assert_true(has_name(people, "Paris Hilton"));
    assert_false(has_name(people, "Paris"));
    assert_false(has_name(people, "Hilton"));
    assert_true(has_name(places, "Paris")); /* "in Paris": the city */
    assert_false(has_name(places, "Paris Hilton"));
    assert_false(has_name(places, "Hilton"));
    assert_false(
        has_name(json_object_get(rec->extra, "organisations"), "Hilton"));
    wh_record_free(rec);

    /* no "in Paris": nothing is a place */
    rec = record(NULL,
                 "Paris Hilton launched a new perfume on Monday. Hilton said "
                 "the scent was inspired by her travels.",
                 "en");
    run(fx, &wh_enrich_entities, rec);
    assert_true(
        has_name(json_object_get(rec->extra, "people"), "Paris Hilton"));
    assert_null(json_object_get(rec->extra, "places"));
    wh_record_free(rec);
}

static void test_entities_jordan(void **state)
{
    struct fixture *fx = *state;
    struct wh_record *rec =
        record(NULL,
               "Michael Jordan scored 30 points on Friday. Jordan, who retired "
               "twice, said the team played well.",
               "en");
    json_t *ev;

    run(fx, &wh_enrich_entities, rec);
    assert_true(
        has_name(json_object_get(rec->extra, "people"), "Michael Jordan"));
    assert_null(json_object_get(rec->extra, "places"));
    wh_record_free(rec);

    rec = record(NULL,
                 "King Abdullah flew back to Jordan on Sunday after talks "
                 "with European leaders.",
                 "en");
    run(fx, &wh_enrich_entities, rec);
    assert_true(has_name(json_object_get(rec->extra, "places"), "Jordan"));
    assert_true(has_name(json_object_get(rec->extra, "people"), "Abdullah"));
    assert_false(has_name(json_object_get(rec->extra, "people"), "Jordan"));
    wh_record_free(rec);

    /* no context: in two lists, filed nowhere, noted as ambiguous */
    rec = record(NULL, "Jordan expects a decision soon, officials said.", "en");
    run(fx, &wh_enrich_entities, rec);
    assert_null(json_object_get(rec->extra, "places"));
    assert_null(json_object_get(rec->extra, "people"));
    ev = evidence(rec, "entities");
    assert_true(has_name(json_object_get(ev, "ambiguous"), "Jordan"));
    wh_record_free(rec);
}

static void test_entities_particles(void **state)
{
    struct fixture *fx = *state;
    struct wh_record *rec = record(
        NULL,
        "Le Premier ministre s'est rendu \xC3\xA0 Bruxelles mercredi pour "
        "rencontrer Ursula von der Leyen et Charles de Gaulle.",
        "fr");
    json_t *orgs;

    run(fx, &wh_enrich_entities, rec);
    assert_true(has_name(json_object_get(rec->extra, "people"),
                         "Ursula von der Leyen"));
    assert_true(
        has_name(json_object_get(rec->extra, "people"), "Charles de Gaulle"));
    assert_true(has_name(json_object_get(rec->extra, "places"), "Bruxelles"));
    wh_record_free(rec);

    /* German articles between nouns do not join them into a name */
    rec = record(NULL,
                 "Die Politiker sprachen \xC3\xBC"
                 "ber die Milit\xC3\xA4"
                 "rhilfe der Europ\xC3\xA4ischen Union und die Deutsche "
                 "Bank.",
                 "de");
    run(fx, &wh_enrich_entities, rec);
    orgs = json_object_get(rec->extra, "organisations");
    assert_true(has_name(orgs, "Deutsche Bank"));
    assert_true(has_name(orgs, "Europ\xC3\xA4ischen Union"));
    assert_int_equal(json_array_size(orgs), 2);
    wh_record_free(rec);
}

static void test_entities_rules(void **state)
{
    struct fixture *fx = *state;
    struct wh_record *rec = record(
        NULL,
        "Harrison Ford visited a plant of General Motors on Monday. Ford "
        "said the cars were fine. Mr Smith, a worker, agreed; John Smith "
        "has worked there for years. President Bashar al-Assad did not "
        "comment.",
        "en");
    json_t *people;
    json_t *orgs;

    run(fx, &wh_enrich_entities, rec);
    people = json_object_get(rec->extra, "people");
    orgs = json_object_get(rec->extra, "organisations");
    assert_true(has_name(people, "Harrison Ford"));
    assert_false(has_name(orgs, "Ford")); /* part of a person's name */
    assert_true(has_name(orgs, "General Motors"));
    assert_false(has_name(people, "Motors")); /* "General" is no title */
    assert_true(has_name(people, "John Smith"));
    assert_false(has_name(people, "Smith")); /* merged into John Smith */
    assert_true(has_name(people, "Bashar al-Assad"));
    wh_record_free(rec);
}

static void test_entities_replay(void **state)
{
    struct fixture *fx = *state;
    struct wh_record *rec = record("Talks", wire_story, NULL);
    char *once;
    char *twice;

    run_all(fx, rec);
    once = wh_record_dump(rec);
    run_all(fx, rec);
    twice = wh_record_dump(rec);
    assert_string_equal(once, twice); /* a replay converges */
    free(once);
    free(twice);
    wh_record_free(rec);
}

/* ---- keywords ---- */

static void test_keywords(void **state)
{
    struct fixture *fx = *state;
    struct wh_record *rec =
        record("Ukraine war: allies send missiles", wire_story, "en");
    json_t *kw;

    run(fx, &wh_enrich_keywords, rec);
    kw = json_object_get(rec->ext, "keywords");
    assert_true(json_is_array(kw));
    assert_true(json_array_size(kw) >= 3 && json_array_size(kw) <= 10);
    assert_true(has_string(kw, "ukraine"));
    assert_true(has_string(kw, "missiles"));
    assert_false(has_string(kw, "the"));
    assert_false(has_string(kw, "said"));
    assert_null(json_object_get(rec->extra, "keywords")); /* not ninjs 3.1 */
    assert_string_equal(json_string_value(json_object_get(
                            evidence(rec, "keywords"), "stemmer")),
                        "en");
    wh_record_free(rec);

    rec = record(NULL, "Too short to tell.", "en");
    run(fx, &wh_enrich_keywords, rec);
    assert_non_null(strstr(unknown(rec, "keywords"), "too short"));
    assert_null(json_object_get(rec->ext, "keywords"));
    wh_record_free(rec);

    rec = record(NULL, german, "de"); /* German stemmer and stop words */
    run(fx, &wh_enrich_keywords, rec);
    assert_null(unknown(rec, "keywords"));
    assert_false(has_string(json_object_get(rec->ext, "keywords"), "die"));
    wh_record_free(rec);

    rec = record(NULL, wire_story, "pl"); /* no stop words for Polish */
    run(fx, &wh_enrich_keywords, rec);
    assert_non_null(strstr(unknown(rec, "keywords"), "no stop words"));
    wh_record_free(rec);
}

/* tx and fresh hold the same text and the same words. */
static void assert_same_text(const struct wh_enrich_text *tx,
                             const struct wh_enrich_text *fresh)
{
    size_t i;

    assert_int_equal(tx->in.len, fresh->in.len);
    assert_memory_equal(tx->in.text, fresh->in.text, fresh->in.len);
    assert_int_equal(tx->in.body_off, fresh->in.body_off);
    assert_int_equal(tx->in.truncated, fresh->in.truncated);
    assert_int_equal(tx->ntok, fresh->ntok);
    for (i = 0; i < fresh->ntok; i++) {
        assert_int_equal(tx->tok[i].s - tx->in.text,
                         fresh->tok[i].s - fresh->in.text);
        assert_int_equal(tx->tok[i].len, fresh->tok[i].len);
        assert_int_equal(tx->tok[i].flags, fresh->tok[i].flags);
    }
}

/* The shared text is rebuilt when a record's text differs, even in the
 * same allocation, or when only what the cap lets in is the same; it
 * is reused (same serial) for the same text under another record. */
static void test_text_cache(void **state)
{
    struct wh_record *a = record("Ukraine war", wire_story, NULL);
    struct wh_record *b = record("Ukraine war", wire_story, "en");
    struct wh_enrich_text fresh;
    const struct wh_enrich_text *tx;
    unsigned long long serial;

    (void)state;
    tx = wh_enrich_text_get(a, 65536);
    wh_enrich_text_build(&fresh, a, 65536);
    assert_same_text(tx, &fresh);
    assert_true(tx->ntok > 10);
    assert_true((tx->tok[0].flags & WH_TOK_HEAD) != 0);
    assert_true((tx->tok[tx->ntok - 1].flags & WH_TOK_HEAD) == 0);
    wh_enrich_text_free(&fresh);
    serial = tx->serial;
    assert_int_equal(wh_enrich_text_get(b, 65536)->serial, serial);

    /* the same body allocation, one letter changed */
    a->body_text[0] = a->body_text[0] == 'X' ? 'Y' : 'X';
    tx = wh_enrich_text_get(a, 65536);
    assert_true(tx->serial != serial);
    wh_enrich_text_build(&fresh, a, 65536);
    assert_same_text(tx, &fresh);
    wh_enrich_text_free(&fresh);

    /* another cap: another text */
    serial = tx->serial;
    tx = wh_enrich_text_get(a, 300);
    assert_true(tx->serial != serial);
    assert_true(tx->in.truncated);
    wh_enrich_text_build(&fresh, a, 300);
    assert_same_text(tx, &fresh);
    wh_enrich_text_free(&fresh);

    /* past the cap, a difference does not matter */
    serial = tx->serial;
    a->body_text[strlen(a->body_text) - 1] ^= 1;
    assert_int_equal(wh_enrich_text_get(a, 300)->serial, serial);

    wh_enrich_text_cache_clear();
    wh_record_free(a);
    wh_record_free(b);
}

/* The term bag cache gives what a fresh build gives, whatever the order
 * of texts and languages. */
static void test_terms_cache(void **state)
{
    struct fixture *fx = *state;
    struct wh_enrich_langs *langs = wh_enrich_langs_new(fx->cfg);
    struct wh_record *a = record("Ukraine war", wire_story, NULL);
    struct wh_record *b = record(NULL, german, NULL);
    const struct wh_record *order[] = {a, a, b, a, b, b};
    const char *tags[] = {"en", "en", "de", "de", "de", "en"};
    size_t k;

    for (k = 0; k < sizeof(order) / sizeof(order[0]); k++) {
        struct wh_enrich_lang *lang = wh_enrich_langs_get(langs, tags[k]);
        struct wh_enrich_text tx;
        struct wh_enrich_terms fresh;
        const struct wh_enrich_terms *cached;
        size_t i;

        wh_enrich_text_build(&tx, order[k], 65536);
        wh_enrich_terms_build(&fresh, &tx, lang);
        cached = wh_enrich_terms_get(wh_enrich_text_get(order[k], 65536), lang);
        assert_int_equal(cached->n, fresh.n);
        assert_int_equal(cached->words, fresh.words);
        assert_true(cached->total == fresh.total);
        for (i = 0; i < fresh.n; i++) {
            assert_string_equal(cached->v[i].stem, fresh.v[i].stem);
            assert_string_equal(cached->v[i].form, fresh.v[i].form);
            assert_int_equal(cached->v[i].count, fresh.v[i].count);
        }
        wh_enrich_terms_free(&fresh);
        wh_enrich_text_free(&tx);
    }
    wh_enrich_terms_cache_clear();
    wh_enrich_text_cache_clear();
    wh_record_free(a);
    wh_record_free(b);
    wh_enrich_langs_free(langs);
}

/* ---- subjects ---- */

static int has_subject(const struct wh_record *rec, const char *code)
{
    json_t *arr = json_object_get(rec->extra, "subjects");
    char uri[80];
    size_t k;

    snprintf(uri, sizeof(uri), "http://cv.iptc.org/newscodes/mediatopic/%s",
             code);
    for (k = 0; k < json_array_size(arr); k++) {
        const char *u =
            json_string_value(json_object_get(json_array_get(arr, k), "uri"));

        if (u != NULL && strcmp(u, uri) == 0) {
            return 1;
        }
    }
    return 0;
}

static void test_subjects(void **state)
{
    struct fixture *fx = *state;
    struct wh_record *rec = record(NULL, wire_story, "en");

    run(fx, &wh_enrich_subjects, rec);
    assert_true(has_subject(rec, "16000000")); /* conflict */
    assert_true(has_subject(rec, "11000000")); /* politics */
    assert_false(has_subject(rec, "15000000"));
    assert_false(has_subject(rec, "17000000"));
    wh_record_free(rec);

    rec = record("Late goal wins the cup final",
                 "The home team scored a late goal to win the cup final on "
                 "Saturday. The coach praised his players after the match, "
                 "and the league champions now lead the season table. Fans "
                 "filled the stadium for the game.",
                 "en");
    run(fx, &wh_enrich_subjects, rec);
    assert_true(has_subject(rec, "15000000")); /* sport */
    assert_false(has_subject(rec, "11000000"));
    wh_record_free(rec);

    rec = record(NULL,
                 "Bundeskanzler Olaf Scholz sagte, die Regierung werde nach "
                 "der Wahl im Parlament mit der Opposition \xC3\xBC"
                 "ber "
                 "eine Koalition verhandeln. Die Partei will die Minister "
                 "benennen.",
                 "de");
    run(fx, &wh_enrich_subjects, rec);
    assert_true(has_subject(rec, "11000000")); /* German lists */
    wh_record_free(rec);

    rec = record(NULL, "A cat sat on a mat in the sun all day long.", "en");
    run(fx, &wh_enrich_subjects, rec);
    assert_null(json_object_get(rec->extra, "subjects"));
    assert_non_null(unknown(rec, "subjects"));
    wh_record_free(rec);
}

/* ---- bad input ---- */

static void test_bad_empty(void **state)
{
    struct fixture *fx = *state;
    struct wh_record *rec = record(NULL, NULL, NULL);
    size_t k;

    run_all(fx, rec);
    for (k = 0; k < NSTAGES; k++) {
        if (stages[k] != &wh_enrich_entities &&
            stages[k] != &wh_enrich_subjects) {
            assert_non_null(unknown(rec, stages[k]->name));
        }
        assert_non_null(json_object_get(
            json_object_get(rec->ext, "enrichments"), stages[k]->name));
    }
    assert_string_equal(rec->language, "und");
    assert_dumps(rec);
    wh_record_free(rec);
}

static void test_bad_invalid_utf8(void **state)
{
    struct fixture *fx = *state;
    static const char body[] =
        "PARIS \xE2\x80\x94 Le pr\xE9sident \xFF\xFE a dit \xC0\xAF que la "
        "\xED\xA0\x80 situation \xF4\x90\x80\x80 \xE2\x82 est grave. "
        "Emmanuel Macron \xF0\x9F parle \x80\x80\x80 demain \xC3";
    struct wh_record *rec = record("\xFF titre", body, NULL);

    run_all(fx, rec);
    assert_dumps(rec);
    wh_record_free(rec);

    /* all bytes invalid */
    rec = record(NULL,
                 "\xFF\xFE\xFD\xFC\xFB\xFA\xF9\xF8\xFF\xFE\xFD\xFC\xFB\xFA"
                 "\xF9\xF8\xFF\xFE\xFD\xFC\xFB\xFA\xF9\xF8\xFF\xFE\xFD\xFC",
                 NULL);
    run_all(fx, rec);
    assert_non_null(unknown(rec, "language"));
    assert_int_equal(json_integer_value(json_object_get(evidence(rec, "counts"),
                                                        "invalidBytes")),
                     28);
    assert_dumps(rec);
    wh_record_free(rec);
}

static double now_s(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void test_bad_huge(void **state)
{
    struct fixture *fx = *state;
    size_t size = 10u << 20;
    size_t len = strlen(wire_story);
    char *body = wh_xmalloc(size + 1);
    struct wh_record *rec;
    size_t off = 0;
    double t0;
    double spent;
    size_t k;

    while (off < size) {
        size_t n = size - off < len ? size - off : len;

        memcpy(body + off, wire_story, n);
        off += n;
    }
    body[size] = '\0';
    rec = record(NULL, NULL, NULL);
    rec->body_text = body;
    for (k = 0; k < NSTAGES; k++) {
        t0 = now_s();
        run(fx, stages[k], rec);
        spent = now_s() - t0;
        /* bounded: each reads a capped prefix (counts: one pass) */
        assert_true(spent < 5.0);
    }
    assert_string_equal(rec->language, "en");
    assert_true(json_integer_value(json_object_get(evidence(rec, "counts"),
                                                   "wordCount")) > 1000000);
    assert_true(json_is_integer(
        json_object_get(evidence(rec, "keywords"), "truncatedAt")));
    wh_record_free(rec);
}

/* Degenerate bodies of 1 MB: one endless word, capitals only, one
 * ideograph repeated, titles without names, lone combining marks. */
static void test_bad_degenerate(void **state)
{
    struct fixture *fx = *state;
    static const char *const units[] = {
        "a", "A ", "\xE4\xB8\xAD", "Mr ", "Paris ", "\xCC\x81", "- ", "\n\n"};
    size_t size = 1u << 20;
    size_t u;

    for (u = 0; u < sizeof(units) / sizeof(units[0]); u++) {
        size_t len = strlen(units[u]);
        char *body = wh_xmalloc(size + 1);
        struct wh_record *rec = record("Headline", NULL, NULL);
        size_t off = 0;
        size_t k;

        while (off + len <= size) {
            memcpy(body + off, units[u], len);
            off += len;
        }
        body[off] = '\0';
        rec->body_text = body;
        for (k = 0; k < NSTAGES; k++) {
            double t0 = now_s();

            run(fx, stages[k], rec);
            assert_true(now_s() - t0 < 5.0);
        }
        assert_dumps(rec);
        wh_record_free(rec);
    }
}

/* ---- helpers ---- */

static void test_tokenizer(void **state)
{
    static const char text[] = "Mr. Smith met U.S. officials. \"The "
                               "deal\", he said; well-known\n\nNew";
    struct wh_enrich_tokenizer tz;
    struct wh_enrich_token tok;
    const char *want[] = {"Mr",        "Smith",      "met",  "U.S.",
                          "officials", "The",        "deal", "he",
                          "said",      "well-known", "New"};
    size_t k = 0;

    (void)state;
    wh_enrich_tok_init(&tz, text, strlen(text), 0);
    while (wh_enrich_tok_next(&tz, &tok)) {
        assert_true(k < sizeof(want) / sizeof(want[0]));
        assert_int_equal(tok.len, strlen(want[k]));
        assert_memory_equal(tok.s, want[k], tok.len);
        if (strcmp(want[k], "Smith") == 0) {
            assert_false(tok.flags & WH_TOK_SENT); /* "Mr." */
        }
        if (strcmp(want[k], "The") == 0) {
            assert_true(tok.flags & WH_TOK_SENT);
        }
        if (strcmp(want[k], "New") == 0) {
            assert_true(tok.flags & WH_TOK_PARA);
        }
        if (strcmp(want[k], "U.S.") == 0) {
            assert_true(tok.flags & WH_TOK_UPPER);
        }
        k++;
    }
    assert_int_equal(k, sizeof(want) / sizeof(want[0]));
}

static void test_utf8(void **state)
{
    char buf[4];
    size_t i = 0;
    int bad = 0;
    char *low;

    (void)state;
    assert_int_equal(wh_enrich_utf8_next("\xC0\xAF", 2, &i, &bad), 0xFFFD);
    assert_int_equal(i, 1);
    assert_int_equal(bad, 1);
    i = 0;
    bad = 0;
    assert_int_equal(wh_enrich_utf8_next("\xE2\x82\xAC", 3, &i, &bad), 0x20AC);
    assert_int_equal(bad, 0);
    i = 0;
    assert_int_equal(wh_enrich_utf8_next("\xE2\x82", 2, &i, &bad), 0xFFFD);
    assert_int_equal(wh_enrich_utf8_put(0x1F600, buf), 4);
    low = wh_enrich_lower("\xC3\x89T\xC3\x89 \xD0\x9C\xCE\xA3", 10);
    assert_string_equal(low, "\xC3\xA9t\xC3\xA9 \xD0\xBC\xCF\x83");
    free(low);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_utf8),
        cmocka_unit_test(test_tokenizer),
        cmocka_unit_test(test_language_detects),
        cmocka_unit_test(test_language_scripts),
        cmocka_unit_test(test_language_close),
        cmocka_unit_test(test_language_script_restricted),
        cmocka_unit_test(test_language_junk),
        cmocka_unit_test(test_language_short),
        cmocka_unit_test(test_counts),
        cmocka_unit_test(test_dateline),
        cmocka_unit_test(test_entities_wire),
        cmocka_unit_test(test_entities_person_not_place),
        cmocka_unit_test(test_entities_jordan),
        cmocka_unit_test(test_entities_particles),
        cmocka_unit_test(test_entities_rules),
        cmocka_unit_test(test_entities_replay),
        cmocka_unit_test(test_keywords),
        cmocka_unit_test(test_text_cache),
        cmocka_unit_test(test_terms_cache),
        cmocka_unit_test(test_subjects),
        cmocka_unit_test(test_bad_empty),
        cmocka_unit_test(test_bad_invalid_utf8),
        cmocka_unit_test(test_bad_huge),
        cmocka_unit_test(test_bad_degenerate),
    };

    return cmocka_run_group_tests(tests, setup, teardown);
}
