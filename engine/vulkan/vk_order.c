/* Orders each segment's steps by dependency level before recording (vk_internal.h). A step's
 * level is one more than the highest level of the earlier steps it depends on: those writing
 * memory it reads or writes, or reading memory it writes (byte ranges: regions alias). Steps
 * of one level are independent of each other, so the recorder's barriers fall only between
 * levels: as few as the longest chain of dependent steps, where in schedule order independent
 * steps far apart (a gradient's zero fill, the other branch of a network) each cost their own.
 * Dependent steps keep their order, so every result is the same bit for bit. */
#include <stdlib.h>
#include <string.h>

#include "engine/vulkan/vk_internal.h"

static int overlap(const vk_region *a, const vk_region *b)
{
    return a->block == b->block && a->offset < b->offset + b->size &&
           b->offset < a->offset + a->size;
}

/* Whether b, after a, must wait for it. */
static int depends(const vk_memory *m, int dummy, const vk_step *a, const vk_step *b)
{
    for (int i = 0; i < VK_BINDINGS; i++) {
        int a_writes, ra = vk_binding_access(a, i, dummy, &a_writes);
        if (ra < 0)
            continue;
        for (int j = 0; j < VK_BINDINGS; j++) {
            int b_writes, rb = vk_binding_access(b, j, dummy, &b_writes);
            if (rb >= 0 && (a_writes || b_writes) && overlap(&m->regions[ra], &m->regions[rb]))
                return 1;
        }
    }
    return 0;
}

/* Steps [from, to): levels into level[], then a stable sort by level through tmp. */
static void order_segment(const vk_memory *m, int dummy, vk_step *steps, int from, int to,
                          int *level, vk_step *tmp)
{
    int n = to - from, top = 0;
    for (int i = 0; i < n; i++) {
        level[i] = 0;
        for (int j = 0; j < i; j++)
            if (level[j] >= level[i] && depends(m, dummy, &steps[from + j], &steps[from + i]))
                level[i] = level[j] + 1;
        top = level[i] > top ? level[i] : top;
    }
    int k = 0;
    for (int l = 0; l <= top; l++)
        for (int i = 0; i < n; i++)
            if (level[i] == l)
                tmp[k++] = steps[from + i];
    memcpy(steps + from, tmp, (size_t)n * sizeof *tmp);
}

int vk_order_steps(vk_steps *s, const vk_memory *m, int dummy)
{
    size_t count = (size_t)(s->nsteps ? s->nsteps : 1);
    int *level = malloc(count * sizeof *level);
    vk_step *tmp = malloc(count * sizeof *tmp);
    if (!level || !tmp) {
        free(level);
        free(tmp);
        return eng_set_error(ENG_ENOMEM, "out of memory ordering the Vulkan schedule");
    }
    for (int k = 0; k <= s->ncuts; k++)
        order_segment(m, dummy, s->steps, k ? s->cuts[k - 1] : 0,
                      k < s->ncuts ? s->cuts[k] : s->nsteps, level, tmp);
    free(level);
    free(tmp);
    return 0;
}
