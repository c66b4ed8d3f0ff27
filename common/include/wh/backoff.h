/*
 * backoff.h - exponential backoff, the one of every retry in wirehose:
 * after each failure the wait doubles (base, 2 base, 4 base ... up to
 * cap). With jitter (struct wh_backoff), a random part spreads clients
 * that failed together ("equal jitter": a wait d becomes d/2 plus a random
 * amount up to d/2, so it never drops below half), and a server's
 * Retry-After is a floor.
 *
 * Not thread-safe: one owner per struct.
 */
#ifndef WH_BACKOFF_H
#define WH_BACKOFF_H

#include <stdint.h>

#include "wh/prng.h"

struct wh_backoff {
    long base_ms;      /* first wait */
    long cap_ms;       /* longest wait */
    unsigned failures; /* in a row */
    struct wh_prng rng;
};

/* The wait after prev_ms without jitter: base_ms when prev_ms is 0 (the
 * first failure), else twice prev_ms, at most cap_ms. */
long wh_backoff_double(long prev_ms, long base_ms, long cap_ms);

/* Sets up b: base_ms (<= 0: 1000) and cap_ms (< base_ms: base_ms); seed
 * picks the jitter sequence (e.g. a hash of the source URL, or
 * wh_prng_entropy(); 0 is fine). */
void wh_backoff_init(struct wh_backoff *b, long base_ms, long cap_ms,
                     uint64_t seed);

/* Counts a failure and returns how long to wait before the next try, in
 * ms: the jittered exponential wait, or retry_after_ms when that is
 * larger (pass 0 when the server gave none). */
long wh_backoff_fail(struct wh_backoff *b, long retry_after_ms);

/* Counts a success: the next failure starts again from base_ms. */
void wh_backoff_reset(struct wh_backoff *b);

#endif
