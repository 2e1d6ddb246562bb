/* The memory planner on the Vulkan backend (engine/memplan/memplan.h): (1) with eng_reuse_values and
 * transient gradients, a Vulkan plan takes at most 5% more bytes than the CPU's for the same
 * graph, for inference and for a training step, (2) a Vulkan training graph with reused values
 * and transient gradients gives bitwise the parameters, running statistics and kept outputs of
 * the same graph keeping everything, over several steps (aliased buffers are ordered by the
 * recording's barriers; each Adam update runs where the plan puts it), and takes less memory,
 * (3) the values the plan shares and the transient gradients are refused to the host, (4) in
 * mixed precision an inference plan takes at most 0.6x the bytes of fp32 (the training plan's
 * ratio is printed: its fp32 master weights, Adam moments and parameter gradients stay). Runs
 * under the validation layer (synchronization validation included). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/vulkan/vulkan_backend.h"
#include "tests/vulkan/vk_compare.h"

#define STEPS 3
#define SIZE 32
#define MAX_RATIO 1.05
#define MAX_FP16_RATIO 0.6

typedef struct {
    eng_graph *g;
    eng_plan *plan;
    eng_node *fake, *mid, *loss_g, *param;
} model;

static eng_node *disc(eng_graph *g, eng_node *pair, eng_node **p, eng_node **bn)
{
    eng_node *h = eng_leaky_relu(g, eng_conv2d(g, pair, p[0], p[1], 2, 1), 0.2f);
    h = eng_batch_norm2d(g, eng_conv2d(g, h, p[2], NULL, 2, 1), bn[0], bn[1], bn[2], bn[3], bn[4],
                         1, 0.1f, 1e-5f);
    return eng_conv2d(g, eng_leaky_relu(g, h, 0.2f), p[3], p[4], 1, 1);
}

/* G: conv(s2) - leaky - conv(s2) - instance norm - relu - dropout - 2 x (conv_transpose(s2)
 * - relu) with a skip - conv - tanh; D: conv(s2) - leaky - conv(s2) - batch norm - leaky - conv.
 * train: D's and G's updates (two optimizers), else G's forward only. */
static void build(model *m, int reuse, int train)
{
    eng_graph *g = m->g = eng_graph_new();
    eng_node *a = eng_input4(g, "a", 1, 3, SIZE, SIZE), *b = eng_input4(g, "b", 1, 3, SIZE, SIZE);
    eng_node *gp[8] = {eng_param4(g, "g.d1", 16, 3, 4, 4), eng_param4(g, "g.d2", 32, 16, 4, 4),
                       eng_param4(g, "g.u2", 32, 16, 4, 4), eng_param4(g, "g.u1", 32, 16, 4, 4),
                       eng_param1(g, "g.u1_bias", 16), eng_param4(g, "g.out", 3, 16, 3, 3),
                       eng_param1(g, "g.in.weight", 32), eng_param1(g, "g.in.bias", 32)};
    eng_node *d1 = eng_leaky_relu(g, eng_conv2d(g, a, gp[0], NULL, 2, 1), 0.2f);
    eng_node *h = eng_instance_norm2d(g, eng_conv2d(g, d1, gp[1], NULL, 2, 1), gp[6], gp[7], 1e-5f);
    h = eng_dropout(g, eng_relu(g, h), 0.5f, 3u);
    m->mid = h = eng_relu(g, eng_conv_transpose2d(g, h, gp[2], NULL, 2, 1, 0));
    h = eng_relu(g, eng_conv_transpose2d(g, eng_concat(g, h, d1), gp[3], gp[4], 2, 1, 0));
    m->fake = eng_tanh(g, eng_conv2d(g, h, gp[5], NULL, 1, 1));
    m->param = gp[0];
    m->loss_g = NULL;
    if (reuse) {
        eng_reuse_values(g);
        eng_keep_value(m->fake);
    } else {
        eng_keep_grads(g);
    }
    if (!train) {
        eng_forward(g, m->fake);
        return;
    }
    eng_node *dp[5], *bn[5], *d_params[7];
    vkt_disc_params(g, 16, 32, 4, dp, bn, d_params);
    eng_node *pf = disc(g, eng_concat(g, a, eng_detach(g, m->fake)), dp, bn);
    eng_node *pr = disc(g, eng_concat(g, a, b), dp, bn);
    eng_node *loss_d = eng_add(g, eng_bce_with_logits_loss(g, pf, eng_const(g, 4, pf->shape, 0.0f)),
                               eng_bce_with_logits_loss(g, pr, eng_const(g, 4, pr->shape, 1.0f)));
    eng_backward(g, loss_d, d_params, 7);
    eng_adam_step(g, eng_adam_new(g, d_params, 7, 2e-3f, 0.5f, 0.999f, 1e-8f));
    eng_node *pred = disc(g, eng_concat(g, a, m->fake), dp, bn);
    m->loss_g = eng_add(g, eng_bce_with_logits_loss(g, pred, eng_const(g, 4, pred->shape, 1.0f)),
                        eng_scale(g, eng_l1_loss(g, m->fake, b), 100.0f));
    if (reuse)
        eng_keep_value(m->loss_g);
    eng_backward(g, m->loss_g, gp, 8);
    eng_adam_step(g, eng_adam_new(g, gp, 8, 2e-3f, 0.5f, 0.999f, 1e-8f));
}

static size_t plan_bytes(eng_backend *be, int train, int fp16)
{
    model m;
    build(&m, 1, train);
    if (fp16)
        eng_mixed_precision(m.g);
    eng_plan *p = eng_plan_new(m.g, be);
    if (p && eng_plan_fp16(p) != fp16) {
        eng_plan_free(p);
        p = NULL;
    }
    size_t bytes = p ? eng_plan_bytes(p) : 0;
    eng_plan_free(p);
    eng_graph_free(m.g);
    return bytes;
}

static int check_ratio(eng_backend *cpu, eng_backend *vk, int train)
{
    size_t c = plan_bytes(cpu, train, 0), v = plan_bytes(vk, train, 0);
    double ratio = c ? (double)v / (double)c : 0.0;
    int ok = c && v && ratio <= MAX_RATIO;
    printf("%-4s plan bytes, %s: cpu %zu, vulkan %zu (%.3fx, at most %.2fx)\n", ok ? "ok" : "FAIL",
           train ? "training step" : "inference", c, v, ratio, MAX_RATIO);
    return !ok;
}

static int check_fp16_ratio(eng_backend *vk)
{
    if (!eng_backend_has_fp16(vk)) {
        printf("skip fp16 plan bytes: no 16-bit storage buffers on %s\n", eng_backend_name(vk));
        return 0;
    }
    size_t f32 = plan_bytes(vk, 0, 0), f16 = plan_bytes(vk, 0, 1);
    size_t t32 = plan_bytes(vk, 1, 0), t16 = plan_bytes(vk, 1, 1);
    double ratio = f32 ? (double)f16 / (double)f32 : 0.0;
    int ok = f16 && ratio <= MAX_FP16_RATIO && t16;
    printf("%-4s plan bytes, fp16 / fp32: inference %zu / %zu (%.3fx, at most %.2fx); training "
           "step %zu / %zu (%.3fx)\n", ok ? "ok" : "FAIL", f16, f32, ratio, MAX_FP16_RATIO, t16,
           t32, t32 ? (double)t16 / (double)t32 : 0.0);
    return !ok;
}

/* Exact comparison of node id's values in two plans of identical graphs. */
static int same_values(const model *x, const model *y, int id)
{
    const eng_node *nx = x->g->nodes[id], *ny = y->g->nodes[id];
    float *u = malloc(nx->numel * sizeof *u), *v = malloc(ny->numel * sizeof *v);
    int same = u && v && !eng_plan_read(x->plan, nx, u) && !eng_plan_read(y->plan, ny, v) &&
               !memcmp(u, v, nx->numel * sizeof *u);
    if (!same)
        printf("     differs: %s\n", nx->name);
    free(u);
    free(v);
    return same;
}

static int compare_steps(model *reused, model *kept)
{
    int failed = 0;
    for (int step = 0; step < STEPS && !failed; step++) {
        failed = eng_plan_run(reused->plan) || eng_plan_run(kept->plan);
        if (failed)
            printf("FAIL step %d: %s\n", step, eng_last_error());
        int ids[] = {reused->fake->id, reused->loss_g->id};
        for (int k = 0; k < 2 && !failed; k++)
            failed = !same_values(reused, kept, ids[k]);
        for (int id = 0; id < reused->g->nnodes && !failed; id++) {
            eng_op op = reused->g->nodes[id]->op;
            if (op == ENG_OP_PARAM || op == ENG_OP_STATE)
                failed = !same_values(reused, kept, id);
        }
    }
    return failed;
}

/* The shared values and the transient gradients are not the host's. */
static int check_refusals(const model *reused)
{
    float *v = malloc(reused->mid->numel * sizeof *v);
    int ok = v && eng_plan_read(reused->plan, reused->mid, v) == ENG_EINVAL &&
             eng_plan_read_grad(reused->plan, reused->mid, v) == ENG_EINVAL &&
             eng_plan_read_grad(reused->plan, reused->param, v) == ENG_EINVAL;
    free(v);
    return ok;
}

static int check_reuse_equals_keep(eng_backend *vk)
{
    model reused, kept;
    build(&reused, 1, 1);
    build(&kept, 0, 1);
    reused.plan = eng_plan_new(reused.g, vk);
    kept.plan = eng_plan_new(kept.g, vk);
    int failed = !reused.plan || !kept.plan;
    if (failed)
        printf("FAIL planning: %s\n", eng_last_error());
    failed = failed || vkt_write_leaves(reused.g, reused.plan, kept.g, kept.plan, 5);
    failed = failed || compare_steps(&reused, &kept);
    size_t rb = reused.plan ? eng_plan_bytes(reused.plan) : 0;
    size_t kb = kept.plan ? eng_plan_bytes(kept.plan) : 0;
    int ok = !failed && rb < kb && check_refusals(&reused);
    printf("%-4s reused values and transient gradients equal keeping everything, %d steps "
           "(%zu bytes, %zu kept)\n", ok ? "ok" : "FAIL", STEPS, rb, kb);
    eng_plan_free(reused.plan);
    eng_plan_free(kept.plan);
    eng_graph_free(reused.g);
    eng_graph_free(kept.g);
    return !ok;
}

int main(void)
{
    int skip;
    eng_backend *vk = vkt_open_vulkan(&skip);
    if (!vk)
        return skip ? VKT_SKIP : 1;
    eng_backend *cpu = eng_cpu_backend_new(1);
    int failures = check_ratio(cpu, vk, 0) + check_ratio(cpu, vk, 1);
    failures += check_reuse_equals_keep(vk);
    failures += check_fp16_ratio(vk);
    failures += vkt_check_validation(vk);
    eng_backend_free(cpu);
    eng_backend_free(vk);
    return failures != 0;
}
