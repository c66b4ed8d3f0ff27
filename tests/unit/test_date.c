/*
 * test_date.c - wh_date_parse() on every format of date.h.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "wh/date.h"
#include "wh/wh.h"

struct date_case {
    const char *in;
    const char *utc;
};

static void check_cases(const struct date_case *cases, size_t n)
{
    char out[21];
    time_t t;
    size_t i;

    for (i = 0; i < n; i++) {
        if (wh_date_parse(cases[i].in, &t) != WH_OK) {
            fail_msg("not parsed: \"%s\"", cases[i].in);
        }
        wh_date_format(t, out);
        if (strcmp(out, cases[i].utc) != 0) {
            fail_msg("\"%s\": got %s, expected %s", cases[i].in, out,
                     cases[i].utc);
        }
    }
}

static void test_rfc3339(void **state)
{
    static const struct date_case cases[] = {
        {"2014-12-21T10:00:00Z", "2014-12-21T10:00:00Z"},
        {"2014-12-21t10:00:00z", "2014-12-21T10:00:00Z"},
        {"2014-12-21T10:00Z", "2014-12-21T10:00:00Z"},
        {"2014-12-21T10:00:00.123Z", "2014-12-21T10:00:00Z"},
        {"2014-12-21T10:00:00,5Z", "2014-12-21T10:00:00Z"},
        {"2014-12-21T10:00:00+01:00", "2014-12-21T09:00:00Z"},
        {"2014-12-21T10:00:00-05:30", "2014-12-21T15:30:00Z"},
        {"2014-12-21T10:00:00.999999+0200", "2014-12-21T08:00:00Z"},
        {"2014-12-21T23:30:00-02", "2014-12-22T01:30:00Z"},
        {"2014-12-21 10:00:00Z", "2014-12-21T10:00:00Z"},
        {"2014-12-21T10:00:00", "2014-12-21T10:00:00Z"},
        {"2014-12-21", "2014-12-21T00:00:00Z"},
        {"  2014-12-21T10:00:00Z\n", "2014-12-21T10:00:00Z"},
        {"2016-02-29T12:00:00Z", "2016-02-29T12:00:00Z"},
        {"2016-12-31T23:59:60Z", "2017-01-01T00:00:00Z"},
        {"2000-01-01T00:30:00+01:00", "1999-12-31T23:30:00Z"},
    };

    (void)state;
    check_cases(cases, WH_ARRAY_SIZE(cases));
}

static void test_compact(void **state)
{
    static const struct date_case cases[] = {
        {"20141221T100000Z", "2014-12-21T10:00:00Z"},
        {"20141221T100000+0000", "2014-12-21T10:00:00Z"},
        {"20141221T100000-0500", "2014-12-21T15:00:00Z"},
        {"20141221T1000Z", "2014-12-21T10:00:00Z"},
        {"20141221", "2014-12-21T00:00:00Z"},
    };

    (void)state;
    check_cases(cases, WH_ARRAY_SIZE(cases));
}

static void test_rfc822(void **state)
{
    static const struct date_case cases[] = {
        {"Sun, 21 Dec 2014 10:00:00 GMT", "2014-12-21T10:00:00Z"},
        {"Sun, 21 Dec 2014 10:00:00 +0000", "2014-12-21T10:00:00Z"},
        {"Sun, 21 Dec 2014 10:00:00 +0130", "2014-12-21T08:30:00Z"},
        {"Sun, 21 Dec 2014 10:00:00 -0800", "2014-12-21T18:00:00Z"},
        {"Sun, 21 Dec 2014 10:00:00 UT", "2014-12-21T10:00:00Z"},
        {"Sun, 21 Dec 2014 10:00:00 UTC", "2014-12-21T10:00:00Z"},
        {"Sun, 21 Dec 2014 10:00:00 Z", "2014-12-21T10:00:00Z"},
        {"Sun, 21 Dec 2014 10:00:00 EST", "2014-12-21T15:00:00Z"},
        {"Sun, 21 Dec 2014 10:00:00 EDT", "2014-12-21T14:00:00Z"},
        {"Sun, 21 Dec 2014 10:00:00 CST", "2014-12-21T16:00:00Z"},
        {"Sun, 21 Dec 2014 10:00:00 CDT", "2014-12-21T15:00:00Z"},
        {"Sun, 21 Dec 2014 10:00:00 MST", "2014-12-21T17:00:00Z"},
        {"Sun, 21 Dec 2014 10:00:00 MDT", "2014-12-21T16:00:00Z"},
        {"Sun, 21 Dec 2014 10:00:00 PST", "2014-12-21T18:00:00Z"},
        {"Sun, 21 Dec 2014 10:00:00 PDT", "2014-12-21T17:00:00Z"},
        {"21 Dec 2014 10:00:00 GMT", "2014-12-21T10:00:00Z"},
        {"Sun, 21 Dec 2014 10:00 GMT", "2014-12-21T10:00:00Z"},
        {"Sun, 1 Dec 2014 09:05:01 GMT", "2014-12-01T09:05:01Z"},
        {"Sun, 21 Dec 14 10:00:00 GMT", "2014-12-21T10:00:00Z"},
        {"Tue, 21 Dec 99 10:00:00 GMT", "1999-12-21T10:00:00Z"},
        {"Sunday, 21-Dec-14 10:00:00 GMT", "2014-12-21T10:00:00Z"},
        {"sun, 21 dec 2014 10:00:00 gmt", "2014-12-21T10:00:00Z"},
        {"Wed, 31 Dec 2014 23:00:00 -0300", "2015-01-01T02:00:00Z"},
        /* named zones beyond RFC 822's, military letters, comments */
        {"Sun, 21 Dec 2014 10:00:00 CET", "2014-12-21T09:00:00Z"},
        {"Sun, 21 Jun 2015 10:00:00 CEST", "2015-06-21T08:00:00Z"},
        {"Sun, 21 Jun 2015 10:00:00 BST", "2015-06-21T09:00:00Z"},
        {"Sun, 21 Dec 2014 10:00:00 JST", "2014-12-21T01:00:00Z"},
        {"Sun, 21 Dec 2014 10:00:00 AEDT", "2014-12-20T23:00:00Z"},
        {"Sun, 21 Dec 2014 10:00:00 NST", "2014-12-21T13:30:00Z"},
        {"Sun, 21 Dec 2014 10:00:00 A", "2014-12-21T10:00:00Z"},
        {"Sun, 21 Dec 2014 10:00:00 -0500 (EST)", "2014-12-21T15:00:00Z"},
        {"21 Dec 2014 10:00 +0100", "2014-12-21T09:00:00Z"},
        {"Sun,21 Dec 2014 10:00:00 GMT", "2014-12-21T10:00:00Z"},
        {"Sun, 21 Dec 14 10:00 EST", "2014-12-21T15:00:00Z"},
    };

    (void)state;
    check_cases(cases, WH_ARRAY_SIZE(cases));
}

static void test_garbage(void **state)
{
    static const char *const bad[] = {
        "",
        "   ",
        "yesterday",
        "2014",
        "2014-12",
        "2014-13-01",
        "2014-00-10",
        "2014-02-30",
        "2015-02-29",
        "2014-12-32T10:00:00Z",
        "2014-12-21T24:00:00Z",
        "2014-12-21T10:60:00Z",
        "2014-12-21T10:00:61Z",
        "2014-12-21T10:00:00+25:00",
        "2014-12-21T10:00:00+01:60",
        "2014-12-21T10:00:00Q",
        "2014-12-21T10:00:00Z trailing",
        "2014-12-21T10",
        "2014-12-21T10:00:00.Z",
        "2014/12/21",
        "20141221T10Z",
        "Sun, 21 Dec 2014 10:00:00 XYZ",
        "Sun, 21 Dec 2014 10:00:00 J",
        "Sun, 21 Dec 2014 10:00:00 GMT (unclosed",
        "Sun, 21 Foo 2014 10:00:00 GMT",
        "Sun, 32 Dec 2014 10:00:00 GMT",
        "Sun, 21 Dec 2014 25:00:00 GMT",
        "Sun, 21 Dec 2014",
        "Someday, 21 Dec 2014 10:00:00 GMT",
        "21 Dec 20144 10:00:00 GMT",
        "0000-01-01T00:00:00Z",
        "9999-12-31T23:00:00-05:00",
    };
    time_t t = 12345;
    size_t i;

    (void)state;
    for (i = 0; i < WH_ARRAY_SIZE(bad); i++) {
        if (wh_date_parse(bad[i], &t) != WH_EPARSE) {
            fail_msg("accepted: \"%s\"", bad[i]);
        }
    }
    assert_int_equal(t, 12345);
    assert_int_equal(wh_date_parse(NULL, &t), WH_EPARSE);
}

static void test_format_normalize(void **state)
{
    char out[21];
    char *s;

    (void)state;
    wh_date_format(0, out);
    assert_string_equal(out, "1970-01-01T00:00:00Z");
    wh_date_format(1419156000, out);
    assert_string_equal(out, "2014-12-21T10:00:00Z");

    s = wh_date_normalize("Sun, 21 Dec 2014 10:00:00 +0100");
    assert_non_null(s);
    assert_string_equal(s, "2014-12-21T09:00:00Z");
    free(s);
    assert_null(wh_date_normalize("not a date"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rfc3339),          cmocka_unit_test(test_compact),
        cmocka_unit_test(test_rfc822),           cmocka_unit_test(test_garbage),
        cmocka_unit_test(test_format_normalize),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
