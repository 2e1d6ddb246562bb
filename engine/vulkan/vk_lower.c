/* The steps the lowering files (vk_ops.c, vk_ops_*.c, vk_mixed.c) add, and the workgroup
 * counts of their dispatches. */
#include <stdlib.h>
#include <string.h>

#include "base/grow.h"
#include "engine/vulkan/vk_lower.h"
#include "shaders/opcodes.h"

/* Grid-stride shaders loop over their elements: 1024 workgroups of 256 keep a large GPU busy,
 * and many more cost a CPU implementation (lavapipe) dearly per workgroup. */
#define MAX_GRID_GROUPS 1024u

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
    vk_step *grown = grow_for_one(s->steps, &s->cap_steps, s->nsteps, sizeof *grown, 64);
    if (!grown) {
        lw->failed = 1;
        return NULL;
    }
    s->steps = grown;
    vk_step *st = &s->steps[s->nsteps++];
    memset(st, 0, sizeof *st);
    st->kind = kind;
    st->kernel = kernel;
    for (int i = 0; i < VK_BINDINGS; i++)
        st->regions[i] = -1;
    st->groups[0] = st->groups[1] = st->groups[2] = 1;
    st->gemm = lw->gemm;
    return st;
}

uint32_t vk_grid_groups(size_t items)
{
    size_t g = (items + VK_WORKGROUP - 1) / VK_WORKGROUP;
    return g == 0 ? 1 : g > MAX_GRID_GROUPS ? MAX_GRID_GROUPS : (uint32_t)g;
}
