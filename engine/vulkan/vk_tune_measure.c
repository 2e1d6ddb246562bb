/* One conv alone, timed (see vk_tune_measure.h). */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/clock.h"
#include "engine/vulkan/vk_tune_measure.h"

#define MAX_RUNS 16

int vk_one_conv_build(vk_one_conv *oc, const eng_node *n, int training, int fp16)
{
    const eng_node *x = n->src[0], *w = n->src[1], *b = n->src[2];
    memset(oc, 0, sizeof *oc);
    eng_graph *g = oc->g = eng_graph_new();
    if (!g)
        return -1;
    oc->training = training;
    const int *xs = x->shape, *ws = w->shape;
    oc->x = training ? eng_param4(g, "x", xs[0], xs[1], xs[2], xs[3])
                     : eng_input4(g, "x", xs[0], xs[1], xs[2], xs[3]);
    oc->w = eng_param4(g, "w", ws[0], ws[1], ws[2], ws[3]);
    oc->b = b ? eng_param1(g, "b", b->shape[0]) : NULL;
    const int stride = n->arg.conv.stride, pad = n->arg.conv.pad;
    oc->y = n->op == ENG_OP_CONV_TRANSPOSE2D
                ? eng_conv_transpose2d(g, oc->x, oc->w, oc->b, stride, pad, n->arg.conv.out_pad)
                : eng_conv2d(g, oc->x, oc->w, oc->b, stride, pad);
    oc->out_floats = oc->y->numel;
    if (!training) {
        eng_forward(g, oc->y);
    } else {
        const int *ys = oc->y->shape;
        oc->r = eng_input4(g, "r", ys[0], ys[1], ys[2], ys[3]);
        eng_node *loss = eng_sum(g, eng_mul(g, oc->y, oc->r));
        eng_node *params[3] = {oc->x, oc->w, oc->b};
        eng_forward(g, loss);
        eng_backward(g, loss, params, oc->b ? 3 : 2);
        oc->out_floats += oc->x->numel + oc->w->numel + (oc->b ? oc->b->numel : 0);
    }
    if (fp16)
        eng_mixed_precision(g);
    return eng_graph_status(g) ? -1 : 0;
}

void vk_one_conv_free(vk_one_conv *oc)
{
    eng_graph_free(oc->g);
    oc->g = NULL;
}

/* Fixed values in [-1, 1) (xorshift32), the same for every candidate. */
static int feed(eng_plan *p, eng_node *n, uint32_t seed)
{
    if (!n)
        return 0;
    float *v = malloc(n->numel * sizeof *v);
    if (!v)
        return -1;
    for (size_t i = 0; i < n->numel; i++) {
        seed ^= seed << 13, seed ^= seed >> 17, seed ^= seed << 5;
        v[i] = (float)(seed >> 8) / (float)(1u << 23) - 1.0f;
    }
    int rc = eng_plan_write(p, n, v);
    free(v);
    return rc;
}

static int read_outputs(const vk_one_conv *oc, eng_plan *p, float *out)
{
    if (eng_plan_read(p, oc->y, out))
        return -1;
    if (!oc->training)
        return 0;
    out += oc->y->numel;
    if (eng_plan_read_grad(p, oc->x, out) || eng_plan_read_grad(p, oc->w, out + oc->x->numel))
        return -1;
    return oc->b ? eng_plan_read_grad(p, oc->b, out + oc->x->numel + oc->w->numel) : 0;
}

static int by_value(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

int vk_one_conv_measure(const vk_one_conv *oc, eng_backend *be, int runs, float *out, double *ms)
{
    eng_plan *p = eng_plan_new(oc->g, be);
    double t[MAX_RUNS];
    runs = runs < 1 ? 1 : runs > MAX_RUNS ? MAX_RUNS : runs;
    int rc = !p || feed(p, oc->x, 1) || feed(p, oc->w, 2) || feed(p, oc->b, 3) ||
             feed(p, oc->r, 4) || eng_plan_run(p); /* the warm-up compiles the pipelines */
    for (int i = 0; !rc && i < runs; i++) {
        double start = clock_ms();
        rc = eng_plan_run(p);
        t[i] = clock_ms() - start;
    }
    rc = rc || read_outputs(oc, p, out); /* a failure's reason: eng_last_error() */
    if (p)
        eng_plan_free(p);
    if (rc)
        return -1;
    qsort(t, (size_t)runs, sizeof *t, by_value);
    *ms = t[runs / 2];
    return 0;
}
