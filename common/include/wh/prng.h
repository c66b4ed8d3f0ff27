/*
 * prng.h - a small, seedable pseudo-random generator for jitter and
 * sampling: xorshift64 (Marsaglia's 13, 7, 17) over a state that
 * splitmix64 makes from any seed, 0 included. Fast and well spread; not
 * for anything secret.
 *
 * Not thread-safe: one owner per struct.
 */
#ifndef WH_PRNG_H
#define WH_PRNG_H

#include <stdint.h>

struct wh_prng {
    uint64_t s; /* never 0 */
};

/* Seeds r: the same seed gives the same sequence. */
void wh_prng_seed(struct wh_prng *r, uint64_t seed);

/* A seed that differs between processes and runs (time and pid), for
 * generators whose sequence need not repeat. */
uint64_t wh_prng_entropy(void);

/* The next 64 random bits. */
uint64_t wh_prng_next(struct wh_prng *r);

/* A number in [0, n) (0 when n is 0). The modulo bias is below n / 2^64,
 * nothing for jitter. */
uint64_t wh_prng_below(struct wh_prng *r, uint64_t n);

#endif
