/*
 * test_config.c - wh_config: files, errors, overrides, -X; the typed
 * model (defaults, ranges, durations, choices, validators, checks, joined
 * tables); ${file:} and ${env:} secrets.
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
#include "wh/secret.h"
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

/* ---- the typed model ---- */

static int even_check(const char *value, char *errstr, size_t errstr_size)
{
    if (strlen(value) % 2 != 0) {
        snprintf(errstr, errstr_size, "odd length");
        return WH_EINVAL;
    }
    return WH_OK;
}

static const struct wh_config_key typed_keys[] = {
    WH_KEY_INT("n.count", "10", 1, 100, "items", "a count"),
    WH_KEY_INT("n.free", NULL, WH_NO_MIN, WH_NO_MAX, NULL, "no default"),
    WH_KEY_DURATION("n.wait_ms", "1500", 0, 60000, "ms", "a wait"),
    WH_KEY_DURATION("n.age_s", "60", 1, WH_NO_MAX, "s", "an age"),
    WH_KEY_BOOL("n.flag", "false", "a flag"),
    WH_KEY_ENUM("n.mode", "keep", "keep|drop|topic", "a mode"),
    WH_KEY_URL("n.url", NULL, "a URL"),
    WH_KEY_PATH("n.path", "/var/x", "a path"),
    WH_KEY_CHECKED("n.even", WH_CONFIG_STRING, NULL, even_check, "even"),
    WH_KEY_END,
};

static void test_typed_defaults(void **state)
{
    struct fixture *fx = *state;
    char errstr[256];
    long long v = -1;
    int b = -1;
    int e = -1;

    (void)fx;
    assert_int_equal(
        wh_config_int(NULL, typed_keys, "n.count", &v, errstr, sizeof(errstr)),
        WH_OK);
    assert_int_equal(v, 10);
    assert_int_equal(wh_config_int(NULL, typed_keys, "n.wait_ms", &v, errstr,
                                   sizeof(errstr)),
                     WH_OK);
    assert_int_equal(v, 1500);
    v = 77;
    assert_int_equal(
        wh_config_int(NULL, typed_keys, "n.free", &v, errstr, sizeof(errstr)),
        WH_ENOENT);
    assert_int_equal(v, 77);
    assert_int_equal(
        wh_config_bool(NULL, typed_keys, "n.flag", &b, errstr, sizeof(errstr)),
        WH_OK);
    assert_int_equal(b, 0);
    assert_int_equal(
        wh_config_enum(NULL, typed_keys, "n.mode", &e, errstr, sizeof(errstr)),
        WH_OK);
    assert_int_equal(e, 0);
    assert_string_equal(wh_config_str(NULL, typed_keys, "n.path"), "/var/x");
    assert_null(wh_config_str(NULL, typed_keys, "n.url"));
    assert_string_equal(wh_config_origin(NULL, "n.count"), "default");
}

/* The integer value of key in cfg, which must read. */
static long long int_of(const struct wh_config *cfg, const char *key)
{
    char errstr[256] = "";
    long long v = 0;

    if (wh_config_int(cfg, NULL, key, &v, errstr, sizeof(errstr)) != WH_OK) {
        fail_msg("%s: %s", key, errstr);
    }
    return v;
}

static void test_typed_values(void **state)
{
    struct fixture *fx = *state;
    struct wh_config *cfg = wh_config_new(typed_keys);
    char errstr[256];
    char expect[256];
    long long v = 0;
    int b = 0;
    int e = 0;

    write_file(fx->path, "n.count = 100\nn.wait_ms = 2s\nn.age_s = 2m\n"
                         "n.flag = Yes\nn.mode = topic\n");
    assert_int_equal(wh_config_load(cfg, fx->path, errstr, sizeof(errstr)),
                     WH_OK);
    assert_int_equal(int_of(cfg, "n.count"), 100);
    assert_int_equal(int_of(cfg, "n.wait_ms"), 2000);
    assert_int_equal(int_of(cfg, "n.age_s"), 120);
    assert_int_equal(
        wh_config_bool(cfg, NULL, "n.flag", &b, errstr, sizeof(errstr)), WH_OK);
    assert_int_equal(b, 1);
    assert_int_equal(
        wh_config_enum(cfg, NULL, "n.mode", &e, errstr, sizeof(errstr)), WH_OK);
    assert_int_equal(e, 2);
    snprintf(expect, sizeof(expect), "%s:2", fx->path);
    assert_string_equal(wh_config_origin(cfg, "n.wait_ms"), expect);

    /* out of range, with its origin */
    assert_int_equal(
        wh_config_set(cfg, "n.count", "101", errstr, sizeof(errstr)), WH_OK);
    assert_int_equal(
        wh_config_int(cfg, NULL, "n.count", &v, errstr, sizeof(errstr)),
        WH_EINVAL);
    assert_string_equal(errstr,
                        "command line: n.count: 101: must be 1 to 100 items");
    wh_config_free(cfg);
}

/* value must be refused by key with a reason containing want. */
static void expect_bad(const char *key, const char *value, const char *want)
{
    char errstr[256] = "";
    const struct wh_config_key *k = wh_config_key_find(typed_keys, key);

    assert_non_null(k);
    if (wh_config_check_value(k, value, errstr, sizeof(errstr)) == WH_OK) {
        fail_msg("%s = \"%s\" accepted", key, value);
    }
    if (strstr(errstr, want) == NULL) {
        fail_msg("%s = \"%s\": \"%s\" lacks \"%s\"", key, value, errstr, want);
    }
}

static void expect_good(const char *key, const char *value)
{
    char errstr[256] = "";
    const struct wh_config_key *k = wh_config_key_find(typed_keys, key);

    assert_non_null(k);
    if (wh_config_check_value(k, value, errstr, sizeof(errstr)) != WH_OK) {
        fail_msg("%s = \"%s\" refused: %s", key, value, errstr);
    }
}

static void test_typed_checks(void **state)
{
    (void)state;
    expect_bad("n.count", "0", "must be 1 to 100");
    expect_bad("n.count", "12x", "not an integer");
    expect_bad("n.count", "", "not an integer");
    expect_bad("n.count", " 5", "not an integer");
    expect_bad("n.count", "99999999999999999999", "not an integer");
    expect_bad("n.count", "5s", "not an integer"); /* not a duration */
    expect_bad("n.wait_ms", "61s", "must be 0 to 60000 ms");
    expect_bad("n.wait_ms", "3 s", "not an integer");
    expect_bad("n.wait_ms", "2d", "not an integer");
    expect_bad("n.age_s", "1500ms", "not a whole number of s");
    expect_bad("n.age_s", "0", "must be at least 1 s");
    expect_bad("n.flag", "maybe", "expected true or false");
    expect_bad("n.mode", "kept", "expected one of keep,drop,topic");
    expect_bad("n.mode", "keep,drop", "expected one of");
    expect_bad("n.url", "ftp://example.com/", "not an http");
    expect_bad("n.url", "http://", "without a host");
    expect_bad("n.url", "https:///path", "without a host");
    expect_bad("n.path", "", "empty path");
    expect_bad("n.even", "abc", "odd length");
    expect_good("n.count", "1");
    expect_good("n.count", "100");
    expect_good("n.free", "-5");
    expect_good("n.wait_ms", "60s");
    expect_good("n.wait_ms", "1m");
    expect_good("n.age_s", "1h");
    expect_good("n.flag", "off");
    expect_good("n.mode", "drop");
    expect_good("n.url", "https://user@example.com:8443/x?y#z");
    expect_good("n.even", "ab");
}

static void test_check_all(void **state)
{
    struct fixture *fx = *state;
    struct wh_config *cfg = wh_config_new(typed_keys);
    struct wh_config_problems pr = {NULL, 0, 0};
    char errstr[256];
    char expect[256];

    /* every bad value, one line each; an overridden one does not count */
    write_file(fx->path, "n.count = 0\nn.mode = x\nn.flag = true\n"
                         "kafka.anything = goes\n");
    assert_int_equal(wh_config_load(cfg, fx->path, errstr, sizeof(errstr)),
                     WH_OK);
    assert_int_equal(wh_config_check(cfg, &pr), 2);
    snprintf(expect, sizeof(expect), "%s:1: n.count: 0: must be 1 to 100",
             fx->path);
    assert_true(strncmp(pr.lines[0], expect, strlen(expect)) == 0);
    snprintf(expect, sizeof(expect), "%s:2: n.mode: \"x\"", fx->path);
    assert_true(strncmp(pr.lines[1], expect, strlen(expect)) == 0);
    wh_config_problems_free(&pr);
    assert_int_equal(wh_config_set(cfg, "n.count", "5", errstr, sizeof(errstr)),
                     WH_OK);
    assert_int_equal(
        wh_config_set(cfg, "n.mode", "drop", errstr, sizeof(errstr)), WH_OK);
    assert_int_equal(wh_config_check(cfg, &pr), 0);
    wh_config_problems_free(&pr);
    wh_config_free(cfg);
}

static void test_copy_and_join(void **state)
{
    struct fixture *fx = *state;
    const struct wh_config_key *tables[3] = {keys, typed_keys, keys};
    struct wh_config_key *all = wh_config_keys_join(tables, 3);
    struct wh_config *cfg = wh_config_new(all);
    struct wh_config *copy;
    char errstr[256];
    char expect[256];
    size_t n = 0;

    while (all[n].name != NULL) {
        n++;
    }
    /* keys twice: each name once */
    assert_int_equal(n, 4 + 9);
    assert_non_null(wh_config_key_find(all, "n.mode"));
    write_file(fx->path, "n.count = 7\nkafka.acks = all\nbrokers = b:1\n");
    assert_int_equal(wh_config_load(cfg, fx->path, errstr, sizeof(errstr)),
                     WH_OK);
    copy = wh_config_copy(cfg, NULL);
    snprintf(expect, sizeof(expect), "%s:1", fx->path);
    /* origins survive the copy: a stage's error says file:line */
    assert_string_equal(wh_config_origin(copy, "n.count"), expect);
    assert_string_equal(wh_config_get(copy, "kafka.acks", ""), "all");
    wh_config_free(copy);
    wh_config_free(cfg);
    free(all);
}

/* ---- secrets ---- */

static void test_expand(void **state)
{
    struct fixture *fx = *state;
    char secret_path[160];
    char value[320];
    char errstr[256];
    char *out = NULL;
    int secret = 0;

    snprintf(secret_path, sizeof(secret_path), "%s/other.conf", fx->dir);
    write_file(secret_path, "s3cret\n");
    setenv("WH_TEST_CFG_DIR", fx->dir, 1);
    setenv("WH_TEST_CFG_PW", "from-env", 1);
    unsetenv("WH_TEST_CFG_UNSET");

    assert_int_equal(
        wh_secret_expand("plain $5 $x", &out, &secret, errstr, sizeof(errstr)),
        WH_OK);
    assert_string_equal(out, "plain $5 $x");
    assert_int_equal(secret, 0);
    free(out);

    snprintf(value, sizeof(value), "password=${file:%s} x", secret_path);
    assert_int_equal(
        wh_secret_expand(value, &out, &secret, errstr, sizeof(errstr)), WH_OK);
    assert_string_equal(out, "password=s3cret x");
    assert_int_equal(secret, 1);
    free(out);

    /* nested: a file named by the environment (LoadCredential=) */
    assert_int_equal(
        wh_secret_expand("${file:${env:WH_TEST_CFG_DIR}/other.conf}/"
                         "${env:WH_TEST_CFG_PW} $${literal}",
                         &out, &secret, errstr, sizeof(errstr)),
        WH_OK);
    assert_string_equal(out, "s3cret/from-env ${literal}");
    free(out);

    assert_int_equal(wh_secret_expand("${env:WH_TEST_CFG_UNSET}", &out, &secret,
                                      errstr, sizeof(errstr)),
                     WH_EINVAL);
    assert_string_equal(errstr, "${env:WH_TEST_CFG_UNSET}: not set");
    assert_null(out);
    assert_int_not_equal(wh_secret_expand("${file:/nonexistent/x}", &out,
                                          &secret, errstr, sizeof(errstr)),
                         WH_OK);
    assert_non_null(strstr(errstr, "No such file"));
    /* only regular files: a device or a FIFO could hang the daemon */
    assert_int_equal(wh_secret_expand("${file:/dev/zero}", &out, &secret,
                                      errstr, sizeof(errstr)),
                     WH_EINVAL);
    assert_string_equal(errstr, "${file:/dev/zero}: not a regular file");
    assert_int_equal(
        wh_secret_expand("a ${env:X", &out, &secret, errstr, sizeof(errstr)),
        WH_EINVAL);
    assert_non_null(strstr(errstr, "unclosed"));
    assert_int_equal(
        wh_secret_expand("${vault:x}", &out, &secret, errstr, sizeof(errstr)),
        WH_EINVAL);
    assert_non_null(strstr(errstr, "unknown reference"));
    write_file(secret_path, "two\nlines\n");
    snprintf(value, sizeof(value), "${file:%s}", secret_path);
    assert_int_equal(
        wh_secret_expand(value, &out, &secret, errstr, sizeof(errstr)),
        WH_EINVAL);
    assert_non_null(strstr(errstr, "more than one line"));

    /* in a file: the error names file:line and key; the entry is secret */
    snprintf(
        value, sizeof(value),
        "brokers = ${env:WH_TEST_CFG_PW}\ntopic = ${env:WH_TEST_CFG_UNSET}\n");
    write_file(fx->path, value);
    assert_int_equal(wh_config_load(fx->cfg, fx->path, errstr, sizeof(errstr)),
                     WH_EINVAL);
    snprintf(value, sizeof(value),
             "%s:2: topic: ${env:WH_TEST_CFG_UNSET}: not set", fx->path);
    assert_string_equal(errstr, value);
    assert_string_equal(wh_config_get(fx->cfg, "brokers", ""), "from-env");
    assert_int_equal(wh_config_first(fx->cfg, "brokers")->secret, 1);
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
        cmocka_unit_test_setup_teardown(test_typed_defaults, setup, teardown),
        cmocka_unit_test_setup_teardown(test_typed_values, setup, teardown),
        cmocka_unit_test_setup_teardown(test_typed_checks, setup, teardown),
        cmocka_unit_test_setup_teardown(test_check_all, setup, teardown),
        cmocka_unit_test_setup_teardown(test_copy_and_join, setup, teardown),
        cmocka_unit_test_setup_teardown(test_expand, setup, teardown),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
