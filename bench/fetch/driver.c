/*
 * driver.c - bench/fetch: polls the feeds of wh_feedserver through
 * wh_fetcher (one process, one thread) and prints, per round, the feeds
 * per minute, CPU seconds per 1,000 feeds (getrusage, all threads) and
 * the peak RSS.
 *
 * usage: wh_fetch_bench --urls FILE [--rounds R] [--max-total T]
 *                       [--max-per-host K] [--host-delay-ms D]
 *
 * The feeds are the URLs of FILE, one a line (wh_feedserver writes it:
 * many loopback addresses, each a host of its own for robots.txt and
 * politeness, as host names would be in the field); the SSRF allow-list
 * admits 127.0.0.0/8 only.
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

/* Reads the lines of path into *urls; returns their number, or -1. */
static long read_urls(const char *path, char ***urls)
{
    FILE *fp = fopen(path, "r");
    char *line = NULL;
    size_t cap = 0;
    size_t n = 0;
    ssize_t len;

    *urls = NULL;
    if (fp == NULL) {
        perror(path);
        return -1;
    }
    while ((len = getline(&line, &cap, fp)) > 0) {
        if (line[len - 1] == '\n') {
            line[--len] = '\0';
        }
        if (len == 0) {
            continue;
        }
        *urls = wh_xrealloc(*urls, (n + 1) * sizeof(**urls));
        (*urls)[n++] = wh_xstrdup(line);
    }
    free(line);
    fclose(fp);
    return (long)n;
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
    char **urls = NULL;
    char errstr[256];
    const char *urls_file = NULL;
    long nfeeds = 0;
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

        if (strcmp(argv[i], "--urls") == 0) {
            urls_file = argv[i + 1];
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
    if (i != argc || urls_file == NULL) {
        fprintf(stderr, "usage: wh_fetch_bench --urls FILE [--rounds R] "
                        "[--max-total T] [--max-per-host K] "
                        "[--host-delay-ms D]\n");
        return 2;
    }
    nfeeds = read_urls(urls_file, &urls);
    if (nfeeds <= 0) {
        fprintf(stderr, "%s: no URLs\n", urls_file);
        return 2;
    }
    memset(&b, 0, sizeof(b));
    b.etag = wh_xcalloc((size_t)nfeeds, sizeof(char *));
    b.index = wh_xcalloc((size_t)nfeeds, sizeof(size_t));
    for (i = 0; i < nfeeds; i++) {
        b.index[i] = (size_t)i;
    }
    opts.user_agent = "wirehose/" WH_VERSION " (+http://bench.invalid/)";
    opts.on_result = on_result;
    opts.on_result_opaque = &b;
    wh_fetch_global_init();
    f = wh_fetcher_new(&opts);
    if (wh_fetcher_allow(f, "127.0.0.0/8", errstr, sizeof(errstr)) != WH_OK) {
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

            memset(&req, 0, sizeof(req));
            req.url = urls[i];
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
    for (i = 0; i < nfeeds; i++) {
        free(urls[i]);
    }
    free(urls);
    return rc;
}
