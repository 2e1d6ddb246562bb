/* Lowering of reflection_pad2d, concat and upsample_nearest2d to layout.comp, forward and
 * backward. */
#include "engine/vulkan/vk_lower.h"
#include "shaders/opcodes.h"

static void layout_op(lowering *lw, uint32_t op, vk_push_layout push, int out, int a, int b)
{
    vk_step *st = vk_add_step(lw, VK_STEP_DISPATCH, VK_KERNEL_LAYOUT);
    if (!st)
        return;
    st->regions[0] = out;
    st->regions[1] = a;
    st->regions[2] = b;
    st->writes = 1;
    st->variant = op;
    vk_set_push(st, push);
    st->groups[0] = vk_grid_groups(push.n);
}

/* pad and upsample: n from its one input x (h x w) and a parameter in push.pad (the padding
 * or the scale); forward writes n, backward adds n's gradient into x's. */
static void spatial_op(lowering *lw, const eng_node *n, uint32_t op, uint32_t param, int backward)
{
    const eng_node *x = n->src[0];
    vk_push_layout push = {.n = (uint32_t)(backward ? x : n)->numel, .h = (uint32_t)x->shape[2],
                           .w = (uint32_t)x->shape[3], .pad = param};
    if (backward)
        layout_op(lw, op, push, vk_grad_of(lw, x), vk_grad_of(lw, n), -1);
    else
        layout_op(lw, op, push, vk_data_of(lw, n), vk_data_of(lw, x), -1);
}

void vk_lower_concat_forward(lowering *lw, const eng_node *n)
{
    const eng_node *a = n->src[0], *b = n->src[1];
    vk_push_layout push = {.n = (uint32_t)n->numel, .h = (uint32_t)(n->shape[2] * n->shape[3]),
                           .c_first = (uint32_t)a->shape[1], .c_out = (uint32_t)n->shape[1]};
    layout_op(lw, LAY_CONCAT_F, push, vk_data_of(lw, n), vk_data_of(lw, a), vk_data_of(lw, b));
}

void vk_lower_concat_backward(lowering *lw, const eng_node *n, unsigned mask)
{
    for (int s = 0; s < 2; s++) {
        if (!(mask & (1u << s)))
            continue;
        const eng_node *src = n->src[s];
        vk_push_layout push = {
            .n = (uint32_t)src->numel, .h = (uint32_t)(n->shape[2] * n->shape[3]),
            .c_out = (uint32_t)n->shape[1], .c_src = (uint32_t)src->shape[1],
            .c_off = s ? (uint32_t)n->src[0]->shape[1] : 0};
        layout_op(lw, LAY_CONCAT_B, push, vk_grad_of(lw, src), vk_grad_of(lw, n), -1);
    }
}

void vk_lower_reflection_pad2d_forward(lowering *lw, const eng_node *n)
{
    spatial_op(lw, n, LAY_PAD_F, (uint32_t)n->arg.pad.pad, 0);
}

void vk_lower_reflection_pad2d_backward(lowering *lw, const eng_node *n, unsigned mask)
{
    (void)mask;
    spatial_op(lw, n, LAY_PAD_B, (uint32_t)n->arg.pad.pad, 1);
}

void vk_lower_upsample_nearest2d_forward(lowering *lw, const eng_node *n)
{
    spatial_op(lw, n, LAY_UP_F, (uint32_t)n->arg.upsample.scale, 0);
}

void vk_lower_upsample_nearest2d_backward(lowering *lw, const eng_node *n, unsigned mask)
{
    (void)mask;
    spatial_op(lw, n, LAY_UP_B, (uint32_t)n->arg.upsample.scale, 1);
}
