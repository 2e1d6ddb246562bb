/* Lowering: every node's regions, and the schedule's commands as shader dispatches. The op
 * semantics are those of the CPU kernels (engine/cpu/); the shaders say how each is computed.
 * Convolutions and normalizations are lowered in vk_ops_conv.c and vk_ops_norm.c. */
#include <stdlib.h>
#include <string.h>

#include "engine/vulkan/vk_lower.h"
#include "shaders/opcodes.h"

/* Grid-stride shaders loop over their elements: 1024 workgroups of 256 keep a large GPU busy,
 * and many more cost a CPU implementation (lavapipe) dearly per workgroup. */
#define MAX_GRID_GROUPS 1024u

static int is_conv(eng_op op) { return op == ENG_OP_CONV2D || op == ENG_OP_CONV_TRANSPOSE2D; }
static int is_norm(eng_op op)
{
    return op == ENG_OP_BATCH_NORM2D || op == ENG_OP_INSTANCE_NORM2D;
}

/* The backward partial sums: (sum dy, sum dy*xhat) per group, or per channel for conv bias,
 * and the weight gradient's split sums. Forward commands need none. */
static size_t command_scratch(const eng_node *n, eng_cmd_kind kind)
{
    if (kind != ENG_CMD_BACKWARD)
        return 0;
    return is_norm(n->op)   ? vk_norm_scratch_floats(n)
           : is_conv(n->op) ? vk_conv_scratch_floats(n)
                            : 0;
}

/* Every backward adds into its gradients (no overwriting); offsets bind on the device's
 * storage-buffer alignment. */
eng_plan_facts vk_plan_facts(const vk_ctx *ctx)
{
    size_t align = (size_t)vk_memory_alignment(ctx) / sizeof(float);
    return (eng_plan_facts){NULL, command_scratch, align};
}

/* A buffer at plan offset off (floats): an alias into the arena inside the shared region, a
 * region of its own after it. */
static int place(vk_memory *m, const vk_layout *l, const eng_memplan *mp, size_t off, size_t floats)
{
    if (off == ENG_NO_OFFSET)
        return -1;
    return off < mp->shared ? vk_memory_reserve_alias(m, l->arena, off, floats)
                            : vk_memory_reserve(m, floats);
}

int vk_layout_reserve(vk_layout *l, vk_memory *m, const eng_graph *g, const eng_memplan *mp)
{
    size_t count = (size_t)(g->nnodes ? g->nnodes : 1);
    l->data = malloc(count * sizeof(int));
    l->grad = malloc(count * sizeof(int));
    l->aux = malloc(count * sizeof(int));
    l->scratch = malloc((size_t)(mp->nsteps ? mp->nsteps : 1) * sizeof(int));
    if (!l->data || !l->grad || !l->aux || !l->scratch)
        return eng_set_error(ENG_ENOMEM, "out of memory planning Vulkan buffers");
    l->arena = mp->shared ? vk_memory_reserve_arena(m, mp->shared) : -1;
    for (int id = 0; id < g->nnodes; id++) {
        const eng_node *n = g->nodes[id];
        l->data[id] = place(m, l, mp, mp->value_off[id], n->numel);
        l->grad[id] = place(m, l, mp, mp->grad_off[id], n->numel);
        l->aux[id] = place(m, l, mp, mp->aux_off[id], n->aux_numel);
        if (l->data[id] < 0 || (mp->grad_off[id] != ENG_NO_OFFSET && l->grad[id] < 0))
            return ENG_ENOMEM;
    }
    for (int k = 0; k < mp->nsteps; k++)
        l->scratch[k] = place(m, l, mp, mp->steps[k].scratch, mp->steps[k].scratch_floats);
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
    free(s->cuts);
    free(s->cut_opts);
    memset(s, 0, sizeof *s);
}

/* ---- step construction -------------------------------------------------------------------- */
uint32_t vk_exact_groups(lowering *lw, const eng_node *n, size_t count)
{
    if (count > VK_MAX_GROUPS) {
        lw->too_large = n;
        lw->failed = 1;
        return 1;
    }
    return (uint32_t)count;
}

vk_step *vk_add_step(lowering *lw, vk_step_kind kind, vk_kernel kernel)
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

uint32_t vk_fbits(float f)
{
    uint32_t u;
    memcpy(&u, &f, sizeof u);
    return u;
}

uint32_t vk_grid_groups(size_t items)
{
    size_t g = (items + VK_WORKGROUP - 1) / VK_WORKGROUP;
    return g == 0 ? 1 : g > MAX_GRID_GROUPS ? MAX_GRID_GROUPS : (uint32_t)g;
}

static void fill(lowering *lw, int region, float value)
{
    vk_step *st = vk_add_step(lw, VK_STEP_FILL, VK_KERNEL_ELTWISE);
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
    vk_step *st = vk_add_step(lw, VK_STEP_DISPATCH, VK_KERNEL_ELTWISE);
    if (!st)
        return;
    st->regions[0] = out;
    st->regions[1] = a;
    st->regions[2] = b;
    st->regions[3] = dy;
    st->writes = 1;
    st->variant = op;
    uint32_t push[] = {(uint32_t)n, vk_fbits(s0), vk_fbits(s1), seed};
    memcpy(st->push, push, sizeof push);
    st->groups[0] = vk_grid_groups(n);
}

static void reduce(lowering *lw, uint32_t op, const eng_node *n)
{
    vk_step *st = vk_add_step(lw, VK_STEP_DISPATCH, VK_KERNEL_REDUCE);
    if (!st)
        return;
    const eng_node *x = n->src[0];
    st->regions[0] = vk_data_of(lw, n);
    st->regions[1] = vk_data_of(lw, x);
    st->regions[2] = n->src[1] ? vk_data_of(lw, n->src[1]) : -1;
    st->writes = 1;
    float scale = op == RED_SUM ? 1.0f : 1.0f / (float)x->numel;
    st->variant = op;
    uint32_t push[] = {(uint32_t)x->numel, vk_fbits(scale)};
    memcpy(st->push, push, sizeof push);
}

/* push: n, h, w, pad, c_first, c_out, c_src, c_off (layout.comp) */
static void layout_op(lowering *lw, uint32_t op, const uint32_t *push, size_t npush, int out,
                      int a, int b)
{
    vk_step *st = vk_add_step(lw, VK_STEP_DISPATCH, VK_KERNEL_LAYOUT);
    if (!st)
        return;
    st->regions[0] = out;
    st->regions[1] = a;
    st->regions[2] = b;
    st->writes = 1;
    st->variant = op;
    memcpy(st->push, push, npush * sizeof *push);
    st->groups[0] = vk_grid_groups(push[0]);
}

/* ---- the schedule ------------------------------------------------------------------------- */
static void forward(lowering *lw, const eng_node *n)
{
    const eng_node *a = n->src[0], *b = n->src[1];
    int out = vk_data_of(lw, n), x = vk_data_of(lw, a);
    switch (n->op) {
    case ENG_OP_INPUT: case ENG_OP_PARAM: case ENG_OP_STATE: case ENG_OP_CONST: case ENG_OP_COUNT:
        return;
    case ENG_OP_CONV2D: case ENG_OP_CONV_TRANSPOSE2D: vk_lower_conv_forward(lw, n); return;
    case ENG_OP_BATCH_NORM2D: case ENG_OP_INSTANCE_NORM2D: vk_lower_norm_forward(lw, n); return;
    case ENG_OP_REFLECTION_PAD2D: {
        uint32_t push[] = {(uint32_t)n->numel, (uint32_t)a->shape[2], (uint32_t)a->shape[3],
                           (uint32_t)n->arg.pad.pad};
        layout_op(lw, LAY_PAD_F, push, 4, out, x, -1);
        return;
    }
    case ENG_OP_CONCAT: {
        uint32_t push[] = {(uint32_t)n->numel, (uint32_t)(n->shape[2] * n->shape[3]), 0, 0,
                           (uint32_t)a->shape[1], (uint32_t)n->shape[1]};
        layout_op(lw, LAY_CONCAT_F, push, 6, out, x, vk_data_of(lw, b));
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
    case ENG_OP_ADD: eltwise(lw, ELT_ADD_F, n->numel, out, x, vk_data_of(lw, b), -1, 0, 0, 0); return;
    case ENG_OP_MUL: eltwise(lw, ELT_MUL_F, n->numel, out, x, vk_data_of(lw, b), -1, 0, 0, 0); return;
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
    int dy = vk_grad_of(lw, n), x = vk_data_of(lw, a), y = vk_data_of(lw, n);
    size_t len = a->numel;
    switch (n->op) {
    case ENG_OP_CONV2D: case ENG_OP_CONV_TRANSPOSE2D: vk_lower_conv_backward(lw, n, mask); return;
    case ENG_OP_BATCH_NORM2D: case ENG_OP_INSTANCE_NORM2D: vk_lower_norm_backward(lw, n, mask); return;
    case ENG_OP_REFLECTION_PAD2D: {
        uint32_t push[] = {(uint32_t)len, (uint32_t)a->shape[2], (uint32_t)a->shape[3],
                           (uint32_t)n->arg.pad.pad};
        layout_op(lw, LAY_PAD_B, push, 4, vk_grad_of(lw, a), dy, -1);
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
            layout_op(lw, LAY_CONCAT_B, push, 8, vk_grad_of(lw, src), dy, -1);
        }
        return;
    /* their sign tests read the output where eng_op_backward_reads says so: with reused
     * values the input may be another tensor's by then (same signs for slopes >= 0) */
    case ENG_OP_RELU: eltwise(lw, ELT_RELU_B, len, vk_grad_of(lw, a), y, -1, dy, 0, 0, 0); return;
    case ENG_OP_LEAKY_RELU: {
        int signs = eng_op_backward_reads(n) & ENG_READS_OUTPUT ? y : x;
        eltwise(lw, ELT_LEAKY_B, len, vk_grad_of(lw, a), signs, -1, dy, n->arg.scalar.value, 0, 0);
        return;
    }
    case ENG_OP_TANH: eltwise(lw, ELT_TANH_B, len, vk_grad_of(lw, a), y, -1, dy, 0, 0, 0); return;
    case ENG_OP_SIGMOID:
        eltwise(lw, ELT_SIGMOID_B, len, vk_grad_of(lw, a), y, -1, dy, 0, 0, 0);
        return;
    case ENG_OP_SCALE:
        eltwise(lw, ELT_SCALE_B, len, vk_grad_of(lw, a), x, -1, dy, n->arg.scalar.value, 0, 0);
        return;
    case ENG_OP_DROPOUT: {
        float p = n->arg.dropout.p;
        eltwise(lw, ELT_DROPOUT_B, len, vk_grad_of(lw, a), x, -1, dy, p, 1.0f / (1.0f - p),
                n->arg.dropout.seed);
        return;
    }
    case ENG_OP_ADD:
        for (int s = 0; s < 2; s++)
            if (mask & (1u << s))
                eltwise(lw, ELT_ACC_B, len, vk_grad_of(lw, n->src[s]), x, -1, dy, 0, 0, 0);
        return;
    case ENG_OP_MUL:
        for (int s = 0; s < 2; s++)
            if (mask & (1u << s))
                eltwise(lw, ELT_MUL_B, len, vk_grad_of(lw, n->src[s]), x, vk_data_of(lw, n->src[1 - s]),
                        dy, 0, 0, 0);
        return;
    case ENG_OP_SUM: eltwise(lw, ELT_SUM_B, len, vk_grad_of(lw, a), x, -1, dy, 0, 0, 0); return;
    case ENG_OP_L1_LOSS: case ENG_OP_MSE_LOSS: case ENG_OP_BCE_LOGITS_LOSS: {
        uint32_t op = n->op == ENG_OP_L1_LOSS ? ELT_L1_B : n->op == ENG_OP_MSE_LOSS ? ELT_MSE_B
                                                                                   : ELT_BCE_B;
        eltwise(lw, op, len, vk_grad_of(lw, a), x, vk_data_of(lw, b), dy, 1.0f / (float)len, 0, 0);
        return;
    }
    default:
        return; /* leaves and detach have no gradient */
    }
}

/* A cut before the next step, where the host reduces opt's gradients. */
static void cut(lowering *lw, const eng_adam *opt)
{
    vk_steps *s = lw->steps;
    int *cuts = realloc(s->cuts, (size_t)(s->ncuts + 1) * sizeof *cuts);
    const eng_adam **opts = realloc(s->cut_opts, (size_t)(s->ncuts + 1) * sizeof *opts);
    if (cuts)
        s->cuts = cuts;
    if (opts)
        s->cut_opts = opts;
    if (!cuts || !opts) {
        lw->failed = 1;
        return;
    }
    cuts[s->ncuts] = s->nsteps;
    opts[s->ncuts++] = opt;
}

/* The update of opt's parameter i, with the bias corrections of parameter slot slot. */
static void adam_param(lowering *lw, const eng_adam *opt, int i, uint32_t slot)
{
    const eng_node *p = opt->params[i];
    vk_step *st = vk_add_step(lw, VK_STEP_DISPATCH, VK_KERNEL_ADAM);
    if (!st)
        return;
    st->regions[0] = vk_data_of(lw, p);
    st->regions[1] = vk_grad_of(lw, p);
    st->regions[2] = vk_data_of(lw, opt->exp_avg[i]);
    st->regions[3] = vk_data_of(lw, opt->exp_avg_sq[i]);
    st->writes = 1 | 4 | 8;
    uint32_t push[] = {(uint32_t)p->numel, slot, vk_fbits((float)(1.0 - opt->beta1)),
                       vk_fbits(opt->beta2), vk_fbits((float)(1.0 - opt->beta2)), vk_fbits(opt->eps)};
    memcpy(st->push, push, sizeof push);
    st->groups[0] = vk_grid_groups(p->numel);
}

/* Plan step k. An optimizer with a reducer has all its updates at its ADAM command: a cut
 * comes before the first (the host reduces the whole optimizer there, see vk_reduce.c; the
 * plan's buckets are for host-memory backends). */
static void lower_step(lowering *lw, const eng_memplan *mp, int k, const uint32_t *slots)
{
    const eng_step *s = &mp->steps[k];
    lw->scratch = lw->l->scratch[k];
    switch (s->kind) {
    case ENG_STEP_FORWARD: forward(lw, s->node); break;
    case ENG_STEP_ZERO: fill(lw, vk_grad_of(lw, s->node), 0.0f); break;
    case ENG_STEP_SEED: fill(lw, vk_grad_of(lw, s->node), 1.0f); break;
    case ENG_STEP_BACKWARD: backward(lw, s->node, s->mask); break;
    case ENG_STEP_ADAM:
        if (s->opt->reducer && lw->cut_cmd != s->cmd) {
            cut(lw, s->opt);
            lw->cut_cmd = s->cmd;
        }
        adam_param(lw, s->opt, s->index, slots[s->cmd]);
        break;
    case ENG_STEP_BUCKETS: break;
    }
}

int vk_lower_schedule(vk_steps *s, const vk_layout *l, const eng_graph *g, const eng_memplan *mp)
{
    lowering lw = {.steps = s, .l = l, .cut_cmd = -1};
    uint32_t *slots = malloc((size_t)(g->ncmds ? g->ncmds : 1) * sizeof *slots);
    if (!slots)
        return eng_set_error(ENG_ENOMEM, "out of memory lowering the schedule");
    for (int i = 0, slot = 0; i < g->ncmds; i++) /* ADAM command -> its parameter slot */
        slots[i] = g->cmds[i].kind == ENG_CMD_ADAM ? (uint32_t)slot++ : 0;
    for (int k = 0; k < mp->nsteps && !lw.failed; k++)
        lower_step(&lw, mp, k, slots);
    free(slots);
    if (lw.too_large)
        return eng_set_error(ENG_EBACKEND, "vulkan: %s '%s' [%d,%d,%d,%d] is too large for one "
                             "dispatch (over %u workgroups in a dimension)",
                             eng_op_infos[lw.too_large->op].name, lw.too_large->name,
                             lw.too_large->shape[0], lw.too_large->shape[1],
                             lw.too_large->shape[2], lw.too_large->shape[3], VK_MAX_GROUPS);
    return lw.failed ? eng_set_error(ENG_ENOMEM, "out of memory lowering the schedule") : 0;
}
