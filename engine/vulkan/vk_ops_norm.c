/* Lowering of batch_norm2d and instance_norm2d: statistics, normalization, and the backward
 * sums, input gradient and parameter gradients. */
#include <string.h>

#include "engine/vulkan/vk_lower.h"
#include "shaders/opcodes.h"

/* Normalization groups: channels (batch norm) or (sample, channel) planes (instance norm). */
static size_t norm_groups(const eng_node *n)
{
    return n->op == ENG_OP_INSTANCE_NORM2D ? (size_t)n->shape[0] * n->shape[1]
                                           : (size_t)n->shape[1];
}

void vk_lower_norm_forward(lowering *lw, const eng_node *n)
{
    int bn = n->op == ENG_OP_BATCH_NORM2D;
    const eng_node *x = n->src[0];
    uint32_t groups = (uint32_t)norm_groups(n), c = (uint32_t)n->shape[1];
    uint32_t hw = (uint32_t)(n->shape[2] * n->shape[3]);
    vk_step *st = vk_add_step(lw, VK_STEP_DISPATCH, VK_KERNEL_NORM_STATS);
    if (!st)
        return;
    uint32_t mode = !bn ? 0 : n->arg.norm.training ? 1 : 2;
    st->regions[0] = vk_data_of(lw, x);
    st->regions[1] = lw->l->aux[n->id];
    st->writes = 2;
    if (bn) {
        for (int i = 0; i < 3; i++)
            st->regions[2 + i] = vk_data_of(lw, n->src[3 + i]);
        if (mode == 1)
            st->writes |= 4 | 8 | 16;
    }
    vk_push_norm_stats stats_push = {.groups = groups, .c = c, .hw = hw,
                                     .samples = bn ? (uint32_t)n->shape[0] : 1,
                                     .per_sample = !bn, .mode = mode, .eps = n->arg.norm.eps,
                                     .momentum = n->arg.norm.momentum};
    vk_set_push(st, stats_push);
    st->groups[0] = vk_exact_groups(lw, n, groups);
    st = vk_add_step(lw, VK_STEP_DISPATCH, VK_KERNEL_NORM_APPLY);
    if (!st)
        return;
    st->regions[0] = vk_data_of(lw, n);
    st->regions[1] = vk_data_of(lw, x);
    st->regions[2] = lw->l->aux[n->id];
    st->regions[3] = vk_data_of(lw, n->src[1]);
    st->regions[4] = vk_data_of(lw, n->src[2]);
    st->writes = 1;
    vk_push_norm_apply apply_push = {.n = (uint32_t)n->numel, .groups = groups, .c = c,
                                     .hw = hw, .per_sample = !bn,
                                     .has_weight = n->src[1] != NULL,
                                     .has_bias = n->src[2] != NULL};
    vk_set_push(st, apply_push);
    st->groups[0] = vk_grid_groups(n->numel);
}

void vk_lower_norm_backward(lowering *lw, const eng_node *n, unsigned mask)
{
    int bn = n->op == ENG_OP_BATCH_NORM2D;
    const eng_node *x = n->src[0];
    uint32_t groups = (uint32_t)norm_groups(n), c = (uint32_t)n->shape[1];
    uint32_t hw = (uint32_t)(n->shape[2] * n->shape[3]);
    uint32_t samples = bn ? (uint32_t)n->shape[0] : 1;
    int eval = bn && !n->arg.norm.training;
    int dy = vk_grad_of(lw, n), aux = lw->l->aux[n->id], scratch = lw->scratch;
    vk_push_norm_backward push = {.flags = eval ? NB_EVAL : 0, .groups = groups, .c = c,
                                  .hw = hw, .samples = samples, .per_sample = !bn,
                                  .has_weight = n->src[1] != NULL};
    vk_step *st = vk_add_step(lw, VK_STEP_DISPATCH, VK_KERNEL_NORM_BACKWARD);
    if (!st)
        return;
    st->regions[0] = scratch;
    st->regions[1] = vk_data_of(lw, x);
    st->regions[2] = dy;
    st->regions[3] = aux;
    st->writes = 1;
    st->variant = NB_REDUCE;
    vk_set_push(st, push);
    st->groups[0] = vk_exact_groups(lw, n, groups);
    if (mask & 1) {
        st = vk_add_step(lw, VK_STEP_DISPATCH, VK_KERNEL_NORM_BACKWARD);
        if (!st)
            return;
        st->regions[0] = vk_grad_of(lw, x);
        st->regions[1] = vk_data_of(lw, x);
        st->regions[2] = dy;
        st->regions[3] = aux;
        st->regions[4] = scratch;
        st->regions[5] = vk_data_of(lw, n->src[1]);
        st->writes = 1;
        st->variant = NB_DX;
        push.n = (uint32_t)n->numel;
        vk_set_push(st, push);
        st->groups[0] = vk_grid_groups(n->numel);
    }
    for (int which = 1; which >= 0; which--) { /* weight: sum dy*xhat, bias: sum dy */
        if (!(mask & (1u << (2 - which))))
            continue;
        st = vk_add_step(lw, VK_STEP_DISPATCH, VK_KERNEL_NORM_BACKWARD);
        if (!st)
            return;
        st->regions[0] = vk_grad_of(lw, n->src[2 - which]);
        st->regions[4] = scratch;
        st->writes = 1;
        st->variant = NB_PARAM;
        push.n = c;
        push.which = (uint32_t)which;
        vk_set_push(st, push);
        st->groups[0] = vk_grid_groups(c);
    }
}


size_t vk_norm_scratch_floats(const eng_node *n)
{
    return 2 * norm_groups(n); /* (sum dy, sum dy*xhat) per group */
}
