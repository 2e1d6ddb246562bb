/* Growing arrays (contract in base/grow.h). */
#include "base/grow.h"

#include <limits.h>
#include <stdlib.h>

void *grow_for_one(void *items, int *cap, int count, size_t size, int first)
{
    if (count < *cap)
        return items;
    if (*cap > INT_MAX / 2)
        return NULL;
    int grown_cap = *cap ? 2 * *cap : first;
    void *grown = realloc(items, (size_t)grown_cap * size);
    if (grown)
        *cap = grown_cap;
    return grown;
}
