/*
 * notify_probe.c - drives every wh_notify call in the order a daemon does.
 *
 * Two uses:
 *  - as the unit test "notify_probe" (no NOTIFY_SOCKET): every call is a
 *    no-op returning 0, and a NOTIFY_SOCKET that cannot be written gives
 *    WH_EIO;
 *  - under notify.py, which sets NOTIFY_SOCKET to a real AF_UNIX datagram
 *    listener and checks what arrives: READY=1, STATUS=..., WATCHDOG=1,
 *    RELOADING=1 with MONOTONIC_USEC, READY=1, STOPPING=1, in that order.
 *    The probe prints "watchdog_usec=N" for it to check.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "wh/notify.h"
#include "wh/wh.h"

static int under_listener(void)
{
    return getenv("NOTIFY_SOCKET") != NULL;
}

static void test_watchdog_usec(void **state)
{
    uint64_t usec = wh_notify_watchdog_usec();

    (void)state;
    printf("watchdog_usec=%" PRIu64 "\n", usec);
    if (getenv("WATCHDOG_USEC") == NULL) {
        assert_true(usec == 0);
    }
}

static void test_sequence(void **state)
{
    char long_status[400];

    (void)state;
    memset(long_status, 'x', sizeof(long_status) - 1);
    long_status[sizeof(long_status) - 1] = '\0';
    assert_int_equal(wh_notify_ready(), 0);
    assert_int_equal(wh_notify_status("%d records, %s", 5, "2 errors\nok"), 0);
    assert_int_equal(wh_notify_watchdog(), 0);
    assert_int_equal(wh_notify_reloading(), 0);
    assert_int_equal(wh_notify_ready(), 0);
    assert_int_equal(wh_notify_status("%s", long_status), 0);
    assert_int_equal(wh_notify_stopping(), 0);
}

static void test_unwritable_socket(void **state)
{
    (void)state;
    if (under_listener()) {
        skip();
    }
    /* a socket path nobody listens on: systemd went away */
    setenv("NOTIFY_SOCKET", "/nonexistent/wirehose-notify.sock", 1);
    assert_int_equal(wh_notify_ready(), WH_EIO);
    assert_int_equal(wh_notify_watchdog(), WH_EIO);
    setenv("NOTIFY_SOCKET", "", 1);
    assert_int_equal(wh_notify_ready(), 0);
    unsetenv("NOTIFY_SOCKET");
    /* a watchdog meant for another process is not ours */
    setenv("WATCHDOG_USEC", "1000000", 1);
    setenv("WATCHDOG_PID", "1", 1);
    assert_true(wh_notify_watchdog_usec() == 0);
    unsetenv("WATCHDOG_PID");
    assert_true(wh_notify_watchdog_usec() == 1000000);
    unsetenv("WATCHDOG_USEC");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_watchdog_usec),
        cmocka_unit_test(test_sequence),
        cmocka_unit_test(test_unwritable_socket),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
