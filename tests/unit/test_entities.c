/*
 * test_entities.c - the entities enricher on fixtures by pattern: each
 * tests/data/entities/NAME.txt is a short body (NAME.headline its
 * headline, when present) and NAME.json the exact "people",
 * "organisations" and "places" arrays expected (names, any order). Then
 * the seed article of ../shared (skipped when absent) and the evidence:
 * one entity per person with its mentions counted.
 *
 * Data files are read from $WH_SRCDIR/data when WH_SRCDIR is set (ctest
 * sets it), else from the compiled-in data directory; fixtures from
 * $WH_SRCDIR/tests/data/entities.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "enrich.h"
#include "stage.h"
#include "test_files.h"
#include "wh/buf.h"
#include "wh/config.h"
#include "wh/record.h"
#include "wh/wh.h"

static const struct wh_config_key *const keys = wh_enrich_config_keys;

static const char *const types[] = {"people", "organisations", "places"};

/* One per pattern the issue names. */
static const char *const fixtures[] = {
    "unknown-first-names", /* first names in no list */
    "one-word-later",      /* "Ostrowe" after "Tamsin Ostrowe" */
    "org-context",         /* "chief executive of Valtrix" */
    "places-in",           /* "in Tarrowvale", "near Menzing" */
    "initials",            /* "Steven F. Udvar-Hazy", "J. R. Hartley" */
    "connectors",          /* "von der", "University of", "Gulf of" */
    "names-in-lists",      /* "A and B", "X, Y and Z" */
    "titles",              /* "Justice X", "The General" alone */
    "sentence-initial",    /* "Nice job!" */
    "headline-case",       /* a title-case headline */
    "coreference",         /* "Sony" after "Sony Pictures" */
    "citations",           /* "(Moravec, 2014)", "A and B (2011) found" */
    "works-events",        /* a quoted title, "Nobel Prize", "World Cup" */
    "direction-places",    /* "West Tarnwick", then "Tarnwick" alone */
    "place-beside-org",    /* "Lyon" beside "Lyon University" */
    "prior-limits",        /* a listed place inside, a list of guesses */
    "spoken-and-cited",    /* "I'm X", "X, you", "X v. Y", "X, K.", lists */
    "name-end",            /* "Dorian Kell Experience", "the experience" */
    "title-common-word",   /* "Senator Weaver", "Vice President Bush" */
    "teams-streets",       /* "Denver Broncos", "Colfax Avenue" */
    "places-from",    /* "from Vantaro", not "a line from", "engineers from" */
    "citations-bare", /* "(Harrowby 2014;", "Dolmer (2003), shows" */
    "places-inside",  /* "Lisbon Book Festival", "Ohio Senator X" */
    "place-heads",    /* "X Hotel", "River X", "1420 X Avenue" */
    "heads-of",       /* "Museum of Art", "X Transit", "Ninth Circuit" */
    "name-at-clause-end", /* "quotes Velmar Ostrand." once: a person */
    "nicknames",          /* "Rick X", "Pat X", "Will X": common words */
    "census-names",       /* given and family names of the US census */
    "list-or-clause",     /* "the X Harriers, Tenby Okafor said": no list */
    "head-keeps-name",    /* "Summer Institute of Linguistics", no "Summer" */
    "inverted-names",     /* "Varnow, Karl and Pellmer, Friedrich." */
    "party-members",      /* "Democrats", "Tories": people, no party */
    "org-head-alone",     /* "the Court", "the Government" */
};

struct fixture {
    struct wh_config *cfg;
    void *ctx;
    const char *src;
};

static int setup(void **state)
{
    struct fixture *fx = wh_xcalloc(1, sizeof(*fx));
    char errstr[512];

    fx->src = getenv("WH_SRCDIR");
    fx->cfg = wh_config_new(keys);
    if (fx->src != NULL) {
        char *dir = wh_xasprintf("%s/data", fx->src);

        assert_int_equal(wh_config_set(fx->cfg, "enrich.data_dir", dir, errstr,
                                       sizeof(errstr)),
                         WH_OK);
        free(dir);
    } else {
        fx->src = ".";
    }
    errstr[0] = '\0';
    fx->ctx = wh_enrich_entities.init(NULL, fx->cfg, errstr, sizeof(errstr));
    if (fx->ctx == NULL) {
        fprintf(stderr, "entities: %s\n", errstr);
    }
    assert_non_null(fx->ctx);
    *state = fx;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *fx = *state;

    wh_enrich_entities.close(fx->ctx);
    wh_config_free(fx->cfg);
    free(fx);
    return 0;
}

/* The file, without its trailing newline; NULL when absent. */
static char *read_text(const char *path)
{
    size_t len;
    char *text = test_read_file(path, &len);

    while (text != NULL && len > 0 && text[len - 1] == '\n') {
        text[--len] = '\0';
    }
    return text;
}

static struct wh_record *enrich(struct fixture *fx, const char *headline,
                                const char *body)
{
    struct wh_record *rec = wh_record_new();
    char errstr[256];

    rec->uri = wh_xstrdup("urn:test:entities");
    rec->headline = headline != NULL ? wh_xstrdup(headline) : NULL;
    rec->body_text = wh_xstrdup(body);
    rec->language = wh_xstrdup("en");
    assert_int_equal(
        wh_enrich_entities.process(fx->ctx, rec, NULL, errstr, sizeof(errstr)),
        WH_OK);
    return rec;
}

static int by_string(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* The names of arr (ninjs objects with "name", or strings), sorted, as
 * "|a|b|c|" ("||" for none), in a new string the caller frees: easy to
 * compare and to print. */
static char *names_of(const json_t *arr)
{
    size_t n = json_array_size(arr);
    const char **v = wh_xcalloc(n + 1, sizeof(*v));
    struct wh_buf b;
    size_t k;

    for (k = 0; k < n; k++) {
        const json_t *x = json_array_get(arr, k);

        v[k] = json_is_string(x)
                   ? json_string_value(x)
                   : json_string_value(json_object_get(x, "name"));
        if (v[k] == NULL) {
            v[k] = "?";
        }
    }
    qsort(v, n, sizeof(*v), by_string);
    wh_buf_init(&b, 0);
    wh_buf_puts(&b, "|");
    for (k = 0; k < n; k++) {
        wh_buf_puts(&b, v[k]);
        wh_buf_puts(&b, "|");
    }
    wh_buf_puts(&b, n == 0 ? "|" : "");
    free(v);
    return wh_buf_steal(&b);
}

/* One of the names of arr is name. */
static int names_have(const json_t *arr, const char *name)
{
    char *all = names_of(arr);
    char *want = wh_xasprintf("|%s|", name);
    int found = strstr(all, want) != NULL;

    free(want);
    free(all);
    return found;
}

static void test_fixtures(void **state)
{
    struct fixture *fx = *state;
    size_t k;
    size_t t;
    int failed = 0;

    for (k = 0; k < WH_ARRAY_SIZE(fixtures); k++) {
        char *base =
            wh_xasprintf("%s/tests/data/entities/%s", fx->src, fixtures[k]);
        char *path = wh_xasprintf("%s.txt", base);
        char *body = read_text(path);
        char *headline;
        struct wh_record *rec;
        json_error_t jerr;
        json_t *want;

        free(path);
        path = wh_xasprintf("%s.headline", base);
        headline = read_text(path);
        free(path);
        path = wh_xasprintf("%s.json", base);
        want = json_load_file(path, 0, &jerr);
        if (body == NULL || want == NULL) {
            fprintf(stderr, "%s: cannot read the fixture (%s)\n", base,
                    jerr.text);
        }
        assert_non_null(body);
        assert_non_null(want);
        rec = enrich(fx, headline, body);
        for (t = 0; t < WH_ARRAY_SIZE(types); t++) {
            char *g = names_of(json_object_get(rec->extra, types[t]));
            char *w = names_of(json_object_get(want, types[t]));

            if (strcmp(g, w) != 0) {
                fprintf(stderr, "%s: %s: got %s, want %s\n", fixtures[k],
                        types[t], g, w);
                failed = 1;
            }
            free(g);
            free(w);
        }
        wh_record_free(rec);
        json_decref(want);
        free(headline);
        free(body);
        free(path);
        free(base);
    }
    assert_int_equal(failed, 0);
}

/* The evidence keeps one entity per person, its rule and its mentions. */
static void test_evidence(void **state)
{
    struct fixture *fx = *state;
    struct wh_record *rec = enrich(
        fx, NULL,
        "The novelist Tamsin Ostrowe grew up on a farm. Years later, "
        "Ostrowe moved to the coast, where Ostrowe wrote her third book. "
        "Jordan expects a decision soon, officials said.");
    json_t *ev = json_object_get(
        json_object_get(json_object_get(rec->ext, "enrich"), "entities"),
        "people");
    json_t *amb;
    json_t *person;

    assert_int_equal(json_array_size(ev), 1);
    person = json_array_get(ev, 0);
    assert_string_equal(json_string_value(json_object_get(person, "name")),
                        "Tamsin Ostrowe");
    assert_int_equal(json_integer_value(json_object_get(person, "mentions")),
                     3);
    assert_non_null(json_string_value(json_object_get(person, "rule")));
    /* in two lists and no context: filed nowhere, said so */
    amb = json_object_get(
        json_object_get(json_object_get(rec->ext, "enrich"), "entities"),
        "ambiguous");
    assert_true(names_have(amb, "Jordan"));
    assert_null(json_object_get(rec->extra, "places"));
    wh_record_free(rec);
}

/* The seed article: Seth Rogen and Sony Pictures, never "York Times". */
static void test_seed(void **state)
{
    struct fixture *fx = *state;
    const char *shared = getenv("WH_SHARED");
    char *path =
        shared != NULL
            ? wh_xasprintf("%s/seeds/000_25ead08b6e525e43.txt", shared)
            : wh_xasprintf("%s/../shared/seeds/000_25ead08b6e525e43.txt",
                           fx->src);
    char *body = read_text(path);
    struct wh_record *rec;
    size_t t;

    if (body == NULL) {
        printf("skipped: %s is absent\n", path);
    }
    free(path);
    if (body == NULL) {
        skip();
        return;
    }
    rec = enrich(fx, NULL, body);
    assert_true(
        names_have(json_object_get(rec->extra, "people"), "Seth Rogen"));
    assert_true(names_have(json_object_get(rec->extra, "organisations"),
                           "Sony Pictures"));
    for (t = 0; t < WH_ARRAY_SIZE(types); t++) {
        assert_false(
            names_have(json_object_get(rec->extra, types[t]), "York Times"));
    }
    wh_record_free(rec);
    free(body);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fixtures),
        cmocka_unit_test(test_evidence),
        cmocka_unit_test(test_seed),
    };

    return cmocka_run_group_tests(tests, setup, teardown);
}
