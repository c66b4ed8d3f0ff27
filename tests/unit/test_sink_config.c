/*
 * test_sink_config.c - the postgres, http and kafka sinks refuse a bad
 * argument or configuration at init with a clear message (no server is
 * needed: these are all caught before connecting). The sinks' behaviour
 * against real servers is in tests/integration/sink_*.sh.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "settings.h"
#include "stage.h"
#include "wh/config.h"
#include "wh/wh.h"

extern const struct wh_stage wh_sink_postgres;
extern const struct wh_stage wh_sink_http;
extern const struct wh_stage wh_sink_kafka;

/* init must fail, with errstr containing want. key/value: one setting
 * (key NULL for none). */
static void expect_refused(const struct wh_stage *st, const char *arg,
                           const char *key, const char *value, const char *want)
{
    struct wh_config *cfg = wh_config_new(wh_consumer_config_keys());
    char errstr[512] = "";
    void *ctx;

    if (key != NULL) {
        assert_int_equal(wh_config_set(cfg, key, value, errstr, sizeof(errstr)),
                         WH_OK);
    }
    ctx = st->init(arg, cfg, errstr, sizeof(errstr));
    if (ctx != NULL) {
        st->close(ctx);
        fail_msg("%s:%s accepted (wanted \"%s\")", st->name,
                 arg != NULL ? arg : "(null)", want);
    }
    if (strstr(errstr, want) == NULL) {
        fail_msg("%s: errstr \"%s\" lacks \"%s\"", st->name, errstr, want);
    }
    wh_config_free(cfg);
}

static void test_stage_shape(void **state)
{
    const struct wh_stage *const all[] = {&wh_sink_postgres, &wh_sink_http,
                                          &wh_sink_kafka};
    size_t i;

    (void)state;
    for (i = 0; i < WH_ARRAY_SIZE(all); i++) {
        assert_int_equal(all[i]->type, WH_STAGE_SINK);
        assert_non_null(all[i]->version);
        assert_non_null(all[i]->description);
        assert_non_null(all[i]->init);
        assert_non_null(all[i]->process);
        assert_non_null(all[i]->flush);
        all[i]->close(NULL); /* a no-op */
    }
    assert_string_equal(wh_sink_postgres.name, "postgres");
    assert_string_equal(wh_sink_http.name, "http");
    assert_string_equal(wh_sink_kafka.name, "kafka");
}

static void test_postgres_refuses(void **state)
{
    (void)state;
    expect_refused(&wh_sink_postgres, NULL, NULL, NULL,
                   "needs a connection string");
    expect_refused(&wh_sink_postgres, "", NULL, NULL,
                   "needs a connection string");
    expect_refused(&wh_sink_postgres, "host=/nowhere nosuchkey=1", NULL, NULL,
                   "bad connection string");
    expect_refused(&wh_sink_postgres, "host=/nowhere", "postgres.table",
                   "bad\"name", "postgres.table");
    expect_refused(&wh_sink_postgres, "host=/nowhere", "postgres.table",
                   "9lives", "postgres.table");
    expect_refused(&wh_sink_postgres, "host=/nowhere", "postgres.batch", "0",
                   "postgres.batch: 0: must be");
    expect_refused(&wh_sink_postgres, "host=/nowhere", "postgres.batch", "many",
                   "not an integer");
}

/* Well-formed but nothing listens: an outage, not a configuration error.
 * init succeeds; a record waits (WH_RETRY) and the probe says why. */
static void test_postgres_down_at_start(void **state)
{
    struct wh_config *cfg = wh_config_new(wh_consumer_config_keys());
    char errstr[512] = "";
    void *ctx;

    (void)state;
    ctx = wh_sink_postgres.init("host=/nonexistent-wirehose-dir port=5432", cfg,
                                errstr, sizeof(errstr));
    assert_non_null(ctx);
    assert_non_null(wh_sink_postgres.probe);
    errstr[0] = '\0';
    assert_int_equal(wh_sink_postgres.probe(ctx, errstr, sizeof(errstr)),
                     WH_RETRY);
    assert_non_null(strstr(errstr, "connect: "));
    wh_sink_postgres.close(ctx);
    wh_config_free(cfg);
}

static void test_http_refuses(void **state)
{
    (void)state;
    expect_refused(&wh_sink_http, NULL, NULL, NULL, "needs the index URL");
    expect_refused(&wh_sink_http, "not a url", NULL, NULL,
                   "not an http:// or https:// URL");
    expect_refused(&wh_sink_http, "ftp://127.0.0.1/news", NULL, NULL,
                   "not an http:// or https:// URL");
    expect_refused(&wh_sink_http, "http://127.0.0.1:9200", NULL, NULL,
                   "must name the index");
    expect_refused(&wh_sink_http, "http://127.0.0.1:9200/_bulk", NULL, NULL,
                   "must name the index");
    expect_refused(&wh_sink_http, "http://127.0.0.1:9200/news",
                   "http.batch_docs", "0", "http.batch_docs: 0: must be");
    expect_refused(&wh_sink_http, "http://127.0.0.1:9200/news",
                   "http.timeout_ms", "5", "http.timeout_ms: 5: must be");
    expect_refused(&wh_sink_http, "http://127.0.0.1:9200/news",
                   "http.max_retries", "-1", "http.max_retries");
}

static void test_http_accepts(void **state)
{
    struct wh_config *cfg = wh_config_new(wh_consumer_config_keys());
    char errstr[512] = "";
    void *ctx;

    (void)state;
    ctx = wh_sink_http.init("https://user:secret@127.0.0.1:9/a/news/?x=1", cfg,
                            errstr, sizeof(errstr));
    assert_non_null(ctx);
    /* Nothing queued: flush has nothing to do. */
    assert_int_equal(wh_sink_http.flush(ctx, errstr, sizeof(errstr)), WH_OK);
    wh_sink_http.close(ctx);
    wh_config_free(cfg);
}

static void test_kafka_refuses(void **state)
{
    (void)state;
    expect_refused(&wh_sink_kafka, NULL, NULL, NULL, "needs a topic");
    expect_refused(&wh_sink_kafka, "news", "topic", "raw, news",
                   "also the topic consumed");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_stage_shape),
        cmocka_unit_test(test_postgres_refuses),
        cmocka_unit_test(test_postgres_down_at_start),
        cmocka_unit_test(test_http_refuses),
        cmocka_unit_test(test_http_accepts),
        cmocka_unit_test(test_kafka_refuses),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
