/* Shared by the lowering files (vk_ops*.c): how a command becomes steps. The steps and their
 * workgroup counts come from vk_lower.c. */
#ifndef ENGINE_VULKAN_VK_LOWER_H
#define ENGINE_VULKAN_VK_LOWER_H

#include <string.h>

#include "engine/vulkan/vk_internal.h"
#include "shaders/push.h"

#define VK_MAX_GROUPS 65535u /* workgroups per dispatch dimension, the guaranteed minimum */

typedef struct {
    vk_steps *steps;
    const vk_layout *l;
    const vk_tuning *tuning;   /* the device's conv tiles and split-K threshold */
    int scratch;               /* the current step's work area region, or -1 */
    int cut_cmd;               /* the ADAM command of the last cut, or -1 */
    int checked_cmd;           /* the ADAM command whose gradients were last checked, or -1 */
    int gemm;                  /* the conv GEMM the steps added compute (vk_steps.gemms), or -1 */
    int failed;
    const eng_node *too_large; /* a node needing more workgroups than a dispatch allows */
} lowering;

/* A zeroed step (no regions bound, 1 x 1 x 1 workgroups); NULL (and lw->failed) without memory. */
vk_step *vk_add_step(lowering *lw, vk_step_kind kind, vk_kernel kernel);
/* eltwise.comp's codes of an op's forward and backward (shaders/gen_eltwise_codes.c writes
 * the same numbers for GLSL). */
#define ELT_F(id) ((uint32_t)ENG_OP_##id)
#define ELT_B(id) ((uint32_t)(ENG_OP_COUNT + ENG_OP_##id))
#define ELT_CODE_F(op) ((uint32_t)(op)) /* the same, of an op known at run time */
#define ELT_CODE_B(op) ((uint32_t)(ENG_OP_COUNT + (op)))
#define ELT_SEED ((uint32_t)(2 * ENG_OP_COUNT))
#define ELT_CHECK_FINITE ((uint32_t)(2 * ENG_OP_COUNT + 1))

/* Sets a step's push constants from its shader's vk_push_<shader> (shaders/push.h). */
#define vk_set_push(st, value)                                                                   \
    do {                                                                                         \
        _Static_assert(sizeof(value) <= VK_PUSH_WORDS * sizeof(uint32_t),                        \
                       "push constants over VK_PUSH_WORDS");                                     \
        memcpy((st)->push, &(value), sizeof(value));                                             \
    } while (0)
/* Workgroups of a grid-stride 1-D shader over items. */
uint32_t vk_grid_groups(size_t items);
/* One workgroup per item: count, or 1 with lw->too_large set when it exceeds VK_MAX_GROUPS. */
uint32_t vk_exact_groups(lowering *lw, const eng_node *n, size_t count);

static inline int vk_data_of(const lowering *lw, const eng_node *n)
{
    return n ? lw->l->data[n->id] : -1;
}
static inline int vk_grad_of(const lowering *lw, const eng_node *n) { return lw->l->grad[n->id]; }

/* Each op's lowering, named by the vk column of the op table (ops.def): forward records its
 * steps; backward those adding d(loss)/d(src i) into src i's gradient for every bit i of mask.
 * vk_ops_conv.c: conv (conv2d, conv_transpose2d); vk_ops_norm.c: norm (batch and instance
 * norm); vk_ops_pool.c: pool (avg_pool2d, max_pool2d); vk_ops_layout.c: reflection_pad2d,
 * concat, upsample_nearest2d; vk_ops_eltwise.c: the element-wise ops, sum and the losses;
 * vk_ops_spectral.c: spectral (spectral_norm). */
#define ENG_LEAF(id, name)
#define ENG_OP(id, name, kind, kernel, grads, reads, vk, macs)                                   \
    void vk_lower_##vk##_forward(lowering *lw, const eng_node *n);                              \
    void vk_lower_##vk##_backward(lowering *lw, const eng_node *n, unsigned mask);
#include "engine/ops.def"
#undef ENG_LEAF
#undef ENG_OP

/* Loss scaling (vk_mixed.c): the loss's gradient seeded with the run's scale; before the
 * updates of the optimizer of ADAM slot slot, its flags zeroed and each gradient checked. */
void vk_lower_scaled_seed(lowering *lw, const eng_node *loss);
void vk_lower_grad_checks(lowering *lw, const eng_adam *opt, uint32_t slot);

/* Scratch floats of conv and norm nodes: the norms' backward partial sums, the convs' split
 * sums (forward and backward) and bias sums. */
size_t vk_conv_scratch_floats(const vk_tuning *tu, const eng_node *n, eng_cmd_kind kind);
size_t vk_norm_scratch_floats(const eng_node *n);
/* The depth slices of a conv node's forward (which 0), input-gradient (1) or weight-gradient
 * (2) GEMM with the device's tuning tu (1: no split); for the tests. */
int vk_conv_splits(const vk_tuning *tu, const eng_node *n, int which);
/* Its GEMM as the kernel choice sees it (the tuner's: vk_tune.c). */
void vk_conv_gemm(const vk_tuning *tu, const eng_node *n, int which, vk_conv_key *key,
                  vk_gemm_size *size);

#endif
