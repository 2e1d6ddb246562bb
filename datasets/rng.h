/* Counter-based random numbers: every draw is a pure function of (seed, stream ids), so the
 * loader's crops, flips and shuffles do not depend on thread timing. */
#ifndef DATASETS_RNG_H
#define DATASETS_RNG_H

#include <stdint.h>

static inline uint64_t rng_splitmix(uint64_t x)
{
    x += 0x9E3779B97F4A7C15ull;
    x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
    x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
    return x ^ (x >> 31);
}

/* A state derived from a seed and up to three stream numbers (e.g. epoch, index, purpose). */
static inline uint64_t rng_derive(uint64_t seed, uint64_t a, uint64_t b, uint64_t c)
{
    return rng_splitmix(rng_splitmix(rng_splitmix(seed ^ 0x5851F42D4C957F2Dull) ^ a) ^ b) ^ c;
}

static inline uint64_t rng_next(uint64_t *state)
{
    *state += 0x9E3779B97F4A7C15ull;
    return rng_splitmix(*state);
}

/* Uniform in [0, n) (n >= 1); the modulo bias is below 2^-32 for the sizes used here. */
static inline uint64_t rng_below(uint64_t *state, uint64_t n)
{
    return rng_next(state) % n;
}

/* Uniform in [0, 1). */
static inline double rng_unit(uint64_t *state)
{
    return (double)(rng_next(state) >> 11) * (1.0 / 9007199254740992.0);
}

#endif
