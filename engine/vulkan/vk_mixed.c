/* Mixed precision on Vulkan: which tensors an fp16 plan stores as fp16, and loss scaling (the
 * master weights, the gradient checks); and the flags of gradients that are not finite, which
 * the checks set before the updates with loss scaling, and the updates themselves without, and
 * those of the moments and weights that the updates leave not finite, either way. The
 * shaders compute in fp32 either way: each binding's element type is a specialization of its
 * pipeline (common.glsl). */
#include <stdlib.h>

#include "engine/vulkan/vk_lower.h"

/* Scalars (losses, sums and what is computed from them) are fp32: they are reported, and the
 * loss scale seeding their gradients (65536) is past fp16's range. States (running statistics,
 * Adam's moments, counters) and consts are small and fp32; parameters' gradients are fp32 as
 * PyTorch's AMP keeps them (the fp32 master weights are updated from them). The outputs of
 * the ops whose fp32_output column says so (tanh, sigmoid) stay fp32: their backward takes
 * 1 - y^2 or y(1 - y) of them, which near saturation cancels all the bits fp16 keeps (a
 * generator's last layer, a few channels). A spectral_norm's output and its gradient are
 * fp32 as the weight's master copy and gradient it stands for: the critic's weights keep
 * their fp32 plan's values (its u, v and sigma read the master weights). */
int vk_node_half(const eng_node *n, int grad)
{
    if (n->numel <= 1 || n->op == ENG_OP_STATE || n->op == ENG_OP_CONST ||
        n->op == ENG_OP_SPECTRAL_NORM)
        return 0;
    if (!grad && eng_op_fp32_output(n->op))
        return 0;
    return !(grad && n->op == ENG_OP_PARAM);
}

size_t vk_tensor_floats(const void *kind, const eng_node *n, int grad)
{
    const vk_plan_kind *pk = kind;
    return pk->fp16 && vk_node_half(n, grad) ? vk_half_floats(n->numel) : n->numel;
}

/* Slot k's flags, from flag first of the arena (one per parameter: its gradient's, then its
 * update's state's): an alias for each and one over them all. */
static int reserve_flags(vk_layout *l, vk_memory *m, int arena, size_t first,
                         const eng_adam *opt, int slot)
{
    size_t stride = l->flag_stride;
    l->flags[slot] = vk_memory_reserve_alias(m, arena, stride * first, stride * opt->nparams);
    l->slot_first[slot] = (int)first;
    if (l->flags[slot] < 0)
        return ENG_ENOMEM;
    for (int i = 0; i < opt->nparams; i++) {
        const eng_node *p = opt->params[i];
        l->param_flag[first + i] = vk_memory_reserve_alias(m, arena, stride * (first + i), 2);
        if (l->loss_scaling && l->master[p->id] < 0) /* one per parameter, however stepped */
            l->master[p->id] = vk_memory_reserve(m, p->numel);
        if (l->param_flag[first + i] < 0 || (l->loss_scaling && l->master[p->id] < 0))
            return ENG_ENOMEM;
    }
    return 0;
}

int vk_layout_reserve_checks(vk_layout *l, vk_memory *m, const eng_graph *g)
{
    size_t count = (size_t)(g->nnodes ? g->nnodes : 1);
    if (l->nadam_slots == 0 || l->nadam_slots > 32) /* a bit each (eng_plan.nonfinite) */
        return 0;
    l->loss_scaling = l->fp16;
    /* every slot's flags in one arena, read back by one copy after each run */
    size_t total = 0;
    for (int i = 0; i < g->ncmds; i++)
        total += g->cmds[i].kind == ENG_CMD_ADAM ? (size_t)g->cmds[i].opt->nparams : 0;
    l->master = malloc(count * sizeof(int));
    l->flags = malloc((size_t)l->nadam_slots * sizeof(int));
    l->slot_first = malloc((size_t)l->nadam_slots * sizeof(int));
    l->param_flag = malloc((total ? total : 1) * sizeof(int));
    if (!l->master || !l->param_flag || !l->flags || !l->slot_first)
        return eng_set_error(ENG_ENOMEM, "out of memory planning Vulkan buffers");
    for (size_t id = 0; id < count; id++)
        l->master[id] = -1;
    int arena = vk_memory_reserve_arena(m, l->flag_stride * total);
    l->all_flags = arena < 0 ? -1 : vk_memory_reserve_alias(m, arena, 0, l->flag_stride * total);
    int status = l->all_flags < 0 ? ENG_ENOMEM : 0;
    for (int i = 0, slot = 0, first = 0; i < g->ncmds && !status; i++) {
        if (g->cmds[i].kind != ENG_CMD_ADAM)
            continue;
        status = reserve_flags(l, m, arena, (size_t)first, g->cmds[i].opt, slot++);
        first += g->cmds[i].opt->nparams;
    }
    return status ? eng_set_error(ENG_ENOMEM, "out of memory planning Vulkan buffers") : 0;
}

void vk_lower_scaled_seed(lowering *lw, const eng_node *loss)
{
    vk_step *st = vk_add_step(lw, VK_STEP_DISPATCH, VK_KERNEL_ELTWISE);
    if (!st)
        return;
    st->variant = ELT_SEED;
    st->regions[0] = vk_grad_of(lw, loss);
    st->writes = 1;
    vk_push_eltwise push = {.n = (uint32_t)loss->numel};
    vk_set_push(st, push);
    st->groups[0] = vk_grid_groups(loss->numel);
}

void vk_lower_grad_checks(lowering *lw, const eng_adam *opt, uint32_t slot)
{
    vk_step *zero = vk_add_step(lw, VK_STEP_FILL, VK_KERNEL_ELTWISE);
    if (!zero)
        return;
    zero->regions[0] = lw->l->flags[slot];
    zero->writes = 1;
    for (int i = 0; i < opt->nparams; i++) {
        const eng_node *p = opt->params[i];
        vk_step *st = vk_add_step(lw, VK_STEP_DISPATCH, VK_KERNEL_ELTWISE);
        if (!st)
            return;
        st->variant = ELT_CHECK_FINITE;
        st->regions[0] = lw->l->param_flag[lw->l->slot_first[slot] + i];
        st->regions[1] = vk_grad_of(lw, p);
        st->writes = 1;
        vk_push_eltwise push = {.n = (uint32_t)p->numel};
        vk_set_push(st, push);
        st->groups[0] = vk_grid_groups(p->numel);
    }
}

/* The run's last command copied all_flags to the start of the staging buffer (vk_record). */
void vk_read_nonfinite(const vk_memory *m, const vk_layout *l, unsigned *grads, unsigned *state)
{
    *grads = *state = 0;
    if (!l->flags)
        return;
    const float *flags = m->staging_map;
    for (int k = 0; k < l->nadam_slots; k++) {
        const vk_region *all = &m->regions[l->all_flags], *rg = &m->regions[l->flags[k]];
        size_t from = (size_t)(rg->parent_offset - all->parent_offset) / sizeof(float);
        for (size_t i = from; i < from + (size_t)rg->size / sizeof(float); i += l->flag_stride) {
            *grads |= (unsigned)(flags[i] != 0.0f) << k;
            *state |= (unsigned)(flags[i + 1] != 0.0f) << k;
        }
    }
}
