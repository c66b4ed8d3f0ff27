/*
 * test_metrics.c - the metrics registry, its Prometheus text output, and
 * the /metrics + /healthz server scraped over loopback with a plain socket.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include "wh/metrics.h"
#include "wh/wh.h"

/* Asserts that text holds line as a whole line. */
static void assert_line(const char *text, const char *line)
{
    size_t n = strlen(line);
    const char *p = text;

    while ((p = strstr(p, line)) != NULL) {
        if ((p == text || p[-1] == '\n') && (p[n] == '\n' || p[n] == '\0')) {
            return;
        }
        p += n;
    }
    fail_msg("line not found: %s\n--- in ---\n%s", line, text);
}

static size_t count_substr(const char *text, const char *sub)
{
    size_t n = 0;
    const char *p = text;

    while ((p = strstr(p, sub)) != NULL) {
        n++;
        p += strlen(sub);
    }
    return n;
}

static void test_empty_registry_renders_nothing(void **state)
{
    struct wh_metrics *reg = wh_metrics_new();
    size_t len = 99;
    char *out = wh_metrics_render(reg, &len);

    (void)state;
    assert_string_equal(out, "");
    assert_int_equal(len, 0);
    free(out);
    wh_metrics_free(reg);
    wh_metrics_free(NULL);
}

static void test_labelled_counter(void **state)
{
    struct wh_metrics *reg = wh_metrics_new();
    struct wh_metric *ok;
    struct wh_metric *err;
    char *out;

    (void)state;
    ok = wh_metrics_get(reg, WH_M_RECORDS, WH_METRICS_LABELS("fetch", "ok"));
    assert_non_null(ok);
    /* same labels, same series; other labels, another */
    assert_ptr_equal(ok, wh_metrics_get(reg, WH_M_RECORDS,
                                        WH_METRICS_LABELS("fetch", "ok")));
    err =
        wh_metrics_get(reg, WH_M_RECORDS, WH_METRICS_LABELS("fetch", "error"));
    assert_non_null(err);
    assert_ptr_not_equal(ok, err);
    wh_metrics_inc(ok);
    wh_metrics_inc(ok);
    wh_metrics_add(ok, 3);
    wh_metrics_add(ok, -10); /* counters only go up: ignored */
    wh_metrics_set(ok, 0);   /* not a gauge: ignored */
    wh_metrics_add(err, 0.5);
    wh_metrics_inc(
        wh_metrics_get(reg, WH_M_DEAD_LETTERS, WH_METRICS_LABELS("parse")));

    out = wh_metrics_render(reg, NULL);
    assert_line(out, "# HELP wirehose_records_total Records leaving a "
                     "pipeline stage, by stage and outcome.");
    assert_line(out, "# TYPE wirehose_records_total counter");
    assert_line(out,
                "wirehose_records_total{stage=\"fetch\",outcome=\"ok\"} 5");
    assert_line(out,
                "wirehose_records_total{stage=\"fetch\",outcome=\"error\"} "
                "0.5");
    assert_line(out, "# TYPE wirehose_dead_letters_total counter");
    assert_line(out, "wirehose_dead_letters_total{reason=\"parse\"} 1");
    assert_int_equal(count_substr(out, "# TYPE wirehose_records_total"), 1);
    /* declared but never used: not shown */
    assert_null(strstr(out, "wirehose_fetches_total"));
    /* HELP and TYPE come before the samples of the family */
    assert_true(strstr(out, "# TYPE wirehose_records_total") <
                strstr(out, "wirehose_records_total{"));
    free(out);
    wh_metrics_free(reg);
}

static void test_unlabelled_counter_and_gauge(void **state)
{
    static const struct wh_metrics_family up = {
        "wirehose_up_total", WH_METRICS_COUNTER, "Starts.", {NULL}, NULL, 0};
    struct wh_metrics *reg = wh_metrics_new();
    struct wh_metric *lag;
    char errstr[256];
    char *out;

    (void)state;
    assert_int_equal(wh_metrics_declare(reg, &up, errstr, sizeof(errstr)), 0);
    wh_metrics_inc(wh_metrics_get(reg, "wirehose_up_total", NULL, 0));
    lag = wh_metrics_get(reg, WH_M_LAG, WH_METRICS_LABELS("news", "3"));
    assert_non_null(lag);

    out = wh_metrics_render(reg, NULL);
    assert_line(out, "wirehose_up_total 1");
    /* a gauge never set is not shown */
    assert_null(strstr(out, "wirehose_consumer_lag"));
    free(out);

    wh_metrics_set(lag, 42);
    wh_metrics_add(lag, -2);
    out = wh_metrics_render(reg, NULL);
    assert_line(out, "# TYPE wirehose_consumer_lag gauge");
    assert_line(out,
                "wirehose_consumer_lag{topic=\"news\",partition=\"3\"} 40");
    free(out);

    wh_metrics_clear(lag);
    out = wh_metrics_render(reg, NULL);
    assert_null(strstr(out, "wirehose_consumer_lag"));
    free(out);
    wh_metrics_set(lag, -1.25);
    out = wh_metrics_render(reg, NULL);
    assert_line(out, "wirehose_consumer_lag{topic=\"news\",partition=\"3\"} "
                     "-1.25");
    free(out);
    wh_metrics_free(reg);
}

static void test_histogram(void **state)
{
    struct wh_metrics *reg = wh_metrics_new();
    struct wh_metric *h;
    char *out;

    (void)state;
    h = wh_metrics_get(reg, WH_M_SINK_LATENCY, WH_METRICS_LABELS("jsonl"));
    assert_non_null(h);
    wh_metrics_observe(h, 0.0007);
    wh_metrics_observe(h, 0.003);
    wh_metrics_observe(h, 0.005); /* on a bound: le is inclusive */
    wh_metrics_observe(h, 100);   /* past the last bound: +Inf only */
    wh_metrics_inc(h);            /* not a counter: ignored */

    out = wh_metrics_render(reg, NULL);
    assert_line(out, "# TYPE wirehose_sink_latency_seconds histogram");
    assert_line(out, "wirehose_sink_latency_seconds_bucket"
                     "{sink=\"jsonl\",le=\"0.0005\"} 0");
    assert_line(out, "wirehose_sink_latency_seconds_bucket"
                     "{sink=\"jsonl\",le=\"0.001\"} 1");
    assert_line(out, "wirehose_sink_latency_seconds_bucket"
                     "{sink=\"jsonl\",le=\"0.0025\"} 1");
    assert_line(out, "wirehose_sink_latency_seconds_bucket"
                     "{sink=\"jsonl\",le=\"0.005\"} 3");
    assert_line(out, "wirehose_sink_latency_seconds_bucket"
                     "{sink=\"jsonl\",le=\"30\"} 3");
    assert_line(out, "wirehose_sink_latency_seconds_bucket"
                     "{sink=\"jsonl\",le=\"+Inf\"} 4");
    assert_line(out, "wirehose_sink_latency_seconds_sum{sink=\"jsonl\"} "
                     "100.0087");
    assert_line(out, "wirehose_sink_latency_seconds_count{sink=\"jsonl\"} 4");
    assert_int_equal(count_substr(out, "_bucket{"), 16);
    free(out);
    wh_metrics_free(reg);
}

static void test_custom_histogram_buckets(void **state)
{
    static const double b[] = {1, 10};
    static const struct wh_metrics_family fam = {
        "batch_size", WH_METRICS_HISTOGRAM, "Batch sizes.", {NULL}, b, 2};
    static const double bad_b[] = {1, 1};
    static const struct wh_metrics_family bad = {
        "bad_size", WH_METRICS_HISTOGRAM, "x", {NULL}, bad_b, 2};
    struct wh_metrics *reg = wh_metrics_new();
    char errstr[256];
    char *out;

    (void)state;
    assert_int_equal(wh_metrics_declare(reg, &fam, errstr, sizeof(errstr)), 0);
    wh_metrics_observe(wh_metrics_get(reg, "batch_size", NULL, 0), 5);
    out = wh_metrics_render(reg, NULL);
    assert_line(out, "batch_size_bucket{le=\"1\"} 0");
    assert_line(out, "batch_size_bucket{le=\"10\"} 1");
    assert_line(out, "batch_size_bucket{le=\"+Inf\"} 1");
    assert_line(out, "batch_size_sum 5");
    assert_line(out, "batch_size_count 1");
    free(out);
    assert_int_equal(wh_metrics_declare(reg, &bad, errstr, sizeof(errstr)),
                     WH_EINVAL);
    assert_non_null(strstr(errstr, "ascending"));
    wh_metrics_free(reg);
}

static void test_escaping(void **state)
{
    static const struct wh_metrics_family fam = {
        .name = "esc_total",
        .type = WH_METRICS_COUNTER,
        .help = "Help with \\ and\nnewline \"q\".",
        .labels = {"v", NULL}};
    struct wh_metrics *reg = wh_metrics_new();
    char errstr[256];
    char *out;

    (void)state;
    assert_int_equal(wh_metrics_declare(reg, &fam, errstr, sizeof(errstr)), 0);
    wh_metrics_inc(
        wh_metrics_get(reg, "esc_total", WH_METRICS_LABELS("a\"b\\c\nd")));
    wh_metrics_inc(wh_metrics_get(reg, "esc_total", WH_METRICS_LABELS("")));
    wh_metrics_inc(
        wh_metrics_get(reg, "esc_total", WH_METRICS_LABELS("caf\xc3\xa9")));
    out = wh_metrics_render(reg, NULL);
    /* HELP escapes backslash and newline only; label values also quotes */
    assert_line(out, "# HELP esc_total Help with \\\\ and\\nnewline \"q\".");
    assert_line(out, "esc_total{v=\"a\\\"b\\\\c\\nd\"} 1");
    assert_line(out, "esc_total{v=\"\"} 1");
    assert_line(out, "esc_total{v=\"caf\xc3\xa9\"} 1");
    free(out);
    wh_metrics_free(reg);
}

static void test_misuse(void **state)
{
    static const struct wh_metrics_family bad_name = {
        "9lives", WH_METRICS_COUNTER, "x", {NULL}, NULL, 0};
    static const struct wh_metrics_family bad_label = {
        "ok_total", WH_METRICS_COUNTER, "x", {"__reserved", NULL}, NULL, 0};
    static const struct wh_metrics_family dup_label = {
        "ok_total", WH_METRICS_COUNTER, "x", {"a", "a", NULL}, NULL, 0};
    static const struct wh_metrics_family clash = {
        .name = WH_M_RECORDS,
        .type = WH_METRICS_GAUGE,
        .help = "x",
        .labels = {"stage", "outcome", NULL}};
    static const struct wh_metrics_family again = {
        .name = WH_M_RECORDS,
        .type = WH_METRICS_COUNTER,
        .help = "other help",
        .labels = {"stage", "outcome", NULL}};
    struct wh_metrics *reg = wh_metrics_new();
    char errstr[256];
    char longval[WH_METRICS_MAX_VALUE + 2];
    const char *nullval[1] = {NULL};

    (void)state;
    assert_int_equal(wh_metrics_declare(reg, &bad_name, errstr, sizeof(errstr)),
                     WH_EINVAL);
    assert_non_null(strstr(errstr, "9lives"));
    assert_int_equal(
        wh_metrics_declare(reg, &bad_label, errstr, sizeof(errstr)), WH_EINVAL);
    assert_int_equal(
        wh_metrics_declare(reg, &dup_label, errstr, sizeof(errstr)), WH_EINVAL);
    assert_int_equal(wh_metrics_declare(reg, &clash, errstr, sizeof(errstr)),
                     WH_EINVAL);
    assert_non_null(strstr(errstr, "already declared"));
    assert_int_equal(wh_metrics_declare(reg, &again, errstr, sizeof(errstr)),
                     0);

    assert_null(wh_metrics_get(reg, "no_such_total", NULL, 0));
    assert_null(wh_metrics_get(reg, WH_M_RECORDS, WH_METRICS_LABELS("fetch")));
    assert_null(wh_metrics_get(reg, WH_M_RECORDS,
                               WH_METRICS_LABELS("a", "b", "c", "d", "e")));
    memset(longval, 'x', sizeof(longval) - 1);
    longval[sizeof(longval) - 1] = '\0';
    assert_null(
        wh_metrics_get(reg, WH_M_DEAD_LETTERS, WH_METRICS_LABELS(longval)));
    assert_null(
        wh_metrics_get(NULL, WH_M_DEAD_LETTERS, WH_METRICS_LABELS("x")));
    assert_null(wh_metrics_get(reg, WH_M_DEAD_LETTERS, nullval, 1));
    /* every update takes NULL */
    wh_metrics_inc(NULL);
    wh_metrics_add(NULL, 1);
    wh_metrics_set(NULL, 1);
    wh_metrics_clear(NULL);
    wh_metrics_observe(NULL, 1);
    wh_metrics_free(reg);
}

static void test_series_limit(void **state)
{
    struct wh_metrics *reg = wh_metrics_new();
    char v[32];
    int i;

    (void)state;
    for (i = 0; i < WH_METRICS_MAX_SERIES; i++) {
        snprintf(v, sizeof(v), "r%d", i);
        assert_non_null(
            wh_metrics_get(reg, WH_M_DEAD_LETTERS, WH_METRICS_LABELS(v)));
    }
    assert_null(
        wh_metrics_get(reg, WH_M_DEAD_LETTERS, WH_METRICS_LABELS("one-more")));
    /* an existing series is still found */
    assert_non_null(
        wh_metrics_get(reg, WH_M_DEAD_LETTERS, WH_METRICS_LABELS("r7")));
    wh_metrics_free(reg);
}

#define THREAD_INCS 50000

static void *inc_thread(void *arg)
{
    struct wh_metrics *reg = arg;
    int i;

    for (i = 0; i < THREAD_INCS; i++) {
        wh_metrics_inc(
            wh_metrics_get(reg, WH_M_DEDUP, WH_METRICS_LABELS("new")));
    }
    return NULL;
}

static void test_threads(void **state)
{
    struct wh_metrics *reg = wh_metrics_new();
    pthread_t t1;
    pthread_t t2;
    char *out;

    (void)state;
    assert_int_equal(pthread_create(&t1, NULL, inc_thread, reg), 0);
    assert_int_equal(pthread_create(&t2, NULL, inc_thread, reg), 0);
    pthread_join(t1, NULL);
    pthread_join(t2, NULL);
    out = wh_metrics_render(reg, NULL);
    assert_line(out, "wirehose_dedup_decisions_total{decision=\"new\"} "
                     "100000");
    free(out);
    wh_metrics_free(reg);
}

/* ---- server, scraped over loopback -------------------------------------- */

struct health {
    atomic_int running;
    atomic_int broker_up;
};

static int health_cb(void *opaque, char *reason, size_t reason_size)
{
    struct health *h = opaque;

    if (!atomic_load(&h->running)) {
        snprintf(reason, reason_size, "not running");
        return 0;
    }
    if (!atomic_load(&h->broker_up)) {
        snprintf(reason, reason_size, "broker unreachable: all brokers down");
        return 0;
    }
    return 1;
}

/* Sends a raw request to 127.0.0.1:port and returns the whole response
 * (headers and body), read until the server closes. */
static char *http_raw(int port, const char *request)
{
    struct sockaddr_in sin;
    struct timeval tv = {5, 0};
    char *resp = wh_xcalloc(1, 65536);
    size_t len = 0;
    ssize_t n;
    int fd;

    fd = socket(AF_INET, SOCK_STREAM, 0);
    assert_true(fd >= 0);
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    memset(&sin, 0, sizeof(sin));
    sin.sin_family = AF_INET;
    sin.sin_port = htons((uint16_t)port);
    sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    assert_int_equal(connect(fd, (struct sockaddr *)&sin, sizeof(sin)), 0);
    assert_int_equal(send(fd, request, strlen(request), MSG_NOSIGNAL),
                     (ssize_t)strlen(request));
    for (;;) {
        n = recv(fd, resp + len, 65535 - len, 0);
        if (n <= 0) {
            break;
        }
        len += (size_t)n;
        assert_true(len < 65535);
    }
    assert_true(n == 0);
    close(fd);
    resp[len] = '\0';
    return resp;
}

static char *http_get(int port, const char *path)
{
    char req[256];

    snprintf(req, sizeof(req),
             "GET %s HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n",
             path);
    return http_raw(port, req);
}

static const char *body_of(const char *resp)
{
    const char *p = strstr(resp, "\r\n\r\n");

    assert_non_null(p);
    return p + 4;
}

static void test_server_scrape(void **state)
{
    struct wh_metrics *reg = wh_metrics_new();
    struct wh_metrics_server *srv;
    struct health h;
    char errstr[256];
    char *resp;
    int port;

    (void)state;
    atomic_init(&h.running, 1);
    atomic_init(&h.broker_up, 1);
    srv = wh_metrics_server_start(reg, "127.0.0.1:0", health_cb, NULL, &h,
                                  errstr, sizeof(errstr));
    assert_non_null(srv);
    port = wh_metrics_server_port(srv);
    assert_true(port > 0 && port < 65536);

    wh_metrics_add(
        wh_metrics_get(reg, WH_M_FETCHES, WH_METRICS_LABELS("feed-a", "200")),
        7);
    wh_metrics_observe(
        wh_metrics_get(reg, WH_M_SINK_LATENCY, WH_METRICS_LABELS("pg")), 0.02);

    resp = http_get(port, "/metrics");
    assert_true(strncmp(resp, "HTTP/1.1 200", 12) == 0);
    assert_non_null(strstr(resp, "Content-Type: text/plain; version=0.0.4"));
    assert_line(body_of(resp), "# TYPE wirehose_fetches_total counter");
    assert_line(body_of(resp), "wirehose_fetches_total{source=\"feed-a\","
                               "status=\"200\"} 7");
    assert_line(body_of(resp), "wirehose_sink_latency_seconds_bucket"
                               "{sink=\"pg\",le=\"0.025\"} 1");
    assert_line(body_of(resp),
                "wirehose_sink_latency_seconds_count{sink=\"pg\"} 1");
    free(resp);

    /* the next scrape sees new values */
    wh_metrics_inc(
        wh_metrics_get(reg, WH_M_FETCHES, WH_METRICS_LABELS("feed-a", "200")));
    resp = http_get(port, "/metrics");
    assert_line(body_of(resp), "wirehose_fetches_total{source=\"feed-a\","
                               "status=\"200\"} 8");
    free(resp);

    resp = http_get(port, "/healthz");
    assert_true(strncmp(resp, "HTTP/1.1 200", 12) == 0);
    assert_string_equal(body_of(resp), "ok\n");
    free(resp);

    atomic_store(&h.broker_up, 0);
    resp = http_get(port, "/healthz");
    assert_true(strncmp(resp, "HTTP/1.1 503", 12) == 0);
    assert_string_equal(body_of(resp),
                        "broker unreachable: all brokers down\n");
    free(resp);

    atomic_store(&h.running, 0);
    resp = http_get(port, "/healthz");
    assert_true(strncmp(resp, "HTTP/1.1 503", 12) == 0);
    assert_string_equal(body_of(resp), "not running\n");
    free(resp);

    resp = http_get(port, "/nope");
    assert_true(strncmp(resp, "HTTP/1.1 404", 12) == 0);
    free(resp);

    resp = http_raw(port, "POST /metrics HTTP/1.1\r\nHost: x\r\n"
                          "Content-Length: 0\r\nConnection: close\r\n\r\n");
    assert_true(strncmp(resp, "HTTP/1.1 405", 12) == 0);
    free(resp);

    resp = http_raw(port, "HEAD /metrics HTTP/1.0\r\n\r\n");
    assert_true(strncmp(resp, "HTTP/1.0 200", 12) == 0 ||
                strncmp(resp, "HTTP/1.1 200", 12) == 0);
    assert_string_equal(body_of(resp), "");
    free(resp);

    wh_metrics_server_stop(srv);
    wh_metrics_free(reg);
}

static void test_server_no_health_cb(void **state)
{
    struct wh_metrics *reg = wh_metrics_new();
    struct wh_metrics_server *srv;
    char errstr[256];
    char *resp;

    (void)state;
    srv = wh_metrics_server_start(reg, "127.0.0.1:0", NULL, NULL, NULL, errstr,
                                  sizeof(errstr));
    assert_non_null(srv);
    resp = http_get(wh_metrics_server_port(srv), "/healthz");
    assert_true(strncmp(resp, "HTTP/1.1 200", 12) == 0);
    free(resp);
    resp = http_get(wh_metrics_server_port(srv), "/livez");
    assert_true(strncmp(resp, "HTTP/1.1 200", 12) == 0);
    free(resp);
    /* an empty registry scrapes as the build and process metrics only */
    resp = http_get(wh_metrics_server_port(srv), "/metrics");
    assert_true(strncmp(resp, "HTTP/1.1 200", 12) == 0);
    assert_non_null(strstr(body_of(resp),
                           "\nwirehose_build_info{version=\"" WH_VERSION
                           "\"} 1\n"));
    assert_non_null(strstr(body_of(resp), "\nprocess_cpu_seconds_total "));
    assert_non_null(strstr(body_of(resp), "\nprocess_resident_memory_bytes "));
    assert_non_null(strstr(body_of(resp), "\nprocess_open_fds "));
    assert_non_null(strstr(body_of(resp), "\nprocess_start_time_seconds "));
    assert_null(strstr(body_of(resp), "wirehose_records_total"));
    free(resp);
    wh_metrics_server_stop(srv);
    wh_metrics_server_stop(NULL);
    wh_metrics_free(reg);
}

static void test_server_bad_addresses(void **state)
{
    static const char *const bad[] = {"nonsense",       "127.0.0.1",
                                      "127.0.0.1:",     "127.0.0.1:99999",
                                      "127.0.0.1:http", "::1:9100",
                                      "[::1:9100",      "127.0.0.1:-1",
                                      "192.0.2.1:0"};
    struct wh_metrics *reg = wh_metrics_new();
    struct wh_metrics_server *srv;
    struct wh_metrics_server *srv2;
    char errstr[256];
    char addr[64];
    size_t i;

    (void)state;
    for (i = 0; i < WH_ARRAY_SIZE(bad); i++) {
        errstr[0] = '\0';
        srv = wh_metrics_server_start(reg, bad[i], NULL, NULL, NULL, errstr,
                                      sizeof(errstr));
        if (srv != NULL) {
            fail_msg("address accepted: %s", bad[i]);
        }
        assert_true(strncmp(errstr, "metrics ", 8) == 0);
        assert_non_null(strstr(errstr, bad[i]));
    }
    /* a port already taken is a clear error, not a half-started server */
    srv = wh_metrics_server_start(reg, "127.0.0.1:0", NULL, NULL, NULL, errstr,
                                  sizeof(errstr));
    assert_non_null(srv);
    snprintf(addr, sizeof(addr), "127.0.0.1:%d", wh_metrics_server_port(srv));
    srv2 = wh_metrics_server_start(reg, addr, NULL, NULL, NULL, errstr,
                                   sizeof(errstr));
    assert_null(srv2);
    assert_non_null(strstr(errstr, "in use"));
    wh_metrics_server_stop(srv);
    /* and free again once stopped */
    srv = wh_metrics_server_start(reg, addr, NULL, NULL, NULL, errstr,
                                  sizeof(errstr));
    assert_non_null(srv);
    wh_metrics_server_stop(srv);
    wh_metrics_free(reg);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_empty_registry_renders_nothing),
        cmocka_unit_test(test_labelled_counter),
        cmocka_unit_test(test_unlabelled_counter_and_gauge),
        cmocka_unit_test(test_histogram),
        cmocka_unit_test(test_custom_histogram_buckets),
        cmocka_unit_test(test_escaping),
        cmocka_unit_test(test_misuse),
        cmocka_unit_test(test_series_limit),
        cmocka_unit_test(test_threads),
        cmocka_unit_test(test_server_scrape),
        cmocka_unit_test(test_server_no_health_cb),
        cmocka_unit_test(test_server_bad_addresses),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
