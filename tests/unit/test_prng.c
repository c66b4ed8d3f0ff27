/*
 * test_prng.c - the shared PRNG (common/src/prng.c) and the backoff built
 * on it (common/src/backoff.c): seeding repeats a sequence, any seed (0
 * included) works, draws stay in range and spread; the backoff doubles
 * up to its cap, keeps its equal jitter within [d/2, d], honours
 * Retry-After as a floor and starts again after a success.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "wh/backoff.h"
#include "wh/prng.h"

static void test_seed_repeats(void **state)
{
    struct wh_prng a;
    struct wh_prng b;
    struct wh_prng c;
    int i;
    int differ = 0;

    (void)state;
    wh_prng_seed(&a, 42);
    wh_prng_seed(&b, 42);
    wh_prng_seed(&c, 43);
    for (i = 0; i < 1000; i++) {
        uint64_t x = wh_prng_next(&a);

        assert_int_equal(x, wh_prng_next(&b));
        differ += x != wh_prng_next(&c);
    }
    assert_true(differ > 990);
}

static void test_seed_zero(void **state)
{
    struct wh_prng r;
    uint64_t x;
    uint64_t y;

    (void)state;
    wh_prng_seed(&r, 0);
    assert_true(r.s != 0);
    x = wh_prng_next(&r);
    y = wh_prng_next(&r);
    assert_true(x != 0 && y != 0 && x != y);
}

/* Draws below n stay below n and hit every value of a small range about
 * evenly. */
static void test_below(void **state)
{
    struct wh_prng r;
    unsigned hits[10] = {0};
    int i;

    (void)state;
    wh_prng_seed(&r, 7);
    assert_int_equal(wh_prng_below(&r, 0), 0);
    assert_int_equal(wh_prng_below(&r, 1), 0);
    for (i = 0; i < 100000; i++) {
        uint64_t v = wh_prng_below(&r, 10);

        assert_true(v < 10);
        hits[v]++;
    }
    for (i = 0; i < 10; i++) {
        /* 10,000 expected; 5 sigma is about 475 */
        assert_true(hits[i] > 9000 && hits[i] < 11000);
    }
}

/* Bits are not stuck: over many draws every bit is set about half the
 * time. */
static void test_bits(void **state)
{
    struct wh_prng r;
    unsigned ones[64] = {0};
    int i;
    int b;

    (void)state;
    wh_prng_seed(&r, wh_prng_entropy());
    for (i = 0; i < 20000; i++) {
        uint64_t x = wh_prng_next(&r);

        for (b = 0; b < 64; b++) {
            ones[b] += (unsigned)((x >> b) & 1);
        }
    }
    for (b = 0; b < 64; b++) {
        assert_true(ones[b] > 9000 && ones[b] < 11000);
    }
}

static void test_entropy_varies(void **state)
{
    (void)state;
    /* Two reads a moment apart differ (nanoseconds). */
    assert_true(wh_prng_entropy() != wh_prng_entropy() ||
                wh_prng_entropy() != wh_prng_entropy());
}

static void test_double(void **state)
{
    (void)state;
    assert_int_equal(wh_backoff_double(0, 200, 30000), 200);
    assert_int_equal(wh_backoff_double(200, 200, 30000), 400);
    assert_int_equal(wh_backoff_double(12800, 200, 30000), 25600);
    assert_int_equal(wh_backoff_double(15000, 200, 30000), 30000);
    assert_int_equal(wh_backoff_double(25600, 200, 30000), 30000);
    assert_int_equal(wh_backoff_double(30000, 200, 30000), 30000);
    /* a base above the cap is held to the cap */
    assert_int_equal(wh_backoff_double(0, 500, 100), 100);
}

static void test_backoff_jitter(void **state)
{
    struct wh_backoff b;
    long full = 100;
    int i;

    (void)state;
    wh_backoff_init(&b, 100, 10000, 1);
    for (i = 0; i < 20; i++) {
        long d = wh_backoff_fail(&b, 0);

        if (d < full / 2 || d > full) {
            fail_msg("failure %d: %ld outside [%ld, %ld]", i, d, full / 2,
                     full);
        }
        full = wh_backoff_double(full, 100, 10000);
    }
    assert_int_equal(b.failures, 20);
    /* Retry-After is a floor, not a cap. */
    assert_int_equal(wh_backoff_fail(&b, 600000), 600000);
    assert_true(wh_backoff_fail(&b, 1) >= 5000);
    wh_backoff_reset(&b);
    assert_true(wh_backoff_fail(&b, 0) <= 100);
    /* defaults for nonsense: base 1000 ms, the cap at least the base */
    wh_backoff_init(&b, -5, 0, 0);
    assert_int_equal(b.base_ms, 1000);
    assert_int_equal(b.cap_ms, 1000);
    assert_true(wh_backoff_fail(&b, 0) <= 1000);
}

/* Two clients with different seeds do not wait in step. */
static void test_backoff_spread(void **state)
{
    struct wh_backoff a;
    struct wh_backoff b;
    int same = 0;
    int i;

    (void)state;
    for (i = 0; i < 100; i++) {
        wh_backoff_init(&a, 1000, 60000, (uint64_t)i);
        wh_backoff_init(&b, 1000, 60000, (uint64_t)i + 1000);
        same += wh_backoff_fail(&a, 0) == wh_backoff_fail(&b, 0);
    }
    assert_true(same < 10);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_seed_repeats),
        cmocka_unit_test(test_seed_zero),
        cmocka_unit_test(test_below),
        cmocka_unit_test(test_bits),
        cmocka_unit_test(test_entropy_varies),
        cmocka_unit_test(test_double),
        cmocka_unit_test(test_backoff_jitter),
        cmocka_unit_test(test_backoff_spread),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
