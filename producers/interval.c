/*
 * interval.c - a source's poll interval (see interval.h).
 */
#include "interval.h"

long long interval_cap(long long interval_ms, long long max_interval_ms)
{
    return max_interval_ms > interval_ms ? max_interval_ms : interval_ms;
}

long long interval_next(long long cur_ms, int had_new, long long interval_ms,
                        long long cap_ms)
{
    if (had_new) {
        cur_ms = cur_ms / 2;
    } else {
        cur_ms = cur_ms + cur_ms / 2;
    }
    if (cur_ms < interval_ms) {
        cur_ms = interval_ms;
    }
    if (cur_ms > cap_ms) {
        cur_ms = cap_ms;
    }
    return cur_ms;
}

long long interval_resume(long long stored_ms, long long interval_ms,
                          long long cap_ms)
{
    return stored_ms >= interval_ms && stored_ms <= cap_ms ? stored_ms
                                                           : interval_ms;
}

long long interval_jitter(struct wh_prng *rng, long long ms, long long pct)
{
    long long span = ms * pct / 100;

    if (span <= 0) {
        return ms;
    }
    return ms - span + (long long)wh_prng_below(rng, (uint64_t)(2 * span + 1));
}
