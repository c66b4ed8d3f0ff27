/*
 * test_dedup_simhash.c - tokenization, SimHash and MinHash of
 * consumers/dedup/simhash.c.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "dedup_fixture.h"
#include "simhash.h"
#include "wh/wh.h"

/* A deterministic article: n words of 4-9 letters from a vocabulary of
 * about 1500 made-up words, in paragraphs of 50 words with sentences of
 * 12. Different seeds share the vocabulary (same "topic"). */
static char *article(unsigned seed, size_t n)
{
    return dedup_fixture_story(seed, n, 50, 1500, 12);
}

static size_t words(const char *s, uint64_t **w)
{
    return wh_simhash_words(s, strlen(s), w);
}

static void same_words(const char *a, const char *b)
{
    uint64_t *wa = NULL;
    uint64_t *wb = NULL;
    size_t na = words(a, &wa);
    size_t nb = words(b, &wb);

    assert_int_equal(na, nb);
    if (na > 0) {
        assert_memory_equal(wa, wb, na * sizeof(*wa));
    }
    free(wa);
    free(wb);
}

static void test_tokens(void **state)
{
    uint64_t *w = NULL;

    (void)state;
    assert_int_equal(words("Hello, world! 42 times", &w), 4);
    free(w);
    same_words("Don't STOP", "don\xe2\x80\x99t stop"); /* U+2019 */
    same_words("dont stop", "Don't stop");
    same_words("  a\tb\n\nc  ", "A B C");
    same_words("\xc3\x9c"
               "BER caf\xc3\x89",
               "\xc3\xbc"
               "ber caf\xc3\xa9");
    same_words("\xd0\x9f\xd0\xa0\xd0\x98", "\xd0\xbf\xd1\x80\xd0\xb8");
    /* em dash and curly quotes separate words; letters do not */
    assert_int_equal(words("na\xc3\xafve\xe2\x80\x94word "
                           "\xe2\x80\x9cquoted\xe2\x80\x9d",
                           &w),
                     3);
    free(w);
    /* CJK without spaces is one run; ideographic full stop splits */
    assert_int_equal(words("\xe4\xb8\xad\xe6\x96\x87\xe3\x80\x82"
                           "\xe6\x96\xb0\xe9\x97\xbb",
                           &w),
                     2);
    free(w);
    /* invalid UTF-8 is kept as letters, never read past the end */
    assert_int_equal(words("ab\xff\xfe"
                           "cd \xe2\x80",
                           &w),
                     2);
    free(w);
    assert_int_equal(words("", &w), 0);
    assert_null(w);
    assert_int_equal(words(" ,.;!? ", &w), 0);
    assert_null(w);
}

static void test_params(void **state)
{
    struct wh_simhash_params p;
    struct wh_simhash_sig sig;

    (void)state;
    wh_simhash_params_default(&p);
    p.shingle = 0;
    assert_int_equal(wh_simhash_compute(&p, "a b", 3, &sig), WH_EINVAL);
    wh_simhash_params_default(&p);
    p.minhash_k = WH_SIMHASH_MINHASH_MAX + 1;
    assert_int_equal(wh_simhash_compute(&p, "a b", 3, &sig), WH_EINVAL);
}

static void test_empty(void **state)
{
    struct wh_simhash_params p;
    struct wh_simhash_sig sig;
    unsigned i;

    (void)state;
    wh_simhash_params_default(&p);
    assert_int_equal(wh_simhash_compute(&p, "", 0, &sig), WH_OK);
    assert_int_equal(sig.nwords, 0);
    assert_int_equal(sig.fp, 0);
    for (i = 0; i < p.minhash_k; i++) {
        assert_int_equal(sig.minhash[i], UINT32_MAX);
    }
    /* fewer words than a shingle: one shingle of all of them */
    assert_int_equal(wh_simhash_compute(&p, "alpha beta", 10, &sig), WH_OK);
    assert_int_equal(sig.nwords, 2);
    assert_int_equal(sig.nshingles, 1);
}

static void sig_of(const char *text, struct wh_simhash_sig *sig)
{
    struct wh_simhash_params p;

    wh_simhash_params_default(&p);
    assert_int_equal(wh_simhash_compute(&p, text, strlen(text), sig), WH_OK);
}

static void test_copies_close(void **state)
{
    char *a = article(1, 400);
    char *other = article(2, 400);
    char *copy;
    char *ws;
    struct wh_simhash_sig sa;
    struct wh_simhash_sig sc;
    struct wh_simhash_sig so;
    struct wh_simhash_sig sw;
    char *p;

    (void)state;
    /* a copy: dateline, a changed word, a sign-off */
    copy = wh_xasprintf("LONDON, Nov 3 (Example Press) - %s\n\nReporting by "
                        "Ann Example; editing by Bob Sample",
                        a);
    p = strstr(copy, "\n\n");
    assert_non_null(p);
    memset(p - 4, 'x', 4);
    ws = wh_xasprintf("  %s  ", a);
    for (p = ws; *p; p++) {
        if (*p == ' ' && p[1] != ' ') {
            *p = '\n';
        }
    }
    sig_of(a, &sa);
    sig_of(copy, &sc);
    sig_of(other, &so);
    sig_of(ws, &sw);
    assert_int_equal(sa.nwords, 400);
    assert_int_equal(sa.fp, sw.fp); /* whitespace does not count */
    assert_memory_equal(sa.minhash, sw.minhash, 64 * sizeof(uint32_t));
    assert_true(wh_simhash_distance(sa.fp, sc.fp) <= 8);
    /* same vocabulary, different text: further, and MinHash says no */
    assert_true(wh_simhash_distance(sa.fp, so.fp) >
                wh_simhash_distance(sa.fp, sc.fp));
    assert_true(wh_simhash_similarity(sa.minhash, sc.minhash, 64) >= 0.75);
    assert_true(wh_simhash_similarity(sa.minhash, so.minhash, 64) <= 0.1);
    assert_true(wh_simhash_similarity(sa.minhash, sa.minhash, 64) == 1.0);
    /* weak bits: 16 distinct positions */
    {
        uint64_t seen = 0;
        unsigned i;

        for (i = 0; i < WH_SIMHASH_WEAK; i++) {
            assert_true(sa.weak[i] < 64);
            assert_false(seen & ((uint64_t)1 << sa.weak[i]));
            seen |= (uint64_t)1 << sa.weak[i];
        }
    }
    free(a);
    free(other);
    free(copy);
    free(ws);
}

/* MinHash estimates Jaccard: half the text shared -> J = 1/3. */
static void test_minhash_estimate(void **state)
{
    char *a = article(3, 600);
    char *b = article(4, 600);
    char *x;
    char *y;
    struct wh_simhash_params p;
    struct wh_simhash_sig sx;
    struct wh_simhash_sig sy;
    size_t half = strlen(a) / 2;
    double sim;

    (void)state;
    /* x = first half of a + first half of b; y = first half of a + second
     * half of b: about 300 shared words out of ~900 distinct shingles */
    x = wh_xasprintf("%.*s %.*s", (int)half, a, (int)(strlen(b) / 2), b);
    y = wh_xasprintf("%.*s %s", (int)half, a, b + strlen(b) / 2);
    wh_simhash_params_default(&p);
    p.minhash_k = 128;
    assert_int_equal(wh_simhash_compute(&p, x, strlen(x), &sx), WH_OK);
    assert_int_equal(wh_simhash_compute(&p, y, strlen(y), &sy), WH_OK);
    sim = wh_simhash_similarity(sx.minhash, sy.minhash, 128);
    assert_true(sim > 0.2 && sim < 0.47);
    free(a);
    free(b);
    free(x);
    free(y);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_tokens),
        cmocka_unit_test(test_params),
        cmocka_unit_test(test_empty),
        cmocka_unit_test(test_copies_close),
        cmocka_unit_test(test_minhash_estimate),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
