/* The tuner's measurement (vk_tune_measure.c): one conv node of a network rebuilt alone, run
 * with the device's current choices, its outputs read and its run timed. */
#ifndef ENGINE_VULKAN_VK_TUNE_MEASURE_H
#define ENGINE_VULKAN_VK_TUNE_MEASURE_H

#include "engine/graph.h"

typedef struct {
    eng_graph *g;
    eng_node *x, *w, *b, *y, *r; /* r: random weights of the loss sum(y * r) (training) */
    int training;
    size_t out_floats; /* y, then with training the gradients of x, w and b */
} vk_one_conv;

/* A graph of conv node n alone (its forward; with training its backward too). 0 or -1. */
int vk_one_conv_build(vk_one_conv *oc, const eng_node *n, int training, int fp16);
void vk_one_conv_free(vk_one_conv *oc);
/* Plans it on be, feeds fixed random inputs, runs it once to warm up and then `runs` times:
 * the median ms, the outputs in out (out_floats). 0, or -1 with the reason
 * in eng_last_error(). */
int vk_one_conv_measure(const vk_one_conv *oc, eng_backend *be, int runs, float *out, double *ms);

#endif
