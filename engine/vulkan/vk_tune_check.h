/* The tuner's correctness check (vk_tune_check.c): a candidate kernel's output against the
 * default choice's, so that a tile or split that computes wrong results is never kept. */
#ifndef ENGINE_VULKAN_VK_TUNE_CHECK_H
#define ENGINE_VULKAN_VK_TUNE_CHECK_H

#include <stddef.h>

/* The largest |out - ref| over the largest |ref| (the output's scale: a per-element ratio
 * explodes where ref is near zero); infinity when out holds a NaN or infinity. */
double vk_tune_max_rel_error(const float *ref, const float *out, size_t n);
/* Whether out matches ref within tolerance; the error in *err. */
int vk_tune_output_ok(const float *ref, const float *out, size_t n, double tolerance, double *err);

#endif
