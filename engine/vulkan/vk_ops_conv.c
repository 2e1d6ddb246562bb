/* Lowering of conv2d and conv_transpose2d to conv_gemm.comp dispatches: forward, input
 * gradient and weight gradient (each split over its depth when long for few workgroups), and
 * bias gradient. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/grow.h"
#include "engine/flops.h"
#include "engine/vulkan/vk_lower.h"
#include "shaders/opcodes.h"

/* Split-K: a conv whose output has fewer workgroups than the device's split_groups
 * (vk_tuning.c) and whose depth is long sums its depth in z slices (each at least
 * SPLIT_MIN_DEPTH long and a multiple of the depth step BK) into partial sums in the command's
 * work area, then adds them up (sum_slices). The partial sums are capped at 8M floats. */
#define SPLIT_MIN_DEPTH 512
#define SPLIT_MAX_SCRATCH ((size_t)8 << 20)

typedef struct {
    vk_kernel kernel;
    int out, in, weight, bias;
    uint32_t n, c, hi, wi, m, ho, wo, kh, kw, stride, pad, w_sm, w_sc, flags, depth_chunk;
    uint32_t splits; /* z slices of the depth */
    vk_conv_tile tile;
    uint32_t tile_slot; /* tile's id, or VK_CONV_COOPMAT */
} conv_args;

static size_t ceil_div(size_t a, size_t b) { return (a + b - 1) / b; }

/* CONV_SCATTER runs one GEMM per stride phase (conv_index.glsl): the outputs o with
 * (o + pad) % stride == r, and only the taps that reach them. */
static size_t phases(const conv_args *a)
{
    return a->kernel == VK_KERNEL_CONV_SCATTER ? (size_t)a->stride * a->stride : 1;
}

static size_t per_phase(uint32_t size, const conv_args *a)
{
    return a->kernel == VK_KERNEL_CONV_SCATTER ? ceil_div(size, a->stride) : size;
}

static size_t gemm_cols(const conv_args *a)
{
    if (a->kernel == VK_KERNEL_CONV_WEIGHT)
        return (size_t)a->c * a->kh * a->kw;
    return per_phase(a->ho, a) * per_phase(a->wo, a);
}

static size_t gemm_depth(const conv_args *a)
{
    if (a->kernel == VK_KERNEL_CONV_WEIGHT)
        return (size_t)a->n * a->ho * a->wo;
    return (size_t)a->c * per_phase(a->kh, a) * per_phase(a->kw, a);
}

/* Workgroups along z besides the depth slices: the samples and phases. */
static size_t z_parts(const conv_args *a)
{
    return a->kernel == VK_KERNEL_CONV_WEIGHT ? 1 : a->n * phases(a);
}

/* The floats a conv writes: the weight gradient, or the output of every sample. */
static size_t out_floats(const conv_args *a)
{
    if (a->kernel == VK_KERNEL_CONV_WEIGHT)
        return (size_t)a->m * gemm_cols(a);
    return (size_t)a->m * a->ho * a->wo * a->n;
}

static vk_conv_key key_of(const conv_args *a)
{
    uint32_t mode = a->kernel == VK_KERNEL_CONV_WEIGHT    ? CONV_WEIGHT
                    : a->kernel == VK_KERNEL_CONV_SCATTER ? CONV_SCATTER
                                                          : CONV_GATHER;
    return (vk_conv_key){mode,  a->n,  a->c,  a->hi,     a->wi, a->m,
                         a->ho, a->wo, a->kh, a->kw, a->stride, a->pad};
}

/* The depth slices the split-K rule allows at most (1: none). */
static size_t max_splits(const conv_args *a)
{
    int weight = a->kernel == VK_KERNEL_CONV_WEIGHT;
    size_t splits = gemm_depth(a) / SPLIT_MIN_DEPTH, out = out_floats(a);
    /* the weight gradient's slices all go to the work area, the others' but the first */
    if (splits > SPLIT_MAX_SCRATCH / out + !weight)
        splits = SPLIT_MAX_SCRATCH / out + !weight;
    if (splits > VK_MAX_GROUPS / z_parts(a))
        splits = VK_MAX_GROUPS / z_parts(a);
    return splits ? splits : 1;
}

static vk_gemm_size size_of(const conv_args *a)
{
    return (vk_gemm_size){a->m, gemm_cols(a), gemm_depth(a), z_parts(a), max_splits(a)};
}

/* Sets the tile (vk_conv_choose) and a->splits and a->depth_chunk (vk_conv_split_count). */
static void choose_kernel(conv_args *a, const vk_tuning *tu)
{
    vk_conv_key key = key_of(a);
    vk_gemm_size size = size_of(a);
    vk_conv_choice choice = vk_conv_choose(tu, &key, &size);
    a->tile_slot = choice.coopmat ? VK_CONV_COOPMAT : choice.tile_id;
    a->tile = choice.coopmat ? tu->coopmat_tile : vk_conv_tile_of(choice.tile_id);
    size_t splits = vk_conv_split_count(tu, &a->tile, &size, choice.splits);
    if (splits < 2) {
        a->splits = 1;
        a->depth_chunk = (uint32_t)size.depth;
        return;
    }
    size_t len = ceil_div(ceil_div(size.depth, splits), a->tile.bk) * a->tile.bk;
    a->depth_chunk = (uint32_t)len;
    a->splits = (uint32_t)ceil_div(size.depth, len);
}

/* Work-area floats of a split conv's partial sums. */
static size_t split_floats(const conv_args *a)
{
    if (a->splits < 2)
        return 0;
    return (a->kernel == VK_KERNEL_CONV_WEIGHT ? a->splits : a->splits - 1) * out_floats(a);
}

static void conv(lowering *lw, const eng_node *n, const conv_args *a)
{
    vk_step *st = vk_add_step(lw, VK_STEP_DISPATCH, a->kernel);
    if (!st)
        return;
    vk_conv_geometry geometry = {a->kh, a->kw, a->stride, a->pad};
    st->variant = vk_conv_variant(a->tile_slot, &geometry);
    st->regions[0] = a->out;
    st->regions[1] = a->in;
    st->regions[2] = a->weight;
    st->regions[3] = a->bias;
    st->writes = 1;
    int weight = a->kernel == VK_KERNEL_CONV_WEIGHT;
    /* b4: the partial sums of a forward or input gradient's slices after the first; the
     * shader may write it, so otherwise the output again, never the shared dummy */
    st->regions[4] = !weight && a->splits > 1 ? lw->scratch : a->out;
    st->writes |= 16;
    vk_push_conv_gemm push = {a->n,  a->c,      a->hi,  a->wi,   a->m,    a->ho,    a->wo,
                              a->kh, a->kw,     a->stride, a->pad, a->w_sm, a->w_sc, a->flags,
                              a->depth_chunk};
    vk_set_push(st, push);
    st->groups[0] = vk_exact_groups(lw, n, ceil_div(gemm_cols(a), a->tile.tx * a->tile.tn));
    st->groups[1] = vk_exact_groups(lw, n, ceil_div(a->m, a->tile.ty * a->tile.tm));
    st->groups[2] = vk_exact_groups(lw, n, z_parts(a) * a->splits);
}

/* A norm_backward.comp step of variant writing region out (binding 0) from region in at
 * binding in_binding, over groups workgroups. -1 when out of memory. */
static int norm_backward_step(lowering *lw, uint32_t variant, int out, int in_binding, int in,
                              vk_push_norm_backward push, uint32_t groups)
{
    vk_step *st = vk_add_step(lw, VK_STEP_DISPATCH, VK_KERNEL_NORM_BACKWARD);
    if (!st)
        return -1;
    st->regions[0] = out;
    st->regions[in_binding] = in;
    st->writes = 1;
    st->variant = variant;
    vk_set_push(st, push);
    st->groups[0] = groups;
    return 0;
}

/* out[i] += sum over the s slices of partial[slice * len + i] (norm_backward's NB_PARAM with
 * one "channel" per element). */
static void sum_slices(lowering *lw, int partial, int out, uint32_t len, uint32_t slices)
{
    vk_push_norm_backward push = {.n = len, .groups = slices * len, .c = len, .hw = 1,
                                  .samples = 1, .per_sample = 1};
    norm_backward_step(lw, NB_PARAM, out, 4, partial, push, vk_grid_groups(len));
}

/* Per-channel sums of dy into scratch, then added into the bias gradient. */
static void channel_sum_grad(lowering *lw, const eng_node *n, int dy, int scratch, int out)
{
    uint32_t c = (uint32_t)n->shape[1], hw = (uint32_t)(n->shape[2] * n->shape[3]);
    vk_push_norm_backward reduce_push = {.flags = NB_NO_XHAT, .groups = c, .c = c, .hw = hw,
                                         .samples = (uint32_t)n->shape[0]};
    if (norm_backward_step(lw, NB_REDUCE, scratch, 2, dy, reduce_push,
                           vk_exact_groups(lw, n, c)))
        return;
    vk_push_norm_backward param_push = {.n = c, .groups = c, .c = c, .hw = hw,
                                        .samples = (uint32_t)n->shape[0]};
    norm_backward_step(lw, NB_PARAM, out, 4, scratch, param_push, vk_grid_groups(c));
}

/* The GEMMs of a conv node (shapes and flags; regions unset): its forward, its input
 * gradient and its weight gradient, each with its depth split. */
static conv_args forward_args(const eng_node *n, const vk_tuning *tu)
{
    const eng_node *x = n->src[0], *w = n->src[1];
    uint32_t kh = (uint32_t)w->shape[2], kw = (uint32_t)w->shape[3], kk = kh * kw;
    uint32_t ci = (uint32_t)x->shape[1], co = (uint32_t)n->shape[1];
    int transposed = n->op == ENG_OP_CONV_TRANSPOSE2D;
    conv_args a = {
        .kernel = transposed ? VK_KERNEL_CONV_SCATTER : VK_KERNEL_CONV_GATHER,
        .n = (uint32_t)x->shape[0], .c = ci, .hi = (uint32_t)x->shape[2], .wi = (uint32_t)x->shape[3],
        .m = co, .ho = (uint32_t)n->shape[2], .wo = (uint32_t)n->shape[3], .kh = kh, .kw = kw,
        .stride = (uint32_t)n->arg.conv.stride, .pad = (uint32_t)n->arg.conv.pad,
        /* conv2d weight [co][ci], transposed [ci][co] */
        .w_sm = transposed ? kk : ci * kk, .w_sc = transposed ? co * kk : kk,
        .flags = n->src[2] ? CONV_BIAS : 0,
    };
    choose_kernel(&a, tu);
    return a;
}

static conv_args backward_base(const eng_node *n)
{
    const eng_node *x = n->src[0], *w = n->src[1];
    return (conv_args){.n = (uint32_t)x->shape[0], .kh = (uint32_t)w->shape[2],
                       .kw = (uint32_t)w->shape[3], .stride = (uint32_t)n->arg.conv.stride,
                       .pad = (uint32_t)n->arg.conv.pad, .bias = -1, .flags = CONV_ACCUMULATE};
}

/* dx: the input gradient gathers dy through the other conv direction */
static conv_args dx_args(const eng_node *n, const vk_tuning *tu)
{
    const eng_node *x = n->src[0];
    conv_args a = backward_base(n);
    uint32_t kk = a.kh * a.kw, ci = (uint32_t)x->shape[1], co = (uint32_t)n->shape[1];
    int transposed = n->op == ENG_OP_CONV_TRANSPOSE2D;
    a.kernel = transposed ? VK_KERNEL_CONV_GATHER : VK_KERNEL_CONV_SCATTER;
    a.c = co, a.hi = (uint32_t)n->shape[2], a.wi = (uint32_t)n->shape[3];
    a.m = ci, a.ho = (uint32_t)x->shape[2], a.wo = (uint32_t)x->shape[3];
    a.w_sm = transposed ? co * kk : kk;
    a.w_sc = transposed ? kk : ci * kk;
    choose_kernel(&a, tu);
    return a;
}

/* dw[m, c, tap] += sum a[n, m, small] * in[n, c, small*stride - pad + tap]: the depth runs
 * over the positions of the smaller side (dy for conv2d, x for transposed) */
static conv_args dw_args(const eng_node *n, const vk_tuning *tu)
{
    const eng_node *x = n->src[0];
    conv_args a = backward_base(n);
    uint32_t kk = a.kh * a.kw, ci = (uint32_t)x->shape[1], co = (uint32_t)n->shape[1];
    uint32_t h = (uint32_t)x->shape[2], wd = (uint32_t)x->shape[3];
    uint32_t ho = (uint32_t)n->shape[2], wo = (uint32_t)n->shape[3];
    a.kernel = VK_KERNEL_CONV_WEIGHT;
    if (n->op == ENG_OP_CONV_TRANSPOSE2D) {
        a.m = ci, a.ho = h, a.wo = wd, a.c = co, a.hi = ho, a.wi = wo;
        a.w_sm = co * kk, a.w_sc = kk;
    } else {
        a.m = co, a.ho = ho, a.wo = wo, a.c = ci, a.hi = h, a.wi = wd;
        a.w_sm = ci * kk, a.w_sc = kk;
    }
    choose_kernel(&a, tu);
    a.flags = a.splits > 1 ? 0 : CONV_ACCUMULATE;
    return a;
}

/* Labels the steps of conv GEMM which ("fwd", "dx", "dw") of n that follow, for the profile:
 * the product, the kernel, the useful FLOPs. */
static void begin_gemm(lowering *lw, const eng_node *n, const char *which, const conv_args *a)
{
    vk_steps *s = lw->steps;
    vk_gemm_label *grown = grow_for_one(s->gemms, &s->cap_gemms, s->ngemms, sizeof *grown, 16);
    if (!grown) {
        lw->failed = 1;
        return;
    }
    s->gemms = grown;
    vk_gemm_label *g = &s->gemms[s->ngemms];
    const int *x = n->src[0]->shape, *y = n->shape;
    snprintf(g->product, sizeof g->product, "%s %s %d->%d %dx%d->%dx%d",
             eng_op_infos[n->op].name, which, x[1], y[1], x[2], x[3], y[2], y[3]);
    vk_conv_kernel_text(&a->tile, a->tile_slot == VK_CONV_COOPMAT, a->splits, g->kernel,
                        sizeof g->kernel);
    g->flops = eng_product_flops(n);
    lw->gemm = s->ngemms++;
}

/* A forward or input-gradient GEMM into out, its slices after the first summed into it. */
static void conv_into(lowering *lw, const eng_node *n, conv_args *a, const char *which)
{
    begin_gemm(lw, n, which, a);
    conv(lw, n, a);
    if (a->splits > 1)
        sum_slices(lw, lw->scratch, a->out, (uint32_t)out_floats(a), a->splits - 1);
    lw->gemm = -1;
}

void vk_lower_conv_forward(lowering *lw, const eng_node *n)
{
    conv_args a = forward_args(n, lw->tuning);
    a.out = vk_data_of(lw, n);
    a.in = vk_data_of(lw, n->src[0]);
    a.weight = vk_data_of(lw, n->src[1]);
    a.bias = vk_data_of(lw, n->src[2]);
    conv_into(lw, n, &a, "fwd");
}

void vk_lower_conv_backward(lowering *lw, const eng_node *n, unsigned mask)
{
    const eng_node *x = n->src[0], *w = n->src[1];
    int transposed = n->op == ENG_OP_CONV_TRANSPOSE2D, dy = vk_grad_of(lw, n);
    if (mask & 1) {
        conv_args a = dx_args(n, lw->tuning);
        a.out = vk_grad_of(lw, x);
        a.in = dy;
        a.weight = vk_data_of(lw, w);
        conv_into(lw, n, &a, "dx");
    }
    if (mask & 2) {
        conv_args a = dw_args(n, lw->tuning);
        a.out = a.splits > 1 ? lw->scratch : vk_grad_of(lw, w);
        a.weight = transposed ? vk_data_of(lw, x) : dy;
        a.in = transposed ? dy : vk_data_of(lw, x);
        begin_gemm(lw, n, "dw", &a);
        conv(lw, n, &a);
        if (a.splits > 1)
            sum_slices(lw, a.out, vk_grad_of(lw, w), (uint32_t)w->numel, a.splits);
        lw->gemm = -1;
    }
    if (mask & 4)
        channel_sum_grad(lw, n, dy, lw->scratch, vk_grad_of(lw, n->src[2]));
}

static conv_args gemm_args(const vk_tuning *tu, const eng_node *n, int which)
{
    return which == 0 ? forward_args(n, tu) : which == 1 ? dx_args(n, tu) : dw_args(n, tu);
}

int vk_conv_splits(const vk_tuning *tu, const eng_node *n, int which)
{
    return (int)gemm_args(tu, n, which).splits;
}

void vk_conv_gemm(const vk_tuning *tu, const eng_node *n, int which, vk_conv_key *key,
                  vk_gemm_size *size)
{
    conv_args a = gemm_args(tu, n, which);
    *key = key_of(&a);
    *size = size_of(&a);
}

size_t vk_conv_scratch_floats(const vk_tuning *tu, const eng_node *n, eng_cmd_kind kind)
{
    if (kind == ENG_CMD_FORWARD) {
        conv_args f = forward_args(n, tu);
        return split_floats(&f);
    }
    /* the input gradient's partial sums, then (after a barrier) the weight gradient's, then
     * the bias sums: one after the other in the same area */
    conv_args dx = dx_args(n, tu), dw = dw_args(n, tu);
    size_t most = 2 * (size_t)n->shape[1];
    most = split_floats(&dx) > most ? split_floats(&dx) : most;
    return split_floats(&dw) > most ? split_floats(&dw) : most;
}
