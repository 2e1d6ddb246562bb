/* A small seeded random generator (xoshiro256** seeded by splitmix64): weight initialisation,
 * dropout seeds, anything in the app that must be reproducible from --seed. */
#ifndef APP_RNG_H
#define APP_RNG_H

#include <stdint.h>

typedef struct {
    uint64_t s[4];
    int has_spare;
    float spare;
} rng;

void rng_seed(rng *r, uint64_t seed);
uint64_t rng_next(rng *r);
/* Uniform in [0, 1). */
double rng_uniform(rng *r);
/* Standard normal (Box-Muller). */
float rng_normal(rng *r);
/* A 32-bit seed derived from a base seed and an index (distinct layers, distinct streams). */
uint32_t rng_hash_seed(uint64_t base, uint32_t index);

#endif
