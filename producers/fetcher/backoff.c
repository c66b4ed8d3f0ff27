/*
 * backoff.c - exponential backoff with equal jitter (see backoff.h).
 */
#include "backoff.h"

#include "wh/wh.h"

void wh_backoff_init(struct wh_backoff *b, long base_ms, long cap_ms,
                     uint64_t seed)
{
    b->base_ms = base_ms > 0 ? base_ms : 1000;
    b->cap_ms = cap_ms >= b->base_ms ? cap_ms : b->base_ms;
    b->failures = 0;
    /* splitmix64 of the seed: any seed, 0 included, gives a good state */
    seed += 0x9e3779b97f4a7c15ULL;
    seed = (seed ^ (seed >> 30)) * 0xbf58476d1ce4e5b9ULL;
    seed = (seed ^ (seed >> 27)) * 0x94d049bb133111ebULL;
    seed ^= seed >> 31;
    b->rng = seed != 0 ? seed : 1;
}

static uint64_t next_random(struct wh_backoff *b)
{
    uint64_t x = b->rng;

    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    b->rng = x;
    return x;
}

long wh_backoff_fail(struct wh_backoff *b, long retry_after_ms)
{
    long d = b->base_ms;
    unsigned i;
    long wait;

    for (i = 0; i < b->failures && d < b->cap_ms; i++) {
        d = d > b->cap_ms / 2 ? b->cap_ms : d * 2;
    }
    if (d > b->cap_ms) {
        d = b->cap_ms;
    }
    if (b->failures < 64) {
        b->failures++;
    }
    wait = d / 2 + (long)(next_random(b) % (uint64_t)(d / 2 + 1));
    return retry_after_ms > wait ? retry_after_ms : wait;
}

void wh_backoff_reset(struct wh_backoff *b)
{
    b->failures = 0;
}
