/*
 * test_clock.c - the monotonic clock (common/src/clock.c): it never goes
 * back, its two units agree, and it follows real time.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <time.h>

#include "wh/clock.h"

static void test_monotonic(void **state)
{
    int64_t prev = wh_now_ms();
    double prev_s = wh_now_s();
    int i;

    (void)state;
    for (i = 0; i < 100000; i++) {
        int64_t t = wh_now_ms();
        double s = wh_now_s();

        assert_true(t >= prev);
        assert_true(s >= prev_s);
        prev = t;
        prev_s = s;
    }
}

static void test_units_agree(void **state)
{
    int64_t ms = wh_now_ms();
    double s = wh_now_s();

    (void)state;
    /* Read one after the other: at most a few ms apart. */
    assert_true(s * 1000.0 >= (double)ms - 1.0);
    assert_true(s * 1000.0 - (double)ms < 1000.0);
}

static void test_follows_time(void **state)
{
    struct timespec pause = {0, 50 * 1000000L}; /* 50 ms */
    int64_t t0 = wh_now_ms();
    double s0 = wh_now_s();
    int64_t dt;

    (void)state;
    while (nanosleep(&pause, &pause) != 0) {
        /* interrupted: sleep the rest */
    }
    dt = wh_now_ms() - t0;
    assert_true(dt >= 50);
    assert_true(dt < 5000); /* a loaded machine, but not that loaded */
    assert_true(wh_now_s() - s0 >= 0.05);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_monotonic),
        cmocka_unit_test(test_units_agree),
        cmocka_unit_test(test_follows_time),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
