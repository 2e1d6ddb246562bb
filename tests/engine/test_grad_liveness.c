/* The memory planner's transient gradients (engine/memplan/grad_liveness.c), on the CPU backend:
 * gradients of intermediate tensors share memory by liveness. Checks that (1) a deep chain needs far less gradient memory than one buffer per
 * tensor, (2) reading an intermediate gradient is refused with a message, (3) a graph with two
 * backward passes through the same tensors gives exactly the parameter gradients of a graph
 * holding only the second pass (each pass starts from zeroed gradients), (4) with Adam, the
 * parameters' gradients are transient too (each update runs once its gradient is complete):
 * less memory than one gradient buffer per parameter, and their reads are refused; (5) after
 * eng_keep_grads every gradient is readable, (6) the weight gradients that the first
 * convolution backward overwrites instead of adding into zeroes (its "fresh" gradients), a
 * weight shared by two convolutions included, give bitwise the parameters of a graph that keeps
 * (and zeroes) every gradient, over several Adam steps. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/engine.h"
#include "engine/graph.h"
#include "plan_check.h"

#define DEPTH 12
#define C 4
#define H 24

typedef struct {
    eng_graph *g;
    eng_node *x, *w[DEPTH], *mid, *out;
} chain;

/* x -> DEPTH x (conv 3x3 -> leaky relu); mid is the tensor halfway. */
static void build_chain(chain *c)
{
    c->g = eng_graph_new();
    c->x = eng_input4(c->g, "x", 1, C, H, H);
    c->out = conv_chain(c->g, c->x, c->w, DEPTH, &c->mid);
}

static void write_inputs(eng_plan *p, const chain *c)
{
    write_chain_values(p, c->x, c->w, DEPTH, 100);
}

static size_t plan_bytes(eng_graph *g, eng_backend *be)
{
    eng_plan *p = eng_plan_new(g, be);
    size_t b = p ? eng_plan_bytes(p) : 0;
    eng_plan_free(p);
    return b;
}

static void check_memory_and_reads(eng_backend *be)
{
    chain fwd, bwd;
    build_chain(&fwd);
    eng_forward(fwd.g, eng_sum(fwd.g, fwd.out));
    build_chain(&bwd);
    eng_node *loss = eng_sum(bwd.g, bwd.out);
    eng_backward(bwd.g, loss, bwd.w, DEPTH);
    size_t act = sizeof(float) * C * H * H, params = sizeof(float) * DEPTH * C * C * 9;
    size_t extra = plan_bytes(bwd.g, be) - plan_bytes(fwd.g, be);
    /* One buffer per tensor would need 2 * DEPTH activation gradients; liveness needs ~2. */
    printf("     gradient memory: %zu bytes (one buffer per tensor: %zu)\n", extra,
           params + 2 * DEPTH * act);
    check(extra <= params + 4 * act + 1024, "intermediate gradients share memory");

    eng_plan *p = eng_plan_new(bwd.g, be);
    write_inputs(p, &bwd);
    float *v = malloc(act);
    check(eng_plan_run(p) == ENG_OK, "run");
    check(eng_plan_read_grad(p, bwd.mid, v) == ENG_EINVAL &&
              strstr(eng_last_error(), "not kept") != NULL,
          "reading an intermediate gradient is refused");
    check(eng_plan_read_grad(p, bwd.w[0], v) == ENG_OK, "parameter gradients are readable");
    free(v);
    eng_plan_free(p);
    eng_graph_free(fwd.g);
    eng_graph_free(bwd.g);
}

/* Parameter gradients after running the graph (caller frees). */
static float *param_grads(eng_graph *g, const chain *c, eng_backend *be)
{
    eng_plan *p = eng_plan_new(g, be);
    size_t per = (size_t)C * C * 9;
    float *grads = malloc(sizeof(float) * DEPTH * per);
    write_inputs(p, c);
    if (eng_plan_run(p) != ENG_OK)
        failures++;
    for (int i = 0; i < DEPTH; i++)
        eng_plan_read_grad(p, c->w[i], grads + i * per);
    eng_plan_free(p);
    return grads;
}

static void check_two_passes(eng_backend *be)
{
    chain twice, once;
    build_chain(&twice);
    eng_node *loss1 = eng_sum(twice.g, twice.out);
    eng_node *loss2 = eng_sum(twice.g, eng_mul(twice.g, twice.mid, twice.mid));
    eng_backward(twice.g, loss1, twice.w, DEPTH);
    eng_backward(twice.g, loss2, twice.w, DEPTH);
    build_chain(&once);
    eng_node *only = eng_sum(once.g, eng_mul(once.g, once.mid, once.mid));
    eng_forward(once.g, eng_sum(once.g, once.out)); /* same forward work, same state */
    eng_backward(once.g, only, once.w, DEPTH);
    float *a = param_grads(twice.g, &twice, be), *b = param_grads(once.g, &once, be);
    check(!memcmp(a, b, sizeof(float) * DEPTH * C * C * 9),
          "two backward passes: the second starts from zeroed intermediate gradients");
    free(a);
    free(b);
    eng_graph_free(twice.g);
    eng_graph_free(once.g);
}

static void check_adam(eng_backend *be)
{
    chain plain, adam;
    build_chain(&plain);
    eng_backward(plain.g, eng_sum(plain.g, plain.out), plain.w, DEPTH);
    build_chain(&adam);
    eng_backward(adam.g, eng_sum(adam.g, adam.out), adam.w, DEPTH);
    eng_adam_step(adam.g, eng_adam_new(adam.g, adam.w, DEPTH, 1e-3f, 0.5f, 0.999f, 1e-8f));
    size_t params = sizeof(float) * DEPTH * C * C * 9;
    /* Adam adds two moments per parameter; the gradients of the parameters mostly go away. */
    size_t extra = plan_bytes(adam.g, be) - plan_bytes(plain.g, be);
    check(extra < 2 * params, "parameter gradients share memory when Adam updates them");
    eng_plan *p = eng_plan_new(adam.g, be);
    write_inputs(p, &adam);
    float v[C * C * 9];
    check(eng_plan_run(p) == ENG_OK, "run with Adam");
    check(eng_plan_read_grad(p, adam.w[0], v) == ENG_EINVAL,
          "reading an optimized parameter's gradient is refused");
    eng_plan_free(p);
    eng_graph_free(plain.g);
    eng_graph_free(adam.g);
}

static void check_keep(eng_backend *be)
{
    chain k;
    build_chain(&k);
    eng_keep_grads(k.g);
    eng_backward(k.g, eng_sum(k.g, k.out), k.w, DEPTH);
    eng_adam_step(k.g, eng_adam_new(k.g, k.w, DEPTH, 1e-3f, 0.5f, 0.999f, 1e-8f));
    eng_plan *p = eng_plan_new(k.g, be);
    write_inputs(p, &k);
    float *v = malloc(sizeof(float) * C * H * H);
    check(eng_plan_run(p) == ENG_OK && eng_plan_read_grad(p, k.mid, v) == ENG_OK &&
              eng_plan_read_grad(p, k.w[0], v) == ENG_OK,
          "eng_keep_grads: intermediate and optimized gradients readable");
    free(v);
    eng_plan_free(p);
    eng_graph_free(k.g);
}

/* x -> conv(w1) -> leaky -> conv(w2) -> leaky -> conv(w2) -> conv_transpose(w3), 8 channels
 * (more than the direct convolutions' 4), Adam on w1..w3; returns the parameters after 3 runs. */
static float *shared_weights_after_adam(eng_backend *be, int keep)
{
    eng_graph *g = eng_graph_new();
    if (keep)
        eng_keep_grads(g);
    eng_node *x = eng_input4(g, "x", 2, 3, 10, 10);
    eng_node *w[3] = {eng_param4(g, "w1", 8, 3, 3, 3), eng_param4(g, "w2", 8, 8, 3, 3),
                      eng_param4(g, "w3", 8, 5, 4, 4)};
    eng_node *h = eng_leaky_relu(g, eng_conv2d(g, x, w[0], NULL, 1, 1), 0.2f);
    h = eng_leaky_relu(g, eng_conv2d(g, h, w[1], NULL, 1, 1), 0.2f);
    h = eng_conv_transpose2d(g, eng_conv2d(g, h, w[1], NULL, 2, 1), w[2], NULL, 2, 1, 0);
    eng_backward(g, eng_sum(g, eng_mul(g, h, h)), w, 3);
    eng_adam_step(g, eng_adam_new(g, w, 3, 1e-2f, 0.5f, 0.999f, 1e-8f));
    eng_plan *p = eng_plan_new(g, be);
    size_t total = 0;
    float *v = malloc(sizeof(float) * 2 * 3 * 10 * 10);
    fill(v, x->numel, 7);
    eng_plan_write(p, x, v);
    for (int i = 0; i < 3; i++) {
        float *wv = malloc(sizeof(float) * w[i]->numel);
        fill(wv, w[i]->numel, 20 + (uint32_t)i);
        eng_plan_write(p, w[i], wv);
        free(wv);
        total += w[i]->numel;
    }
    for (int run = 0; run < 3; run++)
        if (eng_plan_run(p) != ENG_OK)
            failures++;
    float *out = malloc(sizeof(float) * total);
    for (int i = 0, off = 0; i < 3; off += (int)w[i]->numel, i++)
        eng_plan_read(p, w[i], out + off);
    free(v);
    eng_plan_free(p);
    eng_graph_free(g);
    return out;
}

static void check_fresh(eng_backend *be)
{
    float *a = shared_weights_after_adam(be, 0), *b = shared_weights_after_adam(be, 1);
    size_t total = 8 * 3 * 9 + 8 * 8 * 9 + 8 * 5 * 16;
    check(!memcmp(a, b, sizeof(float) * total),
          "overwritten first weight gradients (one weight shared) equal zeroed-and-added ones");
    free(a);
    free(b);
}

int main(void)
{
    eng_backend *be = eng_cpu_backend_new(2);
    check_memory_and_reads(be);
    check_two_passes(be);
    check_adam(be);
    check_keep(be);
    check_fresh(be);
    eng_backend_free(be);
    return failures ? 1 : 0;
}
