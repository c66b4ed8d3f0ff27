/*
 * prng.c - splitmix64-seeded xorshift64 (see prng.h).
 */
#include "wh/prng.h"

#include <time.h>
#include <unistd.h>

void wh_prng_seed(struct wh_prng *r, uint64_t seed)
{
    /* splitmix64 of the seed: any seed, 0 included, gives a good state */
    seed += 0x9e3779b97f4a7c15ULL;
    seed = (seed ^ (seed >> 30)) * 0xbf58476d1ce4e5b9ULL;
    seed = (seed ^ (seed >> 27)) * 0x94d049bb133111ebULL;
    seed ^= seed >> 31;
    r->s = seed != 0 ? seed : 1;
}

uint64_t wh_prng_entropy(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_REALTIME, &ts);
    return ((uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec) ^
           ((uint64_t)getpid() << 32);
}

uint64_t wh_prng_next(struct wh_prng *r)
{
    uint64_t x = r->s;

    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    r->s = x;
    return x;
}

uint64_t wh_prng_below(struct wh_prng *r, uint64_t n)
{
    return n != 0 ? wh_prng_next(r) % n : 0;
}
