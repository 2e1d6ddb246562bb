/* Reused op outputs (eng_reuse_values, engine/memplan/value_liveness.c): a graph using every op,
 * with skip connections so that lifetimes cross, two backward passes and an Adam step, run
 * three times with and without reuse. Checks that the kept output, the losses and the
 * parameters are bitwise the same, that the plan is smaller, and that reading or writing a
 * reused tensor is refused with a message while kept ones and outputs read. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/engine.h"
#include "engine/graph.h"
#include "plan_check.h"

#define CH 6
#define SIZE 12

typedef struct {
    eng_graph *g;
    eng_node *x, *target, *params[16], *mid, *out, *loss_a, *loss_b;
    int nparams;
    size_t bytes;
} net;

static eng_node *param(net *n, const char *name, int a, int b, int c, int d)
{
    eng_node *p = eng_param4(n->g, name, a, b, c, d);
    n->params[n->nparams++] = p;
    return p;
}

static eng_node *param1(net *n, const char *name, int len)
{
    eng_node *p = eng_param1(n->g, name, len);
    n->params[n->nparams++] = p;
    return p;
}

/* x -> conv/BN/leaky -> pad+conv/IN/relu -> (skip) concat -> convT/tanh ... -> losses */
static void build(net *n, int reuse)
{
    memset(n, 0, sizeof *n);
    eng_graph *g = n->g = eng_graph_new();
    if (reuse)
        eng_reuse_values(g);
    n->x = eng_input4(g, "x", 2, 3, SIZE, SIZE);
    n->target = eng_input4(g, "target", 2, 3, SIZE, SIZE);
    eng_node *h1 = eng_conv2d(g, n->x, param(n, "w1", CH, 3, 4, 4), param1(n, "b1", CH), 2, 1);
    h1 = eng_batch_norm2d(g, h1, param1(n, "bn_w", CH), param1(n, "bn_b", CH),
                          eng_state1(g, "rm", CH), eng_state1(g, "rv", CH),
                          eng_state1(g, "nbt", 1), 1, 0.1f, 1e-5f);
    h1 = eng_leaky_relu(g, h1, 0.2f); /* 6 x 6x6, kept alive by the skip below */
    eng_node *h2 = eng_conv2d(g, eng_reflection_pad2d(g, h1, 1), param(n, "w2", CH, CH, 3, 3),
                              NULL, 1, 0);
    h2 = eng_relu(g, eng_instance_norm2d(g, h2, param1(n, "in_w", CH), NULL, 1e-5f));
    h2 = eng_dropout(g, eng_scale(g, eng_add(g, h2, eng_mul(g, h2, h1)), 0.5f), 0.3f, 7);
    /* relu and sigmoid whose outputs only ops that never read them consume: alive until their
     * own backward, which reads them */
    h2 = eng_add(g, h2, eng_sigmoid(g, eng_relu(g, eng_scale(g, h2, 2.0f))));
    n->mid = h2;
    eng_node *cat = eng_concat(g, h1, h2);
    eng_node *up = eng_conv_transpose2d(g, eng_relu(g, cat), param(n, "w3", 2 * CH, 3, 4, 4),
                                        param1(n, "b3", 3), 2, 1, 0);
    n->out = eng_tanh(g, up);
    eng_node *logits = eng_conv2d(g, eng_concat(g, n->x, n->out), param(n, "w4", 1, 6, 3, 3),
                                  NULL, 1, 1);
    eng_node *ones = eng_const(g, 4, (const int[]){2, 1, SIZE, SIZE}, 1.0f);
    n->loss_a = eng_add(g, eng_l1_loss(g, n->out, n->target),
                        eng_mse_loss(g, eng_sigmoid(g, logits), ones));
    n->loss_b = eng_add(g, eng_bce_with_logits_loss(g, logits, ones),
                        eng_sum(g, eng_scale(g, eng_detach(g, n->out), 1e-3f)));
    eng_keep_value(n->out); /* consumed (by the critic, the detach): kept only when marked */
    eng_forward(g, n->loss_a);
    eng_forward(g, n->loss_b);
    eng_backward(g, n->loss_b, n->params, n->nparams);
    eng_backward(g, n->loss_a, n->params, n->nparams);
    eng_adam_step(g, eng_adam_new(g, n->params, n->nparams, 1e-2f, 0.5f, 0.999f, 1e-8f));
}

/* Runs 3 steps; returns out, loss_a, loss_b and every parameter, concatenated. */
static float *run(net *n, eng_backend *be, size_t *count)
{
    eng_plan *p = eng_plan_new(n->g, be);
    n->bytes = eng_plan_bytes(p);
    size_t total = n->out->numel + 2;
    for (int i = 0; i < n->nparams; i++)
        total += n->params[i]->numel;
    float *res = malloc(total * sizeof *res), *buf = malloc(4096 * sizeof *buf);
    for (int i = 0; i < n->nparams; i++) {
        fill(buf, n->params[i]->numel, 10 + (uint32_t)i);
        if (strstr(n->params[i]->name, "bn_w") || strstr(n->params[i]->name, "in_w"))
            for (size_t k = 0; k < n->params[i]->numel; k++)
                buf[k] += 1.0f;
        eng_plan_write(p, n->params[i], buf);
    }
    fill(buf, n->target->numel, 3);
    eng_plan_write(p, n->target, buf);
    for (int step = 0; step < 3; step++) {
        fill(buf, n->x->numel, 100 + (uint32_t)step);
        eng_plan_write(p, n->x, buf);
        if (eng_plan_run(p) != ENG_OK)
            failures++;
    }
    size_t at = 0;
    eng_plan_read(p, n->out, res);
    at += n->out->numel;
    eng_plan_read(p, n->loss_a, res + at++);
    eng_plan_read(p, n->loss_b, res + at++);
    for (int i = 0; i < n->nparams; i++) {
        eng_plan_read(p, n->params[i], res + at);
        at += n->params[i]->numel;
    }
    *count = total;
    free(buf);
    eng_plan_free(p);
    return res;
}

int main(void)
{
    eng_backend *be = eng_cpu_backend_new(2);
    net plain, reused;
    build(&plain, 0);
    build(&reused, 1);
    size_t na, nb;
    float *a = run(&plain, be, &na), *b = run(&reused, be, &nb);
    check(na == nb && !memcmp(a, b, na * sizeof *a),
          "outputs, losses and parameters after 3 steps: bitwise equal with reused values");
    printf("     plan: %zu bytes, %zu with reused values\n", plain.bytes, reused.bytes);
    check(reused.bytes < plain.bytes, "reused values make the plan smaller");

    eng_plan *p = eng_plan_new(reused.g, be);
    float v[2 * CH * SIZE * SIZE];
    eng_plan_run(p);
    check(eng_plan_read(p, reused.mid, v) == ENG_EINVAL &&
              strstr(eng_last_error(), "eng_keep_value"),
          "reading a reused intermediate is refused, naming eng_keep_value");
    check(eng_plan_read(p, reused.out, v) == ENG_OK && eng_plan_read(p, reused.loss_b, v) == ENG_OK,
          "a node marked with eng_keep_value and an output nothing consumes are readable");
    check(eng_plan_write(p, reused.mid, v) == ENG_EINVAL,
          "writing a reused intermediate is refused");
    eng_plan_free(p);
    free(a);
    free(b);
    eng_graph_free(plain.g);
    eng_graph_free(reused.g);
    eng_backend_free(be);
    return failures ? 1 : 0;
}
