/* The monotonic clock, for timings (never the date). */
#ifndef BASE_CLOCK_H
#define BASE_CLOCK_H

/* Seconds since an arbitrary fixed point (CLOCK_MONOTONIC). */
double clock_seconds(void);

/* The same in milliseconds. */
static inline double clock_ms(void)
{
    return clock_seconds() * 1e3;
}

#endif
