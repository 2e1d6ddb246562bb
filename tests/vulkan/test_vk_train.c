/* Adam and a small pix2pix-like training step (generator update and discriminator update in one
 * schedule, two optimizers, dropout, batch and instance norm) on the Vulkan backend equal the
 * CPU backend's over several runs, with the learning rate changed between runs (per-run values
 * of the pre-recorded command buffer). Runs under the validation layer. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/vulkan/vulkan_backend.h"
#include "tests/vulkan/vk_compare.h"

#define TOLERANCE 1e-4
/* --fp16: the Vulkan side in mixed precision with loss scaling (fp16 storage rounds each
 * tensor to 2^-11 relative; Adam's normalized steps magnify small gradients' differences) */
#define FP16_TOLERANCE 6e-2
#define STEPS 4

static int fp16;

typedef struct {
    eng_graph *g;
    eng_plan *plan;
    eng_adam *opts[2];
    int nopts;
    int watched[4]; /* outputs and losses compared besides params, states and grads */
    int nwatched;
} model;

/* Adam alone: loss = sum(p * upstream), so the gradient is the random upstream. */
static void build_adam(model *m)
{
    eng_graph *g = m->g = eng_graph_new();
    eng_keep_grads(g); /* gradients are compared */
    eng_node *p[2] = {eng_param4(g, "p", 3, 5, 7, 1), eng_param1(g, "q", 37)};
    eng_node *u[2] = {eng_input4(g, "u", 3, 5, 7, 1), eng_input(g, "v", 1, (const int[]){37})};
    eng_node *loss = eng_add(g, eng_sum(g, eng_mul(g, p[0], u[0])), eng_sum(g, eng_mul(g, p[1], u[1])));
    eng_backward(g, loss, p, 2);
    m->opts[0] = eng_adam_new(g, p, 2, 0.01f, 0.5f, 0.999f, 1e-8f);
    m->nopts = 1;
    eng_adam_step(g, m->opts[0]);
    m->watched[0] = loss->id;
    m->nwatched = 1;
}

static eng_node *discriminator(eng_graph *g, eng_node *pair, eng_node **params, eng_node **bn)
{
    eng_node *h = eng_conv2d(g, pair, params[0], params[1], 2, 1);
    h = eng_leaky_relu(g, h, 0.2f);
    h = eng_conv2d(g, h, params[2], NULL, 1, 1);
    h = eng_batch_norm2d(g, h, bn[0], bn[1], bn[2], bn[3], bn[4], 1, 0.1f, 1e-5f);
    return eng_conv2d(g, eng_leaky_relu(g, h, 0.2f), params[3], params[4], 1, 1);
}

/* G: conv(s2) - instance norm - leaky - dropout - conv_transpose(s2) - concat skip - conv - tanh.
 * D: conv(s2) - leaky - conv - batch norm - leaky - conv, on (A, B) pairs. */
static void build_gan(model *m)
{
    eng_graph *g = m->g = eng_graph_new();
    eng_keep_grads(g); /* gradients are compared */
    eng_node *a = eng_input4(g, "real_a", 2, 3, 10, 10), *b = eng_input4(g, "real_b", 2, 3, 10, 10);
    eng_node *gp[6] = {eng_param4(g, "g.down", 8, 3, 4, 4), eng_param4(g, "g.up", 8, 5, 4, 4),
                       eng_param1(g, "g.up_bias", 5), eng_param4(g, "g.out", 3, 8, 3, 3),
                       eng_param1(g, "g.out_bias", 3)};
    eng_node *h = eng_conv2d(g, a, gp[0], NULL, 2, 1);
    eng_node *in_w = eng_param1(g, "g.in.weight", 8), *in_b = eng_param1(g, "g.in.bias", 8);
    h = eng_leaky_relu(g, eng_instance_norm2d(g, h, in_w, in_b, 1e-5f), 0.2f);
    h = eng_dropout(g, h, 0.5f, 7u);
    h = eng_relu(g, eng_conv_transpose2d(g, h, gp[1], gp[2], 2, 1, 0));
    eng_node *fake = eng_tanh(g, eng_conv2d(g, eng_concat(g, h, a), gp[3], gp[4], 1, 1));
    eng_node *g_params[7] = {gp[0], gp[1], gp[2], gp[3], gp[4], in_w, in_b};
    eng_node *dp[5], *bn[5], *d_params[7];
    vkt_disc_params(g, 6, 7, 3, dp, bn, d_params);
    /* discriminator update */
    eng_node *pred_fake = discriminator(g, eng_concat(g, a, eng_detach(g, fake)), dp, bn);
    eng_node *pred_real = discriminator(g, eng_concat(g, a, b), dp, bn);
    eng_node *zeros = eng_const(g, 4, pred_fake->shape, 0.0f);
    eng_node *ones = eng_const(g, 4, pred_fake->shape, 1.0f);
    eng_node *loss_d = eng_scale(g, eng_add(g, eng_bce_with_logits_loss(g, pred_fake, zeros),
                                            eng_bce_with_logits_loss(g, pred_real, ones)), 0.5f);
    eng_backward(g, loss_d, d_params, 7);
    m->opts[0] = eng_adam_new(g, d_params, 7, 2e-3f, 0.5f, 0.999f, 1e-8f);
    eng_adam_step(g, m->opts[0]);
    /* generator update, through the updated discriminator */
    eng_node *pred = discriminator(g, eng_concat(g, a, fake), dp, bn);
    eng_node *loss_g = eng_add(g, eng_bce_with_logits_loss(g, pred, eng_const(g, 4, pred->shape, 1.0f)),
                               eng_scale(g, eng_l1_loss(g, fake, b), 100.0f));
    eng_backward(g, loss_g, g_params, 7);
    m->opts[1] = eng_adam_new(g, g_params, 7, 2e-3f, 0.5f, 0.999f, 1e-8f);
    eng_adam_step(g, m->opts[1]);
    m->nopts = 2;
    m->watched[0] = fake->id;
    m->watched[1] = loss_d->id;
    m->watched[2] = loss_g->id;
    m->nwatched = 3;
}

static int train_and_compare(const char *name, void (*build)(model *), eng_backend *cpu_be,
                             eng_backend *vk_be)
{
    model cpu, vk;
    build(&cpu);
    build(&vk);
    if (fp16)
        eng_mixed_precision(vk.g);
    cpu.plan = eng_plan_new(cpu.g, cpu_be);
    vk.plan = eng_plan_new(vk.g, vk_be);
    int failed = !cpu.plan || !vk.plan;
    if (failed)
        printf("FAIL %s: planning: %s\n", name, eng_last_error());
    failed = failed || vkt_write_leaves(cpu.g, cpu.plan, vk.g, vk.plan, 99);
    /* these losses are sums (pix2pix's are means): 65536 would overflow their fp16 gradients
     * and skip the first steps, as it would in PyTorch */
    if (!failed && fp16)
        eng_plan_set_loss_scale(vk.plan, 256.0f, 2000, 0);
    vkt_errors worst = {0, 0};
    for (int step = 0; step < STEPS && !failed; step++) {
        for (int o = 0; o < cpu.nopts; o++) { /* a decaying learning rate, as pix2pix's */
            float lr = 2e-3f * (float)(STEPS - step) / STEPS;
            eng_adam_set_lr(cpu.opts[o], lr);
            eng_adam_set_lr(vk.opts[o], lr);
        }
        vkt_errors e;
        failed = eng_plan_run(cpu.plan) || eng_plan_run(vk.plan);
        if (failed)
            printf("FAIL %s: step %d: %s\n", name, step, eng_last_error());
        failed = failed || vkt_compare_plans(name, cpu.g, cpu.plan, vk.g, vk.plan, cpu.watched,
                                             cpu.nwatched, &e);
        worst.value_err = e.value_err > worst.value_err ? e.value_err : worst.value_err;
        worst.grad_err = e.grad_err > worst.grad_err ? e.grad_err : worst.grad_err;
    }
    double tolerance = fp16 ? FP16_TOLERANCE : TOLERANCE;
    if (!failed && fp16 && (!eng_plan_fp16(vk.plan) || eng_plan_skipped_runs(vk.plan))) {
        printf("FAIL %s: the plan is not fp16, or skipped a step of finite gradients\n", name);
        failed = 1;
    }
    int ok = !failed && worst.value_err <= tolerance && worst.grad_err <= tolerance;
    printf("%-4s %-24s %d steps: values %.2e  grads %.2e\n", ok ? "ok" : "FAIL", name, STEPS,
           worst.value_err, worst.grad_err);
    eng_plan_free(cpu.plan);
    eng_plan_free(vk.plan);
    eng_graph_free(cpu.g);
    eng_graph_free(vk.g);
    return !ok;
}

/* A parameter's values (numel floats of it). */
static float *read_param(eng_plan *p, const eng_node *n)
{
    float *v = malloc(n->numel * sizeof *v);
    if (v && eng_plan_read(p, n, v)) {
        free(v);
        return NULL;
    }
    return v;
}

/* GradScaler's rules on the GAN step: a scale that makes fp16 gradients overflow skips both
 * updates (weights and step counts unchanged) and halves; runs without a skip double it
 * after the growth interval. */
static int check_loss_scaling(eng_backend *vk_be)
{
    model m;
    build_gan(&m);
    eng_mixed_precision(m.g);
    m.plan = eng_plan_new(m.g, vk_be);
    CHECK(m.plan && eng_plan_fp16(m.plan), "planning the fp16 GAN step: %s", eng_last_error());
    if (!m.plan || vkt_write_leaves(m.g, m.plan, m.g, m.plan, 5))
        return 1;
    const eng_node *w = eng_adam_param(m.opts[1], 0);
    float *before = read_param(m.plan, w);
    eng_plan_set_loss_scale(m.plan, 0x1p120f, 1000, 0);
    CHECK(eng_plan_run(m.plan) == 0, "run: %s", eng_last_error());
    float *after = read_param(m.plan, w);
    CHECK(eng_plan_nonfinite_grads(m.plan) == 2, "overflowing scale: %d updates skipped, not 2",
          eng_plan_nonfinite_grads(m.plan));
    CHECK(eng_plan_loss_scale(m.plan) == 0x1p119f, "scale after a skip: %g, not 2^119",
          (double)eng_plan_loss_scale(m.plan));
    CHECK(eng_adam_steps(m.opts[0]) == 0 && eng_adam_steps(m.opts[1]) == 0,
          "skipped updates counted as steps");
    CHECK(before && after && !memcmp(before, after, w->numel * sizeof *before),
          "a skipped update changed '%s'", w->name);
    free(after);
    eng_plan_set_loss_scale(m.plan, 1024.0f, 2, 0);
    for (int r = 0; r < 3; r++)
        CHECK(eng_plan_run(m.plan) == 0 && eng_plan_nonfinite_grads(m.plan) == 0,
              "run %d at scale 1024: %s", r, eng_last_error());
    CHECK(eng_plan_loss_scale(m.plan) == 2048.0f, "scale after 3 runs, growth every 2: %g, "
          "not 2048", (double)eng_plan_loss_scale(m.plan));
    CHECK(eng_plan_loss_scale_good_runs(m.plan) == 1, "good runs since it grew: %d, not 1",
          eng_plan_loss_scale_good_runs(m.plan));
    CHECK(eng_adam_steps(m.opts[1]) == 3 && eng_plan_skipped_runs(m.plan) == 1,
          "steps %lld, skipped runs %lld", (long long)eng_adam_steps(m.opts[1]),
          (long long)eng_plan_skipped_runs(m.plan));
    after = read_param(m.plan, w);
    CHECK(before && after && memcmp(before, after, w->numel * sizeof *before),
          "updates of finite gradients left '%s' unchanged", w->name);
    printf("%-4s loss scaling: overflow skipped both updates, scale halved, grew after 2 runs\n",
           vkt_failures() ? "FAIL" : "ok");
    free(before);
    free(after);
    eng_plan_free(m.plan);
    eng_graph_free(m.g);
    return 0; /* the CHECKs count in vkt_failures */
}

int main(int argc, char **argv)
{
    fp16 = argc == 2 && !strcmp(argv[1], "--fp16");
    int skip;
    eng_backend *vk = vkt_open_vulkan(&skip);
    if (!vk)
        return skip ? VKT_SKIP : 1;
    if (fp16 && !eng_backend_has_fp16(vk)) {
        printf("SKIP: %s has no 16-bit storage buffers\n", eng_backend_name(vk));
        eng_backend_free(vk);
        return VKT_SKIP;
    }
    eng_backend *cpu = eng_cpu_backend_new(1);
    int failures = train_and_compare("adam", build_adam, cpu, vk);
    failures += train_and_compare("gan training step", build_gan, cpu, vk);
    if (fp16)
        failures += check_loss_scaling(vk) + vkt_failures();
    failures += vkt_check_validation(vk);
    eng_backend_free(cpu);
    eng_backend_free(vk);
    return failures != 0;
}
