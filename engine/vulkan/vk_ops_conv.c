/* Lowering of conv2d and conv_transpose2d to conv_gemm.comp dispatches: forward, input
 * gradient, weight gradient (split over the depth when long) and bias gradient. */
#include <string.h>

#include "engine/vulkan/vk_lower.h"
#include "shaders/opcodes.h"

/* Split-K of a conv weight gradient: depth slices (each a multiple of the GEMM depth step) so
 * that the dispatch has enough workgroups, and the slice length; 1 slice sums in place. The
 * partial sums need splits * weight size floats of scratch, capped at 8M floats. */
#define SPLIT_TARGET_GROUPS 128
#define SPLIT_MIN_DEPTH 512
#define SPLIT_MAX_SCRATCH ((size_t)8 << 20)

static uint32_t weight_grad_splits(const eng_node *n, uint32_t *chunk)
{
    const eng_node *x = n->src[0], *w = n->src[1];
    int transposed = n->op == ENG_OP_CONV_TRANSPOSE2D;
    /* the depth runs over the positions of the smaller side: dy for conv2d, x for transposed */
    const eng_node *a = transposed ? x : n;
    size_t depth = (size_t)a->shape[0] * a->shape[2] * a->shape[3];
    size_t tile = VK_CONV_TILE * VK_CONV_PER_THREAD;
    size_t rows = (size_t)(transposed ? x->shape[1] : n->shape[1]);
    size_t tiles = ((w->numel / rows + tile - 1) / tile) * ((rows + tile - 1) / tile);
    size_t splits = (SPLIT_TARGET_GROUPS + tiles - 1) / tiles;
    if (splits > depth / SPLIT_MIN_DEPTH)
        splits = depth / SPLIT_MIN_DEPTH;
    if (splits > SPLIT_MAX_SCRATCH / w->numel)
        splits = SPLIT_MAX_SCRATCH / w->numel;
    if (splits < 2) {
        *chunk = (uint32_t)depth;
        return 1;
    }
    size_t step = 16 * VK_CONV_PER_THREAD; /* a multiple of the GEMM depth step (BK = 16) */
    size_t len = ((depth + splits - 1) / splits + step - 1) / step * step;
    *chunk = (uint32_t)len;
    return (uint32_t)((depth + len - 1) / len);
}

typedef struct {
    vk_kernel kernel;
    int out, in, weight, bias;
    uint32_t n, c, hi, wi, m, ho, wo, kh, kw, stride, pad, w_sm, w_sc, flags, depth_chunk;
    uint32_t splits; /* CONV_WEIGHT: z slices */
} conv_args;

static void conv(lowering *lw, const eng_node *n, const conv_args *a)
{
    vk_step *st = vk_add_step(lw, VK_STEP_DISPATCH, a->kernel);
    if (!st)
        return;
    st->regions[0] = a->out;
    st->regions[1] = a->in;
    st->regions[2] = a->weight;
    st->regions[3] = a->bias;
    st->writes = 1;
    vk_push_conv_gemm push = {a->n,  a->c,      a->hi,  a->wi,   a->m,    a->ho,    a->wo,
                              a->kh, a->kw,     a->stride, a->pad, a->w_sm, a->w_sc, a->flags,
                              a->depth_chunk};
    vk_set_push(st, push);
    const uint32_t tile = VK_CONV_TILE * VK_CONV_PER_THREAD;
    uint32_t kk = a->kh * a->kw;
    size_t cols = a->kernel == VK_KERNEL_CONV_WEIGHT ? (size_t)a->c * kk : (size_t)a->ho * a->wo;
    st->groups[0] = vk_exact_groups(lw, n, (cols + tile - 1) / tile);
    st->groups[1] = vk_exact_groups(lw, n, (a->m + tile - 1) / tile);
    st->groups[2] = vk_exact_groups(lw, n, a->kernel == VK_KERNEL_CONV_WEIGHT ? a->splits : a->n);
}

/* out[i] += sum over the s slices of partial[slice * len + i] (norm_backward's NB_PARAM with
 * one "channel" per element). */
static void sum_slices(lowering *lw, int partial, int out, uint32_t len, uint32_t slices)
{
    vk_step *st = vk_add_step(lw, VK_STEP_DISPATCH, VK_KERNEL_NORM_BACKWARD);
    if (!st)
        return;
    st->regions[0] = out;
    st->regions[4] = partial;
    st->writes = 1;
    st->variant = NB_PARAM;
    vk_push_norm_backward push = {.n = len, .groups = slices * len, .c = len, .hw = 1,
                                  .samples = 1, .per_sample = 1};
    vk_set_push(st, push);
    st->groups[0] = vk_grid_groups(len);
}

/* Per-channel sums of dy into scratch, then added into the bias gradient. */
static void channel_sum_grad(lowering *lw, const eng_node *n, int dy, int scratch, int out)
{
    uint32_t c = (uint32_t)n->shape[1], hw = (uint32_t)(n->shape[2] * n->shape[3]);
    vk_step *st = vk_add_step(lw, VK_STEP_DISPATCH, VK_KERNEL_NORM_BACKWARD);
    if (!st)
        return;
    st->regions[0] = scratch;
    st->regions[2] = dy;
    st->writes = 1;
    st->variant = NB_REDUCE;
    vk_push_norm_backward reduce_push = {.flags = NB_NO_XHAT, .groups = c, .c = c, .hw = hw,
                                         .samples = (uint32_t)n->shape[0]};
    vk_set_push(st, reduce_push);
    st->groups[0] = vk_exact_groups(lw, n, c);
    st = vk_add_step(lw, VK_STEP_DISPATCH, VK_KERNEL_NORM_BACKWARD);
    if (!st)
        return;
    st->regions[0] = out;
    st->regions[4] = scratch;
    st->writes = 1;
    st->variant = NB_PARAM;
    vk_push_norm_backward param_push = {.n = c, .groups = c, .c = c, .hw = hw,
                                        .samples = (uint32_t)n->shape[0]};
    vk_set_push(st, param_push);
    st->groups[0] = vk_grid_groups(c);
}

void vk_lower_conv_forward(lowering *lw, const eng_node *n)
{
    const eng_node *x = n->src[0], *w = n->src[1], *b = n->src[2];
    uint32_t kh = (uint32_t)w->shape[2], kw = (uint32_t)w->shape[3], kk = kh * kw;
    uint32_t ci = (uint32_t)x->shape[1], co = (uint32_t)n->shape[1];
    int transposed = n->op == ENG_OP_CONV_TRANSPOSE2D;
    conv_args a = {
        .kernel = transposed ? VK_KERNEL_CONV_SCATTER : VK_KERNEL_CONV_GATHER,
        .out = vk_data_of(lw, n), .in = vk_data_of(lw, x), .weight = vk_data_of(lw, w), .bias = vk_data_of(lw, b),
        .n = (uint32_t)x->shape[0], .c = ci, .hi = (uint32_t)x->shape[2], .wi = (uint32_t)x->shape[3],
        .m = co, .ho = (uint32_t)n->shape[2], .wo = (uint32_t)n->shape[3], .kh = kh, .kw = kw,
        .stride = (uint32_t)n->arg.conv.stride, .pad = (uint32_t)n->arg.conv.pad,
        /* conv2d weight [co][ci], transposed [ci][co] */
        .w_sm = transposed ? kk : ci * kk, .w_sc = transposed ? co * kk : kk,
        .flags = b ? CONV_BIAS : 0,
    };
    conv(lw, n, &a);
}

void vk_lower_conv_backward(lowering *lw, const eng_node *n, unsigned mask)
{
    const eng_node *x = n->src[0], *w = n->src[1];
    uint32_t kh = (uint32_t)w->shape[2], kw = (uint32_t)w->shape[3], kk = kh * kw;
    uint32_t ci = (uint32_t)x->shape[1], co = (uint32_t)n->shape[1];
    uint32_t h = (uint32_t)x->shape[2], wd = (uint32_t)x->shape[3];
    uint32_t ho = (uint32_t)n->shape[2], wo = (uint32_t)n->shape[3];
    int transposed = n->op == ENG_OP_CONV_TRANSPOSE2D;
    int dy = vk_grad_of(lw, n);
    conv_args base = {.n = (uint32_t)x->shape[0], .kh = kh, .kw = kw,
                      .stride = (uint32_t)n->arg.conv.stride, .pad = (uint32_t)n->arg.conv.pad,
                      .bias = -1, .flags = CONV_ACCUMULATE};
    if (mask & 1) { /* dx: the input gradient gathers dy through the other conv direction */
        conv_args a = base;
        a.kernel = transposed ? VK_KERNEL_CONV_GATHER : VK_KERNEL_CONV_SCATTER;
        a.out = vk_grad_of(lw, x);
        a.in = dy;
        a.weight = vk_data_of(lw, w);
        a.c = co, a.hi = ho, a.wi = wo, a.m = ci, a.ho = h, a.wo = wd;
        a.w_sm = transposed ? co * kk : kk;
        a.w_sc = transposed ? kk : ci * kk;
        conv(lw, n, &a);
    }
    if (mask & 2) { /* dw[m, c, tap] += sum a[n, m, small] * in[n, c, small*stride - pad + tap] */
        conv_args a = base;
        a.kernel = VK_KERNEL_CONV_WEIGHT;
        a.splits = weight_grad_splits(n, &a.depth_chunk);
        a.out = a.splits > 1 ? lw->scratch : vk_grad_of(lw, w);
        a.flags = a.splits > 1 ? 0 : CONV_ACCUMULATE;
        if (transposed) {
            a.weight = vk_data_of(lw, x), a.m = ci, a.ho = h, a.wo = wd;
            a.in = dy, a.c = co, a.hi = ho, a.wi = wo;
            a.w_sm = co * kk, a.w_sc = kk;
        } else {
            a.weight = dy, a.m = co, a.ho = ho, a.wo = wo;
            a.in = vk_data_of(lw, x), a.c = ci, a.hi = h, a.wi = wd;
            a.w_sm = ci * kk, a.w_sc = kk;
        }
        conv(lw, n, &a);
        if (a.splits > 1)
            sum_slices(lw, a.out, vk_grad_of(lw, w), (uint32_t)w->numel, a.splits);
    }
    if (mask & 4)
        channel_sum_grad(lw, n, dy, lw->scratch, vk_grad_of(lw, n->src[2]));
}


size_t vk_conv_scratch_floats(const eng_node *n)
{
    /* bias sums, then (after a barrier) the weight gradient's partial sums */
    uint32_t chunk, splits = weight_grad_splits(n, &chunk);
    size_t partial = splits > 1 ? splits * n->src[1]->numel : 0;
    return 2 * (size_t)n->shape[1] > partial ? 2 * (size_t)n->shape[1] : partial;
}
