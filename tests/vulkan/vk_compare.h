/* Shared by the Vulkan tests: the same graph planned on the CPU backend (the oracle) and on a
 * Vulkan device, fed the same random values, run, and compared tensor by tensor. */
#ifndef TESTS_VULKAN_VK_COMPARE_H
#define TESTS_VULKAN_VK_COMPARE_H

#include <stdint.h>

#include "engine/engine.h"

#define VKT_SKIP 77 /* ctest SKIP_RETURN_CODE: no Vulkan device at all */

/* A failed check: prints "FAIL file:line: message" and counts it (vkt_failures). */
void vkt_fail(const char *file, int line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
int vkt_failures(void);
#define CHECK(cond, ...)                                                                           \
    do {                                                                                           \
        if (!(cond))                                                                               \
            vkt_fail(__FILE__, __LINE__, __VA_ARGS__);                                             \
    } while (0)

/* Deterministic random numbers (xorshift32). */
uint32_t vkt_next(uint32_t *state);
int vkt_int(uint32_t *state, int lo, int hi); /* inclusive */
float vkt_uniform(uint32_t *state, float lo, float hi);

/* The Vulkan backend (software devices allowed) with validation on, or NULL after printing why;
 * *skip is set when the machine has no Vulkan device at all. */
eng_backend *vkt_open_vulkan(int *skip);
/* 0 when the validation layer reported no error, else prints and returns 1. */
int vkt_check_validation(const eng_backend *vk);

/* Builds the graph under test into g and returns the node whose value is checked; rng drives
 * shapes and options, so two calls with the same state build identical graphs. */
typedef eng_node *(*vkt_build_fn)(eng_graph *g, uint32_t *rng);

typedef struct {
    double value_err; /* max |vk - cpu| / (1 + |cpu|) over outputs and updated state */
    double grad_err;  /* the same over the gradients of every input and parameter */
} vkt_errors;

/* With on, the Vulkan side of vkt_compare asks for mixed precision (eng_mixed_precision). */
void vkt_set_mixed(int on);

/* Builds the graph twice, adds loss = sum(out * upstream) with a random upstream gradient and
 * its backward to every input and parameter, writes the same random leaves to both plans and
 * runs them `runs` times. Returns 0, or 1 after printing what failed. */
int vkt_compare(const char *name, vkt_build_fn build, uint32_t seed, int runs, eng_backend *cpu,
                eng_backend *vk, vkt_errors *errors);

/* Writes the same random values to every input, parameter and state of two identical graphs
 * plans (running variances positive, Adam moments left at zero). Returns 0 or 1 after printing what failed. */
int vkt_write_leaves(const eng_graph *g_cpu, eng_plan *cpu, const eng_graph *g_vk, eng_plan *vk,
                     uint32_t seed);
/* Compares, between two plans of identical graphs, the values of every node in `nodes` (or of
 * every parameter and state when nodes is NULL) and the gradient of every node that has one.
 * Returns 0 or 1 after printing what failed. */
int vkt_compare_plans(const char *name, const eng_graph *g_cpu, eng_plan *cpu,
                      const eng_graph *g_vk, eng_plan *vk, const int *nodes, int nnodes,
                      vkt_errors *errors);

/* Deep convolutions with a tiny output, the U-Net's innermost shapes (kernel 4, stride 2,
 * pad 1): conv2d 512 -> 256 channels at 2x2 (out 1x1), conv_transpose2d 512 -> 64 from 1x1 (out
 * 2x2, two samples); on every device their forward and input gradient split the depth. */
eng_node *vkt_deep_conv(eng_graph *g, uint32_t *rng);
eng_node *vkt_deep_convt(eng_graph *g, uint32_t *rng);
/* Whether the conv node's forward and input-gradient GEMMs split their depth with the Vulkan
 * backend vk's tuning; prints what did not. */
int vkt_check_splits(const eng_backend *vk, const char *name, vkt_build_fn build);

/* Max |a - b| / (1 + |b|). */
double vkt_max_error(const float *a, const float *b, size_t n);

/* The tests' small PatchGAN on (A, B) pairs of 6 channels: conv "d.c1" (c1 filters 4x4, with
 * bias), conv "d.c2" (c2 filters k2 x k2, no bias) then batch norm "d.bn" (weight, bias and its
 * three states), conv "d.c3" (1 filter 3x3, with bias). conv[5]: c1, its bias, c2, c3, its
 * bias; bn[5]: weight, bias, running mean, running variance, batches; trained[7]: the five
 * convs' then the norm's weight and bias, the parameters its optimizer updates. */
void vkt_disc_params(eng_graph *g, int c1, int c2, int k2, eng_node **conv, eng_node **bn,
                     eng_node **trained);

#endif
