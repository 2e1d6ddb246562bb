/* Every engine op, forward and backward, on the Vulkan backend equals the CPU backend within
 * 1e-4 (relative to 1 + |value|), on random shapes with odd sizes; run under the Khronos
 * validation layer (PIX2PIX_VK_VALIDATION=1 set by ctest), any validation error fails.
 * --coopmat: the convolution cases only, every conv GEMM on the cooperative-matrix kernel
 * (PIX2PIX_VK_COOPMAT=1; float16 operands, so within the fp16 tolerance); skipped with the
 * reason where the build or device has none. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/vulkan/vk_internal.h"
#include "engine/vulkan/vulkan_backend.h"
#include "tests/engine/eltwise_cases.h"
#include "tests/engine/op_cases.h"
#include "tests/vulkan/vk_compare.h"

#define TOLERANCE 1e-4
/* fp16 storage rounds every tensor to 11 significant bits (2^-11 = 4.9e-4 relative) once per
 * op; errors are relative to 1 + |value| (vkt_max_error) */
#define FP16_TOLERANCE 1e-2
#define VARIANTS 4 /* random shapes per op */

static eng_node *rand_input4(eng_graph *g, const char *name, uint32_t *rng, int cmin)
{
    return eng_input4(g, name, vkt_int(rng, 1, 2), vkt_int(rng, cmin, 5), vkt_int(rng, 2, 9),
                      vkt_int(rng, 2, 9));
}

static eng_node *build_conv(eng_graph *g, uint32_t *rng, int big)
{
    int n = vkt_int(rng, 1, 2), ci = big ? 19 : vkt_int(rng, 1, 5), co = big ? 70 : vkt_int(rng, 1, 7);
    int k = vkt_int(rng, 1, 4), stride = vkt_int(rng, 1, 2), pad = vkt_int(rng, 0, k - 1 < 2 ? k - 1 : 2);
    int h = vkt_int(rng, k, big ? 13 : 9), w = vkt_int(rng, k, big ? 15 : 9);
    eng_node *x = eng_input4(g, "x", n, ci, h, w);
    eng_node *wt = eng_param4(g, "w", co, ci, k, k);
    eng_node *b = vkt_int(rng, 0, 1) ? eng_param1(g, "b", co) : NULL;
    return eng_conv2d(g, x, wt, b, stride, pad);
}
static eng_node *case_conv2d(eng_graph *g, uint32_t *rng) { return build_conv(g, rng, 0); }
static eng_node *case_conv2d_big(eng_graph *g, uint32_t *rng) { return build_conv(g, rng, 1); }

/* Weight gradients with a long depth (samples x positions) are split over several slices. */
static eng_node *case_conv2d_split(eng_graph *g, uint32_t *rng)
{
    int size = 2 * vkt_int(rng, 23, 25);
    eng_node *x = eng_input4(g, "x", 2, 3, size, size);
    return eng_conv2d(g, x, eng_param4(g, "w", 5, 3, 4, 4), eng_param1(g, "b", 5), 2, 1);
}
static eng_node *case_convt_split(eng_graph *g, uint32_t *rng)
{
    int size = vkt_int(rng, 23, 25);
    eng_node *x = eng_input4(g, "x", 2, 6, size, size);
    return eng_conv_transpose2d(g, x, eng_param4(g, "w", 6, 3, 4, 4), NULL, 2, 1, 0);
}

static eng_node *build_convt(eng_graph *g, uint32_t *rng, int big)
{
    int n = vkt_int(rng, 1, 2), ci = big ? 67 : vkt_int(rng, 1, 5), co = big ? 21 : vkt_int(rng, 1, 7);
    int k = vkt_int(rng, 1, 4), stride = vkt_int(rng, 1, 2), pad = vkt_int(rng, 0, k - 1 < 2 ? k - 1 : 2);
    int out_pad = vkt_int(rng, 0, stride - 1);
    int h = vkt_int(rng, 2, big ? 11 : 7), w = vkt_int(rng, 2, big ? 12 : 7);
    eng_node *x = eng_input4(g, "x", n, ci, h, w);
    eng_node *wt = eng_param4(g, "w", ci, co, k, k);
    eng_node *b = vkt_int(rng, 0, 1) ? eng_param1(g, "b", co) : NULL;
    return eng_conv_transpose2d(g, x, wt, b, stride, pad, out_pad);
}
static eng_node *case_convt(eng_graph *g, uint32_t *rng) { return build_convt(g, rng, 0); }
static eng_node *case_convt_big(eng_graph *g, uint32_t *rng) { return build_convt(g, rng, 1); }

/* Every convolution geometry of the networks, each at odd sizes with two samples: the
 * ResNet's 7x7 head, 3x3 stride-2 down, 3x3 block and 3x3 stride-2 transposed up (output
 * padding 1: a kernel the stride does not divide), the U-Net's and PatchGAN's 4x4 stride-2
 * down and up, PatchGAN's 4x4 stride-1 tail and the pixel discriminator's 1x1. */
static const struct {
    int transposed, kernel, stride, pad, out_pad;
} geometries[] = {{0, 7, 1, 0, 0}, {0, 3, 2, 1, 0}, {0, 3, 1, 0, 0}, {1, 3, 2, 1, 1},
                  {0, 4, 2, 1, 0}, {1, 4, 2, 1, 0}, {0, 4, 1, 1, 0}, {0, 1, 1, 0, 0}};

static eng_node *build_geometry(eng_graph *g, int i)
{
    int k = geometries[i].kernel, ci = 6, co = 5;
    eng_node *x = eng_input4(g, "x", 2, ci, 13, 11);
    eng_node *b = eng_param1(g, "b", co);
    if (geometries[i].transposed)
        return eng_conv_transpose2d(g, x, eng_param4(g, "w", ci, co, k, k), b,
                                    geometries[i].stride, geometries[i].pad,
                                    geometries[i].out_pad);
    return eng_conv2d(g, x, eng_param4(g, "w", co, ci, k, k), b, geometries[i].stride,
                      geometries[i].pad);
}
#define GEOMETRY_CASE(i)                                                                         \
    static eng_node *case_geometry_##i(eng_graph *g, uint32_t *rng)                              \
    {                                                                                            \
        (void)rng;                                                                               \
        return build_geometry(g, i);                                                             \
    }
GEOMETRY_CASE(0)
GEOMETRY_CASE(1)
GEOMETRY_CASE(2)
GEOMETRY_CASE(3)
GEOMETRY_CASE(4)
GEOMETRY_CASE(5)
GEOMETRY_CASE(6)
GEOMETRY_CASE(7)

static eng_node *build_bn(eng_graph *g, uint32_t *rng, int training)
{
    eng_node *x = rand_input4(g, "x", rng, 1);
    int c = x->shape[1], affine = vkt_int(rng, 0, 1);
    return eng_batch_norm2d(g, x, affine ? eng_param1(g, "weight", c) : NULL,
                            affine ? eng_param1(g, "bias", c) : NULL, eng_state1(g, "running_mean", c),
                            eng_state1(g, "running_var", c), eng_state1(g, "num_batches", 1),
                            training, 0.1f, 1e-5f);
}
static eng_node *case_bn_train(eng_graph *g, uint32_t *rng) { return build_bn(g, rng, 1); }
static eng_node *case_bn_eval(eng_graph *g, uint32_t *rng) { return build_bn(g, rng, 0); }

static eng_node *case_instance_norm(eng_graph *g, uint32_t *rng)
{
    eng_node *x = rand_input4(g, "x", rng, 1);
    int c = x->shape[1], affine = vkt_int(rng, 0, 1);
    return eng_instance_norm2d(g, x, affine ? eng_param1(g, "weight", c) : NULL,
                               affine ? eng_param1(g, "bias", c) : NULL, 1e-5f);
}

static eng_node *case_reflection_pad(eng_graph *g, uint32_t *rng)
{
    eng_node *x = rand_input4(g, "x", rng, 1);
    int limit = (x->shape[2] < x->shape[3] ? x->shape[2] : x->shape[3]) - 1;
    return eng_reflection_pad2d(g, x, vkt_int(rng, 0, limit < 3 ? limit : 3));
}

static eng_node *case_concat(eng_graph *g, uint32_t *rng)
{
    eng_node *a = rand_input4(g, "a", rng, 1);
    eng_node *b = eng_input4(g, "b", a->shape[0], vkt_int(rng, 1, 4), a->shape[2], a->shape[3]);
    return eng_concat(g, a, b);
}
static eng_node *case_concat_self(eng_graph *g, uint32_t *rng)
{
    eng_node *a = rand_input4(g, "a", rng, 1);
    return eng_concat(g, a, a);
}

static eng_node *case_dropout(eng_graph *g, uint32_t *rng)
{
    return eng_dropout(g, rand_input4(g, "x", rng, 1), 0.5f, vkt_next(rng));
}

static eng_node *binary_inputs(eng_graph *g, uint32_t *rng, eng_node **b)
{
    eng_node *a = rand_input4(g, "a", rng, 1);
    *b = eng_input(g, "b", a->ndim, a->shape);
    return a;
}

/* An ENG_ELTWISE row of the op table: X and XS on inputs up to +-100 (saturation must not
 * overflow: tanh, sigmoid), XS with a scalar in [-3, 3] (leaky_relu's backward reads its input
 * below 0), AB on two inputs. */
static eng_node *eltwise_case(eng_graph *g, uint32_t *rng, eng_op op)
{
    if (eltwise_operands_of(op) == ELTWISE_AB) {
        eng_node *b, *a = binary_inputs(g, rng, &b);
        return eltwise_build(g, op, a, b, 0.0f);
    }
    eng_node *x = eng_scale(g, rand_input4(g, "x", rng, 1), 100.0f);
    return eltwise_build(g, op, x, NULL, vkt_uniform(rng, -3.0f, 3.0f));
}
/* case_<fn> of every row */
#define ENG_LEAF(id, name)
#define ENG_OP(id, name, kind, kernel, grads, reads, vk, macs)
#define ENG_ELTWISE(id, fn, operands, reads, onnx, onnx_scalar, fp32_output, forward, backward) \
    static eng_node *case_##fn(eng_graph *g, uint32_t *rng)                                      \
    {                                                                                            \
        return eltwise_case(g, rng, ENG_OP_##id);                                                \
    }
#include "engine/ops.def"
#undef ENG_LEAF
#undef ENG_OP
#undef ENG_ELTWISE
static eng_node *case_self_ops(eng_graph *g, uint32_t *rng) /* a source used twice */
{
    eng_node *a = rand_input4(g, "a", rng, 1);
    return eng_add(g, eng_mul(g, a, a), eng_add(g, a, a));
}
static eng_node *case_detach(eng_graph *g, uint32_t *rng)
{
    eng_node *a = rand_input4(g, "a", rng, 1);
    return eng_mul(g, eng_detach(g, a), a);
}
static eng_node *case_sum(eng_graph *g, uint32_t *rng) { return eng_sum(g, rand_input4(g, "x", rng, 1)); }
static eng_node *case_l1(eng_graph *g, uint32_t *rng)
{
    eng_node *t, *x = binary_inputs(g, rng, &t);
    return eng_l1_loss(g, x, t);
}
static eng_node *case_mse(eng_graph *g, uint32_t *rng)
{
    eng_node *t, *x = binary_inputs(g, rng, &t);
    return eng_mse_loss(g, x, t);
}
static eng_node *case_bce(eng_graph *g, uint32_t *rng)
{
    eng_node *t, *x = binary_inputs(g, rng, &t);
    return eng_bce_with_logits_loss(g, eng_scale(g, x, 4.0f), t);
}

/* count_include_pad=False pooling on odd sizes, the discriminator's (3, 2, 1) and others */
static eng_node *case_avg_pool(eng_graph *g, uint32_t *rng)
{
    eng_node *x = eng_input4(g, "x", vkt_int(rng, 1, 2), vkt_int(rng, 1, 5), vkt_int(rng, 3, 11),
                             vkt_int(rng, 3, 11));
    int kernel = vkt_int(rng, 1, 3), stride = vkt_int(rng, 1, 3);
    return eng_avg_pool2d(g, x, kernel, stride, vkt_int(rng, 0, kernel / 2));
}
static eng_node *case_avg_pool_k3s2p1(eng_graph *g, uint32_t *rng)
{
    return eng_avg_pool2d(g, rand_input4(g, "x", rng, 1), 3, 2, 1);
}

/* max pooling as VGG's (2, 2, 0), and other geometries on odd sizes (overlapping windows) */
static eng_node *case_max_pool_k2s2(eng_graph *g, uint32_t *rng)
{
    return eng_max_pool2d(g, rand_input4(g, "x", rng, 1), 2, 2, 0);
}
static eng_node *case_max_pool(eng_graph *g, uint32_t *rng)
{
    eng_node *x = eng_input4(g, "x", vkt_int(rng, 1, 2), vkt_int(rng, 1, 5), vkt_int(rng, 3, 11),
                             vkt_int(rng, 3, 11));
    int kernel = vkt_int(rng, 1, 3), stride = vkt_int(rng, 1, 3);
    return eng_max_pool2d(g, x, kernel, stride, vkt_int(rng, 0, kernel / 2));
}

/* nearest upsampling by 2 (the resize-convolution generators') and by 1 to 3 on odd sizes */
static eng_node *case_upsample2(eng_graph *g, uint32_t *rng)
{
    return eng_upsample_nearest2d(g, rand_input4(g, "x", rng, 1), 2);
}
static eng_node *case_upsample(eng_graph *g, uint32_t *rng)
{
    eng_node *x = eng_input4(g, "x", vkt_int(rng, 1, 2), vkt_int(rng, 1, 5), vkt_int(rng, 1, 7),
                             vkt_int(rng, 1, 7));
    return eng_upsample_nearest2d(g, x, vkt_int(rng, 1, 3));
}

/* spectral_norm of a conv weight (u and v compared after the runs); applied twice, as the
 * critic's layers are, the second application reads the u and v the first left */
static eng_node *sn_weight(eng_graph *g, uint32_t *rng, eng_node **w, eng_node **u, eng_node **v)
{
    int co = vkt_int(rng, 1, 9), ci = vkt_int(rng, 1, 6), k = vkt_int(rng, 1, 4);
    *w = eng_param4(g, "w", co, ci, k, k);
    *u = eng_state1(g, "u", co);
    *v = eng_state1(g, "v", ci * k * k);
    return eng_spectral_norm(g, *w, *u, *v, 1e-12f);
}
static eng_node *case_spectral(eng_graph *g, uint32_t *rng)
{
    eng_node *w, *u, *v;
    return sn_weight(g, rng, &w, &u, &v);
}
static eng_node *case_spectral_twice(eng_graph *g, uint32_t *rng)
{
    eng_node *w, *u, *v, *first = sn_weight(g, rng, &w, &u, &v);
    return eng_mul(g, first, eng_spectral_norm(g, w, u, v, 1e-12f));
}

static const struct {
    const char *name;
    vkt_build_fn build;
} cases[] = {
    {"conv2d", case_conv2d},
    {"conv2d (multi-tile)", case_conv2d_big},
    {"conv2d (split weight grad)", case_conv2d_split},
    {"conv_transpose2d", case_convt},
    {"conv_transpose2d (multi-tile)", case_convt_big},
    {"conv_transpose2d (split w grad)", case_convt_split},
    {"conv2d 512ch 2x2 (split-K)", vkt_deep_conv},
    {"conv_transpose2d 512ch (split-K)", vkt_deep_convt},
    {"conv2d 7x7 s1 (ResNet head)", case_geometry_0},
    {"conv2d 3x3 s2 (ResNet down)", case_geometry_1},
    {"conv2d 3x3 s1 (ResNet block)", case_geometry_2},
    {"conv_transpose2d 3x3 s2 op1", case_geometry_3},
    {"conv2d 4x4 s2 (U-Net, D)", case_geometry_4},
    {"conv_transpose2d 4x4 s2 (U-Net)", case_geometry_5},
    {"conv2d 4x4 s1 (D tail)", case_geometry_6},
    {"conv2d 1x1 (pixel D)", case_geometry_7},
    {"batch_norm2d train", case_bn_train},
    {"batch_norm2d eval", case_bn_eval},
    {"instance_norm2d", case_instance_norm},
    {"reflection_pad2d", case_reflection_pad},
#define ENG_LEAF(id, name)
#define ENG_OP(id, name, kind, kernel, grads, reads, vk, macs)
#define ENG_ELTWISE(id, fn, operands, reads, onnx, onnx_scalar, fp32_output, forward, backward) \
    {#fn, case_##fn},
#include "engine/ops.def"
#undef ENG_LEAF
#undef ENG_OP
#undef ENG_ELTWISE
    {"concat", case_concat},
    {"concat (same source)", case_concat_self},
    {"dropout", case_dropout},
    {"mul/add (same source)", case_self_ops},
    {"detach", case_detach},
    {"sum", case_sum},
    {"l1_loss", case_l1},
    {"mse_loss", case_mse},
    {"bce_with_logits_loss", case_bce},
    {"avg_pool2d k3 s2 p1", case_avg_pool_k3s2p1},
    {"avg_pool2d", case_avg_pool},
    {"max_pool2d k2 s2", case_max_pool_k2s2},
    {"max_pool2d", case_max_pool},
    {"upsample_nearest2d x2", case_upsample2},
    {"upsample_nearest2d", case_upsample},
    {"spectral_norm", case_spectral},
    {"spectral_norm twice", case_spectral_twice},
};

/* The ops of every case's graph (without the comparison's loss), each of which the backend
 * must support. */
static int check_coverage(eng_backend *vk)
{
    int covered[ENG_OP_COUNT] = {0}, unsupported = 0;
    for (int op = 0; op < ENG_OP_COUNT; op++) {
        eng_node probe = {.op = (eng_op)op};
        if (!vk->supports(vk, &probe)) {
            fprintf(stderr, "test_vk_ops: the backend refuses op '%s'\n", eng_op_infos[op].name);
            unsupported++;
        }
    }
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        eng_graph *g = eng_graph_new();
        uint32_t rng = 1;
        cases[c].build(g, &rng);
        op_cases_cover_graph(g, covered);
        eng_graph_free(g);
    }
    return unsupported + op_cases_check(OP_TEST_VULKAN, "test_vk_ops", covered);
}

/* Whether the backend's device runs the conv GEMMs on cooperative matrices; says why not. */
static int coopmat_in_use(eng_backend *vk)
{
    const vk_coopmat *cm = &((const vk_ctx *)vk->impl)->coopmat;
    if (!cm->usable)
        printf("SKIP: %s: cooperative matrix %s\n", eng_backend_name(vk), cm->note);
    return cm->usable;
}

static int coopmat_variant(uint32_t v) { return vk_conv_variant_tile(v) == VK_CONV_COOPMAT; }
static int generic_variant(uint32_t v) { return v < VK_CONV_TILE_SLOTS; }
static int fixed_variant(uint32_t v) { return v >= VK_CONV_TILE_SLOTS; }

/* Each conv mode made a pipeline of a variant that `kind` accepts; names the ones that did not. */
static int check_conv_variants(eng_backend *vk, int (*kind)(uint32_t), const char *what)
{
    const vk_ctx *ctx = vk->impl;
    static const vk_kernel modes[] = {VK_KERNEL_CONV_GATHER, VK_KERNEL_CONV_SCATTER,
                                      VK_KERNEL_CONV_WEIGHT};
    int failures = 0;
    for (int m = 0; m < 3; m++) {
        int made = 0;
        for (uint32_t v = 0; v < VK_VARIANTS; v++)
            for (int h = 0; h < 1 << VK_BINDINGS; h++)
                made |= kind(v) && ctx->pipelines[modes[m]][v][h] != VK_NULL_HANDLE;
        if (!made)
            printf("FAIL conv kernel %d never ran %s\n", (int)modes[m], what);
        failures += !made;
    }
    return failures;
}

/* The random cases meet more kernel geometries than get their own pipelines: each conv mode
 * ran specialized for one and generic (vk_conv_variant.c). */
static int check_geometries(eng_backend *vk)
{
    return check_conv_variants(vk, fixed_variant, "specialized for its kernel geometry") +
           check_conv_variants(vk, generic_variant, "with the generic geometry");
}

/* Runs the cases (the convolutions only with conv_only) against the CPU backend. */
static int run_cases(eng_backend *cpu, eng_backend *vk, double tolerance, int conv_only)
{
    int failures = 0;
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        if (conv_only && strncmp(cases[c].name, "conv", 4) != 0)
            continue;
        vkt_errors worst = {0, 0};
        for (uint32_t v = 0; v < VARIANTS; v++) {
            vkt_errors e;
            /* two runs: accumulation, running statistics and dropout masks move on */
            if (vkt_compare(cases[c].name, cases[c].build, 1000u * (uint32_t)c + v + 1, 2, cpu, vk,
                            &e)) {
                failures++;
                break;
            }
            worst.value_err = e.value_err > worst.value_err ? e.value_err : worst.value_err;
            worst.grad_err = e.grad_err > worst.grad_err ? e.grad_err : worst.grad_err;
        }
        int ok = worst.value_err <= tolerance && worst.grad_err <= tolerance;
        printf("%-4s %-30s forward %.2e  backward %.2e\n", ok ? "ok" : "FAIL", cases[c].name,
               worst.value_err, worst.grad_err);
        failures += !ok;
    }
    return failures;
}

int main(int argc, char **argv)
{
    /* --fp16: the Vulkan side in mixed precision (fp16 storage, fp32 arithmetic) */
    int fp16 = 0, coopmat = 0;
    for (int i = 1; i < argc; i++) {
        fp16 |= !strcmp(argv[i], "--fp16");
        coopmat |= !strcmp(argv[i], "--coopmat");
    }
    double tolerance = fp16 || coopmat ? FP16_TOLERANCE : TOLERANCE;
    vkt_set_mixed(fp16);
    if (coopmat)
        setenv("PIX2PIX_VK_COOPMAT", "1", 1);
    int skip;
    eng_backend *vk = vkt_open_vulkan(&skip);
    if (!vk)
        return skip ? VKT_SKIP : 1;
    if ((fp16 && !eng_backend_has_fp16(vk)) || (coopmat && !coopmat_in_use(vk))) {
        if (fp16 && !eng_backend_has_fp16(vk))
            printf("SKIP: %s has no 16-bit storage buffers\n", eng_backend_name(vk));
        eng_backend_free(vk);
        return VKT_SKIP;
    }
    eng_backend *cpu = eng_cpu_backend_new(1);
    int failures = run_cases(cpu, vk, tolerance, coopmat);
    failures += vkt_check_splits(vk, "conv2d 512ch 2x2", vkt_deep_conv);
    failures += vkt_check_splits(vk, "conv_transpose2d 512ch", vkt_deep_convt);
    failures += vkt_check_validation(vk);
    failures += coopmat ? check_conv_variants(vk, coopmat_variant, "on cooperative matrices")
                        : check_coverage(vk) + check_geometries(vk);
    eng_backend_free(cpu);
    eng_backend_free(vk);
    printf("%s\n", failures ? "FAILED"
                   : coopmat ? "every conv on cooperative matrices matches the CPU backend"
                   : fp16    ? "all ops in fp16 storage match the CPU backend's fp32"
                             : "all ops match the CPU backend");
    return failures != 0;
}
