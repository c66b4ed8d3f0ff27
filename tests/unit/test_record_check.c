/*
 * test_record_check.c - the strict check of a record on arrival
 * (common/src/record_check.c): RFC 3339 date-times, absolute URIs, the
 * first failing field of a record, and the members marked as filled.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "wh/record.h"
#include "wh/wh.h"

static void test_dates(void **state)
{
    static const char *const good[] = {
        "2026-11-27T12:00:00Z", "2026-11-27t12:00:00z",
        "2024-02-29T00:00:00+01:00", "2026-12-31T23:59:60.123-05:30"};
    static const char *const bad[] = {"2026-11-27",
                                      "2026-11-27 12:00:00Z",
                                      "2026-13-01T00:00:00Z",
                                      "2026-02-29T00:00:00Z",
                                      "2026-04-31T00:00:00Z",
                                      "2026-11-27T24:00:00Z",
                                      "2026-11-27T12:00:00",
                                      "2026-11-27T12:00:00.Z",
                                      "2026-11-27T12:00:00+0100",
                                      "2026-11-27T12:00:00Zjunk",
                                      "yesterday",
                                      ""};
    size_t i;

    (void)state;
    for (i = 0; i < WH_ARRAY_SIZE(good); i++) {
        if (!wh_rfc3339_valid(good[i])) {
            fail_msg("refused: %s", good[i]);
        }
    }
    for (i = 0; i < WH_ARRAY_SIZE(bad); i++) {
        if (wh_rfc3339_valid(bad[i])) {
            fail_msg("accepted: %s", bad[i]);
        }
    }
}

static void test_uris(void **state)
{
    (void)state;
    assert_true(wh_uri_absolute("http://example.test/a?b=c#d"));
    assert_true(wh_uri_absolute("urn:wh:test:1"));
    assert_true(wh_uri_absolute("tag:example.test,2026:1"));
    assert_false(wh_uri_absolute("x"));
    assert_false(wh_uri_absolute("/relative/path"));
    assert_false(wh_uri_absolute("http:"));
    assert_false(wh_uri_absolute("1http://x"));
    assert_false(wh_uri_absolute("http://exa mple.test/"));
    assert_false(wh_uri_absolute(""));
}

/* The field wh_record_check() names for text (WH_OK when want is ""). */
static void expect_field(const char *text, const char *want)
{
    json_error_t jerr;
    json_t *doc = json_loads(text, 0, &jerr);
    char field[128];
    char why[256];
    int rc;

    assert_non_null(doc);
    rc = wh_record_check(doc, field, sizeof(field), why, sizeof(why));
    json_decref(doc);
    if (want[0] == '\0') {
        if (rc != WH_OK) {
            fail_msg("%s: refused: %s: %s", text, field, why);
        }
        return;
    }
    if (rc == WH_OK || strcmp(field, want) != 0) {
        fail_msg("%s: field \"%s\" (%s), want \"%s\"", text,
                 rc == WH_OK ? "(accepted)" : field, why, want);
    }
}

static void test_first_failing_field(void **state)
{
    (void)state;
    expect_field("{\"uri\":\"urn:a\",\"headlines\":[{\"value\":\"H\"}]}", "");
    expect_field("{\"uri\":\"urn:a\",\"bodies\":[{\"value\":\"B\"}]}", "");
    expect_field("{\"headlines\":[{\"value\":\"H\"}]}", "uri");
    expect_field("{\"uri\":\"urn:a\"}", "headlines");
    expect_field("{\"uri\":\"urn:a\",\"bodies\":[{\"value\":\"B\","
                 "\"contentType\":\"text/html\"}]}",
                 "headlines");
    expect_field("{\"uri\":\"urn:a\",\"headlines\":[{\"value\":\"H\"},"
                 "{\"role\":\"sub\"}]}",
                 "headlines[1].value");
    expect_field("{\"uri\":\"urn:a\",\"headlines\":[{\"value\":\"H\","
                 "\"lang\":\"en\"}]}",
                 "headlines[0].lang");
    expect_field("{\"uri\":\"urn:a\",\"headlines\":[{\"value\":\"H\"}],"
                 "\"places\":[{\"uri\":\"here\"}]}",
                 "places[0].uri");
    expect_field("{\"uri\":\"urn:a\",\"headlines\":[{\"value\":\"H\"}],"
                 "\"pubStatus\":\"gone\"}",
                 "pubStatus");
    expect_field("{\"uri\":\"urn:a\",\"headlines\":[{\"value\":\"H\"}],"
                 "\"wirehose\":{\"httpStatus\":700}}",
                 "wirehose.httpStatus");
    /* the path is written only when a member fails: each of its forms */
    expect_field("{\"uri\":\"urn:a\",\"headlines\":[{\"value\":\"H\"}],"
                 "\"pubStatus\":\"usable\",\"representationType\":\"full\"}",
                 "");
    expect_field("{\"uri\":\"urn:a\",\"headlines\":[{\"value\":\"H\"}],"
                 "\"pubStatus\":\"usa\"}",
                 "pubStatus");
    expect_field("{\"uri\":\"urn:a\",\"headlines\":[{\"value\":\"H\"}],"
                 "\"pubStatus\":\"usable|withheld\"}",
                 "pubStatus");
    expect_field("{\"uri\":\"urn:a\",\"headlines\":[{\"value\":\"H\"}],"
                 "\"bodies\":[{\"value\":\"B\"},7]}",
                 "bodies[1]");
    expect_field("{\"uri\":\"urn:a\",\"headlines\":[{\"value\":\"H\"}],"
                 "\"wirehose\":{\"fetchedAt\":\"yesterday\"}}",
                 "wirehose.fetchedAt");
    expect_field("{\"uri\":\"urn:a\",\"headlines\":[{\"value\":\"H\"}],"
                 "\"colour\":\"red\"}",
                 "colour");
}

static void test_filled(void **state)
{
    json_error_t jerr;
    json_t *doc = json_loads("{\"uri\":\"urn:a\",\"type\":\"text\"}", 0, &jerr);
    struct wh_record *rec = wh_record_new();
    const json_t *filled;

    (void)state;
    wh_record_mark_filled(rec, doc);
    filled = json_object_get(rec->ext, "filled");
    assert_int_equal(json_array_size(filled), 1);
    assert_string_equal(json_string_value(json_array_get(filled, 0)),
                        "version");
    json_decref(doc);
    wh_record_free(rec);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_dates),
        cmocka_unit_test(test_uris),
        cmocka_unit_test(test_first_failing_field),
        cmocka_unit_test(test_filled),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
