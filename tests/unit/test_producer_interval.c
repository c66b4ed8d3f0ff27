/*
 * test_producer_interval.c - the adaptive poll interval kept in the
 * producer's state (producers/state.c): stored per source, reloaded after
 * a restart, kept apart from the validators and from other sources.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../../producers/state.h"
#include "wh/wh.h"

#define SRC_A "http://a.example/feed"
#define SRC_B "http://b.example/feed"

static char *temp_dir(void)
{
    const char *tmp = getenv("TMPDIR");
    char *dir =
        wh_xasprintf("%s/wh-interval-XXXXXX", tmp != NULL ? tmp : "/tmp");

    if (mkdtemp(dir) == NULL) {
        fail_msg("mkdtemp %s failed", dir);
    }
    return dir;
}

static void test_memory(void **unused)
{
    char errstr[256];
    struct wh_state *st = wh_state_open(NULL, errstr, sizeof(errstr));

    (void)unused;
    assert_non_null(st);
    assert_int_equal(wh_state_interval(st, SRC_A), 0);
    assert_int_equal(
        wh_state_set_interval(st, SRC_A, 450000, errstr, sizeof(errstr)),
        WH_OK);
    assert_int_equal(wh_state_interval(st, SRC_A), 450000);
    assert_int_equal(wh_state_interval(st, SRC_B), 0);
    wh_state_close(st);
}

static void test_restart(void **unused)
{
    char errstr[256];
    char *dir = temp_dir();
    struct wh_state *st = wh_state_open(dir, errstr, sizeof(errstr));
    const char *etag;
    const char *lm;
    char *cmd;

    (void)unused;
    assert_non_null(st);
    assert_int_equal(wh_state_set_validators(st, SRC_A, SRC_A, "\"v1\"", NULL,
                                             errstr, sizeof(errstr)),
                     WH_OK);
    assert_int_equal(
        wh_state_set_interval(st, SRC_A, 675000, errstr, sizeof(errstr)),
        WH_OK);
    assert_int_equal(
        wh_state_set_interval(st, SRC_B, 300000, errstr, sizeof(errstr)),
        WH_OK);
    wh_state_close(st);

    st = wh_state_open(dir, errstr, sizeof(errstr));
    assert_non_null(st);
    assert_int_equal(wh_state_interval(st, SRC_A), 675000);
    assert_int_equal(wh_state_interval(st, SRC_B), 300000);
    wh_state_validators(st, SRC_A, SRC_A, &etag, &lm);
    assert_non_null(etag);
    assert_string_equal(etag, "\"v1\"");
    assert_null(lm);
    /* Forgetting the validators resets the interval too. */
    assert_int_equal(
        wh_state_forget_validators(st, SRC_A, errstr, sizeof(errstr)), WH_OK);
    assert_int_equal(wh_state_interval(st, SRC_A), 0);
    assert_int_equal(wh_state_interval(st, SRC_B), 300000);
    wh_state_close(st);

    cmd = wh_xasprintf("rm -rf '%s'", dir);
    assert_int_equal(system(cmd), 0);
    free(cmd);
    free(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_memory),
        cmocka_unit_test(test_restart),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
