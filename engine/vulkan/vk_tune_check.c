/* Candidate outputs against the default kernel's (see vk_tune_check.h). */
#include <math.h>

#include "engine/vulkan/vk_tune_check.h"

double vk_tune_max_rel_error(const float *ref, const float *out, size_t n)
{
    double diff = 0, scale = 0;
    for (size_t i = 0; i < n; i++) {
        double d = fabs((double)out[i] - (double)ref[i]);
        if (!isfinite(out[i]))
            return INFINITY;
        diff = d > diff ? d : diff;
        scale = fabs((double)ref[i]) > scale ? fabs((double)ref[i]) : scale;
    }
    return diff / (scale > 1e-30 ? scale : 1e-30);
}

int vk_tune_output_ok(const float *ref, const float *out, size_t n, double tolerance, double *err)
{
    *err = vk_tune_max_rel_error(ref, out, n);
    return *err <= tolerance;
}
