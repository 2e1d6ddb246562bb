/* The CPU-versus-Vulkan comparison harness (see vk_compare.h). */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/vulkan/vk_lower.h"
#include "engine/vulkan/vulkan_backend.h"
#include "tests/vulkan/vk_compare.h"

static int failed_checks;

void vkt_fail(const char *file, int line, const char *fmt, ...)
{
    printf("FAIL %s:%d: ", file, line);
    va_list ap;
    va_start(ap, fmt);
    vprintf(fmt, ap);
    va_end(ap);
    printf("\n");
    failed_checks++;
}

int vkt_failures(void)
{
    return failed_checks;
}

uint32_t vkt_next(uint32_t *state)
{
    uint32_t x = *state ? *state : 0x12345678u;
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    return *state = x;
}

int vkt_int(uint32_t *state, int lo, int hi)
{
    return lo + (int)(vkt_next(state) % (uint32_t)(hi - lo + 1));
}

float vkt_uniform(uint32_t *state, float lo, float hi)
{
    return lo + (hi - lo) * (float)(vkt_next(state) >> 8) / 16777216.0f;
}

eng_backend *vkt_open_vulkan(int *skip)
{
    *skip = 0;
    eng_device_info devices[8];
    int count = eng_vulkan_list_devices(devices, 8);
    if (count <= 0) {
        printf("SKIP: no Vulkan device (%s)\n", count < 0 ? eng_last_error() : "none listed");
        *skip = 1;
        return NULL;
    }
    eng_backend *vk = eng_vulkan_backend_new(-1, 1);
    if (!vk)
        printf("FAIL: %d Vulkan device(s) listed but the backend failed: %s\n", count,
               eng_last_error());
    else
        printf("Vulkan backend: %s\n", eng_backend_name(vk));
    return vk;
}

int vkt_check_validation(const eng_backend *vk)
{
    int errors = eng_vulkan_validation_errors(vk);
    if (errors)
        printf("FAIL: %d Vulkan validation error(s)\n", errors);
    return errors != 0;
}

double vkt_max_error(const float *a, const float *b, size_t n)
{
    double worst = 0.0;
    for (size_t i = 0; i < n; i++) {
        double e = fabs((double)a[i] - (double)b[i]) / (1.0 + fabs((double)b[i]));
        if (!(e <= worst)) /* NaN counts as the worst */
            worst = isnan(e) ? INFINITY : e;
    }
    return worst;
}

typedef struct {
    eng_graph *g;
    eng_node *out, *loss;
    eng_plan *plan;
} side;

static int is_leaf(const eng_node *n)
{
    return n->op == ENG_OP_INPUT || n->op == ENG_OP_PARAM || n->op == ENG_OP_STATE;
}

static int mixed;

void vkt_set_mixed(int on)
{
    mixed = on;
}

static void build_side(side *s, vkt_build_fn build, uint32_t seed, int vulkan)
{
    uint32_t rng = seed;
    s->g = eng_graph_new();
    if (vulkan && mixed)
        eng_mixed_precision(s->g);
    eng_keep_grads(s->g); /* gradients are compared */
    s->out = build(s->g, &rng);
    eng_node *upstream = eng_input(s->g, "upstream", s->out->ndim, s->out->shape);
    s->loss = eng_sum(s->g, eng_mul(s->g, s->out, upstream));
    eng_node **wrt = calloc((size_t)s->g->nnodes, sizeof *wrt);
    int nwrt = 0;
    for (int id = 0; id < s->g->nnodes; id++) {
        eng_node *n = s->g->nodes[id];
        if ((n->op == ENG_OP_INPUT || n->op == ENG_OP_PARAM) && n != upstream)
            wrt[nwrt++] = n;
    }
    eng_backward(s->g, s->loss, wrt, nwrt);
    free(wrt);
}

/* Running variances must stay positive; everything else is uniform in [-1, 1]. */
static void fill_leaf(const eng_node *n, float *v, uint32_t *rng)
{
    int positive = n->op == ENG_OP_STATE && strstr(n->name, "var");
    for (size_t i = 0; i < n->numel; i++)
        v[i] = positive ? vkt_uniform(rng, 0.5f, 1.5f) : vkt_uniform(rng, -1.0f, 1.0f);
}

static int compare_node(const char *name, const eng_graph *gc, eng_plan *pc, const eng_graph *gv,
                        eng_plan *pv, int id, int grad, double *worst)
{
    const eng_node *nc = gc->nodes[id], *nv = gv->nodes[id];
    float *a = malloc(nc->numel * sizeof *a), *b = malloc(nc->numel * sizeof *b);
    int status = !a || !b;
    if (!status)
        status = grad ? eng_plan_read_grad(pc, nc, a) || eng_plan_read_grad(pv, nv, b)
                      : eng_plan_read(pc, nc, a) || eng_plan_read(pv, nv, b);
    if (status) {
        printf("FAIL %s: reading node %d: %s\n", name, id, eng_last_error());
    } else {
        double e = vkt_max_error(b, a, nc->numel);
        if (e > *worst)
            *worst = e;
    }
    free(a);
    free(b);
    return status;
}

int vkt_write_leaves(const eng_graph *g_cpu, eng_plan *cpu, const eng_graph *g_vk, eng_plan *vk,
                     uint32_t seed)
{
    uint32_t values = seed * 2654435761u + 1;
    for (int id = 0; id < g_cpu->nnodes; id++) {
        const eng_node *n = g_cpu->nodes[id];
        if (!is_leaf(n) || strstr(n->name, ".exp_avg")) /* fresh Adam moments stay zero */
            continue;
        float *v = malloc(n->numel * sizeof *v);
        if (v)
            fill_leaf(n, v, &values);
        int failed = !v || eng_plan_write(cpu, n, v) || eng_plan_write(vk, g_vk->nodes[id], v);
        free(v);
        if (failed) {
            printf("FAIL: writing '%s': %s\n", n->name, eng_last_error());
            return 1;
        }
    }
    return 0;
}

int vkt_compare_plans(const char *name, const eng_graph *g_cpu, eng_plan *cpu,
                      const eng_graph *g_vk, eng_plan *vk, const int *nodes, int nnodes,
                      vkt_errors *errors)
{
    errors->value_err = errors->grad_err = 0.0;
    for (int i = 0; i < nnodes; i++)
        if (compare_node(name, g_cpu, cpu, g_vk, vk, nodes[i], 0, &errors->value_err))
            return 1;
    for (int id = 0; id < g_cpu->nnodes; id++) {
        const eng_node *n = g_cpu->nodes[id];
        if ((n->op == ENG_OP_STATE || n->op == ENG_OP_PARAM) &&
            compare_node(name, g_cpu, cpu, g_vk, vk, id, 0, &errors->value_err))
            return 1;
        if (n->has_grad && compare_node(name, g_cpu, cpu, g_vk, vk, id, 1, &errors->grad_err))
            return 1;
    }
    return 0;
}

int vkt_compare(const char *name, vkt_build_fn build, uint32_t seed, int runs, eng_backend *cpu_be,
                eng_backend *vk_be, vkt_errors *errors)
{
    side cpu = {0}, vk = {0};
    build_side(&cpu, build, seed, 0);
    build_side(&vk, build, seed, 1);
    int failed = 0;
    cpu.plan = eng_plan_new(cpu.g, cpu_be);
    vk.plan = eng_plan_new(vk.g, vk_be);
    if (!cpu.plan || !vk.plan) {
        printf("FAIL %s: planning: %s\n", name, eng_last_error());
        failed = 1;
    } else if (eng_plan_fp16(vk.plan) != (mixed && eng_backend_has_fp16(vk_be))) {
        printf("FAIL %s: the Vulkan plan is %s\n", name, mixed ? "not fp16" : "fp16");
        failed = 1;
    }
    failed = failed || vkt_write_leaves(cpu.g, cpu.plan, vk.g, vk.plan, seed);
    for (int r = 0; r < runs && !failed; r++)
        if (eng_plan_run(cpu.plan) || eng_plan_run(vk.plan)) {
            printf("FAIL %s: run %d: %s\n", name, r, eng_last_error());
            failed = 1;
        }
    int checked[2] = {cpu.out->id, cpu.loss->id};
    failed = failed || vkt_compare_plans(name, cpu.g, cpu.plan, vk.g, vk.plan, checked, 2, errors);
    eng_plan_free(cpu.plan);
    eng_plan_free(vk.plan);
    eng_graph_free(cpu.g);
    eng_graph_free(vk.g);
    return failed;
}

eng_node *vkt_deep_conv(eng_graph *g, uint32_t *rng)
{
    (void)rng;
    eng_node *x = eng_input4(g, "x", 1, 512, 2, 2);
    return eng_conv2d(g, x, eng_param4(g, "w", 256, 512, 4, 4), eng_param1(g, "b", 256), 2, 1);
}

eng_node *vkt_deep_convt(eng_graph *g, uint32_t *rng)
{
    (void)rng;
    eng_node *x = eng_input4(g, "x", 2, 512, 1, 1);
    return eng_conv_transpose2d(g, x, eng_param4(g, "w", 512, 64, 4, 4), NULL, 2, 1, 0);
}

int vkt_check_splits(const eng_backend *vk, const char *name, vkt_build_fn build)
{
    const vk_tuning *tu = &((const vk_ctx *)vk->impl)->tuning;
    eng_graph *g = eng_graph_new();
    uint32_t rng = 1;
    eng_node *n = build(g, &rng);
    int forward = vk_conv_splits(tu, n, 0), dx = vk_conv_splits(tu, n, 1);
    int failed = forward < 2 || dx < 2;
    printf("%-4s %-30s split-K: forward %d slices, input gradient %d\n", failed ? "FAIL" : "ok",
           name, forward, dx);
    eng_graph_free(g);
    return failed;
}

void vkt_disc_params(eng_graph *g, int c1, int c2, int k2, eng_node **conv, eng_node **bn,
                     eng_node **trained)
{
    conv[0] = eng_param4(g, "d.c1", c1, 6, 4, 4);
    conv[1] = eng_param1(g, "d.c1_bias", c1);
    conv[2] = eng_param4(g, "d.c2", c2, c1, k2, k2);
    conv[3] = eng_param4(g, "d.c3", 1, c2, 3, 3);
    conv[4] = eng_param1(g, "d.c3_bias", 1);
    bn[0] = eng_param1(g, "d.bn.weight", c2);
    bn[1] = eng_param1(g, "d.bn.bias", c2);
    bn[2] = eng_state1(g, "d.bn.running_mean", c2);
    bn[3] = eng_state1(g, "d.bn.running_var", c2);
    bn[4] = eng_state1(g, "d.bn.num_batches_tracked", 1);
    for (int i = 0; i < 5; i++)
        trained[i] = conv[i];
    trained[5] = bn[0];
    trained[6] = bn[1];
}
