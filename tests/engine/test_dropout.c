/* Dropout cannot be compared with PyTorch (its mask is the engine's own hash, not torch's RNG):
 * checks its statistics instead. Every output is 0 or x/(1-p), the dropped fraction is p within
 * 5 standard deviations, the gradient uses the same mask, masks change from run to run and are
 * reproduced by a second plan of the same graph. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/engine.h"

#define N 4
#define C 8
#define H 32
#define W 32
#define NUMEL ((size_t)N * C * H * W)

static int failures;

static void fail(const char *what)
{
    fprintf(stderr, "dropout: %s\n", what);
    failures++;
}

typedef struct {
    eng_graph *g;
    eng_node *x, *R, *out;
} dropout_graph;

static dropout_graph build(float p)
{
    dropout_graph d;
    d.g = eng_graph_new();
    d.x = eng_input4(d.g, "x", N, C, H, W);
    d.R = eng_input4(d.g, "R", N, C, H, W);
    d.out = eng_dropout(d.g, d.x, p, 777u);
    eng_node *loss = eng_sum(d.g, eng_mul(d.g, d.out, d.R));
    eng_forward(d.g, loss);
    eng_backward(d.g, loss, &d.x, 1);
    return d;
}

/* One run; fills out and grad; x = 1 + i/NUMEL (positive, distinct), R = 2 - i/NUMEL. */
static void run(eng_plan *p, const dropout_graph *d, float prob, float *out, float *grad)
{
    float *x = malloc(NUMEL * sizeof *x), *r = malloc(NUMEL * sizeof *r);
    if (!x || !r) {
        fprintf(stderr, "out of memory\n");
        exit(1);
    }
    for (size_t i = 0; i < NUMEL; i++) {
        x[i] = 1.0f + (float)i / (float)NUMEL;
        r[i] = 2.0f - (float)i / (float)NUMEL;
    }
    if (eng_plan_write(p, d->x, x) != ENG_OK || eng_plan_write(p, d->R, r) != ENG_OK ||
        eng_plan_run(p) != ENG_OK || eng_plan_read(p, d->out, out) != ENG_OK ||
        eng_plan_read_grad(p, d->x, grad) != ENG_OK) {
        fprintf(stderr, "dropout run failed: %s\n", eng_last_error());
        exit(1);
    }
    for (size_t i = 0; i < NUMEL; i++) {
        float expected = x[i] / (1.0f - prob);
        int kept = out[i] != 0.0f;
        if (kept && fabsf(out[i] - expected) > 1e-6f * expected) {
            fail("a kept element is not x/(1-p)");
            break;
        }
        /* d(sum(out*R))/dx = R/(1-p) where kept, 0 where dropped */
        float g = kept ? r[i] / (1.0f - prob) : 0.0f;
        if (fabsf(grad[i] - g) > 1e-6f * fabsf(g) + 1e-7f) {
            fail("the gradient does not follow the mask");
            break;
        }
    }
    free(x);
    free(r);
}

static double dropped_fraction(const float *out)
{
    size_t zeros = 0;
    for (size_t i = 0; i < NUMEL; i++)
        zeros += out[i] == 0.0f;
    return (double)zeros / (double)NUMEL;
}

int main(void)
{
    const float p = 0.3f;
    eng_backend *be = eng_cpu_backend_new(2);
    dropout_graph d = build(p);
    eng_plan *plan = eng_plan_new(d.g, be);
    float *out1 = malloc(NUMEL * sizeof *out1), *out2 = malloc(NUMEL * sizeof *out2);
    float *grad = malloc(NUMEL * sizeof *grad), *again = malloc(NUMEL * sizeof *again);
    if (!plan || !out1 || !out2 || !grad || !again) {
        fprintf(stderr, "setup failed: %s\n", eng_last_error());
        return 1;
    }
    run(plan, &d, p, out1, grad);
    run(plan, &d, p, out2, grad);
    double f1 = dropped_fraction(out1), f2 = dropped_fraction(out2);
    double sigma = sqrt(p * (1.0 - p) / (double)NUMEL);
    printf("dropout p=%.2f: dropped %.4f and %.4f of %zu (sigma %.4f)\n", p, f1, f2, NUMEL, sigma);
    if (fabs(f1 - p) > 5 * sigma || fabs(f2 - p) > 5 * sigma)
        fail("dropped fraction too far from p");
    if (memcmp(out1, out2, NUMEL * sizeof *out1) == 0)
        fail("the mask did not change between runs");

    /* A second plan of an identical graph replays the same masks run by run. */
    dropout_graph d2 = build(p);
    eng_plan *plan2 = eng_plan_new(d2.g, be);
    if (!plan2) {
        fprintf(stderr, "second plan failed: %s\n", eng_last_error());
        return 1;
    }
    run(plan2, &d2, p, again, grad);
    if (memcmp(out1, again, NUMEL * sizeof *out1) != 0)
        fail("the first run's mask is not reproducible");

    eng_plan_free(plan2);
    eng_graph_free(d2.g);
    eng_plan_free(plan);
    eng_graph_free(d.g);
    eng_backend_free(be);
    free(out1);
    free(out2);
    free(grad);
    free(again);
    return failures ? 1 : 0;
}
