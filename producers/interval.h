/*
 * interval.h - the arithmetic of a source's poll interval: the adaptive
 * interval (shorter after new items, longer after a round without any,
 * within [interval, cap]), the interval kept across restarts, and the
 * jitter spreading each wait. Pure, so the unit tests link it alone.
 */
#ifndef WH_PRODUCER_INTERVAL_H
#define WH_PRODUCER_INTERVAL_H

#include "wh/prng.h"

/* The longest interval of a source: poll.max_interval_ms, or the source's
 * own interval_ms when that is longer. */
long long interval_cap(long long interval_ms, long long max_interval_ms);

/* The interval after a round that succeeded: cur_ms halved after new
 * items, else grown by half, then held within [interval_ms, cap_ms]. */
long long interval_next(long long cur_ms, int had_new, long long interval_ms,
                        long long cap_ms);

/* The interval a source resumes with: the one stored by an earlier run
 * when it lies within [interval_ms, cap_ms] (a source that rarely changes
 * keeps its longer interval), else interval_ms. */
long long interval_resume(long long stored_ms, long long interval_ms,
                          long long cap_ms);

/* ms spread by +-pct percent, drawn from rng. ms itself when the spread
 * is under 1 ms. */
long long interval_jitter(struct wh_prng *rng, long long ms, long long pct);

#endif
