/*
 * test_config.c - wh_config: files, errors, overrides, -X.
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

#include "wh/config.h"
#include "wh/wh.h"

static const struct wh_config_key keys[] = {
    WH_KEY_STR("brokers", NULL, "Kafka bootstrap servers"),
    WH_KEY_STR("topic", NULL, "topic to publish to"),
    WH_KEY_STR("workers", NULL, "number of workers"),
    WH_KEY_LIST("source", WH_CONFIG_STRING, NULL,
                "a source to poll (repeatable)"),
    WH_KEY_END,
};

struct fixture {
    char dir[64];
    char path[128];
    struct wh_config *cfg;
};

static int setup(void **state)
{
    struct fixture *fx = calloc(1, sizeof(*fx));

    if (fx == NULL) {
        return -1;
    }
    snprintf(fx->dir, sizeof(fx->dir), "/tmp/wh-test-config-XXXXXX");
    if (mkdtemp(fx->dir) == NULL) {
        free(fx);
        return -1;
    }
    snprintf(fx->path, sizeof(fx->path), "%s/test.conf", fx->dir);
    fx->cfg = wh_config_new(keys);
    *state = fx;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *fx = *state;
    char other[160];

    wh_config_free(fx->cfg);
    unlink(fx->path);
    snprintf(other, sizeof(other), "%s/other.conf", fx->dir);
    unlink(other);
    rmdir(fx->dir);
    free(fx);
    return 0;
}

static void write_file(const char *path, const char *text)
{
    FILE *fp = fopen(path, "w");

    assert_non_null(fp);
    assert_int_equal(fputs(text, fp) >= 0, 1);
    assert_int_equal(fclose(fp), 0);
}

/* Loads text and expects rc; returns errstr in a static buffer. */
static const char *load(struct fixture *fx, const char *text, int rc)
{
    static char errstr[512];

    errstr[0] = '\0';
    write_file(fx->path, text);
    assert_int_equal(wh_config_load(fx->cfg, fx->path, errstr, sizeof(errstr)),
                     rc);
    return errstr;
}

static void test_comments_and_blanks(void **state)
{
    struct fixture *fx = *state;

    load(fx,
         "# a comment\n"
         "\n"
         "   \t\n"
         "   # indented comment = not a key\n"
         "brokers =  127.0.0.1:9092  \n"
         "topic=news # not a comment\r\n"
         "kafka.linger.ms = 5\n",
         WH_OK);
    assert_string_equal(wh_config_get(fx->cfg, "brokers", NULL),
                        "127.0.0.1:9092");
    assert_string_equal(wh_config_get(fx->cfg, "topic", NULL),
                        "news # not a comment");
    assert_string_equal(wh_config_get(fx->cfg, "kafka.linger.ms", NULL), "5");
    assert_string_equal(wh_config_get(fx->cfg, "workers", "4"), "4");
    assert_null(wh_config_get(fx->cfg, "workers", NULL));
    assert_string_equal(
        wh_config_first(fx->cfg, "brokers")->origin + strlen(fx->path), ":5");
}

static void test_unknown_key(void **state)
{
    struct fixture *fx = *state;
    const char *err;
    char expect[256];

    err = load(fx, "brokers = x\n\nbrokerz = y\n", WH_EINVAL);
    snprintf(expect, sizeof(expect), "%s:3: brokerz: ", fx->path);
    assert_true(strncmp(err, expect, strlen(expect)) == 0);
    assert_non_null(strstr(err, "unknown key"));
}

static void test_missing_equals(void **state)
{
    struct fixture *fx = *state;
    const char *err;
    char expect[256];

    err = load(fx, "# x\nbrokers 127.0.0.1\n", WH_EINVAL);
    snprintf(expect, sizeof(expect), "%s:2: ", fx->path);
    assert_true(strncmp(err, expect, strlen(expect)) == 0);
    assert_non_null(strstr(err, "missing '='"));

    err = load(fx, " = value\n", WH_EINVAL);
    snprintf(expect, sizeof(expect), "%s:1: ", fx->path);
    assert_true(strncmp(err, expect, strlen(expect)) == 0);
    /* "kafka." alone names no property. */
    err = load(fx, "kafka. = 1\n", WH_EINVAL);
    assert_non_null(strstr(err, "unknown key"));
}

static void test_repeated_single_key(void **state)
{
    struct fixture *fx = *state;
    const char *err;
    char expect[256];

    err = load(fx, "topic = a\ntopic = b\n", WH_EINVAL);
    snprintf(expect, sizeof(expect), "%s:2: topic: ", fx->path);
    assert_true(strncmp(err, expect, strlen(expect)) == 0);
    assert_non_null(strstr(err, "already set at line 1"));

    /* Loading the same file again (a reload) is no repetition. */
    load(fx, "# edited\ntopic = c\n", WH_OK);
    load(fx, "topic = d\n", WH_OK);
    assert_string_equal(wh_config_get(fx->cfg, "topic", NULL), "d");
    assert_null(wh_config_next(wh_config_first(fx->cfg, "topic")));
}

static void test_missing_file(void **state)
{
    struct fixture *fx = *state;
    char errstr[512];
    char path[160];

    snprintf(path, sizeof(path), "%s/does-not-exist.conf", fx->dir);
    assert_int_equal(wh_config_load(fx->cfg, path, errstr, sizeof(errstr)),
                     WH_EIO);
    assert_true(strncmp(errstr, path, strlen(path)) == 0);
    assert_non_null(strstr(errstr, "No such file"));

    /* A directory cannot be read as a file either. */
    assert_int_equal(wh_config_load(fx->cfg, fx->dir, errstr, sizeof(errstr)),
                     WH_EIO);
    assert_true(strncmp(errstr, fx->dir, strlen(fx->dir)) == 0);
}

static void test_repeatable(void **state)
{
    struct fixture *fx = *state;
    const struct wh_config_entry *e;
    char errstr[256];
    char other[160];

    load(fx, "source = a\nbrokers = x\nsource = b\n", WH_OK);
    snprintf(other, sizeof(other), "%s/other.conf", fx->dir);
    write_file(other, "source = c\nbrokers = y\n");
    assert_int_equal(wh_config_load(fx->cfg, other, errstr, sizeof(errstr)),
                     WH_OK);
    /* Files accumulate repeatable values; a later file overrides a single
     * key. */
    e = wh_config_first(fx->cfg, "source");
    assert_non_null(e);
    assert_string_equal(e->value, "a");
    e = wh_config_next(e);
    assert_non_null(e);
    assert_string_equal(e->value, "b");
    e = wh_config_next(e);
    assert_non_null(e);
    assert_string_equal(e->value, "c");
    assert_null(wh_config_next(e));
    assert_string_equal(wh_config_get(fx->cfg, "brokers", NULL), "y");
}

static void test_cli_override(void **state)
{
    struct fixture *fx = *state;
    const struct wh_config_entry *e;
    char errstr[256];

    load(fx, "topic = from-file\nsource = a\nsource = b\n", WH_OK);
    assert_int_equal(
        wh_config_set(fx->cfg, "topic", "cli", errstr, sizeof(errstr)), WH_OK);
    assert_string_equal(wh_config_get(fx->cfg, "topic", NULL), "cli");
    assert_string_equal(wh_config_first(fx->cfg, "topic")->origin,
                        "command line");
    assert_null(wh_config_next(wh_config_first(fx->cfg, "topic")));

    /* The first command-line value replaces the file's, later ones
     * accumulate. */
    assert_int_equal(
        wh_config_set(fx->cfg, "source", "x", errstr, sizeof(errstr)), WH_OK);
    assert_int_equal(
        wh_config_set(fx->cfg, "source", "y", errstr, sizeof(errstr)), WH_OK);
    e = wh_config_first(fx->cfg, "source");
    assert_non_null(e);
    assert_string_equal(e->value, "x");
    e = wh_config_next(e);
    assert_non_null(e);
    assert_string_equal(e->value, "y");
    assert_null(wh_config_next(e));

    assert_int_equal(
        wh_config_set(fx->cfg, "nope", "1", errstr, sizeof(errstr)), WH_EINVAL);
    assert_string_equal(errstr, "command line: nope: unknown key");
}

static void test_set_kafka(void **state)
{
    struct fixture *fx = *state;
    char errstr[256];

    assert_int_equal(
        wh_config_set_kafka(fx->cfg, "acks=all", errstr, sizeof(errstr)),
        WH_OK);
    assert_string_equal(wh_config_get(fx->cfg, "kafka.acks", NULL), "all");
    assert_int_equal(wh_config_set_kafka(fx->cfg, "sasl.password=a=b", errstr,
                                         sizeof(errstr)),
                     WH_OK);
    assert_string_equal(wh_config_get(fx->cfg, "kafka.sasl.password", NULL),
                        "a=b");
    assert_int_equal(
        wh_config_set_kafka(fx->cfg, "acks=1", errstr, sizeof(errstr)), WH_OK);
    assert_string_equal(wh_config_get(fx->cfg, "kafka.acks", NULL), "1");
    assert_int_equal(
        wh_config_set_kafka(fx->cfg, "novalue", errstr, sizeof(errstr)),
        WH_EINVAL);
    assert_non_null(strstr(errstr, "novalue"));
    assert_int_equal(wh_config_set_kafka(fx->cfg, "=x", errstr, sizeof(errstr)),
                     WH_EINVAL);
}

static void test_get_int(void **state)
{
    struct fixture *fx = *state;
    char errstr[256];
    char expect[256];
    long long v = 0;

    load(fx, "workers = 12\ntopic = 12x\nbrokers = 99999999999999999999\n",
         WH_OK);
    assert_int_equal(
        wh_config_get_int(fx->cfg, "workers", 3, &v, errstr, sizeof(errstr)),
        WH_OK);
    assert_int_equal(v, 12);
    assert_int_equal(
        wh_config_get_int(fx->cfg, "source", 3, &v, errstr, sizeof(errstr)),
        WH_OK);
    assert_int_equal(v, 3);
    assert_int_equal(
        wh_config_get_int(fx->cfg, "topic", 3, &v, errstr, sizeof(errstr)),
        WH_EINVAL);
    snprintf(expect, sizeof(expect), "%s:2: topic: not an integer", fx->path);
    assert_true(strncmp(errstr, expect, strlen(expect)) == 0);
    assert_int_equal(
        wh_config_get_int(fx->cfg, "brokers", 3, &v, errstr, sizeof(errstr)),
        WH_EINVAL);
    assert_int_equal(
        wh_config_set(fx->cfg, "workers", "", errstr, sizeof(errstr)), WH_OK);
    assert_int_equal(
        wh_config_get_int(fx->cfg, "workers", 3, &v, errstr, sizeof(errstr)),
        WH_EINVAL);
    assert_string_equal(errstr, "command line: workers: not an integer: \"\"");
}

static void test_print_keys(void **state)
{
    struct fixture *fx = *state;
    char line[256];
    FILE *fp;
    int found = 0;

    fp = fopen(fx->path, "w+");
    assert_non_null(fp);
    wh_config_print_keys(keys, fp);
    rewind(fp);
    while (fgets(line, sizeof(line), fp) != NULL) {
        if (strstr(line, "source") != NULL &&
            strstr(line, "repeatable") != NULL) {
            found = 1;
        }
    }
    fclose(fp);
    assert_true(found);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_comments_and_blanks, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_unknown_key, setup, teardown),
        cmocka_unit_test_setup_teardown(test_missing_equals, setup, teardown),
        cmocka_unit_test_setup_teardown(test_repeated_single_key, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_missing_file, setup, teardown),
        cmocka_unit_test_setup_teardown(test_repeatable, setup, teardown),
        cmocka_unit_test_setup_teardown(test_cli_override, setup, teardown),
        cmocka_unit_test_setup_teardown(test_set_kafka, setup, teardown),
        cmocka_unit_test_setup_teardown(test_get_int, setup, teardown),
        cmocka_unit_test_setup_teardown(test_print_keys, setup, teardown),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
