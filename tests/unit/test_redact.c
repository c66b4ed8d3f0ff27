/*
 * test_redact.c - wh_redact: passwords and URL userinfo out of log lines,
 * and the logger applying it.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "wh/log.h"
#include "wh/redact.h"
#include "wh/wh.h"

static void expect(const char *in, const char *want)
{
    char *out = wh_redact_dup(in);

    if (strcmp(out, want) != 0) {
        fail_msg("redact(\"%s\") = \"%s\", want \"%s\"", in, out, want);
    }
    assert_int_equal(wh_redact_needed(in), strcmp(in, want) != 0);
    free(out);
}

static void test_conninfo(void **state)
{
    (void)state;
    expect("host=db password=s3cret dbname=news",
           "host=db password=*** dbname=news");
    expect("password = 's3 \\' cret' user=x", "password = *** user=x");
    expect("PASSWORD=abc", "PASSWORD=***");
    expect("kafka.sasl.password=abc", "kafka.sasl.password=***");
    expect("postgresql:///db?host=/run&password=abc&sslmode=x",
           "postgresql:///db?host=/run&password=***&sslmode=x");
    expect("passwd=abc", "passwd=***");
    /* not a password keyword */
    expect("mypassword=abc", "mypassword=abc");
    expect("password is wrong", "password is wrong");
    expect("password=", "password=");
    expect("the password authentication failed for user \"x\"",
           "the password authentication failed for user \"x\"");
}

static void test_urls(void **state)
{
    (void)state;
    expect("http://user:pw@host:9200/news", "http://***@host:9200/news");
    expect("postgresql://u:p@/db?host=/x", "postgresql://***@/db?host=/x");
    expect("https://TOKEN@example.com/x", "https://***@example.com/x");
    expect("see http://example.com/a@b", "see http://example.com/a@b");
    expect("mailto:x@y", "mailto:x@y");
    expect("a http://u:p@h b https://h2/ c", "a http://***@h b https://h2/ c");
}

static void test_bounded(void **state)
{
    char small[12];
    size_t n;

    (void)state;
    n = wh_redact("password=abcdefghij more", small, sizeof(small));
    assert_int_equal(n, strlen("password=*** more"));
    assert_string_equal(small, "password=**");
    n = wh_redact("x", NULL, 0);
    assert_int_equal(n, 1);
}

/* The logger redacts whatever it is given. */
static void test_log_line(void **state)
{
    char path[] = "/tmp/wh-test-redact-XXXXXX";
    char line[512] = "";
    int fd = mkstemp(path);
    int saved = dup(STDERR_FILENO);
    FILE *fp;

    (void)state;
    assert_true(fd >= 0 && saved >= 0);
    assert_int_equal(dup2(fd, STDERR_FILENO), STDERR_FILENO);
    wh_err("test", "connect %s: failed", "host=x password=hunter2");
    assert_int_equal(dup2(saved, STDERR_FILENO), STDERR_FILENO);
    close(saved);
    close(fd);
    fp = fopen(path, "r");
    assert_non_null(fp);
    assert_non_null(fgets(line, sizeof(line), fp));
    fclose(fp);
    unlink(path);
    assert_string_equal(line, "<3>[test] connect host=x password=***: "
                              "failed\n");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_conninfo),
        cmocka_unit_test(test_urls),
        cmocka_unit_test(test_bounded),
        cmocka_unit_test(test_log_line),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
