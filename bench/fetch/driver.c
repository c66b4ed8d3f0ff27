/*
 * driver.c - bench/fetch: polls the feeds of wh_feedserver through
 * wh_fetcher (one process, one thread) and prints, per round, the feeds
 * per minute, CPU seconds per 1,000 feeds (getrusage, all threads) and
 * the peak RSS.
 *
 * usage: wh_fetch_bench --port P [--feeds N] [--hosts H] [--rounds R]
 *                       [--max-total T] [--max-per-host K]
 *                       [--host-delay-ms D]
 *
 * Feed n is http://f<n % H>.bench.test:P/feed/<n>; the H host names are
 * pinned to 127.0.0.1 (CURLOPT_RESOLVE), which the SSRF allow-list admits,
 * so robots.txt and politeness work per host as they would in the field.
 * Round 1 sends no validators; later rounds send the ETag each feed
 * returned, so unchanged feeds answer 304.
 *
 * Output: one "ROUND ..." line per round, then "PEAK_RSS_KB n".
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "fetcher.h"
#include "wh/wh.h"

struct bench {
    char **etag;   /* per feed */
    size_t *index; /* index[n] == n: the requests' opaque pointers */
    size_t done;
    size_t ok;
    size_t unchanged;
    size_t failed;
    char first_error[512];
};

static void on_result(struct wh_fetch_result *res, void *opaque)
{
    struct bench *b = opaque;
    size_t n = *(const size_t *)res->opaque;

    b->done++;
    if (res->outcome == WH_FETCH_OK) {
        b->ok++;
    } else if (res->outcome == WH_FETCH_UNCHANGED) {
        b->unchanged++;
    } else {
        if (b->failed == 0) {
            snprintf(b->first_error, sizeof(b->first_error), "%.200s: %.255s",
                     res->url, res->error);
        }
        b->failed++;
    }
    if (res->etag != NULL) {
        free(b->etag[n]);
        b->etag[n] = res->etag;
        res->etag = NULL;
    }
}

static double wall(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static double cpu(void)
{
    struct rusage ru;

    getrusage(RUSAGE_SELF, &ru);
    return (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 +
           (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
}

int main(int argc, char **argv)
{
    struct wh_fetch_opts opts;
    struct wh_fetcher *f;
    struct bench b;
    struct rusage ru;
    char **resolve;
    char errstr[256];
    long port = 0;
    long nfeeds = 10000;
    long nhosts = 1000;
    long rounds = 2;
    long r;
    long i;
    int rc = 0;

    memset(&opts, 0, sizeof(opts));
    opts.max_total = 128;
    opts.max_per_host = 2;
    opts.host_delay_ms = 250;
    for (i = 1; i + 1 < argc; i += 2) {
        long v = strtol(argv[i + 1], NULL, 10);

        if (strcmp(argv[i], "--port") == 0) {
            port = v;
        } else if (strcmp(argv[i], "--feeds") == 0) {
            nfeeds = v;
        } else if (strcmp(argv[i], "--hosts") == 0) {
            nhosts = v;
        } else if (strcmp(argv[i], "--rounds") == 0) {
            rounds = v;
        } else if (strcmp(argv[i], "--max-total") == 0) {
            opts.max_total = (int)v;
        } else if (strcmp(argv[i], "--max-per-host") == 0) {
            opts.max_per_host = (int)v;
        } else if (strcmp(argv[i], "--host-delay-ms") == 0) {
            opts.host_delay_ms = v;
        } else {
            break;
        }
    }
    if (i != argc || port <= 0 || nfeeds <= 0 || nhosts <= 0) {
        fprintf(stderr, "usage: wh_fetch_bench --port P [--feeds N] "
                        "[--hosts H] [--rounds R] [--max-total T] "
                        "[--max-per-host K] [--host-delay-ms D]\n");
        return 2;
    }
    memset(&b, 0, sizeof(b));
    b.etag = wh_xcalloc((size_t)nfeeds, sizeof(char *));
    b.index = wh_xcalloc((size_t)nfeeds, sizeof(size_t));
    for (i = 0; i < nfeeds; i++) {
        b.index[i] = (size_t)i;
    }
    resolve = wh_xcalloc((size_t)nhosts + 1, sizeof(char *));
    for (i = 0; i < nhosts; i++) {
        resolve[i] = wh_xasprintf("f%ld.bench.test:%ld:127.0.0.1", i, port);
    }
    opts.resolve = (const char *const *)resolve;
    opts.user_agent = "wirehose/" WH_VERSION " (+http://bench.invalid/)";
    opts.on_result = on_result;
    opts.on_result_opaque = &b;
    wh_fetch_global_init();
    f = wh_fetcher_new(&opts);
    if (wh_fetcher_allow(f, "127.0.0.1/32", errstr, sizeof(errstr)) != WH_OK) {
        fprintf(stderr, "%s\n", errstr);
        return 1;
    }
    for (r = 1; r <= rounds; r++) {
        double t0 = wall();
        double c0 = cpu();
        double secs;
        double cpus;

        b.done = b.ok = b.unchanged = b.failed = 0;
        for (i = 0; i < nfeeds; i++) {
            struct wh_fetch_req req;
            char url[128];

            snprintf(url, sizeof(url), "http://f%ld.bench.test:%ld/feed/%ld",
                     i % nhosts, port, i);
            memset(&req, 0, sizeof(req));
            req.url = url;
            req.opaque = &b.index[i];
            req.etag = b.etag[i];
            if (wh_fetcher_submit(f, &req, errstr, sizeof(errstr)) != WH_OK) {
                fprintf(stderr, "submit: %s\n", errstr);
                return 1;
            }
        }
        while (b.done < (size_t)nfeeds) {
            if (wh_fetcher_run(f, 1000) < 0) {
                return 1;
            }
        }
        secs = wall() - t0;
        cpus = cpu() - c0;
        printf("ROUND %ld feeds %ld ok %zu unchanged %zu failed %zu "
               "wall_s %.2f feeds_per_min %.0f cpu_s %.2f "
               "cpu_s_per_1000 %.3f core_share %.2f\n",
               r, nfeeds, b.ok, b.unchanged, b.failed, secs,
               (double)nfeeds / secs * 60.0, cpus,
               cpus / ((double)nfeeds / 1000.0), cpus / secs);
        if (b.failed > 0) {
            fprintf(stderr, "first failure: %s\n", b.first_error);
            rc = 1;
        }
        fflush(stdout);
    }
    getrusage(RUSAGE_SELF, &ru);
    printf("PEAK_RSS_KB %ld\n", ru.ru_maxrss);
    wh_fetcher_free(f);
    wh_fetch_global_cleanup();
    for (i = 0; i < nfeeds; i++) {
        free(b.etag[i]);
    }
    free(b.etag);
    free(b.index);
    for (i = 0; i < nhosts; i++) {
        free(resolve[i]);
    }
    free(resolve);
    return rc;
}
