/* The tuner's correctness check (engine/vulkan/vk_tune_check.c): an output equal to the
 * reference within rounding passes; a corrupted one (one wrong element, a NaN, an infinity,
 * all zeros) is rejected with its error. */
#include <math.h>
#include <stdio.h>

#include "engine/vulkan/vk_tune_check.h"
#include "tests/vulkan/vk_compare.h"

#define N 64
#define TOLERANCE 1e-4

int main(void)
{
    float ref[N], out[N];
    uint32_t rng = 5;
    for (int i = 0; i < N; i++)
        ref[i] = vkt_uniform(&rng, -3.0f, 3.0f);
    double err;
    for (int i = 0; i < N; i++)
        out[i] = ref[i] * (1.0f + 1e-6f);
    CHECK(vk_tune_output_ok(ref, out, N, TOLERANCE, &err), "a rounding difference rejected: %g",
          err);
    out[17] += 0.5f;
    CHECK(!vk_tune_output_ok(ref, out, N, TOLERANCE, &err) && err > 0.1,
          "one wrong element accepted: %g", err);
    out[17] = NAN;
    CHECK(!vk_tune_output_ok(ref, out, N, TOLERANCE, &err) && isinf(err), "a NaN accepted: %g",
          err);
    out[17] = INFINITY;
    CHECK(!vk_tune_output_ok(ref, out, N, TOLERANCE, &err), "an infinity accepted: %g", err);
    for (int i = 0; i < N; i++)
        out[i] = 0;
    CHECK(!vk_tune_output_ok(ref, out, N, TOLERANCE, &err), "all zeros accepted: %g", err);
    printf("%s\n", vkt_failures() ? "FAILED" : "ok");
    return vkt_failures() ? 1 : 0;
}
