/* Gradient reducers (eng_reducer) on the CPU backend: (1) a reducer that halves the gradients
 * gives bitwise the parameters of the same graph with its loss halved, over three Adam steps
 * (so the gradients it is handed are complete, and nothing overwrites them before the update);
 * (2) every parameter is in exactly one bucket, the buckets start in the order backward
 * completes them (the last layer first) and one at a time when bucket_bytes is tiny, all in
 * one bucket when it is large; (3) the first bucket starts while backward still runs: progress
 * is called between its start and its finish; (4) a failing reducer fails the run with a
 * message; (1) and (4) on Vulkan too, where an optimizer's gradients are one bucket. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/device.h"
#include "engine/engine.h"
#include "engine/graph.h"
#include "plan_check.h"

#define DEPTH 6
#define C 4
#define H 12
#define MAX_BUCKETS 16

typedef struct {
    float *const *grads[MAX_BUCKETS];
    const size_t *counts[MAX_BUCKETS];
    int n[MAX_BUCKETS];
    int started, finished, progress_in_first, fail, out_of_order;
} halver;

static int h_start(void *ctx, int b, float *const *grads, const size_t *counts, int n)
{
    halver *h = ctx;
    if (h->fail)
        return -1;
    h->out_of_order += b != h->started || b >= MAX_BUCKETS;
    h->grads[b] = grads;
    h->counts[b] = counts;
    h->n[b] = n;
    h->started++;
    return 0;
}

static int h_progress(void *ctx)
{
    halver *h = ctx;
    h->progress_in_first += h->finished == 0;
    return 0;
}

static int h_finish(void *ctx, int b)
{
    halver *h = ctx;
    h->out_of_order += b != h->finished || b >= h->started;
    for (int k = 0; k < h->n[b]; k++)
        for (size_t i = 0; i < h->counts[b][k]; i++)
            h->grads[b][k][i] *= 0.5f;
    h->finished++;
    return 0;
}

typedef struct {
    eng_graph *g;
    eng_node *x, *w[DEPTH], *loss;
    eng_adam *opt;
} chain;

/* x -> DEPTH x (conv 3x3 -> leaky relu) -> sum, times scale; Adam on the weights. */
static void build(chain *c, float scale, const eng_reducer *r)
{
    c->g = eng_graph_new();
    c->x = eng_input4(c->g, "x", 1, C, H, H);
    eng_node *h = conv_chain(c->g, c->x, c->w, DEPTH, NULL);
    c->loss = eng_scale(c->g, eng_mse_loss(c->g, h, eng_const(c->g, 4, h->shape, 0.3f)), scale);
    eng_backward(c->g, c->loss, c->w, DEPTH);
    c->opt = eng_adam_new(c->g, c->w, DEPTH, 1e-2f, 0.5f, 0.999f, 1e-8f);
    if (r)
        eng_adam_set_reducer(c->opt, r);
    eng_adam_step(c->g, c->opt);
    eng_reuse_values(c->g);
}

static eng_plan *plan(eng_backend *be, const chain *c)
{
    eng_plan *p = eng_plan_new(c->g, be);
    write_chain_values(p, c->x, c->w, DEPTH, 10);
    return p;
}

/* Three steps with the halving reducer against three with the halved loss. */
static void check_halved(eng_backend *be, size_t bucket_bytes, int want_buckets)
{
    halver h = {0};
    eng_reducer r = {&h, bucket_bytes, h_start, h_progress, h_finish};
    chain a, b;
    build(&a, 1.0f, &r);
    build(&b, 0.5f, NULL);
    eng_plan *pa = plan(be, &a), *pb = plan(be, &b);
    for (int step = 0; step < 3; step++) {
        h.started = h.finished = h.progress_in_first = 0;
        check(eng_plan_run(pa) == 0 && eng_plan_run(pb) == 0, "runs");
        check(h.started == want_buckets && h.finished == want_buckets, "bucket count");
    }
    check(!h.out_of_order, "buckets start in order and finish in order, after they start");
    int params = 0;
    for (int k = 0; k < h.started; k++)
        params += h.n[k];
    check(params == DEPTH, "every parameter in exactly one bucket");
    if (want_buckets > 1) {
        /* The last layer's gradient completes first: bucket 0 holds it. */
        check(h.n[0] == 1 && h.counts[0][0] == a.w[DEPTH - 1]->numel, "bucket 0 is one weight");
        check(h.progress_in_first > 0, "progress called while the first bucket is in flight");
    }
    float va[C * C * 9], vb[C * C * 9];
    int same = 1;
    for (int i = 0; i < DEPTH; i++) {
        eng_plan_read(pa, a.w[i], va);
        eng_plan_read(pb, b.w[i], vb);
        same &= !memcmp(va, vb, sizeof va);
        fill(vb, a.w[i]->numel, 10 + (uint32_t)i);
        check(memcmp(va, vb, sizeof va) != 0, "the weights were updated");
    }
    printf("     bucket_bytes %zu: %d buckets, %d progress calls in the first\n", bucket_bytes,
           h.started, h.progress_in_first);
    check(same, "halving reducer == halved loss, bitwise");
    eng_plan_free(pa);
    eng_plan_free(pb);
    eng_graph_free(a.g);
    eng_graph_free(b.g);
}

static void check_failure(eng_backend *be)
{
    halver h = {.fail = 1};
    eng_reducer r = {&h, 1, h_start, h_progress, h_finish};
    chain a;
    build(&a, 1.0f, &r);
    eng_plan *p = plan(be, &a);
    check(eng_plan_run(p) == ENG_EBACKEND, "a failing reducer fails the run");
    check(strstr(eng_last_error(), "gradient reduction failed") != NULL, "with a message");
    eng_plan_free(p);
    eng_graph_free(a.g);
}

/* With "vulkan": on the Vulkan device (lavapipe in the tests), which reduces each optimizer's
 * gradients as one bucket once its backward is complete; 77 (skipped) without one. */
int main(int argc, char **argv)
{
    if (argc > 1 && !strcmp(argv[1], "vulkan")) {
        eng_backend *be = eng_backend_open("vulkan", 0);
        if (!be) {
            printf("skipped: no Vulkan device: %s\n", eng_last_error());
            return 77;
        }
        printf("     %s\n", eng_backend_name(be));
        check_halved(be, 1, 1);
        check_failure(be);
        eng_backend_free(be);
    } else {
        eng_backend *be = eng_cpu_backend_new(2);
        check_halved(be, 1, DEPTH);
        check_halved(be, 1 << 20, 1);
        check_failure(be);
        eng_backend_free(be);
    }
    printf("reducer: %s\n", failures ? "FAILED" : "ok");
    return failures != 0;
}
