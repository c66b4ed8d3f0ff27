/*
 * index_bench.c - bytes per article and lookup time of the permuted-table
 * index at 100k, 1M and 10M fingerprints.
 *
 *   index_bench [MAX_N]      (default 10000000)
 *
 * Fingerprints are uniform random 64-bit values (real SimHash values of
 * unrelated articles are close to that with the chosen features: mean
 * distance 28.7 of 32 on the labelled set). Each size is bulk-loaded, then
 * 200k lookups run: half are stored fingerprints with 3 bits flipped
 * (2 among the query's weak bits), half random; each query carries 16
 * random weak bits, as a real signature does. Peers in the same run: the
 * same index without weak-bit probes (plain Manku tables), and a linear
 * scan at the smallest size.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "index.h"
#include "simhash.h"
#include "wh/wh.h"

#define NQ 200000

static uint64_t rng_next(uint64_t *s)
{
    uint64_t z = (*s += 0x9e3779b97f4a7c15ULL);

    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

static double now(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

struct query {
    uint64_t fp;
    uint8_t weak[WH_SIMHASH_WEAK];
};

static void make_queries(struct query *q, const uint64_t *fps, size_t n,
                         uint64_t seed)
{
    uint64_t rng = seed;
    size_t i;

    for (i = 0; i < NQ; i++) {
        uint64_t used = 0;
        unsigned w = 0;

        while (w < WH_SIMHASH_WEAK) {
            unsigned b = (unsigned)(rng_next(&rng) % 64);

            if (!(used & ((uint64_t)1 << b))) {
                used |= (uint64_t)1 << b;
                q[i].weak[w++] = (uint8_t)b;
            }
        }
        if (i % 2 == 0) {
            q[i].fp = fps[rng_next(&rng) % n];
            q[i].fp ^= (uint64_t)1 << q[i].weak[rng_next(&rng) % 4];
            q[i].fp ^= (uint64_t)1 << q[i].weak[4 + rng_next(&rng) % 4];
            q[i].fp ^= (uint64_t)1 << (rng_next(&rng) % 64);
        } else {
            q[i].fp = rng_next(&rng);
        }
    }
}

/* Runs the queries; returns ns per lookup and stores the hit count. */
static double run_lookups(const struct wh_index *idx, const struct query *q,
                          unsigned nweak, size_t *hits_out)
{
    struct wh_index_hit hits[16];
    double best = 0;
    int round;

    /* the best of 3 rounds: the machine is shared, the minimum is the
     * index's own cost */
    for (round = 0; round < 3; round++) {
        size_t total = 0;
        double t0 = now();
        double ns;
        size_t i;

        for (i = 0; i < NQ; i++) {
            total += wh_index_lookup(idx, q[i].fp, q[i].weak, nweak, hits, 16);
        }
        ns = (now() - t0) * 1e9 / NQ;
        if (round == 0 || ns < best) {
            best = ns;
        }
        *hits_out = total;
    }
    return best;
}

int main(int argc, char **argv)
{
    static const size_t sizes[] = {100000, 1000000, 10000000};
    size_t max_n = argc > 1 ? strtoull(argv[1], NULL, 10) : 10000000;
    struct query *q = wh_xcalloc(NQ, sizeof(*q));
    uint64_t *fps = wh_xcalloc(max_n ? max_n : 1, sizeof(*fps));
    uint64_t rng = 42;
    double base_ns = 0;
    double base_plain = 0;
    double scan_ns = 0;
    size_t scan_n = 0;
    size_t scan_found = 0;
    size_t si;
    size_t i;

    for (i = 0; i < max_n; i++) {
        fps[i] = rng_next(&rng);
    }
    printf("| articles | index bytes/article | build s | lookup ns "
           "| vs 100k | hits/lookup | plain Manku lookup ns | vs 100k "
           "| add ns (merges incl.) | live lookup ns (tail) |\n"
           "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n");
    for (si = 0; si < WH_ARRAY_SIZE(sizes) && sizes[si] <= max_n; si++) {
        size_t n = sizes[si];
        struct wh_index_params p;
        struct wh_index *idx;
        size_t hits;
        size_t hits_plain;
        double t0;
        double build;
        double ns;
        double ns_plain;
        double add_ns;
        double live_ns;
        size_t live_tail;
        size_t hits_live;

        wh_index_params_default(&p);
        idx = wh_index_new(&p);
        WH_ASSERT(idx != NULL);
        t0 = now();
        for (i = 0; i < n; i++) {
            wh_index_append(idx, fps[i], (uint32_t)i);
        }
        wh_index_compact(idx);
        build = now() - t0;
        make_queries(q, fps, n, 7 + si);
        ns = run_lookups(idx, q, WH_SIMHASH_WEAK, &hits);
        ns_plain = run_lookups(idx, q, 0, &hits_plain);
        if (si == 0) {
            base_ns = ns;
            base_plain = ns_plain;
        }
        /* incremental adds with the automatic merges, 1% more */
        t0 = now();
        for (i = 0; i < n / 100; i++) {
            wh_index_add(idx, rng_next(&rng), (uint32_t)(n + i));
        }
        add_ns = (now() - t0) * 1e9 / ((double)n / 100.0);
        /* live: the lookups again, with the tail the adds left behind */
        live_tail = wh_index_tail(idx);
        live_ns = run_lookups(idx, q, WH_SIMHASH_WEAK, &hits_live);
        printf("| %zu | %.1f | %.2f | %.0f | %.2fx | %.2f | %.0f | %.2fx "
               "| %.0f | %.0f (%zu) |\n",
               n, (double)wh_index_bytes(idx) / (double)wh_index_count(idx),
               build, ns, ns / base_ns, (double)hits / NQ, ns_plain,
               ns_plain / base_plain, add_ns, live_ns, live_tail);
        fflush(stdout);
        if (si == 0) {
            /* peer: linear scan over the same fingerprints */
            double ts = now();
            size_t found = 0;
            size_t k;

            for (k = 0; k < 2000; k++) {
                for (i = 0; i < n; i++) {
                    found += wh_simhash_distance(fps[i], q[k].fp) <= p.radius;
                }
            }
            scan_ns = (now() - ts) * 1e9 / 2000;
            scan_n = n;
            scan_found = found;
        }
        wh_index_free(idx);
    }
    printf("\nPeer: a linear scan of %zu fingerprints takes %.0f ns per "
           "lookup (%zu within the radius in 2000 lookups).\n",
           scan_n, scan_ns, scan_found);
    free(q);
    free(fps);
    return 0;
}
