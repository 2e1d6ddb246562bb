/* Memory sharing by liveness: buffers whose lifetimes (command ranges) do not overlap get the
 * same memory. Offsets are chosen greedily, largest buffer first, at the lowest address free
 * for the buffer's whole lifetime. Used for transient gradients and for reused op outputs. */
#include <stdlib.h>

#include "engine/memplan/memplan.h"

static int by_offset(const void *a, const void *b)
{
    const eng_interval *x = a, *y = b;
    return (x->off > y->off) - (x->off < y->off);
}

static int by_size_desc(const void *a, const void *b)
{
    const eng_interval *x = a, *y = b;
    if (x->size != y->size)
        return x->size < y->size ? 1 : -1;
    return x->first - y->first;
}

/* Lowest offset where [off, off + size) misses every placed buffer alive at the same time. */
static size_t lowest_fit(const eng_interval *done, int ndone, eng_interval *tmp,
                         const eng_interval *want)
{
    int n = 0;
    for (int k = 0; k < ndone; k++)
        if (done[k].first <= want->last && want->first <= done[k].last)
            tmp[n++] = done[k];
    qsort(tmp, (size_t)n, sizeof *tmp, by_offset);
    size_t off = 0;
    for (int k = 0; k < n; k++) {
        if (tmp[k].off >= off + want->size)
            break;
        if (tmp[k].off + tmp[k].size > off)
            off = tmp[k].off + tmp[k].size;
    }
    return off;
}

int eng_is_op_output(const eng_node *n)
{
    return !eng_op_is_leaf(n->op);
}

size_t eng_place_intervals(eng_interval *list, int n, eng_interval *tmp)
{
    size_t region = 0;
    qsort(list, (size_t)n, sizeof *list, by_size_desc);
    for (int k = 0; k < n; k++) {
        list[k].off = lowest_fit(list, k, tmp, &list[k]);
        if (list[k].off + list[k].size > region)
            region = list[k].off + list[k].size;
    }
    return region;
}
