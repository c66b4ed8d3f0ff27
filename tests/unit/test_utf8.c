/*
 * test_utf8.c - the shared UTF-8 decoder (common/src/utf8.c) and its one
 * invalid-byte policy: every byte at which no valid sequence starts
 * decodes as U+FFFD and decoding resumes at the next byte. Overlong
 * forms, surrogates, code points above U+10FFFF, stray continuation bytes
 * and truncated sequences.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "wh/utf8.h"
#include "wh/wh.h"

#define R WH_UTF8_REPLACEMENT

/* Decodes all of s (len bytes) into cps (room for len); returns how many
 * and sets *bad. */
static size_t decode(const char *s, size_t len, uint32_t *cps, int *bad)
{
    size_t i = 0;
    size_t n = 0;

    *bad = 0;
    while (i < len) {
        size_t before = i;

        size_t j = i;

        cps[n] = wh_utf8_next(s, len, &i, bad);
        assert_true(i > before && i <= len);
        /* the fast path decodes the same */
        assert_int_equal(wh_utf8_next_fast(s, len, &j), cps[n]);
        assert_int_equal(j, i);
        n++;
    }
    return n;
}

/* Asserts that s decodes to the want sequence, with *bad as expected. */
static void expect(const char *s, size_t len, const uint32_t *want,
                   size_t nwant, int want_bad)
{
    uint32_t got[16];
    int bad;
    size_t n;
    size_t k;

    assert_true(len <= 16);
    n = decode(s, len, got, &bad);
    assert_int_equal(n, nwant);
    for (k = 0; k < n && k < nwant; k++) {
        if (got[k] != want[k]) {
            fail_msg("code point %zu: got U+%04X, want U+%04X", k,
                     (unsigned)got[k], (unsigned)want[k]);
        }
    }
    assert_int_equal(bad, want_bad);
    assert_int_equal(wh_utf8_is_valid(s, len), !want_bad);
    assert_int_equal(wh_utf8_count(s, len), nwant);
}

#define EXPECT(bytes, bad, ...)                                                \
    do {                                                                       \
        static const uint32_t want_[] = {__VA_ARGS__};                         \
        expect(bytes, sizeof(bytes) - 1, want_, WH_ARRAY_SIZE(want_), bad);    \
    } while (0)

static void test_valid(void **state)
{
    (void)state;
    EXPECT("A", 0, 'A');
    EXPECT("\x7f", 0, 0x7F);
    EXPECT("\xc2\x80", 0, 0x80);
    EXPECT("\xc3\xa9t\xc3\xa9", 0, 0xE9, 't', 0xE9);
    EXPECT("\xdf\xbf", 0, 0x7FF);
    EXPECT("\xe0\xa0\x80", 0, 0x800);
    EXPECT("\xe2\x82\xac", 0, 0x20AC);
    EXPECT("\xed\x9f\xbf", 0, 0xD7FF); /* just below the surrogates */
    EXPECT("\xee\x80\x80", 0, 0xE000); /* just above them */
    EXPECT("\xef\xbf\xbf", 0, 0xFFFF);
    EXPECT("\xef\xbf\xbd", 0, 0xFFFD); /* a real U+FFFD is not "bad" */
    EXPECT("\xf0\x90\x80\x80", 0, 0x10000);
    EXPECT("\xf0\x9f\x98\x80", 0, 0x1F600);
    EXPECT("\xf4\x8f\xbf\xbf", 0, 0x10FFFF);
}

static void test_overlong(void **state)
{
    (void)state;
    /* Every byte of an overlong form is invalid on its own. */
    EXPECT("\xc0\x80", 1, R, R);
    EXPECT("\xc1\xbf", 1, R, R);
    EXPECT("\xc0\xaf", 1, R, R); /* the classic overlong '/' */
    EXPECT("\xe0\x80\x80", 1, R, R, R);
    EXPECT("\xe0\x9f\xbf", 1, R, R, R);
    EXPECT("\xf0\x80\x80\x80", 1, R, R, R, R);
    EXPECT("\xf0\x8f\xbf\xbf", 1, R, R, R, R);
}

static void test_surrogates(void **state)
{
    (void)state;
    EXPECT("\xed\xa0\x80", 1, R, R, R); /* U+D800 */
    EXPECT("\xed\xbf\xbf", 1, R, R, R); /* U+DFFF */
    /* A CESU-8 pair: six invalid bytes, not one character. */
    EXPECT("\xed\xa0\xbd\xed\xb8\x80", 1, R, R, R, R, R, R);
}

static void test_out_of_range(void **state)
{
    (void)state;
    EXPECT("\xf4\x90\x80\x80", 1, R, R, R, R); /* U+110000 */
    EXPECT("\xf5\x80\x80\x80", 1, R, R, R, R);
    EXPECT("\xf8\x88\x80\x80\x80", 1, R, R, R, R, R);
    EXPECT("\xfe\xff", 1, R, R);
}

static void test_truncated(void **state)
{
    (void)state;
    /* Cut by the end of the input. */
    EXPECT("\xc3", 1, R);
    EXPECT("\xe2\x82", 1, R, R);
    EXPECT("\xf0\x9f\x98", 1, R, R, R);
    /* Cut by another byte: that byte is decoded as itself. */
    EXPECT("\xe2\x82"
           "A",
           1, R, R, 'A');
    EXPECT("\xc3"
           "\xc3\xa9",
           1, R, 0xE9);
    EXPECT("\xf0\x9f"
           "\xe2\x82\xac",
           1, R, R, 0x20AC);
    /* Stray continuation bytes. */
    EXPECT("\x80", 1, R);
    EXPECT("a\xbf\xbf"
           "b",
           1, 'a', R, R, 'b');
}

static void test_bad_optional(void **state)
{
    const char s[] = "\xff";
    size_t i = 0;

    (void)state;
    assert_int_equal(wh_utf8_next(s, 1, &i, NULL), R);
    assert_int_equal(i, 1);
}

/* Every scalar value encodes and decodes back, in the shortest form. */
static void test_round_trip(void **state)
{
    char buf[4];
    uint32_t cp;

    (void)state;
    for (cp = 0; cp <= 0x10FFFF; cp++) {
        size_t n;
        size_t i = 0;
        int bad = 0;

        if (cp >= 0xD800 && cp <= 0xDFFF) {
            continue;
        }
        n = wh_utf8_put(cp, buf);
        assert_int_equal(n, cp < 0x80      ? 1
                            : cp < 0x800   ? 2
                            : cp < 0x10000 ? 3
                                           : 4);
        assert_int_equal(wh_utf8_valid((const unsigned char *)buf, n), n);
        if (wh_utf8_next(buf, n, &i, &bad) != cp || i != n || bad) {
            fail_msg("U+%04X does not round-trip", (unsigned)cp);
        }
        /* One byte short is never valid. */
        if (n > 1) {
            assert_int_equal(wh_utf8_valid((const unsigned char *)buf, n - 1),
                             0);
        }
    }
}

static void test_clean(void **state)
{
    const char in[] = "ok \xc3\xa9 \xc0\xaf \xed\xa0\x80 \xe2\x82";
    const char want[] = "ok \xc3\xa9 \xef\xbf\xbd\xef\xbf\xbd "
                        "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd "
                        "\xef\xbf\xbd\xef\xbf\xbd";
    size_t len = 0;
    char *out;

    (void)state;
    out = wh_utf8_clean(in, sizeof(in) - 1, &len);
    assert_int_equal(len, sizeof(want) - 1);
    assert_string_equal(out, want);
    assert_true(wh_utf8_is_valid(out, len));
    free(out);
    /* Valid input comes back unchanged; the length is optional. */
    out = wh_utf8_clean("caf\xc3\xa9", 5, NULL);
    assert_string_equal(out, "caf\xc3\xa9");
    free(out);
    out = wh_utf8_clean("", 0, &len);
    assert_string_equal(out, "");
    assert_int_equal(len, 0);
    free(out);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_valid),      cmocka_unit_test(test_overlong),
        cmocka_unit_test(test_surrogates), cmocka_unit_test(test_out_of_range),
        cmocka_unit_test(test_truncated),  cmocka_unit_test(test_bad_optional),
        cmocka_unit_test(test_round_trip), cmocka_unit_test(test_clean),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
