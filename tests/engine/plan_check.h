/* Helpers of the plan tests (grad and value liveness): one line per check, a failure count,
 * and reproducible fill values. Each test includes this once. */
#ifndef TESTS_ENGINE_PLAN_CHECK_H
#define TESTS_ENGINE_PLAN_CHECK_H

#include <stdint.h>
#include <stdio.h>

static int failures;

static void check(int ok, const char *what)
{
    printf("%-4s %s\n", ok ? "ok" : "FAIL", what);
    if (!ok)
        failures++;
}

/* Values in [-0.5, 0.5) from a linear congruential sequence. */
static void fill(float *v, size_t n, uint32_t seed)
{
    for (size_t i = 0; i < n; i++) {
        seed = seed * 1664525u + 1013904223u;
        v[i] = (float)(seed >> 8) / 16777216.0f - 0.5f;
    }
}

#endif
