/*
 * fetch_units.c - cmocka tests of the fetcher's pure parts: the SSRF
 * guard's address ranges and CIDRs, robots.txt parsing and matching. (The
 * backoff, now common/src/backoff.c, is tested by tests/unit/test_prng.c;
 * the network behaviour by the fetch_*.sh scripts.)
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "robots.h"
#include "ssrf.h"
#include "wh/wh.h"

/* Runs the guard on a textual address. */
static int check(const struct wh_ssrf *g, const char *addr)
{
    struct sockaddr_in sin;
    struct sockaddr_in6 sin6;
    char text[64];

    memset(&sin, 0, sizeof(sin));
    memset(&sin6, 0, sizeof(sin6));
    if (inet_pton(AF_INET, addr, &sin.sin_addr) == 1) {
        sin.sin_family = AF_INET;
        return wh_ssrf_check(g, (struct sockaddr *)&sin, sizeof(sin), text,
                             sizeof(text));
    }
    if (inet_pton(AF_INET6, addr, &sin6.sin6_addr) == 1) {
        sin6.sin6_family = AF_INET6;
        return wh_ssrf_check(g, (struct sockaddr *)&sin6, sizeof(sin6), text,
                             sizeof(text));
    }
    fail_msg("bad test address %s", addr);
    return -1;
}

static void test_ssrf_ranges(void **state)
{
    static const char *const refused[] = {
        "127.0.0.1",
        "127.255.255.254",
        "10.0.0.1",
        "172.16.0.1",
        "172.31.255.255",
        "192.168.1.1",
        "100.64.0.1",
        "100.127.255.255",
        "169.254.169.254",
        "0.0.0.0",
        "224.0.0.1",
        "239.255.255.250",
        "255.255.255.255",
        "240.0.0.1",
        "198.18.0.1",
        "::",
        "::1",
        "fc00::1",
        "fd12:3456::1",
        "fe80::1",
        "febf::1",
        "ff02::1",
        "::ffff:127.0.0.1",
        "::ffff:10.1.2.3",
        "::ffff:169.254.169.254",
        "64:ff9b::7f00:1",
        "2002:7f00:1::1",
        "2002:c0a8:101::",
        "2001:db8::1",
    };
    static const char *const allowed[] = {
        "8.8.8.8",         "1.1.1.1",        "172.15.255.255", "172.32.0.1",
        "100.63.255.255",  "100.128.0.1",    "192.169.0.1",    "93.184.216.34",
        "2606:4700::1111", "::ffff:8.8.8.8", "2a00:1450::1",
    };
    struct wh_ssrf g;
    size_t i;

    (void)state;
    memset(&g, 0, sizeof(g));
    for (i = 0; i < WH_ARRAY_SIZE(refused); i++) {
        if (check(&g, refused[i]) != 0) {
            fail_msg("%s should be refused", refused[i]);
        }
    }
    for (i = 0; i < WH_ARRAY_SIZE(allowed); i++) {
        if (check(&g, allowed[i]) != 1) {
            fail_msg("%s should be allowed", allowed[i]);
        }
    }
}

static void test_ssrf_allow_list(void **state)
{
    struct wh_ssrf g;
    struct wh_ssrf_cidr c;
    char err[128];

    (void)state;
    memset(&g, 0, sizeof(g));
    assert_int_equal(wh_ssrf_parse_cidr("127.0.0.1/32", &c, err, sizeof(err)),
                     WH_OK);
    wh_ssrf_allow(&g, &c);
    assert_int_equal(check(&g, "127.0.0.1"), 1);
    assert_int_equal(check(&g, "::ffff:127.0.0.1"), 1); /* mapped form */
    assert_int_equal(check(&g, "127.0.0.2"), 0);
    assert_int_equal(check(&g, "::1"), 0);
    assert_int_equal(wh_ssrf_parse_cidr("10.1.0.0/16", &c, err, sizeof(err)),
                     WH_OK);
    wh_ssrf_allow(&g, &c);
    assert_int_equal(check(&g, "10.1.255.3"), 1);
    assert_int_equal(check(&g, "10.2.0.1"), 0);
    assert_int_equal(wh_ssrf_parse_cidr("fd00::/8", &c, err, sizeof(err)),
                     WH_OK);
    wh_ssrf_allow(&g, &c);
    assert_int_equal(check(&g, "fd00::5"), 1);
    assert_int_equal(check(&g, "fc00::5"), 0);
    assert_int_equal(wh_ssrf_parse_cidr("::1", &c, err, sizeof(err)), WH_OK);
    assert_int_equal(c.prefix, 128);
    wh_ssrf_clear(&g);
    assert_int_equal(check(&g, "127.0.0.1"), 0);
}

static void test_ssrf_bad_cidr(void **state)
{
    static const char *const bad[] = {
        "",
        "/8",
        "10.0.0.0/",
        "10.0.0.0/33",
        "::/129",
        "10.0.0.0/-1",
        "10.0.0.0/8x",
        "example.com/8",
        "10.0.0/8",
        "1.2.3.4/0008888",
    };
    struct wh_ssrf_cidr c;
    char err[128];
    size_t i;

    (void)state;
    for (i = 0; i < WH_ARRAY_SIZE(bad); i++) {
        err[0] = '\0';
        if (wh_ssrf_parse_cidr(bad[i], &c, err, sizeof(err)) != WH_EINVAL) {
            fail_msg("'%s' should be refused", bad[i]);
        }
        assert_non_null(strstr(err, "bad CIDR"));
    }
}

static struct wh_robots *parse(const char *text, const char *agent)
{
    return wh_robots_parse(text, strlen(text), agent);
}

static void test_robots_groups(void **state)
{
    const char *txt = "User-agent: *\n"
                      "Disallow: /\n"
                      "\n"
                      "User-agent: Googlebot\n"
                      "User-agent: WIREHOSE/2.0\n"
                      "Disallow: /private   # comment\n"
                      "Allow: /private/open\n"
                      "Crawl-delay: 2.5\n"
                      "\n"
                      "User-agent: wirehose\n"
                      "Disallow: /tmp/\n";
    struct wh_robots *r = parse(txt, "wirehose");

    (void)state;
    /* both groups naming us are merged; "*" is ignored */
    assert_int_equal(wh_robots_allowed(r, "/"), 1);
    assert_int_equal(wh_robots_allowed(r, "/news/1"), 1);
    assert_int_equal(wh_robots_allowed(r, "/private"), 0);
    assert_int_equal(wh_robots_allowed(r, "/private/x"), 0);
    assert_int_equal(wh_robots_allowed(r, "/privateer"), 0);
    assert_int_equal(wh_robots_allowed(r, "/private/open/1"), 1);
    assert_int_equal(wh_robots_allowed(r, "/tmp/a"), 0);
    assert_int_equal(wh_robots_allowed(r, "/robots.txt"), 1);
    assert_int_equal(wh_robots_crawl_delay_ms(r), 2500);
    wh_robots_free(r);

    r = parse(txt, "otherbot");
    assert_int_equal(wh_robots_allowed(r, "/news/1"), 0);
    assert_int_equal(wh_robots_allowed(r, "/robots.txt"), 1);
    assert_int_equal(wh_robots_crawl_delay_ms(r), -1);
    wh_robots_free(r);

    r = parse("User-agent: someone\nDisallow: /\n", "wirehose");
    assert_int_equal(wh_robots_allowed(r, "/x"), 1); /* no group: allow */
    assert_int_equal(wh_robots_nrules(r), 0);
    wh_robots_free(r);
}

static void test_robots_matching(void **state)
{
    const char *txt = "user-agent: *\r\n"
                      "disallow: /*.pdf$\r\n"
                      "disallow: /search?\r\n"
                      "allow: /search?q=ok\r\n"
                      "disallow: /a*b*c\r\n"
                      "disallow:\r\n"
                      "allow: /page\r\n"
                      "disallow: /page\r\n"
                      "disallow: /caf%c3%a9\r\n"
                      "disallow: /ni\xc3\xb1o\r\n";
    struct wh_robots *r = parse(txt, "wirehose");

    (void)state;
    assert_int_equal(wh_robots_allowed(r, "/doc.pdf"), 0);
    assert_int_equal(wh_robots_allowed(r, "/x/doc.pdf"), 0);
    assert_int_equal(wh_robots_allowed(r, "/doc.pdf?download=1"), 1);
    assert_int_equal(wh_robots_allowed(r, "/doc.pdfx"), 1);
    assert_int_equal(wh_robots_allowed(r, "/search"), 1);
    assert_int_equal(wh_robots_allowed(r, "/search?q=x"), 0);
    assert_int_equal(wh_robots_allowed(r, "/search?q=ok&p=2"), 1);
    assert_int_equal(wh_robots_allowed(r, "/a1b2c3"), 0);
    assert_int_equal(wh_robots_allowed(r, "/a1b2"), 1);
    /* a tie between Allow and Disallow of the same length: Allow */
    assert_int_equal(wh_robots_allowed(r, "/page/1"), 1);
    /* escapes compared without case; raw UTF-8 encoded first */
    assert_int_equal(wh_robots_allowed(r, "/caf%C3%A9/menu"), 0);
    assert_int_equal(wh_robots_allowed(r, "/ni%C3%B1o"), 0);
    assert_int_equal(wh_robots_nrules(r), 8); /* the empty rule dropped */
    wh_robots_free(r);

    /* the linear matcher (issue 14): runs of stars, a trailing star, '$'
     * after a star, a segment that recurs, '$' inside a pattern */
    r = parse("user-agent: *\n"
              "disallow: /x**y\n"
              "disallow: /t*$\n"
              "disallow: /e*ab*ab$\n"
              "disallow: /m$x\n"
              "disallow: /k*aab\n",
              "wirehose");
    assert_int_equal(wh_robots_allowed(r, "/x1y"), 0);
    assert_int_equal(wh_robots_allowed(r, "/xy"), 0);
    assert_int_equal(wh_robots_allowed(r, "/x1"), 1);
    assert_int_equal(wh_robots_allowed(r, "/t"), 0);
    assert_int_equal(wh_robots_allowed(r, "/tail/x"), 0);
    assert_int_equal(wh_robots_allowed(r, "/eabab"), 0);
    assert_int_equal(wh_robots_allowed(r, "/eab"), 1); /* segments overlap */
    assert_int_equal(wh_robots_allowed(r, "/e-ab-ab-"), 1);
    assert_int_equal(wh_robots_allowed(r, "/e-ab-ab-ab"), 0);
    assert_int_equal(wh_robots_allowed(r, "/m$x/1"), 0);
    assert_int_equal(wh_robots_allowed(r, "/m"), 1);
    assert_int_equal(wh_robots_allowed(r, "/kaaab"), 0);
    assert_int_equal(wh_robots_allowed(r, "/kaabaab"), 0);
    assert_int_equal(wh_robots_allowed(r, "/kabaa"), 1);
    wh_robots_free(r);
}

static void test_robots_hostile(void **state)
{
    size_t n = (size_t)4 * 1024 * 1024;
    char *big = malloc(n + 64);
    struct wh_robots *r;
    size_t i;
    size_t len = 0;

    (void)state;
    assert_non_null(big);
    len += (size_t)sprintf(big, "User-agent: *\n");
    /* many rules, each a long run of stars: bounded count and time */
    while (len + 40 < n) {
        len += (size_t)sprintf(big + len, "Disallow: /*a*a*a*a*a*a*a*a*b\n");
    }
    r = wh_robots_parse(big, len, "wirehose");
    assert_int_equal(wh_robots_nrules(r), WH_ROBOTS_MAX_WILDCARDS);
    assert_int_equal(wh_robots_allowed(r, "/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"),
                     1);
    wh_robots_free(r);

    /* binary junk, NULs and no newline at the end */
    for (i = 0; i < 4096; i++) {
        big[i] = (char)(i * 7 + 3);
    }
    r = wh_robots_parse(big, 4096, "wirehose");
    assert_non_null(r);
    (void)wh_robots_allowed(r, "/x");
    wh_robots_free(r);
    free(big);

    r = wh_robots_new_all(0);
    assert_int_equal(wh_robots_allowed(r, "/"), 0);
    assert_int_equal(wh_robots_allowed(r, "/robots.txt"), 1);
    wh_robots_free(r);
    wh_robots_free(NULL);
}

/* The largest robots.txt the fetcher reads (ROBOTS_MAX_BYTES). */
#define ROBOTS_FILE_MAX ((size_t)512 * 1024)
/* Room for one line of the hostile files below. */
#define LINE_ROOM 1100
/* A check against the worst file may cost this many times a check of the
 * same path against a one-rule file. The one-rule check is mostly the
 * normalization of the 8 KB path (about 50 us at -O2 on a loaded 2-core
 * machine), the worst about 1 ms: a ratio near 20. Before issue 14 the
 * worst file cost seconds (a ratio past 10,000). */
#define ROBOTS_RATIO_MAX 40.0

static double cpu_seconds(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* CPU seconds of one check of path against r: the least over batches,
 * each batch repeated until it takes 20 ms (or one check is already
 * past budget seconds, which fails the test anyway). */
static double check_cost(const struct wh_robots *r, const char *path,
                         double budget)
{
    double best = 1e9;
    int batch;

    for (batch = 0; batch < 5; batch++) {
        double t0 = cpu_seconds();
        double t;
        long reps = 0;

        do {
            (void)wh_robots_allowed(r, path);
            reps++;
            t = cpu_seconds() - t0;
        } while (t < 0.02 && t < budget);
        if (t / (double)reps < best) {
            best = t / (double)reps;
        }
        if (t >= budget) {
            break;
        }
    }
    return best;
}

/* Writes "User-agent: *" and then lines made by line(i, buf) to text, up
 * to ROBOTS_FILE_MAX bytes; returns the length. */
static size_t fill(char *text, void (*line)(size_t, char *))
{
    size_t len = (size_t)snprintf(text, ROBOTS_FILE_MAX, "User-agent: *\n");
    char one[LINE_ROOM];
    size_t i;

    for (i = 0;; i++) {
        size_t n;

        line(i, one);
        n = strlen(one);
        if (len + n > ROBOTS_FILE_MAX) {
            return len;
        }
        memcpy(text + len, one, n);
        len += n;
    }
}

/* Writes head, k a's and tail to out (LINE_ROOM bytes). */
static void a_run(char *out, const char *head, size_t k, const char *tail)
{
    int h = snprintf(out, LINE_ROOM, "%s", head);

    memset(out + h, 'a', k);
    snprintf(out + h + k, LINE_ROOM - (size_t)h - k, "%s", tail);
}

/* "/ *aaa...ab" (no blank): a one-star pattern that almost matches a path
 * of a's everywhere (the old matcher's worst: pattern times path). */
static void line_kmp(size_t i, char *out)
{
    a_run(out, "Disallow: /*", 1000 - i % 64, "b\n");
}

/* Many stars: "/ *a*a*...*b" (no blanks). */
static void line_stars(size_t i, char *out)
{
    int n = snprintf(out, LINE_ROOM, "Disallow: /");
    size_t k;

    (void)i;
    for (k = 0; k < 500; k++) {
        out[n++] = '*';
        out[n++] = 'a';
    }
    snprintf(out + n, LINE_ROOM - (size_t)n, "*b\n");
}

/* No star: a long prefix that fails at its last byte. */
static void line_prefix(size_t i, char *out)
{
    a_run(out, "Disallow: /", 1000 - i % 64, "c\n");
}

/* Anchored, with a middle segment: "/ *aaa...ac*a$" (no blank). */
static void line_anchored(size_t i, char *out)
{
    a_run(out, "Allow: /*", 900 - i % 64, "c*a$\n");
}

/* Wildcard rules up to the cap, then long prefixes. */
static void line_mixed(size_t i, char *out)
{
    if (i < (size_t)2 * WH_ROBOTS_MAX_WILDCARDS) {
        line_kmp(i, out);
    } else {
        line_prefix(i, out);
    }
}

/* Issue 14: a hostile robots.txt made one check take seconds. Any file the
 * fetcher accepts must keep a check of an 8 KB path within
 * ROBOTS_RATIO_MAX times a check against a one-rule file, measured in
 * CPU time in the same run. */
static void test_robots_bounded(void **state)
{
    static void (*const lines[])(size_t, char *) = {
        line_kmp, line_stars, line_prefix, line_anchored, line_mixed,
    };
    static const char *const names[] = {"kmp", "stars", "prefix", "anchored",
                                        "mixed"};
    char *text = malloc(ROBOTS_FILE_MAX + 64);
    char *path = malloc(8192 + 1);
    struct wh_robots *r;
    double trivial;
    size_t i;

    (void)state;
    assert_non_null(text);
    assert_non_null(path);
    path[0] = '/';
    memset(path + 1, 'a', 8191);
    path[8192] = '\0';
    r = parse("User-agent: *\nDisallow: /private\n", "wirehose");
    trivial = check_cost(r, path, 1.0);
    wh_robots_free(r);
    for (i = 0; i < WH_ARRAY_SIZE(lines); i++) {
        size_t len = fill(text, lines[i]);
        double cost;
        double ratio;

        r = wh_robots_parse(text, len, "wirehose");
        cost = check_cost(r, path, trivial * ROBOTS_RATIO_MAX * 4);
        ratio = cost / trivial;
        print_message("robots %-8s %4zu rules: %8.1f us a check, %6.1f x "
                      "the one-rule file (%.1f us)\n",
                      names[i], wh_robots_nrules(r), cost * 1e6, ratio,
                      trivial * 1e6);
        wh_robots_free(r);
        if (ratio > ROBOTS_RATIO_MAX) {
            fail_msg("robots.txt '%s': a check costs %.0f x the one-rule "
                     "file (at most %.0f)",
                     names[i], ratio, ROBOTS_RATIO_MAX);
        }
    }
    free(path);
    free(text);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ssrf_ranges),
        cmocka_unit_test(test_ssrf_allow_list),
        cmocka_unit_test(test_ssrf_bad_cidr),
        cmocka_unit_test(test_robots_groups),
        cmocka_unit_test(test_robots_matching),
        cmocka_unit_test(test_robots_hostile),
        cmocka_unit_test(test_robots_bounded),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
