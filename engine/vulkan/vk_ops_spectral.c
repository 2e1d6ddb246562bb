/* Lowering of spectral_norm to spectral.comp: the power iteration and the division in five
 * dispatches, the backward in two (opcodes.h's SN_*). The weight is read from the fp32 master
 * weights where an fp16 plan keeps them, so that u, v and sigma are those of an fp32 plan. */
#include "engine/vulkan/vk_lower.h"
#include "shaders/opcodes.h"

/* The weight as the op reads it. */
static int weight_region(const lowering *lw, const eng_node *w)
{
    int master = lw->l->loss_scaling && w->op == ENG_OP_PARAM ? lw->l->master[w->id] : -1;
    return master >= 0 ? master : vk_data_of(lw, w);
}

/* One step of the op, variant op, over count items (0: one workgroup). Every binding holds
 * what the shader may touch (synchronization validation goes by its static accesses): b0
 * the weight, b1 aux, b2 and b3 the states u and v, b4 the output (forward) or its gradient
 * and b5 the weight's gradient (backward; aux again in the forward); writes as vk_step's. */
static void step(lowering *lw, const eng_node *n, uint32_t op, int backward, unsigned writes,
                 size_t count)
{
    vk_step *st = vk_add_step(lw, VK_STEP_DISPATCH, VK_KERNEL_SPECTRAL);
    if (!st)
        return;
    const eng_node *w = n->src[0];
    uint32_t rows = (uint32_t)w->shape[0];
    int aux = lw->l->aux[n->id];
    st->regions[0] = weight_region(lw, w);
    st->regions[1] = aux;
    st->regions[2] = vk_data_of(lw, n->src[1]);
    st->regions[3] = vk_data_of(lw, n->src[2]);
    st->regions[4] = backward ? vk_grad_of(lw, n) : vk_data_of(lw, n);
    st->regions[5] = backward ? vk_grad_of(lw, w) : aux;
    st->writes = writes;
    st->variant = op;
    vk_push_spectral push = {.rows = rows, .cols = (uint32_t)(w->numel / rows),
                             .n = (uint32_t)w->numel, .eps = n->arg.spectral.eps};
    vk_set_push(st, push);
    st->groups[0] = count ? vk_grid_groups(count) : 1;
}

void vk_lower_spectral_forward(lowering *lw, const eng_node *n)
{
    const eng_node *w = n->src[0];
    size_t rows = (size_t)w->shape[0];
    step(lw, n, SN_V, 0, 2, w->numel / rows);
    step(lw, n, SN_NORM_V, 0, 2 | 8, 0);
    step(lw, n, SN_U, 0, 2, rows);
    step(lw, n, SN_NORM_U, 0, 2 | 4, 0);
    step(lw, n, SN_APPLY, 0, 16, n->numel);
}

void vk_lower_spectral_backward(lowering *lw, const eng_node *n, unsigned mask)
{
    if (!(mask & 1u))
        return;
    step(lw, n, SN_DOT, 1, 2, 0);
    step(lw, n, SN_GRAD, 1, 32, n->numel);
}
