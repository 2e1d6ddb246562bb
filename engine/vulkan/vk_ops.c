/* Lowering: every node's regions, and the schedule's commands as shader dispatches. The op
 * semantics are those of the CPU kernels (engine/cpu/); the shaders say how each is computed. */
#include <stdlib.h>
#include <string.h>

#include "engine/vulkan/vk_internal.h"
#include "shaders/opcodes.h"

#define MAX_GROUPS 65535u
/* Grid-stride shaders loop over their elements: 1024 workgroups of 256 keep a large GPU busy,
 * and many more cost a CPU implementation (lavapipe) dearly per workgroup. */
#define MAX_GRID_GROUPS 1024u

static int is_conv(eng_op op) { return op == ENG_OP_CONV2D || op == ENG_OP_CONV_TRANSPOSE2D; }
static int is_norm(eng_op op)
{
    return op == ENG_OP_BATCH_NORM2D || op == ENG_OP_INSTANCE_NORM2D;
}

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

/* Normalization groups: channels (batch norm) or (sample, channel) planes (instance norm). */
static size_t norm_groups(const eng_node *n)
{
    return n->op == ENG_OP_INSTANCE_NORM2D ? (size_t)n->shape[0] * n->shape[1]
                                           : (size_t)n->shape[1];
}

int vk_layout_reserve(vk_layout *l, vk_memory *m, const eng_graph *g)
{
    size_t count = (size_t)(g->nnodes ? g->nnodes : 1);
    l->data = malloc(count * sizeof(int));
    l->grad = malloc(count * sizeof(int));
    l->aux = malloc(count * sizeof(int));
    l->scratch = malloc(count * sizeof(int));
    if (!l->data || !l->grad || !l->aux || !l->scratch)
        return eng_set_error(ENG_ENOMEM, "out of memory planning Vulkan buffers");
    for (int id = 0; id < g->nnodes; id++) {
        const eng_node *n = g->nodes[id];
        l->data[id] = vk_memory_reserve(m, n->numel);
        l->grad[id] = n->has_grad ? vk_memory_reserve(m, n->numel) : -1;
        l->aux[id] = n->aux_numel ? vk_memory_reserve(m, n->aux_numel) : -1;
        /* backward partial sums: (sum dy, sum dy*xhat) per group, or per channel for conv bias */
        size_t scratch = is_norm(n->op) ? 2 * norm_groups(n) : 0;
        if (is_conv(n->op)) { /* bias sums, then (after a barrier) weight partial sums */
            uint32_t chunk, splits = weight_grad_splits(n, &chunk);
            size_t partial = splits > 1 ? splits * n->src[1]->numel : 0;
            scratch = 2 * (size_t)n->shape[1] > partial ? 2 * (size_t)n->shape[1] : partial;
        }
        l->scratch[id] = scratch ? vk_memory_reserve(m, scratch) : -1;
        if (l->data[id] < 0 || (n->has_grad && l->grad[id] < 0))
            return ENG_ENOMEM;
    }
    l->dummy = vk_memory_reserve(m, 4);
    l->nadam_slots = 0;
    for (int i = 0; i < g->ncmds; i++)
        l->nadam_slots += g->cmds[i].kind == ENG_CMD_ADAM;
    return l->dummy < 0 ? ENG_ENOMEM : 0;
}

void vk_layout_free(vk_layout *l)
{
    free(l->data);
    free(l->grad);
    free(l->aux);
    free(l->scratch);
    memset(l, 0, sizeof *l);
}

void vk_steps_free(vk_steps *s)
{
    free(s->steps);
    memset(s, 0, sizeof *s);
}

/* ---- step construction -------------------------------------------------------------------- */
typedef struct {
    vk_steps *steps;
    const vk_layout *l;
    int failed;
    const eng_node *too_large; /* a node needing more workgroups than a dispatch allows */
} lowering;

/* One workgroup per item (a tile row, a normalization group): the count must fit a dispatch
 * dimension (65535 is the guaranteed maximum). */
static uint32_t exact_groups(lowering *lw, const eng_node *n, size_t count)
{
    if (count > MAX_GROUPS) {
        lw->too_large = n;
        lw->failed = 1;
        return 1;
    }
    return (uint32_t)count;
}

static vk_step *add(lowering *lw, vk_step_kind kind, vk_kernel kernel)
{
    vk_steps *s = lw->steps;
    if (s->nsteps == s->cap_steps) {
        int cap = s->cap_steps ? 2 * s->cap_steps : 64;
        vk_step *grown = realloc(s->steps, (size_t)cap * sizeof *grown);
        if (!grown) {
            lw->failed = 1;
            return NULL;
        }
        s->steps = grown;
        s->cap_steps = cap;
    }
    vk_step *st = &s->steps[s->nsteps++];
    memset(st, 0, sizeof *st);
    st->kind = kind;
    st->kernel = kernel;
    for (int i = 0; i < VK_BINDINGS; i++)
        st->regions[i] = -1;
    st->groups[0] = st->groups[1] = st->groups[2] = 1;
    return st;
}

static uint32_t fbits(float f)
{
    uint32_t u;
    memcpy(&u, &f, sizeof u);
    return u;
}

static uint32_t groups_for(size_t items, size_t per_group)
{
    size_t g = (items + per_group - 1) / per_group;
    return g == 0 ? 1 : g > MAX_GRID_GROUPS ? MAX_GRID_GROUPS : (uint32_t)g;
}

static int data_of(const lowering *lw, const eng_node *n) { return n ? lw->l->data[n->id] : -1; }
static int grad_of(const lowering *lw, const eng_node *n) { return lw->l->grad[n->id]; }

static void fill(lowering *lw, int region, float value)
{
    vk_step *st = add(lw, VK_STEP_FILL, VK_KERNEL_ELTWISE);
    if (!st)
        return;
    st->regions[0] = region;
    st->writes = 1;
    st->fill_value = value;
}

/* An element-wise op over n elements: out (binding 0, written), a, b, dy. */
static void eltwise(lowering *lw, uint32_t op, size_t n, int out, int a, int b, int dy, float s0,
                    float s1, uint32_t seed)
{
    vk_step *st = add(lw, VK_STEP_DISPATCH, VK_KERNEL_ELTWISE);
    if (!st)
        return;
    st->regions[0] = out;
    st->regions[1] = a;
    st->regions[2] = b;
    st->regions[3] = dy;
    st->writes = 1;
    st->variant = op;
    uint32_t push[] = {(uint32_t)n, fbits(s0), fbits(s1), seed};
    memcpy(st->push, push, sizeof push);
    st->groups[0] = groups_for(n, VK_WORKGROUP);
}

static void reduce(lowering *lw, uint32_t op, const eng_node *n)
{
    vk_step *st = add(lw, VK_STEP_DISPATCH, VK_KERNEL_REDUCE);
    if (!st)
        return;
    const eng_node *x = n->src[0];
    st->regions[0] = data_of(lw, n);
    st->regions[1] = data_of(lw, x);
    st->regions[2] = n->src[1] ? data_of(lw, n->src[1]) : -1;
    st->writes = 1;
    float scale = op == RED_SUM ? 1.0f : 1.0f / (float)x->numel;
    st->variant = op;
    uint32_t push[] = {(uint32_t)x->numel, fbits(scale)};
    memcpy(st->push, push, sizeof push);
}

/* push: n, h, w, pad, c_first, c_out, c_src, c_off (layout.comp) */
static void layout_op(lowering *lw, uint32_t op, const uint32_t *push, size_t npush, int out,
                      int a, int b)
{
    vk_step *st = add(lw, VK_STEP_DISPATCH, VK_KERNEL_LAYOUT);
    if (!st)
        return;
    st->regions[0] = out;
    st->regions[1] = a;
    st->regions[2] = b;
    st->writes = 1;
    st->variant = op;
    memcpy(st->push, push, npush * sizeof *push);
    st->groups[0] = groups_for(push[0], VK_WORKGROUP);
}

/* ---- convolutions ------------------------------------------------------------------------- */
typedef struct {
    vk_kernel kernel;
    int out, in, weight, bias;
    uint32_t n, c, hi, wi, m, ho, wo, kh, kw, stride, pad, w_sm, w_sc, flags, depth_chunk;
    uint32_t splits; /* CONV_WEIGHT: z slices */
} conv_args;

static void conv(lowering *lw, const eng_node *n, const conv_args *a)
{
    vk_step *st = add(lw, VK_STEP_DISPATCH, a->kernel);
    if (!st)
        return;
    st->regions[0] = a->out;
    st->regions[1] = a->in;
    st->regions[2] = a->weight;
    st->regions[3] = a->bias;
    st->writes = 1;
    uint32_t push[] = {a->n,  a->c,      a->hi,  a->wi,   a->m,    a->ho,    a->wo,         a->kh,
                       a->kw, a->stride, a->pad, a->w_sm, a->w_sc, a->flags, a->depth_chunk};
    memcpy(st->push, push, sizeof push);
    const uint32_t tile = VK_CONV_TILE * VK_CONV_PER_THREAD;
    uint32_t kk = a->kh * a->kw;
    size_t cols = a->kernel == VK_KERNEL_CONV_WEIGHT ? (size_t)a->c * kk : (size_t)a->ho * a->wo;
    st->groups[0] = exact_groups(lw, n, (cols + tile - 1) / tile);
    st->groups[1] = exact_groups(lw, n, (a->m + tile - 1) / tile);
    st->groups[2] = exact_groups(lw, n, a->kernel == VK_KERNEL_CONV_WEIGHT ? a->splits : a->n);
}

/* out[i] += sum over the s slices of partial[slice * len + i] (norm_backward's NB_PARAM with
 * one "channel" per element). */
static void sum_slices(lowering *lw, int partial, int out, uint32_t len, uint32_t slices)
{
    vk_step *st = add(lw, VK_STEP_DISPATCH, VK_KERNEL_NORM_BACKWARD);
    if (!st)
        return;
    st->regions[0] = out;
    st->regions[4] = partial;
    st->writes = 1;
    st->variant = NB_PARAM;
    uint32_t push[] = {0, len, slices * len, len, 1, 1, 1, 0, 0};
    memcpy(st->push, push, sizeof push);
    st->groups[0] = groups_for(len, VK_WORKGROUP);
}

/* Per-channel sums of dy into scratch, then added into the bias gradient. */
static void channel_sum_grad(lowering *lw, const eng_node *n, int dy, int scratch, int out)
{
    uint32_t c = (uint32_t)n->shape[1], hw = (uint32_t)(n->shape[2] * n->shape[3]);
    vk_step *st = add(lw, VK_STEP_DISPATCH, VK_KERNEL_NORM_BACKWARD);
    if (!st)
        return;
    st->regions[0] = scratch;
    st->regions[2] = dy;
    st->writes = 1;
    st->variant = NB_REDUCE;
    uint32_t reduce_push[] = {NB_NO_XHAT, 0, c, c, hw, (uint32_t)n->shape[0], 0, 0, 0};
    memcpy(st->push, reduce_push, sizeof reduce_push);
    st->groups[0] = exact_groups(lw, n, c);
    st = add(lw, VK_STEP_DISPATCH, VK_KERNEL_NORM_BACKWARD);
    if (!st)
        return;
    st->regions[0] = out;
    st->regions[4] = scratch;
    st->writes = 1;
    st->variant = NB_PARAM;
    uint32_t param_push[] = {0, c, c, c, hw, (uint32_t)n->shape[0], 0, 0, 0};
    memcpy(st->push, param_push, sizeof param_push);
    st->groups[0] = groups_for(c, VK_WORKGROUP);
}

static void conv_forward(lowering *lw, const eng_node *n)
{
    const eng_node *x = n->src[0], *w = n->src[1], *b = n->src[2];
    uint32_t kh = (uint32_t)w->shape[2], kw = (uint32_t)w->shape[3], kk = kh * kw;
    uint32_t ci = (uint32_t)x->shape[1], co = (uint32_t)n->shape[1];
    int transposed = n->op == ENG_OP_CONV_TRANSPOSE2D;
    conv_args a = {
        .kernel = transposed ? VK_KERNEL_CONV_SCATTER : VK_KERNEL_CONV_GATHER,
        .out = data_of(lw, n), .in = data_of(lw, x), .weight = data_of(lw, w), .bias = data_of(lw, b),
        .n = (uint32_t)x->shape[0], .c = ci, .hi = (uint32_t)x->shape[2], .wi = (uint32_t)x->shape[3],
        .m = co, .ho = (uint32_t)n->shape[2], .wo = (uint32_t)n->shape[3], .kh = kh, .kw = kw,
        .stride = (uint32_t)n->arg.conv.stride, .pad = (uint32_t)n->arg.conv.pad,
        /* conv2d weight [co][ci], transposed [ci][co] */
        .w_sm = transposed ? kk : ci * kk, .w_sc = transposed ? co * kk : kk,
        .flags = b ? CONV_BIAS : 0,
    };
    conv(lw, n, &a);
}

static void conv_backward(lowering *lw, const eng_node *n, unsigned mask)
{
    const eng_node *x = n->src[0], *w = n->src[1];
    uint32_t kh = (uint32_t)w->shape[2], kw = (uint32_t)w->shape[3], kk = kh * kw;
    uint32_t ci = (uint32_t)x->shape[1], co = (uint32_t)n->shape[1];
    uint32_t h = (uint32_t)x->shape[2], wd = (uint32_t)x->shape[3];
    uint32_t ho = (uint32_t)n->shape[2], wo = (uint32_t)n->shape[3];
    int transposed = n->op == ENG_OP_CONV_TRANSPOSE2D;
    int dy = grad_of(lw, n);
    conv_args base = {.n = (uint32_t)x->shape[0], .kh = kh, .kw = kw,
                      .stride = (uint32_t)n->arg.conv.stride, .pad = (uint32_t)n->arg.conv.pad,
                      .bias = -1, .flags = CONV_ACCUMULATE};
    if (mask & 1) { /* dx: the input gradient gathers dy through the other conv direction */
        conv_args a = base;
        a.kernel = transposed ? VK_KERNEL_CONV_GATHER : VK_KERNEL_CONV_SCATTER;
        a.out = grad_of(lw, x);
        a.in = dy;
        a.weight = data_of(lw, w);
        a.c = co, a.hi = ho, a.wi = wo, a.m = ci, a.ho = h, a.wo = wd;
        a.w_sm = transposed ? co * kk : kk;
        a.w_sc = transposed ? kk : ci * kk;
        conv(lw, n, &a);
    }
    if (mask & 2) { /* dw[m, c, tap] += sum a[n, m, small] * in[n, c, small*stride - pad + tap] */
        conv_args a = base;
        a.kernel = VK_KERNEL_CONV_WEIGHT;
        a.splits = weight_grad_splits(n, &a.depth_chunk);
        a.out = a.splits > 1 ? lw->l->scratch[n->id] : grad_of(lw, w);
        a.flags = a.splits > 1 ? 0 : CONV_ACCUMULATE;
        if (transposed) {
            a.weight = data_of(lw, x), a.m = ci, a.ho = h, a.wo = wd;
            a.in = dy, a.c = co, a.hi = ho, a.wi = wo;
            a.w_sm = co * kk, a.w_sc = kk;
        } else {
            a.weight = dy, a.m = co, a.ho = ho, a.wo = wo;
            a.in = data_of(lw, x), a.c = ci, a.hi = h, a.wi = wd;
            a.w_sm = ci * kk, a.w_sc = kk;
        }
        conv(lw, n, &a);
        if (a.splits > 1)
            sum_slices(lw, a.out, grad_of(lw, w), (uint32_t)w->numel, a.splits);
    }
    if (mask & 4)
        channel_sum_grad(lw, n, dy, lw->l->scratch[n->id], grad_of(lw, n->src[2]));
}

/* ---- normalization ------------------------------------------------------------------------ */
static void norm_forward(lowering *lw, const eng_node *n)
{
    int bn = n->op == ENG_OP_BATCH_NORM2D;
    const eng_node *x = n->src[0];
    uint32_t groups = (uint32_t)norm_groups(n), c = (uint32_t)n->shape[1];
    uint32_t hw = (uint32_t)(n->shape[2] * n->shape[3]);
    vk_step *st = add(lw, VK_STEP_DISPATCH, VK_KERNEL_NORM_STATS);
    if (!st)
        return;
    uint32_t mode = !bn ? 0 : n->arg.norm.training ? 1 : 2;
    st->regions[0] = data_of(lw, x);
    st->regions[1] = lw->l->aux[n->id];
    st->writes = 2;
    if (bn) {
        for (int i = 0; i < 3; i++)
            st->regions[2 + i] = data_of(lw, n->src[3 + i]);
        if (mode == 1)
            st->writes |= 4 | 8 | 16;
    }
    uint32_t stats_push[] = {groups, c, hw, bn ? (uint32_t)n->shape[0] : 1, !bn, mode,
                             fbits(n->arg.norm.eps), fbits(n->arg.norm.momentum)};
    memcpy(st->push, stats_push, sizeof stats_push);
    st->groups[0] = exact_groups(lw, n, groups);
    st = add(lw, VK_STEP_DISPATCH, VK_KERNEL_NORM_APPLY);
    if (!st)
        return;
    st->regions[0] = data_of(lw, n);
    st->regions[1] = data_of(lw, x);
    st->regions[2] = lw->l->aux[n->id];
    st->regions[3] = data_of(lw, n->src[1]);
    st->regions[4] = data_of(lw, n->src[2]);
    st->writes = 1;
    uint32_t apply_push[] = {(uint32_t)n->numel, groups, c, hw, !bn, n->src[1] != NULL,
                             n->src[2] != NULL};
    memcpy(st->push, apply_push, sizeof apply_push);
    st->groups[0] = groups_for(n->numel, VK_WORKGROUP);
}

static void norm_backward(lowering *lw, const eng_node *n, unsigned mask)
{
    int bn = n->op == ENG_OP_BATCH_NORM2D;
    const eng_node *x = n->src[0];
    uint32_t groups = (uint32_t)norm_groups(n), c = (uint32_t)n->shape[1];
    uint32_t hw = (uint32_t)(n->shape[2] * n->shape[3]);
    uint32_t samples = bn ? (uint32_t)n->shape[0] : 1;
    int eval = bn && !n->arg.norm.training;
    int dy = grad_of(lw, n), aux = lw->l->aux[n->id], scratch = lw->l->scratch[n->id];
    /* flags, n, groups, c, hw, samples, per_sample, has_weight, which (norm_backward.comp) */
    uint32_t push[] = {eval ? NB_EVAL : 0, 0, groups, c, hw, samples, !bn, n->src[1] != NULL, 0};
    vk_step *st = add(lw, VK_STEP_DISPATCH, VK_KERNEL_NORM_BACKWARD);
    if (!st)
        return;
    st->regions[0] = scratch;
    st->regions[1] = data_of(lw, x);
    st->regions[2] = dy;
    st->regions[3] = aux;
    st->writes = 1;
    st->variant = NB_REDUCE;
    memcpy(st->push, push, sizeof push);
    st->groups[0] = exact_groups(lw, n, groups);
    if (mask & 1) {
        st = add(lw, VK_STEP_DISPATCH, VK_KERNEL_NORM_BACKWARD);
        if (!st)
            return;
        st->regions[0] = grad_of(lw, x);
        st->regions[1] = data_of(lw, x);
        st->regions[2] = dy;
        st->regions[3] = aux;
        st->regions[4] = scratch;
        st->regions[5] = data_of(lw, n->src[1]);
        st->writes = 1;
        st->variant = NB_DX;
        push[1] = (uint32_t)n->numel;
        memcpy(st->push, push, sizeof push);
        st->groups[0] = groups_for(n->numel, VK_WORKGROUP);
    }
    for (int which = 1; which >= 0; which--) { /* weight: sum dy*xhat, bias: sum dy */
        if (!(mask & (1u << (2 - which))))
            continue;
        st = add(lw, VK_STEP_DISPATCH, VK_KERNEL_NORM_BACKWARD);
        if (!st)
            return;
        st->regions[0] = grad_of(lw, n->src[2 - which]);
        st->regions[4] = scratch;
        st->writes = 1;
        st->variant = NB_PARAM;
        push[1] = c;
        push[8] = (uint32_t)which;
        memcpy(st->push, push, sizeof push);
        st->groups[0] = groups_for(c, VK_WORKGROUP);
    }
}

/* ---- the schedule ------------------------------------------------------------------------- */
static void forward(lowering *lw, const eng_node *n)
{
    const eng_node *a = n->src[0], *b = n->src[1];
    int out = data_of(lw, n), x = data_of(lw, a);
    switch (n->op) {
    case ENG_OP_INPUT: case ENG_OP_PARAM: case ENG_OP_STATE: case ENG_OP_CONST: case ENG_OP_COUNT:
        return;
    case ENG_OP_CONV2D: case ENG_OP_CONV_TRANSPOSE2D: conv_forward(lw, n); return;
    case ENG_OP_BATCH_NORM2D: case ENG_OP_INSTANCE_NORM2D: norm_forward(lw, n); return;
    case ENG_OP_REFLECTION_PAD2D: {
        uint32_t push[] = {(uint32_t)n->numel, (uint32_t)a->shape[2], (uint32_t)a->shape[3],
                           (uint32_t)n->arg.pad.pad};
        layout_op(lw, LAY_PAD_F, push, 4, out, x, -1);
        return;
    }
    case ENG_OP_CONCAT: {
        uint32_t push[] = {(uint32_t)n->numel, (uint32_t)(n->shape[2] * n->shape[3]), 0, 0,
                           (uint32_t)a->shape[1], (uint32_t)n->shape[1]};
        layout_op(lw, LAY_CONCAT_F, push, 6, out, x, data_of(lw, b));
        return;
    }
    case ENG_OP_RELU: eltwise(lw, ELT_RELU_F, n->numel, out, x, -1, -1, 0, 0, 0); return;
    case ENG_OP_LEAKY_RELU:
        eltwise(lw, ELT_LEAKY_F, n->numel, out, x, -1, -1, n->arg.scalar.value, 0, 0);
        return;
    case ENG_OP_TANH: eltwise(lw, ELT_TANH_F, n->numel, out, x, -1, -1, 0, 0, 0); return;
    case ENG_OP_SIGMOID: eltwise(lw, ELT_SIGMOID_F, n->numel, out, x, -1, -1, 0, 0, 0); return;
    case ENG_OP_SCALE:
        eltwise(lw, ELT_SCALE_F, n->numel, out, x, -1, -1, n->arg.scalar.value, 0, 0);
        return;
    case ENG_OP_DETACH: eltwise(lw, ELT_COPY_F, n->numel, out, x, -1, -1, 0, 0, 0); return;
    case ENG_OP_ADD: eltwise(lw, ELT_ADD_F, n->numel, out, x, data_of(lw, b), -1, 0, 0, 0); return;
    case ENG_OP_MUL: eltwise(lw, ELT_MUL_F, n->numel, out, x, data_of(lw, b), -1, 0, 0, 0); return;
    case ENG_OP_DROPOUT: {
        float p = n->arg.dropout.p;
        eltwise(lw, ELT_DROPOUT_F, n->numel, out, x, -1, -1, p, 1.0f / (1.0f - p),
                n->arg.dropout.seed);
        return;
    }
    case ENG_OP_SUM: reduce(lw, RED_SUM, n); return;
    case ENG_OP_L1_LOSS: reduce(lw, RED_L1, n); return;
    case ENG_OP_MSE_LOSS: reduce(lw, RED_MSE, n); return;
    case ENG_OP_BCE_LOGITS_LOSS: reduce(lw, RED_BCE, n); return;
    }
}

static void backward(lowering *lw, const eng_node *n, unsigned mask)
{
    const eng_node *a = n->src[0], *b = n->src[1];
    int dy = grad_of(lw, n), x = data_of(lw, a), y = data_of(lw, n);
    size_t len = a->numel;
    switch (n->op) {
    case ENG_OP_CONV2D: case ENG_OP_CONV_TRANSPOSE2D: conv_backward(lw, n, mask); return;
    case ENG_OP_BATCH_NORM2D: case ENG_OP_INSTANCE_NORM2D: norm_backward(lw, n, mask); return;
    case ENG_OP_REFLECTION_PAD2D: {
        uint32_t push[] = {(uint32_t)len, (uint32_t)a->shape[2], (uint32_t)a->shape[3],
                           (uint32_t)n->arg.pad.pad};
        layout_op(lw, LAY_PAD_B, push, 4, grad_of(lw, a), dy, -1);
        return;
    }
    case ENG_OP_CONCAT:
        for (int s = 0; s < 2; s++) {
            if (!(mask & (1u << s)))
                continue;
            const eng_node *src = n->src[s];
            uint32_t push[] = {(uint32_t)src->numel, (uint32_t)(n->shape[2] * n->shape[3]), 0, 0,
                               0, (uint32_t)n->shape[1], (uint32_t)src->shape[1],
                               s ? (uint32_t)a->shape[1] : 0};
            layout_op(lw, LAY_CONCAT_B, push, 8, grad_of(lw, src), dy, -1);
        }
        return;
    case ENG_OP_RELU: eltwise(lw, ELT_RELU_B, len, grad_of(lw, a), x, -1, dy, 0, 0, 0); return;
    case ENG_OP_LEAKY_RELU:
        eltwise(lw, ELT_LEAKY_B, len, grad_of(lw, a), x, -1, dy, n->arg.scalar.value, 0, 0);
        return;
    case ENG_OP_TANH: eltwise(lw, ELT_TANH_B, len, grad_of(lw, a), y, -1, dy, 0, 0, 0); return;
    case ENG_OP_SIGMOID:
        eltwise(lw, ELT_SIGMOID_B, len, grad_of(lw, a), y, -1, dy, 0, 0, 0);
        return;
    case ENG_OP_SCALE:
        eltwise(lw, ELT_SCALE_B, len, grad_of(lw, a), x, -1, dy, n->arg.scalar.value, 0, 0);
        return;
    case ENG_OP_DROPOUT: {
        float p = n->arg.dropout.p;
        eltwise(lw, ELT_DROPOUT_B, len, grad_of(lw, a), x, -1, dy, p, 1.0f / (1.0f - p),
                n->arg.dropout.seed);
        return;
    }
    case ENG_OP_ADD:
        for (int s = 0; s < 2; s++)
            if (mask & (1u << s))
                eltwise(lw, ELT_ACC_B, len, grad_of(lw, n->src[s]), x, -1, dy, 0, 0, 0);
        return;
    case ENG_OP_MUL:
        for (int s = 0; s < 2; s++)
            if (mask & (1u << s))
                eltwise(lw, ELT_MUL_B, len, grad_of(lw, n->src[s]), x, data_of(lw, n->src[1 - s]),
                        dy, 0, 0, 0);
        return;
    case ENG_OP_SUM: eltwise(lw, ELT_SUM_B, len, grad_of(lw, a), x, -1, dy, 0, 0, 0); return;
    case ENG_OP_L1_LOSS: case ENG_OP_MSE_LOSS: case ENG_OP_BCE_LOGITS_LOSS: {
        uint32_t op = n->op == ENG_OP_L1_LOSS ? ELT_L1_B : n->op == ENG_OP_MSE_LOSS ? ELT_MSE_B
                                                                                   : ELT_BCE_B;
        eltwise(lw, op, len, grad_of(lw, a), x, data_of(lw, b), dy, 1.0f / (float)len, 0, 0);
        return;
    }
    default:
        return; /* leaves and detach have no gradient */
    }
}

static void adam(lowering *lw, const eng_adam *opt, uint32_t slot)
{
    for (int i = 0; i < opt->nparams; i++) {
        const eng_node *p = opt->params[i];
        vk_step *st = add(lw, VK_STEP_DISPATCH, VK_KERNEL_ADAM);
        if (!st)
            return;
        st->regions[0] = data_of(lw, p);
        st->regions[1] = grad_of(lw, p);
        st->regions[2] = data_of(lw, opt->exp_avg[i]);
        st->regions[3] = data_of(lw, opt->exp_avg_sq[i]);
        st->writes = 1 | 4 | 8;
        uint32_t push[] = {(uint32_t)p->numel, slot, fbits((float)(1.0 - opt->beta1)),
                           fbits(opt->beta2), fbits((float)(1.0 - opt->beta2)), fbits(opt->eps)};
        memcpy(st->push, push, sizeof push);
        st->groups[0] = groups_for(p->numel, VK_WORKGROUP);
    }
}

int vk_lower_schedule(vk_steps *s, const vk_layout *l, const eng_graph *g)
{
    lowering lw = {.steps = s, .l = l};
    uint32_t slot = 0;
    for (int i = 0; i < g->ncmds && !lw.failed; i++) {
        const eng_cmd *c = &g->cmds[i];
        switch (c->kind) {
        case ENG_CMD_FORWARD: forward(&lw, c->node); break;
        case ENG_CMD_ZERO_GRAD: fill(&lw, grad_of(&lw, c->node), 0.0f); break;
        case ENG_CMD_SEED_GRAD: fill(&lw, grad_of(&lw, c->node), 1.0f); break;
        case ENG_CMD_BACKWARD: backward(&lw, c->node, c->mask); break;
        case ENG_CMD_ADAM: adam(&lw, c->opt, slot++); break;
        }
    }
    if (lw.too_large)
        return eng_set_error(ENG_EBACKEND, "vulkan: %s '%s' [%d,%d,%d,%d] is too large for one "
                             "dispatch (over %u workgroups in a dimension)",
                             eng_op_infos[lw.too_large->op].name, lw.too_large->name,
                             lw.too_large->shape[0], lw.too_large->shape[1],
                             lw.too_large->shape[2], lw.too_large->shape[3], MAX_GROUPS);
    return lw.failed ? eng_set_error(ENG_ENOMEM, "out of memory lowering the schedule") : 0;
}
