/*
 * test_dedup_index.c - the permuted-table index of
 * consumers/dedup/index.c, checked against a linear scan.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "index.h"
#include "simhash.h"
#include "wh/wh.h"

#define N 20000

static uint64_t rng(uint64_t *s)
{
    uint64_t z = (*s += 0x9e3779b97f4a7c15ULL);

    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

/* 16 distinct random bit positions */
static void random_weak(uint64_t *s, uint8_t *weak)
{
    uint64_t used = 0;
    unsigned n = 0;

    while (n < WH_SIMHASH_WEAK) {
        unsigned b = (unsigned)(rng(s) % 64);

        if (!(used & ((uint64_t)1 << b))) {
            used |= (uint64_t)1 << b;
            weak[n++] = (uint8_t)b;
        }
    }
}

static int has(const struct wh_index_hit *h, size_t n, uint32_t id)
{
    size_t i;

    for (i = 0; i < n; i++) {
        if (h[i].id == id) {
            return 1;
        }
    }
    return 0;
}

static void test_params(void **state)
{
    struct wh_index_params p;

    (void)state;
    wh_index_params_default(&p);
    p.tables = 1;
    assert_null(wh_index_new(&p));
    wh_index_params_default(&p);
    p.tables = WH_INDEX_MAX_TABLES + 1;
    assert_null(wh_index_new(&p));
    wh_index_params_default(&p);
    p.probes = 2; /* fewer than the tables */
    assert_null(wh_index_new(&p));
    wh_index_params_default(&p);
    p.key_bits = 33;
    assert_null(wh_index_new(&p));
    wh_index_free(NULL);
}

static void test_empty(void **state)
{
    struct wh_index_params p;
    struct wh_index *idx;
    struct wh_index_hit h[4];

    (void)state;
    wh_index_params_default(&p);
    idx = wh_index_new(&p);
    assert_non_null(idx);
    assert_int_equal(wh_index_lookup(idx, 42, NULL, 0, h, 4), 0);
    wh_index_compact(idx); /* nothing to merge */
    assert_int_equal(wh_index_count(idx), 0);
    wh_index_free(idx);
}

/* The guarantees of index.h, in the tables and in the tail. */
static void check_guarantees(int compact)
{
    struct wh_index_params p;
    struct wh_index *idx;
    uint64_t *fps = wh_xcalloc(N, sizeof(*fps));
    struct wh_index_hit h[8];
    uint64_t s = 99;
    size_t i;

    wh_index_params_default(&p);
    idx = wh_index_new(&p);
    assert_non_null(idx);
    for (i = 0; i < N; i++) {
        fps[i] = rng(&s);
        if (compact) {
            wh_index_add(idx, fps[i], (uint32_t)i);
        } else {
            wh_index_append(idx, fps[i], (uint32_t)i);
        }
    }
    if (compact) {
        wh_index_compact(idx);
    }
    assert_int_equal(wh_index_count(idx), N);
    for (i = 0; i < 2000; i++) {
        uint32_t id = (uint32_t)(rng(&s) % N);
        uint8_t weak[WH_SIMHASH_WEAK];
        uint64_t q = fps[id];
        size_t n;
        unsigned k;

        random_weak(&s, weak);
        /* exact */
        n = wh_index_lookup(idx, q, weak, WH_SIMHASH_WEAK, h, 8);
        assert_true(n >= 1);
        assert_int_equal(h[0].id, id);
        assert_int_equal(h[0].distance, 0);
        /* two bits anywhere (T - 1 = 2 outside the weak bits) plus up to
         * two of the 8 weakest bits: always found */
        q ^= (uint64_t)1 << (rng(&s) % 64);
        q ^= (uint64_t)1 << (rng(&s) % 64);
        for (k = 0; k < 2; k++) {
            q ^= (uint64_t)1 << weak[rng(&s) % 8];
        }
        n = wh_index_lookup(idx, q, weak, WH_SIMHASH_WEAK, h, 8);
        assert_true(has(h, n, id));
        /* 13 bits away: beyond the radius, never returned */
        q = fps[id];
        for (k = 0; k < 13; k++) {
            q ^= (uint64_t)1 << k;
        }
        n = wh_index_lookup(idx, q, weak, WH_SIMHASH_WEAK, h, 8);
        assert_false(has(h, n, id));
    }
    /* without weak bits it is plain Manku: 2 flips found, by pigeonhole */
    for (i = 0; i < 500; i++) {
        uint32_t id = (uint32_t)(rng(&s) % N);
        uint64_t q = fps[id] ^ ((uint64_t)1 << (rng(&s) % 64)) ^
                     ((uint64_t)1 << (rng(&s) % 64));
        size_t n = wh_index_lookup(idx, q, NULL, 0, h, 8);

        assert_true(has(h, n, id));
    }
    wh_index_free(idx);
    free(fps);
}

static void test_tables(void **state)
{
    (void)state;
    check_guarantees(1);
}

static void test_tail(void **state)
{
    (void)state;
    check_guarantees(0);
}

/* Every hit is within the radius and matches a linear scan's distance;
 * hits come ordered by distance then id; max limits what is written. */
static void test_hits_vs_scan(void **state)
{
    struct wh_index_params p;
    struct wh_index *idx;
    uint64_t fps[64];
    struct wh_index_hit h[64];
    uint64_t base = 0x0123456789abcdefULL;
    uint64_t s = 7;
    size_t i;
    size_t n;

    (void)state;
    wh_index_params_default(&p);
    idx = wh_index_new(&p);
    for (i = 0; i < 64; i++) {
        /* a cluster: base with i % 5 low bits flipped */
        fps[i] = base ^ (((uint64_t)1 << (i % 5)) - 1) ^
                 ((i % 5) ? 0 : rng(&s) << 20);
        wh_index_add(idx, fps[i], (uint32_t)i);
    }
    wh_index_compact(idx);
    n = wh_index_lookup(idx, base, NULL, 0, h, 64);
    assert_true(n > 0 && n <= 64);
    for (i = 0; i < n; i++) {
        assert_int_equal(h[i].distance,
                         wh_simhash_distance(fps[h[i].id], base));
        assert_true(h[i].distance <= p.radius);
        if (i > 0) {
            assert_true(
                h[i - 1].distance < h[i].distance ||
                (h[i - 1].distance == h[i].distance && h[i - 1].id < h[i].id));
        }
    }
    /* the best three only: the first three of the full answer */
    {
        struct wh_index_hit best[3];

        assert_true(n > 3);
        assert_int_equal(wh_index_lookup(idx, base, NULL, 0, best, 3), 3);
        assert_memory_equal(best, h, sizeof(best));
    }
    wh_index_free(idx);
}

static void test_bytes(void **state)
{
    struct wh_index_params p;
    struct wh_index *idx;
    uint64_t s = 3;
    size_t i;

    (void)state;
    wh_index_params_default(&p);
    idx = wh_index_new(&p);
    for (i = 0; i < 200000; i++) {
        wh_index_append(idx, rng(&s), (uint32_t)i);
    }
    wh_index_compact(idx);
    assert_true(wh_index_bytes(idx) / 200000 <= 48);
    wh_index_free(idx);
}

/* Merging in place (many adds, merges at sizes where the directory keeps
 * its size and where it grows) gives exactly the answers of one bulk
 * load, also with fingerprints crowded into few slots (a third share
 * their top 40 bits, so directory bytes saturate). */
static void test_merges_vs_bulk(void **state)
{
    struct wh_index_params p;
    struct wh_index *inc;
    struct wh_index *bulk;
    const size_t n = 60000;
    uint64_t *fps = wh_xcalloc(n, sizeof(*fps));
    uint64_t s = 1234;
    size_t i;

    (void)state;
    wh_index_params_default(&p);
    inc = wh_index_new(&p);
    bulk = wh_index_new(&p);
    for (i = 0; i < n; i++) {
        fps[i] = rng(&s);
        if (i % 3 == 0) {
            fps[i] = (0xfeedfacecafeULL << 24) | (fps[i] & 0xffffff);
        }
        if (i % 1000 == 7) {
            fps[i] = fps[i - 1]; /* one fingerprint under two ids */
        }
        /* ids in descending order: merges must order by id too */
        wh_index_add(inc, fps[i], (uint32_t)(n - i));
        wh_index_append(bulk, fps[i], (uint32_t)(n - i));
        if (i % 7919 == 0) {
            wh_index_compact(inc); /* merges of every size */
        }
    }
    wh_index_compact(inc);
    wh_index_compact(bulk);
    assert_int_equal(wh_index_count(inc), n);
    for (i = 0; i < 3000; i++) {
        struct wh_index_hit a[32];
        struct wh_index_hit b[32];
        uint8_t weak[WH_SIMHASH_WEAK];
        uint64_t q = fps[rng(&s) % n] ^ ((uint64_t)1 << (rng(&s) % 64)) ^
                     ((uint64_t)1 << (rng(&s) % 64));
        size_t na;
        size_t nb;

        random_weak(&s, weak);
        na = wh_index_lookup(inc, q, weak, WH_SIMHASH_WEAK, a, 32);
        nb = wh_index_lookup(bulk, q, weak, WH_SIMHASH_WEAK, b, 32);
        assert_int_equal(na, nb);
        assert_true(na > 0);
        assert_memory_equal(a, b, na * sizeof(*a));
    }
    wh_index_free(inc);
    wh_index_free(bulk);
    free(fps);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_params),         cmocka_unit_test(test_empty),
        cmocka_unit_test(test_tables),         cmocka_unit_test(test_tail),
        cmocka_unit_test(test_hits_vs_scan),   cmocka_unit_test(test_bytes),
        cmocka_unit_test(test_merges_vs_bulk),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
