/* Helpers of the plan tests (grad and value liveness, reducers): one line per check, a failure
 * count, reproducible fill values and the deep convolution chain they plan. Each test includes
 * this once. */
#ifndef TESTS_ENGINE_PLAN_CHECK_H
#define TESTS_ENGINE_PLAN_CHECK_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "engine/engine.h"

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

/* x -> depth x (conv 3x3 keeping the channels, no bias -> leaky relu 0.2), the weights named
 * w0, w1, ... stored in w; the last output. mid (when not NULL): the output of layer depth / 2. */
static inline eng_node *conv_chain(eng_graph *g, eng_node *x, eng_node **w, int depth,
                                   eng_node **mid)
{
    eng_node *h = x;
    for (int i = 0; i < depth; i++) {
        char name[32];
        snprintf(name, sizeof name, "w%d", i);
        w[i] = eng_param4(g, name, x->shape[1], x->shape[1], 3, 3);
        h = eng_leaky_relu(g, eng_conv2d(g, h, w[i], NULL, 1, 1), 0.2f);
        if (mid && i == depth / 2)
            *mid = h;
    }
    return h;
}

/* Writes a conv_chain's input (fill seed 1) and weights (seeds w_seed, w_seed + 1, ...). */
static inline void write_chain_values(eng_plan *p, const eng_node *x, eng_node *const *w,
                                      int depth, uint32_t w_seed)
{
    size_t most = x->numel;
    for (int i = 0; i < depth; i++)
        most = w[i]->numel > most ? w[i]->numel : most;
    float *v = malloc(sizeof(float) * most);
    fill(v, x->numel, 1);
    eng_plan_write(p, x, v);
    for (int i = 0; i < depth; i++) {
        fill(v, w[i]->numel, w_seed + (uint32_t)i);
        eng_plan_write(p, w[i], v);
    }
    free(v);
}

#endif
