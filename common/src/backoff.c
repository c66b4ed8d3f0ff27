/*
 * backoff.c - exponential backoff with equal jitter (see backoff.h).
 */
#include "wh/backoff.h"

long wh_backoff_double(long prev_ms, long base_ms, long cap_ms)
{
    if (prev_ms <= 0) {
        return base_ms < cap_ms ? base_ms : cap_ms;
    }
    return prev_ms > cap_ms / 2 ? cap_ms : prev_ms * 2;
}

void wh_backoff_init(struct wh_backoff *b, long base_ms, long cap_ms,
                     uint64_t seed)
{
    b->base_ms = base_ms > 0 ? base_ms : 1000;
    b->cap_ms = cap_ms >= b->base_ms ? cap_ms : b->base_ms;
    b->failures = 0;
    wh_prng_seed(&b->rng, seed);
}

long wh_backoff_fail(struct wh_backoff *b, long retry_after_ms)
{
    long d = b->base_ms;
    unsigned i;
    long wait;

    for (i = 0; i < b->failures && d < b->cap_ms; i++) {
        d = wh_backoff_double(d, b->base_ms, b->cap_ms);
    }
    if (b->failures < 64) {
        b->failures++;
    }
    wait = d / 2 + (long)wh_prng_below(&b->rng, (uint64_t)(d / 2 + 1));
    return retry_after_ms > wait ? retry_after_ms : wait;
}

void wh_backoff_reset(struct wh_backoff *b)
{
    b->failures = 0;
}
