/*
 * state_gen.c - start-up of the dedup store with a long history.
 *
 *   wh_soak_state DIR DAYS PER_DAY WINDOW_S
 *
 * Decides DAYS * PER_DAY distinct random records (random fingerprints and
 * MinHash values: no two are near-duplicates) into the fresh state
 * directory DIR, with dedup.window = WINDOW_S (0: keep everything) and
 * the store's clock moving through DAYS days (the clock hook of
 * struct wh_dedup_store_params: time passes without waiting for it).
 * Segments leave the window as they would in production. Then it opens
 * the store again as a consumer starting right after would, first from
 * the snapshot the close left (dedup.snap, then the log after it), then
 * without it (the log's segments read back), and prints one line:
 * decisions made, decisions held, bytes of log on disk, bytes of the
 * snapshot, seconds to open from the snapshot (wall-clock, CPU), seconds
 * to open from the log (wall-clock, CPU), memory of the store (its own
 * count).
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "store.h"
#include "wh/wh.h"

static time_t fake_now;

static time_t fake_clock(void)
{
    return fake_now;
}

static double seconds(clockid_t clk)
{
    struct timespec ts;

    clock_gettime(clk, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static uint64_t rng(uint64_t *s)
{
    /* splitmix64 */
    uint64_t z = (*s += 0x9E3779B97F4A7C15ull);

    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

static unsigned long long log_bytes(const char *dir)
{
    unsigned long long total = 0;
    struct dirent *de;
    DIR *d = opendir(dir);

    if (d == NULL) {
        return 0;
    }
    while ((de = readdir(d)) != NULL) {
        struct stat stb;
        char *path;

        if (strncmp(de->d_name, "dedup.log", 9) != 0) {
            continue;
        }
        path = wh_xasprintf("%s/%s", dir, de->d_name);
        if (stat(path, &stb) == 0) {
            total += (unsigned long long)stb.st_size;
        }
        free(path);
    }
    closedir(d);
    return total;
}

static struct wh_dedup_store *open_store(const char *dir, long long window)
{
    struct wh_dedup_store_params p;
    struct wh_dedup_store *st;
    char err[512];

    wh_dedup_store_params_default(&p);
    p.dir = dir;
    p.window_s = window;
    p.clock = fake_clock;
    st = wh_dedup_store_open(&p, err, sizeof(err));
    if (st == NULL) {
        fprintf(stderr, "wh_soak_state: %s\n", err);
        exit(1);
    }
    return st;
}

int main(int argc, char **argv)
{
    struct wh_dedup_store *st;
    struct wh_simhash_sig sig;
    struct wh_dedup_input in;
    struct wh_dedup_result res;
    unsigned long long total;
    unsigned long long i;
    size_t held = 0;
    unsigned j;
    uint64_t seed = 42;
    long long window;
    double step;
    double took[2];
    double cpu[2];
    unsigned long long snap_bytes = 0;
    struct stat stb;
    size_t bytes = 0;
    char *snap;
    int k;
    char uri[64];
    char err[512];

    if (argc != 5) {
        fprintf(stderr, "usage: wh_soak_state DIR DAYS PER_DAY WINDOW_S\n");
        return 2;
    }
    total = strtoull(argv[2], NULL, 10) * strtoull(argv[3], NULL, 10);
    window = strtoll(argv[4], NULL, 10);
    step = 86400.0 / (double)strtoull(argv[3], NULL, 10);
    fake_now = 1700000000;
    st = open_store(argv[1], window);
    memset(&in, 0, sizeof(in));
    memset(&sig, 0, sizeof(sig));
    in.uri = uri;
    in.sig = &sig;
    in.near = 1;
    in.version = 1;
    in.version_created = "";
    for (i = 0; i < total; i++) {
        fake_now = 1700000000 + (time_t)((double)i * step);
        snprintf(uri, sizeof(uri), "https://gen.example/story/%llu", i);
        sig.fp = rng(&seed);
        for (j = 0; j < WH_SIMHASH_MINHASH_MAX; j++) {
            sig.minhash[j] = (uint32_t)rng(&seed);
        }
        for (j = 0; j < WH_SIMHASH_WEAK; j++) {
            sig.weak[j] = (uint8_t)((sig.fp >> (4 * j)) & 63);
        }
        in.body_hash = rng(&seed);
        in.self_hash = rng(&seed) | 1;
        if (wh_dedup_store_decide(st, &in, &res, err, sizeof(err)) != WH_OK) {
            fprintf(stderr, "wh_soak_state: decide: %s\n", err);
            return 1;
        }
        wh_dedup_result_clear(&res);
    }
    wh_dedup_store_close(st); /* writes the snapshot */
    fake_now += 1;
    snap = wh_xasprintf("%s/dedup.snap", argv[1]);
    if (stat(snap, &stb) == 0) {
        snap_bytes = (unsigned long long)stb.st_size;
    }
    for (k = 0; k < 2; k++) {
        double t0 = seconds(CLOCK_MONOTONIC);
        double c0 = seconds(CLOCK_PROCESS_CPUTIME_ID);

        st = open_store(argv[1], window);
        took[k] = seconds(CLOCK_MONOTONIC) - t0;
        cpu[k] = seconds(CLOCK_PROCESS_CPUTIME_ID) - c0;
        if (k == 0) {
            held = wh_dedup_store_count(st);
            bytes = wh_dedup_store_bytes(st);
        } else if (wh_dedup_store_count(st) != held) {
            fprintf(stderr,
                    "wh_soak_state: %zu decisions from the snapshot, "
                    "%zu from the log\n",
                    held, wh_dedup_store_count(st));
            return 1;
        }
        wh_dedup_store_close(st);
        (void)unlink(snap); /* the second open reads the log */
    }
    printf("%llu %zu %llu %llu %.3f %.3f %.3f %.3f %zu\n", total, held,
           log_bytes(argv[1]), snap_bytes, took[0], cpu[0], took[1], cpu[1],
           bytes);
    free(snap);
    return 0;
}
