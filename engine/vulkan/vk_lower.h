/* Shared by the lowering files (vk_ops*.c): how a command becomes steps. */
#ifndef ENGINE_VULKAN_VK_LOWER_H
#define ENGINE_VULKAN_VK_LOWER_H

#include "engine/vulkan/vk_internal.h"

#define VK_MAX_GROUPS 65535u /* workgroups per dispatch dimension, the guaranteed minimum */

typedef struct {
    vk_steps *steps;
    const vk_layout *l;
    int scratch;               /* the current step's work area region, or -1 */
    int cut_cmd;               /* the ADAM command of the last cut, or -1 */
    int failed;
    const eng_node *too_large; /* a node needing more workgroups than a dispatch allows */
} lowering;

/* A zeroed step (no regions bound, 1 x 1 x 1 workgroups); NULL (and lw->failed) without memory. */
vk_step *vk_add_step(lowering *lw, vk_step_kind kind, vk_kernel kernel);
uint32_t vk_fbits(float f);
/* Workgroups of a grid-stride 1-D shader over items. */
uint32_t vk_grid_groups(size_t items);
/* One workgroup per item: count, or 1 with lw->too_large set when it exceeds VK_MAX_GROUPS. */
uint32_t vk_exact_groups(lowering *lw, const eng_node *n, size_t count);

static inline int vk_data_of(const lowering *lw, const eng_node *n)
{
    return n ? lw->l->data[n->id] : -1;
}
static inline int vk_grad_of(const lowering *lw, const eng_node *n) { return lw->l->grad[n->id]; }

/* vk_ops_conv.c: conv2d and conv_transpose2d */
size_t vk_conv_scratch_floats(const eng_node *n);
void vk_lower_conv_forward(lowering *lw, const eng_node *n);
void vk_lower_conv_backward(lowering *lw, const eng_node *n, unsigned mask);

/* vk_ops_norm.c: batch_norm2d and instance_norm2d */
size_t vk_norm_scratch_floats(const eng_node *n);
void vk_lower_norm_forward(lowering *lw, const eng_node *n);
void vk_lower_norm_backward(lowering *lw, const eng_node *n, unsigned mask);

#endif
