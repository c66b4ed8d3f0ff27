/*
 * peer_easy.c - the peer of bench/fetch: the producer's previous fetcher
 * (bench/fetch/peer_fetch.c, libcurl's easy interface, one transfer at a time)
 * polling the first N feeds of the URL file of wh_feedserver (one URL a
 * line), for the ratio in the table.
 *
 * usage: wh_fetch_bench_easy --urls FILE [--feeds N]
 * Output: "PEER feeds N ok A wall_s W feeds_per_min X cpu_s C
 *          cpu_s_per_1000 Y"
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "fetch.h"
#include "wh/wh.h"

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
    const char *urls_file = NULL;
    FILE *fp;
    long nfeeds = 1000;
    long ok = 0;
    long i;
    double t0;
    double c0;
    double secs;
    double cpus;

    for (i = 1; i + 1 < argc; i += 2) {
        if (strcmp(argv[i], "--urls") == 0) {
            urls_file = argv[i + 1];
        } else if (strcmp(argv[i], "--feeds") == 0) {
            nfeeds = strtol(argv[i + 1], NULL, 10);
        } else {
            break;
        }
    }
    if (i != argc || urls_file == NULL || nfeeds <= 0) {
        fprintf(stderr, "usage: wh_fetch_bench_easy --urls FILE "
                        "[--feeds N]\n");
        return 2;
    }
    fp = fopen(urls_file, "r");
    if (fp == NULL) {
        perror(urls_file);
        return 2;
    }
    memset(&opts, 0, sizeof(opts));
    opts.user_agent = "wirehose/" WH_VERSION " (+http://bench.invalid/)";
    wh_fetch_global_init();
    f = wh_fetcher_new(&opts);
    t0 = wall();
    c0 = cpu();
    for (i = 0; i < nfeeds; i++) {
        struct wh_fetch_result res;
        char url[256];
        char errstr[256];

        if (fgets(url, sizeof(url), fp) == NULL) {
            nfeeds = i;
            break;
        }
        url[strcspn(url, "\n")] = '\0';
        if (wh_fetch(f, url, 0, &res, errstr, sizeof(errstr)) == WH_OK) {
            ok++;
        }
        wh_fetch_result_free(&res);
    }
    fclose(fp);
    secs = wall() - t0;
    cpus = cpu() - c0;
    printf("PEER feeds %ld ok %ld wall_s %.2f feeds_per_min %.0f cpu_s %.2f "
           "cpu_s_per_1000 %.3f\n",
           nfeeds, ok, secs, (double)nfeeds / secs * 60.0, cpus,
           cpus / ((double)nfeeds / 1000.0));
    wh_fetcher_free(f);
    wh_fetch_global_cleanup();
    return ok == nfeeds ? 0 : 1;
}
