/*
 * test_buf.c - wh_buf: limits, printf, steal.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "wh/buf.h"
#include "wh/wh.h"

static void test_append_and_nul(void **state)
{
    struct wh_buf b;

    (void)state;
    wh_buf_init(&b, 0);
    assert_null(b.data);
    assert_int_equal(wh_buf_puts(&b, "abc"), WH_OK);
    assert_int_equal(wh_buf_append(&b, "de", 2), WH_OK);
    assert_int_equal(b.len, 5);
    assert_string_equal(b.data, "abcde");
    assert_int_equal(wh_buf_append(&b, "", 0), WH_OK);
    assert_int_equal(b.len, 5);
    wh_buf_reset(&b);
    assert_int_equal(b.len, 0);
    assert_string_equal(b.data, "");
    wh_buf_free(&b);
    assert_null(b.data);
}

static void test_max_enforced(void **state)
{
    struct wh_buf b;

    (void)state;
    wh_buf_init(&b, 8);
    assert_int_equal(wh_buf_puts(&b, "12345"), WH_OK);
    /* Would make 9 bytes: refused, nothing appended. */
    assert_int_equal(wh_buf_puts(&b, "6789"), WH_E2BIG);
    assert_int_equal(b.len, 5);
    assert_string_equal(b.data, "12345");
    assert_int_equal(wh_buf_puts(&b, "678"), WH_OK);
    assert_int_equal(b.len, 8);
    assert_int_equal(wh_buf_append(&b, "x", 1), WH_E2BIG);
    assert_int_equal(wh_buf_printf(&b, "%d", 1), WH_E2BIG);
    assert_string_equal(b.data, "12345678");
    wh_buf_free(&b);
}

static void test_printf(void **state)
{
    struct wh_buf b;
    char big[1000];

    (void)state;
    wh_buf_init(&b, 0);
    assert_int_equal(wh_buf_printf(&b, "%s=%d", "n", 42), WH_OK);
    assert_string_equal(b.data, "n=42");
    /* Longer than the internal small buffer. */
    memset(big, 'x', sizeof(big) - 1);
    big[sizeof(big) - 1] = '\0';
    assert_int_equal(wh_buf_printf(&b, "[%s]", big), WH_OK);
    assert_int_equal(b.len, 4 + 2 + 999);
    assert_int_equal(b.data[b.len - 1], ']');
    assert_int_equal(b.data[b.len], '\0');
    wh_buf_free(&b);

    /* A long printf past the maximum appends nothing. */
    wh_buf_init(&b, 500);
    assert_int_equal(wh_buf_puts(&b, "ok"), WH_OK);
    assert_int_equal(wh_buf_printf(&b, "%s", big), WH_E2BIG);
    assert_string_equal(b.data, "ok");
    wh_buf_free(&b);
}

static void test_steal(void **state)
{
    struct wh_buf b;
    char *s;

    (void)state;
    wh_buf_init(&b, 0);
    s = wh_buf_steal(&b);
    assert_non_null(s);
    assert_string_equal(s, "");
    free(s);

    assert_int_equal(wh_buf_puts(&b, "hello"), WH_OK);
    s = wh_buf_steal(&b);
    assert_string_equal(s, "hello");
    assert_null(b.data);
    assert_int_equal(b.len, 0);
    /* The buffer is usable again after a steal. */
    assert_int_equal(wh_buf_puts(&b, "again"), WH_OK);
    assert_string_equal(b.data, "again");
    free(s);
    wh_buf_free(&b);
}

static void test_binary(void **state)
{
    struct wh_buf b;

    (void)state;
    wh_buf_init(&b, 0);
    assert_int_equal(wh_buf_append(&b, "a\0b", 3), WH_OK);
    assert_int_equal(b.len, 3);
    assert_memory_equal(b.data, "a\0b", 4);
    wh_buf_free(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_append_and_nul),
        cmocka_unit_test(test_max_enforced),
        cmocka_unit_test(test_printf),
        cmocka_unit_test(test_steal),
        cmocka_unit_test(test_binary),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
