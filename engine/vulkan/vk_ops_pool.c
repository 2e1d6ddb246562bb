/* Lowering of avg_pool2d and max_pool2d to pool.comp: the forward over the outputs, the input
 * gradient over the input cells (each gathers the windows that hold it; max_pool2d's finds
 * each window's largest cell again in the input). */
#include "engine/vulkan/vk_lower.h"
#include "shaders/opcodes.h"

static void pool(lowering *lw, const eng_node *n, uint32_t op, size_t count, int out, int in,
                 int x_values)
{
    vk_step *st = vk_add_step(lw, VK_STEP_DISPATCH, VK_KERNEL_POOL);
    if (!st)
        return;
    const eng_node *x = n->src[0];
    st->regions[0] = out;
    st->regions[1] = in;
    st->regions[2] = x_values;
    st->writes = 1;
    st->variant = op;
    vk_push_pool push = {
        .n = (uint32_t)count, .h = (uint32_t)x->shape[2], .w = (uint32_t)x->shape[3],
        .ho = (uint32_t)n->shape[2], .wo = (uint32_t)n->shape[3],
        .kernel = (uint32_t)n->arg.pool.kernel, .stride = (uint32_t)n->arg.pool.stride,
        .pad = (uint32_t)n->arg.pool.pad,
    };
    vk_set_push(st, push);
    st->groups[0] = vk_grid_groups(count);
}

void vk_lower_pool_forward(lowering *lw, const eng_node *n)
{
    uint32_t op = n->op == ENG_OP_MAX_POOL2D ? POOL_MAX_F : POOL_AVG_F;
    pool(lw, n, op, n->numel, vk_data_of(lw, n), vk_data_of(lw, n->src[0]), -1);
}

void vk_lower_pool_backward(lowering *lw, const eng_node *n, unsigned mask)
{
    const eng_node *x = n->src[0];
    if (!(mask & 1u))
        return;
    if (n->op == ENG_OP_MAX_POOL2D)
        pool(lw, n, POOL_MAX_B, x->numel, vk_grad_of(lw, x), vk_grad_of(lw, n), vk_data_of(lw, x));
    else
        pool(lw, n, POOL_AVG_B, x->numel, vk_grad_of(lw, x), vk_grad_of(lw, n), -1);
}
