/*
 * test_poll_interval.c - the arithmetic of a source's poll interval in
 * the producer (producers/interval.c): the cap, the adaptive interval
 * (halved after new items, grown by half after a quiet round, held
 * within [interval, cap]), the interval resumed after a restart, and the
 * jitter.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "../../producers/interval.h"

#define MIN5 300000LL

static void test_cap(void **state)
{
    (void)state;
    assert_int_equal(interval_cap(MIN5, 8 * MIN5), 8 * MIN5);
    /* a source configured slower than poll.max_interval_ms keeps its own */
    assert_int_equal(interval_cap(10 * MIN5, 8 * MIN5), 10 * MIN5);
    assert_int_equal(interval_cap(MIN5, MIN5), MIN5);
}

static void test_quiet_rounds_grow_to_cap(void **state)
{
    long long cap = 8 * MIN5;
    long long cur = MIN5;
    const long long want[] = {450000,  675000,  1012500, 1518750,
                              2278125, 2400000, 2400000};
    size_t i;

    (void)state;
    for (i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
        cur = interval_next(cur, 0, MIN5, cap);
        assert_int_equal(cur, want[i]);
    }
}

static void test_new_items_shrink_to_interval(void **state)
{
    long long cap = 8 * MIN5;

    (void)state;
    assert_int_equal(interval_next(cap, 1, MIN5, cap), cap / 2);
    assert_int_equal(interval_next(cap / 2, 1, MIN5, cap), cap / 4);
    assert_int_equal(interval_next(cap / 4, 1, MIN5, cap), MIN5);
    assert_int_equal(interval_next(MIN5, 1, MIN5, cap), MIN5);
    /* an interval from before a reload outside the new bounds is held in */
    assert_int_equal(interval_next(100, 0, MIN5, cap), MIN5);
    assert_int_equal(interval_next(100 * MIN5, 1, MIN5, cap), cap);
}

static void test_resume(void **state)
{
    long long cap = 8 * MIN5;

    (void)state;
    assert_int_equal(interval_resume(0, MIN5, cap), MIN5); /* none stored */
    assert_int_equal(interval_resume(4 * MIN5, MIN5, cap), 4 * MIN5);
    assert_int_equal(interval_resume(cap, MIN5, cap), cap);
    assert_int_equal(interval_resume(MIN5, MIN5, cap), MIN5);
    /* the configuration changed since: outside the bounds, start afresh */
    assert_int_equal(interval_resume(cap + 1, MIN5, cap), MIN5);
    assert_int_equal(interval_resume(MIN5 - 1, MIN5, cap), MIN5);
}

static void test_jitter(void **state)
{
    struct wh_prng rng;
    struct wh_prng again;
    long long lo = MIN5;
    long long hi = MIN5;
    int i;

    (void)state;
    wh_prng_seed(&rng, 1);
    wh_prng_seed(&again, 1);
    for (i = 0; i < 10000; i++) {
        long long d = interval_jitter(&rng, MIN5, 10);

        assert_true(d >= MIN5 - MIN5 / 10 && d <= MIN5 + MIN5 / 10);
        assert_int_equal(d, interval_jitter(&again, MIN5, 10));
        lo = d < lo ? d : lo;
        hi = d > hi ? d : hi;
    }
    /* spread over both sides, nearly to the ends */
    assert_true(lo < MIN5 - MIN5 / 10 + 1000);
    assert_true(hi > MIN5 + MIN5 / 10 - 1000);
    /* no spread asked, or under 1 ms: the interval itself */
    assert_int_equal(interval_jitter(&rng, MIN5, 0), MIN5);
    assert_int_equal(interval_jitter(&rng, 5, 10), 5);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_cap),
        cmocka_unit_test(test_quiet_rounds_grow_to_cap),
        cmocka_unit_test(test_new_items_shrink_to_interval),
        cmocka_unit_test(test_resume),
        cmocka_unit_test(test_jitter),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
