/* What a run does on the device (eng_plan_counters) for graphs whose lowering is counted by
 * hand: two independent convolutions then their sum need a barrier before the add only (the
 * convolutions none between them), a chain of two element-wise ops one between them; each
 * recording opens and closes with a full barrier and is submitted once per run. The CPU
 * backend counts its commands; a data-parallel optimizer's gradients add the host's copies.
 * With PIX2PIX_PROFILE=1 the GPU time profile covers the ops of the graph with non-negative
 * times. Under the validation layer (synchronization included). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/vulkan/vk_internal.h"
#include "engine/vulkan/vulkan_backend.h"
#include "tests/vulkan/vk_compare.h"

/* x -> conv(w1), conv(w2) -> add: forward only. */
static eng_graph *two_convs(void)
{
    eng_graph *g = eng_graph_new();
    eng_node *x = eng_input4(g, "x", 1, 3, 8, 8);
    eng_node *w1 = eng_param4(g, "w1", 4, 3, 3, 3), *w2 = eng_param4(g, "w2", 4, 3, 3, 3);
    eng_node *y = eng_add(g, eng_conv2d(g, x, w1, NULL, 1, 1), eng_conv2d(g, x, w2, NULL, 1, 1));
    eng_forward(g, y);
    return g;
}

static eng_graph *chain(void)
{
    eng_graph *g = eng_graph_new();
    eng_node *y = eng_tanh(g, eng_relu(g, eng_input4(g, "x", 1, 3, 8, 8)));
    eng_forward(g, y);
    return g;
}

static int expect(const char *what, int got, int want)
{
    if (got == want)
        return 0;
    fprintf(stderr, "FAIL %s: %d, expected %d\n", what, got, want);
    return 1;
}

static int check_counts(const char *name, eng_graph *g, eng_backend *be, eng_counters want)
{
    eng_plan *p = eng_plan_new(g, be);
    if (!p) {
        fprintf(stderr, "FAIL %s: plan: %s\n", name, eng_last_error());
        return 1;
    }
    eng_counters c;
    eng_plan_counters(p, &c);
    int fails = eng_plan_run(p) != 0;
    fails += expect("dispatches", c.dispatches, want.dispatches);
    fails += expect("fills", c.fills, want.fills);
    fails += expect("barriers", c.barriers, want.barriers);
    fails += expect("barriers_dependent", c.barriers_dependent, want.barriers_dependent);
    fails += expect("submits", c.submits, want.submits);
    printf("%-10s on %s: %d dispatches, %d barriers (%d dependent), %d submits\n", name,
           eng_backend_name(be), c.dispatches, c.barriers, c.barriers_dependent, c.submits);
    eng_plan_free(p);
    return fails;
}

static int pass_start(void *ctx, int bucket, float *const *grads, const size_t *counts, int n)
{
    (void)ctx, (void)bucket, (void)grads, (void)counts, (void)n;
    return 0;
}
static int pass_progress(void *ctx) { return (void)ctx, 0; }
static int pass_finish(void *ctx, int bucket) { return (void)ctx, (void)bucket, 0; }

/* An optimizer with a reducer: the run is cut before its update, its one gradient goes to the
 * host and back (one submission each way: it fits the staging buffer), so 2 + 2 submits; the
 * gradients' flags (not finite?) come back in the last segment, with no submission of their
 * own. */
static int check_reducer_submits(eng_backend *vk)
{
    static const eng_reducer pass = {NULL, 1 << 20, pass_start, pass_progress, pass_finish};
    eng_graph *g = eng_graph_new();
    eng_node *x = eng_input4(g, "x", 1, 3, 8, 8), *w = eng_param4(g, "w", 4, 3, 3, 3);
    eng_node *loss = eng_sum(g, eng_conv2d(g, x, w, NULL, 1, 1));
    eng_forward(g, loss);
    eng_backward(g, loss, &w, 1);
    eng_adam *opt = eng_adam_new(g, &w, 1, 1e-3f, 0.9f, 0.999f, 1e-8f);
    eng_adam_set_reducer(opt, &pass);
    eng_adam_step(g, opt);
    eng_plan *p = eng_plan_new(g, vk);
    int fails = !p;
    if (p) {
        eng_counters c;
        eng_plan_counters(p, &c);
        fails += eng_plan_run(p) != 0;
        fails += expect("submits with a reducer", c.submits, 4);
        printf("reducer    on %s: %d submits\n", eng_backend_name(vk), c.submits);
        eng_plan_free(p);
    }
    eng_graph_free(g);
    return fails;
}

static int check_family(const vk_profile *pr, eng_op op, int want_steps)
{
    int steps;
    double ms;
    char buf[64];
    vk_profile_family(pr, 2 * (int)op, &steps, &ms);
    printf("profile %-12s %d dispatches %.4f ms\n", vk_family_name(2 * (int)op, buf, sizeof buf),
           steps, ms);
    return expect("profile dispatches", steps, want_steps) + expect("time >= 0", ms >= 0.0, 1);
}

/* Each conv GEMM of two_convs labelled: its product, a kernel, its useful FLOPs, a time. */
static int check_gemms(const vk_profile *pr)
{
    int fails = expect("profiled conv GEMMs", vk_profile_gemms(pr), 2);
    for (int i = 0; i < vk_profile_gemms(pr) && i < 2; i++) {
        const vk_gemm_label *g;
        double ms;
        unsigned tile[5], splits;
        vk_profile_gemm(pr, i, &g, &ms);
        printf("profile GEMM %s, %s, %.0f FLOP, %.4f ms\n", g->product, g->kernel, g->flops, ms);
        int kernel = sscanf(g->kernel, "%ux%u:%ux%u:%u split %u", &tile[0], &tile[1], &tile[2],
                            &tile[3], &tile[4], &splits) == 6 ||
                     sscanf(g->kernel, "coopmat split %u", &splits) == 1;
        fails += expect("GEMM product", !strcmp(g->product, "conv2d fwd 3->4 8x8->8x8"), 1) +
                 expect("GEMM kernel", kernel, 1) +
                 expect("GEMM FLOPs (2 x 4x3x3x3 x 8x8)", (int)g->flops, 2 * 4 * 27 * 64) +
                 expect("GEMM time >= 0", ms >= 0.0, 1);
    }
    return fails;
}

static int check_profile(eng_backend *vk)
{
    setenv("PIX2PIX_PROFILE", "1", 1);
    eng_graph *g = two_convs();
    eng_plan *p = eng_plan_new(g, vk);
    unsetenv("PIX2PIX_PROFILE");
    if (!p) {
        fprintf(stderr, "FAIL profile plan: %s\n", eng_last_error());
        eng_graph_free(g);
        return 1;
    }
    const vk_profile *pr = eng_vulkan_plan_profile(p);
    int fails = 0;
    if (!pr) {
        printf("no timestamps on this device: profile not checked\n");
    } else {
        fails += eng_plan_run(p) != 0 || eng_plan_run(p) != 0;
        fails += check_family(pr, ENG_OP_CONV2D, 2) + check_family(pr, ENG_OP_ADD, 1);
        int total = 0;
        for (int f = 0; f < VK_FAMILIES; f++) {
            int steps;
            double ms;
            vk_profile_family(pr, f, &steps, &ms);
            total += steps;
            fails += expect("time >= 0", ms >= 0.0, 1);
        }
        fails += expect("profiled steps", total, 3) + check_gemms(pr);
    }
    eng_plan_free(p);
    eng_graph_free(g);
    return fails;
}

int main(void)
{
    int skip = 0;
    eng_backend *vk = vkt_open_vulkan(&skip);
    if (!vk)
        return skip ? VKT_SKIP : 1;
    eng_backend *cpu = eng_cpu_backend_new(1);
    eng_graph *g1 = two_convs(), *g2 = chain(), *g3 = two_convs();
    int fails = check_counts("two convs", g1, vk, (eng_counters){3, 0, 3, 1, 1});
    fails += check_counts("chain", g2, vk, (eng_counters){2, 0, 3, 1, 1});
    fails += check_counts("two convs", g3, cpu, (eng_counters){3, 0, 0, 0, 0});
    fails += check_reducer_submits(vk);
    fails += check_profile(vk);
    fails += vkt_check_validation(vk);
    eng_graph_free(g1);
    eng_graph_free(g2);
    eng_graph_free(g3);
    eng_backend_free(cpu);
    eng_backend_free(vk);
    printf(fails ? "FAILED\n" : "ok\n");
    return fails ? 1 : 0;
}
