/* Lowering: every node's regions, and the schedule's commands as shader dispatches. The op
 * semantics are those of the CPU kernels (engine/cpu/); the shaders say how each is computed.
 * Each op's lowering (the vk column of ops.def) is in vk_ops_conv.c, vk_ops_norm.c,
 * vk_ops_pool.c, vk_ops_layout.c, vk_ops_eltwise.c or vk_ops_spectral.c. */
#include <stdlib.h>
#include <string.h>

#include "engine/vulkan/vk_lower.h"
#include "shaders/opcodes.h"

static int is_conv(eng_op op) { return eng_op_kind_of(op) == ENG_KIND_CONV; }
static int is_norm(eng_op op) { return eng_op_kind_of(op) == ENG_KIND_NORM; }

/* The partial sums: the norms' backward (sum dy, sum dy*xhat) per group, the convs' per
 * channel for the bias and those of their split GEMMs (forward and backward). */
static size_t command_scratch(const void *kind_, const eng_node *n, eng_cmd_kind kind)
{
    const vk_plan_kind *pk = kind_;
    if (is_conv(n->op))
        return vk_conv_scratch_floats(pk->tuning, n, kind);
    return is_norm(n->op) && kind == ENG_CMD_BACKWARD ? vk_norm_scratch_floats(n) : 0;
}

/* Every backward adds into its gradients (no overwriting); offsets bind on the device's
 * storage-buffer alignment; the work areas follow the device's tuning; an fp16 plan sizes its
 * fp16 tensors at half and checks all of an optimizer's gradients before any update. */
eng_plan_facts vk_plan_facts(const vk_ctx *ctx, const vk_plan_kind *kind)
{
    size_t align = (size_t)vk_memory_alignment(ctx) / sizeof(float);
    return (eng_plan_facts){.scratch_floats = command_scratch,
                            .tensor_floats = kind->fp16 ? vk_tensor_floats : NULL,
                            .deferred_updates = kind->fp16,
                            .align = align,
                            .backend = kind};
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

/* A node's values (grad 0) or gradient at plan offset off, in fp16 where the plan says so. */
static int place_tensor(vk_memory *m, const vk_layout *l, const eng_memplan *mp, size_t off,
                        const eng_node *n, int grad)
{
    int half = l->fp16 && vk_node_half(n, grad);
    int region = place(m, l, mp, off, half ? vk_half_floats(n->numel) : n->numel);
    if (region >= 0 && half)
        vk_memory_set_half(m, region, n->numel);
    return region;
}

int vk_layout_reserve(vk_layout *l, vk_memory *m, const eng_graph *g, const eng_memplan *mp,
                      const eng_plan_facts *facts)
{
    int fp16 = ((const vk_plan_kind *)facts->backend)->fp16;
    l->fp16 = fp16;
    l->flag_stride = facts->align;
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
        l->data[id] = place_tensor(m, l, mp, mp->value_off[id], n, 0);
        l->grad[id] = place_tensor(m, l, mp, mp->grad_off[id], n, 1);
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
    if (l->dummy < 0)
        return ENG_ENOMEM;
    return vk_layout_reserve_checks(l, m, g);
}

void vk_layout_free(vk_layout *l)
{
    free(l->data);
    free(l->grad);
    free(l->aux);
    free(l->scratch);
    free(l->master);
    free(l->param_flag);
    free(l->slot_first);
    free(l->flags);
    memset(l, 0, sizeof *l);
}

void vk_steps_free(vk_steps *s)
{
    free(s->steps);
    free(s->cuts);
    free(s->cut_opts);
    free(s->gemms);
    memset(s, 0, sizeof *s);
}

/* ---- step construction -------------------------------------------------------------------- */
static void fill(lowering *lw, int region, float value)
{
    vk_step *st = vk_add_step(lw, VK_STEP_FILL, VK_KERNEL_ELTWISE);
    if (!st)
        return;
    st->regions[0] = region;
    st->writes = 1;
    st->fill_value = value;
}

/* ---- the schedule ------------------------------------------------------------------------- */
/* From the op table: each op's lowering pair (vk_lower.h); leaves have none. */
static const struct {
    void (*forward)(lowering *lw, const eng_node *n);
    void (*backward)(lowering *lw, const eng_node *n, unsigned mask);
} lowerings[] = {
#define ENG_LEAF(id, name) [ENG_OP_##id] = {NULL, NULL},
#define ENG_OP(id, name, kind, kernel, grads, reads, vk, macs)                                   \
    [ENG_OP_##id] = {vk_lower_##vk##_forward, vk_lower_##vk##_backward},
#include "engine/ops.def"
#undef ENG_LEAF
#undef ENG_OP
};
_Static_assert(sizeof lowerings / sizeof lowerings[0] == ENG_OP_COUNT,
               "one Vulkan lowering entry per op of ops.def");

int vk_lowers_op(eng_op op)
{
    return eng_op_is_leaf(op) || lowerings[op].forward != NULL;
}

static void forward(lowering *lw, const eng_node *n)
{
    if (lowerings[n->op].forward)
        lowerings[n->op].forward(lw, n);
}

static void backward(lowering *lw, const eng_node *n, unsigned mask)
{
    if (lowerings[n->op].backward)
        lowerings[n->op].backward(lw, n, mask);
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

/* The update of opt's parameter i, with the bias corrections of parameter slot slot. With
 * loss scaling it updates the fp32 master weights, unscaling the gradient, writes their fp16
 * copy (b4) and does nothing when a flag of the slot (b5) is set. Where the plan has flags it
 * sets the parameter's second one when it leaves a moment or weight that is not finite. */
static void adam_param(lowering *lw, const eng_adam *opt, int i, uint32_t slot)
{
    const eng_node *p = opt->params[i];
    vk_step *st = vk_add_step(lw, VK_STEP_DISPATCH, VK_KERNEL_ADAM);
    if (!st)
        return;
    const vk_layout *l = lw->l;
    int master = l->loss_scaling ? l->master[p->id] : -1;
    st->regions[0] = master >= 0 ? master : vk_data_of(lw, p);
    st->regions[1] = vk_grad_of(lw, p);
    st->regions[2] = vk_data_of(lw, opt->exp_avg[i]);
    st->regions[3] = vk_data_of(lw, opt->exp_avg_sq[i]);
    st->writes = 1 | 4 | 8;
    vk_push_adam push = {.n = (uint32_t)p->numel, .slot = slot,
                         .w1 = (float)(1.0 - opt->beta1), .beta2 = opt->beta2,
                         .w2 = (float)(1.0 - opt->beta2), .eps = opt->eps,
                         .flags = l->flags ? ADAM_CHECKED : 0, .flag_index = (uint32_t)i,
                         .flag_stride = (uint32_t)l->flag_stride};
    if (master >= 0) {
        st->regions[4] = vk_data_of(lw, p);
        /* Its state flag is written there too, unlike the gradients' flags that the updates
         * read: only the copy after the run's closing barrier reads it, so the write is not
         * declared, which would order the optimizer's updates one after the other. */
        st->regions[5] = l->flags[slot];
        st->writes |= 16;
        push.flags |= ADAM_SCALED;
        push.nflags = (uint32_t)opt->nparams;
    } else if (l->flags) { /* b4: its flags, set where the gradient or the state is not finite */
        st->regions[4] = l->param_flag[l->slot_first[slot] + i];
        st->regions[5] = st->regions[1]; /* the shader's static read of b5 */
        st->writes |= 16;
    } else { /* the shader's static accesses to b4 and b5 land on what it touches anyway */
        st->regions[4] = st->regions[0];
        st->regions[5] = st->regions[1];
        st->writes |= 16;
    }
    vk_set_push(st, push);
    st->groups[0] = vk_grid_groups(p->numel);
}

/* After the update of opt's parameter i, its average (eng_adam_set_average) moves towards the
 * weights it left: the fp32 master weights with loss scaling. A dispatch of its own: Adam's
 * six bindings are all taken with loss scaling. */
static void average_param(lowering *lw, const eng_adam *opt, int i)
{
    const eng_node *p = opt->params[i];
    vk_step *st = vk_add_step(lw, VK_STEP_DISPATCH, VK_KERNEL_EMA);
    if (!st)
        return;
    int master = lw->l->loss_scaling ? lw->l->master[p->id] : -1;
    st->regions[0] = vk_data_of(lw, opt->average[i]);
    st->regions[1] = master >= 0 ? master : vk_data_of(lw, p);
    st->writes = 1;
    vk_push_ema push = {.n = (uint32_t)p->numel, .decay = opt->average_decay,
                        .keep = (float)(1.0 - opt->average_decay)};
    vk_set_push(st, push);
    st->groups[0] = vk_grid_groups(p->numel);
}

/* The op family a plan step's dispatches are timed under (vk_profile.c). */
static int step_family(const eng_step *s)
{
    switch (s->kind) {
    case ENG_STEP_ZERO:
    case ENG_STEP_SEED: return VK_FAMILY_GRAD_FILL;
    case ENG_STEP_ADAM: return VK_FAMILY_ADAM;
    case ENG_STEP_FORWARD:
    case ENG_STEP_BACKWARD:
    case ENG_STEP_BUCKETS: break;
    }
    return 2 * (int)s->node->op + (s->kind == ENG_STEP_BACKWARD);
}

/* Plan step k. An optimizer with a reducer has all its updates at its ADAM command: a cut
 * comes before the first (the host reduces the whole optimizer there, see vk_reduce.c; the
 * plan's buckets are for host-memory backends). */
static void lower_step(lowering *lw, const eng_memplan *mp, int k, const uint32_t *slots)
{
    const eng_step *s = &mp->steps[k];
    lw->scratch = lw->l->scratch[k];
    int first = lw->steps->nsteps;
    switch (s->kind) {
    case ENG_STEP_FORWARD: forward(lw, s->node); break;
    case ENG_STEP_ZERO: fill(lw, vk_grad_of(lw, s->node), 0.0f); break;
    case ENG_STEP_SEED:
        if (lw->l->loss_scaling)
            vk_lower_scaled_seed(lw, s->node);
        else
            fill(lw, vk_grad_of(lw, s->node), 1.0f);
        break;
    case ENG_STEP_BACKWARD: backward(lw, s->node, s->mask); break;
    case ENG_STEP_ADAM:
        if (s->opt->reducer && lw->cut_cmd != s->cmd) {
            cut(lw, s->opt);
            lw->cut_cmd = s->cmd;
        }
        if (lw->l->loss_scaling && lw->checked_cmd != s->cmd) {
            vk_lower_grad_checks(lw, s->opt, slots[s->cmd]);
            lw->checked_cmd = s->cmd;
        }
        adam_param(lw, s->opt, s->index, slots[s->cmd]);
        if (s->opt->average)
            average_param(lw, s->opt, s->index);
        break;
    case ENG_STEP_BUCKETS: break;
    }
    for (int i = first; i < lw->steps->nsteps; i++)
        lw->steps->steps[i].family = step_family(s);
}

int vk_lower_schedule(vk_steps *s, const vk_layout *l, const eng_graph *g, const eng_memplan *mp,
                      const vk_tuning *tuning)
{
    lowering lw = {.steps = s, .l = l, .tuning = tuning, .cut_cmd = -1, .checked_cmd = -1,
                   .gemm = -1};
    uint32_t *slots = malloc((size_t)(g->ncmds ? g->ncmds : 1) * sizeof *slots);
    if (!slots)
        return eng_set_error(ENG_ENOMEM, "out of memory lowering the schedule");
    for (int i = 0, slot = 0; i < g->ncmds; i++) /* ADAM command -> its parameter slot */
        slots[i] = g->cmds[i].kind == ENG_CMD_ADAM ? (uint32_t)slot++ : 0;
    for (int k = 0; l->flags && !l->loss_scaling && k < l->nadam_slots; k++)
        fill(&lw, l->flags[k], 0.0f); /* the updates set them (the checks' zero their own) */
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
