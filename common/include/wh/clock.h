/*
 * clock.h - the monotonic clock every timeout, interval and backoff of
 * wirehose is measured on (CLOCK_MONOTONIC: never jumps with the wall
 * clock). Wall-clock timestamps for records are wh_now_rfc3339() in
 * record.h.
 */
#ifndef WH_CLOCK_H
#define WH_CLOCK_H

#include <stdint.h>

/* Monotonic milliseconds since an arbitrary point. */
int64_t wh_now_ms(void);

/* Monotonic seconds since the same point, with fractions (for latencies
 * and short waits). */
double wh_now_s(void);

#endif
