/*
 * test_consumer_dlq.c - the consumer's dead-letter path (consumers/dlq.c)
 * against librdkafka's mock cluster in this process: what a dead letter
 * carries (the original key, bytes and headers, and wh.dlq.reason,
 * .detail, .stage, .topic, .partition, .offset, .time), where it goes
 * (<topic>.dlq, dlq.topic, off), a sink's late refusal dead-lettered
 * once, the reason codes of messages that are not records, and the
 * properties kept away from the dead-letter producer.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>

#include "../../consumers/consumer.h"
#include "wh/log.h"
#include "wh/wh.h"

/* dlq.c builds the dead-letter producer's configuration on the consumer's
 * key table; the keys it sets are brokers and kafka.*. */
const struct wh_config_key *wh_consumer_config_keys(void)
{
    static const struct wh_config_key keys[] = {
        WH_KEY_STR("brokers", NULL, "bootstrap"),
        WH_KEY_STR("dlq.topic", NULL, "dead-letter topic"),
        WH_KEY_END,
    };

    return keys;
}

static rd_kafka_t *mock_rk;
static rd_kafka_mock_cluster_t *mcluster;
static char bootstraps[256];

static int setup(void **state)
{
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    char errstr[256];

    (void)state;
    wh_log_set_level(WH_LOG_WARNING);
    assert_int_equal(
        rd_kafka_conf_set(conf, "log_level", "3", errstr, sizeof(errstr)),
        RD_KAFKA_CONF_OK);
    mock_rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, sizeof(errstr));
    assert_non_null(mock_rk);
    mcluster = rd_kafka_mock_cluster_new(mock_rk, 1);
    assert_non_null(mcluster);
    snprintf(bootstraps, sizeof(bootstraps), "%s",
             rd_kafka_mock_cluster_bootstraps(mcluster));
    assert_int_equal(rd_kafka_mock_topic_create(mcluster, "in", 1, 1), 0);
    assert_int_equal(rd_kafka_mock_topic_create(mcluster, "in.dlq", 1, 1), 0);
    assert_int_equal(rd_kafka_mock_topic_create(mcluster, "errors", 1, 1), 0);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    rd_kafka_mock_cluster_destroy(mcluster);
    rd_kafka_destroy(mock_rk);
    return 0;
}

/* Produces one message with a header to topic and waits for it. */
static void produce_original(const char *topic, const char *key,
                             const char *payload)
{
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    rd_kafka_headers_t *hdrs = rd_kafka_headers_new(1);
    char errstr[256];
    rd_kafka_t *rk;

    assert_int_equal(rd_kafka_conf_set(conf, "bootstrap.servers", bootstraps,
                                       errstr, sizeof(errstr)),
                     RD_KAFKA_CONF_OK);
    rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, sizeof(errstr));
    assert_non_null(rk);
    rd_kafka_header_add(hdrs, "trace", -1, "abc123", -1);
    assert_int_equal(
        rd_kafka_producev(rk, RD_KAFKA_V_TOPIC(topic),
                          RD_KAFKA_V_KEY(key, strlen(key)),
                          RD_KAFKA_V_VALUE((void *)payload, strlen(payload)),
                          RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
                          RD_KAFKA_V_HEADERS(hdrs), RD_KAFKA_V_END),
        RD_KAFKA_RESP_ERR_NO_ERROR);
    assert_int_equal(rd_kafka_flush(rk, 10000), RD_KAFKA_RESP_ERR_NO_ERROR);
    rd_kafka_destroy(rk);
}

/* A message read back, with the consumer it came from. */
struct read {
    rd_kafka_t *rk;
    rd_kafka_message_t *rkm;
};

/* Reads the message at offset of topic partition 0 into r. */
static void consume_at(struct read *r, const char *topic, int64_t offset)
{
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    rd_kafka_topic_partition_list_t *list;
    char errstr[256];
    int tries;

    assert_int_equal(rd_kafka_conf_set(conf, "bootstrap.servers", bootstraps,
                                       errstr, sizeof(errstr)),
                     RD_KAFKA_CONF_OK);
    assert_int_equal(
        rd_kafka_conf_set(conf, "group.id", "t", errstr, sizeof(errstr)),
        RD_KAFKA_CONF_OK);
    r->rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, errstr, sizeof(errstr));
    assert_non_null(r->rk);
    rd_kafka_poll_set_consumer(r->rk);
    list = rd_kafka_topic_partition_list_new(1);
    rd_kafka_topic_partition_list_add(list, topic, 0)->offset = offset;
    assert_int_equal(rd_kafka_assign(r->rk, list), RD_KAFKA_RESP_ERR_NO_ERROR);
    rd_kafka_topic_partition_list_destroy(list);
    r->rkm = NULL;
    for (tries = 0; tries < 100 && r->rkm == NULL; tries++) {
        r->rkm = rd_kafka_consumer_poll(r->rk, 100);
        if (r->rkm != NULL && r->rkm->err != RD_KAFKA_RESP_ERR_NO_ERROR) {
            rd_kafka_message_destroy(r->rkm);
            r->rkm = NULL;
        }
    }
    assert_non_null(r->rkm);
}

/* The message first, then its consumer. */
static void read_done(struct read *r)
{
    rd_kafka_message_destroy(r->rkm);
    (void)rd_kafka_consumer_close(r->rk);
    rd_kafka_destroy(r->rk);
}

/* The last value of header name, as a string ("" when empty), or NULL. */
static char *header(const rd_kafka_message_t *rkm, const char *name)
{
    rd_kafka_headers_t *hdrs = NULL;
    const void *v;
    size_t len;

    if (rd_kafka_message_headers(rkm, &hdrs) != RD_KAFKA_RESP_ERR_NO_ERROR ||
        rd_kafka_header_get_last(hdrs, name, &v, &len) !=
            RD_KAFKA_RESP_ERR_NO_ERROR) {
        return NULL;
    }
    return wh_xstrndup(v, len);
}

static void assert_header(const rd_kafka_message_t *rkm, const char *name,
                          const char *want)
{
    char *got = header(rkm, name);

    if (want == NULL) {
        if (got != NULL) {
            fail_msg("header %s: \"%s\", want none", name, got);
        }
        return;
    }
    if (got == NULL || strcmp(got, want) != 0) {
        fail_msg("header %s: %s%s%s, want \"%s\"", name, got ? "\"" : "",
                 got ? got : "none", got ? "\"" : "", want);
    }
    free(got);
}

/* A consumer whose dead-letter producer is set up from dlq_topic (NULL:
 * the default, "off": none). */
static void consumer_init(struct consumer *c, struct wh_config **cfg,
                          const char *dlq_topic)
{
    char errstr[512];

    memset(c, 0, sizeof(*c));
    *cfg = wh_config_new(wh_consumer_config_keys());
    assert_int_equal(
        wh_config_set(*cfg, "brokers", bootstraps, errstr, sizeof(errstr)),
        WH_OK);
    /* consumer-only: must not reach the producer (it would warn) */
    assert_int_equal(wh_config_set(*cfg, "kafka.session.timeout.ms", "6000",
                                   errstr, sizeof(errstr)),
                     WH_OK);
    if (dlq_topic != NULL) {
        assert_int_equal(
            wh_config_set(*cfg, "dlq.topic", dlq_topic, errstr, sizeof(errstr)),
            WH_OK);
    }
    c->cfg = *cfg;
    if (dlq_init(c, errstr, sizeof(errstr)) != WH_OK) {
        fail_msg("dlq_init: %s", errstr);
    }
}

static void consumer_done(struct consumer *c, struct wh_config *cfg)
{
    if (c->dlq_rk != NULL) {
        rd_kafka_destroy(c->dlq_rk);
    }
    wh_config_free(cfg);
}

/* Waits for the dead letters queued on c, then reads the one at offset of
 * topic into out. */
static void flush_and_read(struct consumer *c, struct read *out,
                           const char *topic, int64_t offset)
{
    assert_int_equal(rd_kafka_flush(c->dlq_rk, 10000),
                     RD_KAFKA_RESP_ERR_NO_ERROR);
    assert_int_equal(c->dlq_outstanding, 0);
    assert_int_equal(c->dlq_failed, 0);
    consume_at(out, topic, offset);
}

/* A rejected record: the dead letter is the original message plus why. */
static void test_dead_letter_carries(void **state)
{
    struct consumer c;
    struct wh_config *cfg;
    struct read in;
    struct read out;
    rd_kafka_message_t *orig;
    rd_kafka_message_t *dead;
    char *t;

    (void)state;
    produce_original("in", "http://a.example/1", "{\"not\": \"a record\"}");
    consume_at(&in, "in", 0);
    orig = in.rkm;
    consumer_init(&c, &cfg, NULL);
    assert_non_null(c.dlq_rk);
    assert_int_equal(dead_letter(&c, orig, "in", "rejected", "sink:http",
                                 "mapper_parsing_exception"),
                     WH_OK);
    assert_int_equal(c.dlq_outstanding, 1);
    assert_int_equal(c.n_dead, 1);
    assert_int_equal(c.fatal, 0);

    flush_and_read(&c, &out, "in.dlq", 0);
    dead = out.rkm;
    assert_int_equal(dead->key_len, strlen("http://a.example/1"));
    assert_memory_equal(dead->key, "http://a.example/1", dead->key_len);
    assert_int_equal(dead->len, orig->len);
    assert_memory_equal(dead->payload, orig->payload, orig->len);
    assert_header(dead, "trace", "abc123");
    assert_header(dead, "wh.dlq.reason", "rejected");
    assert_header(dead, "wh.dlq.detail", "mapper_parsing_exception");
    assert_header(dead, "wh.dlq.stage", "sink:http");
    assert_header(dead, "wh.dlq.topic", "in");
    assert_header(dead, "wh.dlq.partition", "0");
    assert_header(dead, "wh.dlq.offset", "0");
    t = header(dead, "wh.dlq.time");
    assert_non_null(t);
    /* RFC 3339 UTC: 2026-12-07T18:59:00Z */
    assert_int_equal(strlen(t), 20);
    assert_true(t[4] == '-' && t[10] == 'T' && t[19] == 'Z');
    free(t);
    read_done(&out);
    read_done(&in);
    consumer_done(&c, cfg);
}

/* dlq.topic names the topic; a message that is not a record has no
 * stage. */
static void test_fixed_topic_no_stage(void **state)
{
    struct consumer c;
    struct wh_config *cfg;
    struct read in;
    struct read out;
    rd_kafka_message_t *orig;
    rd_kafka_message_t *dead;

    (void)state;
    consume_at(&in, "in", 0);
    orig = in.rkm;
    consumer_init(&c, &cfg, "errors");
    assert_int_equal(
        dead_letter(&c, orig, "in", bad_reason(orig), NULL, "missing uri"),
        WH_OK);
    flush_and_read(&c, &out, "errors", 0);
    dead = out.rkm;
    assert_header(dead, "wh.dlq.reason", "invalid_record");
    assert_header(dead, "wh.dlq.detail", "missing uri");
    assert_header(dead, "wh.dlq.stage", NULL);
    read_done(&out);
    read_done(&in);
    consumer_done(&c, cfg);
}

/* dlq.topic = off: no producer, nothing sent, the record goes on. */
static void test_off(void **state)
{
    struct consumer c;
    struct wh_config *cfg;
    struct read in;

    (void)state;
    consume_at(&in, "in", 0);
    consumer_init(&c, &cfg, "off");
    assert_null(c.dlq_rk);
    assert_int_equal(dead_letter(&c, in.rkm, "in", "rejected", "x", "y"),
                     WH_OK);
    assert_int_equal(c.n_dead, 0);
    read_done(&in);
    consumer_done(&c, cfg);
}

/* A sink refuses a record after it accepted it: dead-lettered once with
 * the sink's tag and reason; a token nobody holds changes nothing. */
static void test_late_refusal_once(void **state)
{
    struct consumer c;
    struct wh_config *cfg;
    struct pend pend;
    struct read in;
    struct read out;

    (void)state;
    consumer_init(&c, &cfg, "errors");
    consume_at(&in, "in", 0);
    memset(&pend, 0, sizeof(pend));
    pend.rkm = in.rkm;
    pend.token = 7;
    c.pends = &pend;
    c.npends = 1;
    c.unflushed_written = 1;
    c.cur_tag = "sink:postgres";
    reject_cb(&c, 8, "not ours");
    assert_int_equal(c.n_dead, 0);
    reject_cb(&c, 7, "value too long for type");
    reject_cb(&c, 7, "value too long for type");
    assert_int_equal(pend.rejected, 1);
    assert_int_equal(c.n_rejected, 1);
    assert_int_equal(c.n_dead, 1);
    assert_int_equal(c.unflushed_written, 0);
    flush_and_read(&c, &out, "errors", 1);
    assert_header(out.rkm, "wh.dlq.reason", "rejected");
    assert_header(out.rkm, "wh.dlq.stage", "sink:postgres");
    assert_header(out.rkm, "wh.dlq.detail", "value too long for type");
    read_done(&out);
    read_done(&in);
    consumer_done(&c, cfg);
}

/* dlq_headers() alone: the original headers first, no stage when NULL. */
static void test_headers(void **state)
{
    rd_kafka_headers_t *orig = rd_kafka_headers_new(2);
    rd_kafka_headers_t *h;
    const void *v;
    size_t len;

    (void)state;
    rd_kafka_header_add(orig, "wh-source", -1, "wire", -1);
    h = dlq_headers(orig, "t", 3, 12345678901LL, "not_json", NULL, "line 1");
    assert_int_equal(rd_kafka_header_cnt(h), 1 + 6);
    assert_int_equal(rd_kafka_header_get_last(h, "wh-source", &v, &len), 0);
    assert_memory_equal(v, "wire", 4);
    assert_int_equal(rd_kafka_header_get_last(h, "wh.dlq.offset", &v, &len), 0);
    assert_int_equal(len, 11);
    assert_memory_equal(v, "12345678901", 11);
    assert_int_equal(rd_kafka_header_get_last(h, "wh.dlq.partition", &v, &len),
                     0);
    assert_memory_equal(v, "3", 1);
    assert_int_equal(rd_kafka_header_get_last(h, "wh.dlq.stage", &v, &len),
                     RD_KAFKA_RESP_ERR__NOENT);
    /* orig is copied, not taken */
    assert_int_equal(rd_kafka_header_cnt(orig), 1);
    rd_kafka_headers_destroy(h);
    rd_kafka_headers_destroy(orig);
    h = dlq_headers(NULL, "t", 0, 0, "empty", "dedup:dedup", "");
    assert_int_equal(rd_kafka_header_cnt(h), 7);
    rd_kafka_headers_destroy(h);
}

static void test_bad_reason(void **state)
{
    rd_kafka_message_t rkm;
    char json[] = "{\"uri\": 1}";
    char junk[] = "<rss>";

    (void)state;
    memset(&rkm, 0, sizeof(rkm));
    assert_string_equal(bad_reason(&rkm), "empty");
    rkm.payload = json;
    rkm.len = 0;
    assert_string_equal(bad_reason(&rkm), "empty");
    rkm.len = strlen(json);
    assert_string_equal(bad_reason(&rkm), "invalid_record");
    rkm.payload = junk;
    rkm.len = strlen(junk);
    assert_string_equal(bad_reason(&rkm), "not_json");
}

static void test_consumer_only(void **state)
{
    (void)state;
    assert_true(consumer_only("group.id"));
    assert_true(consumer_only("session.timeout.ms"));
    assert_true(consumer_only("auto.offset.reset"));
    assert_true(consumer_only("fetch.min.bytes"));
    assert_false(consumer_only("acks"));
    assert_false(consumer_only("security.protocol"));
    assert_false(consumer_only("linger.ms"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_dead_letter_carries),
        cmocka_unit_test(test_fixed_topic_no_stage),
        cmocka_unit_test(test_off),
        cmocka_unit_test(test_late_refusal_once),
        cmocka_unit_test(test_headers),
        cmocka_unit_test(test_bad_reason),
        cmocka_unit_test(test_consumer_only),
    };

    return cmocka_run_group_tests(tests, setup, teardown);
}
