/* Growing arrays (contract in base/grow.h). */
#include "base/grow.h"

#include <limits.h>
#include <stdint.h>
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

void *grow_bytes(void *buf, size_t *cap, size_t len, size_t n)
{
    if (buf && n <= *cap - len)
        return buf;
    if (n > SIZE_MAX / 4 - len || *cap > SIZE_MAX / 4)
        return NULL;
    size_t grown_cap = 2 * *cap > len + n ? 2 * *cap : len + n;
    grown_cap += 1024; /* small appends after a large one need not realloc at once */
    void *grown = realloc(buf, grown_cap);
    if (grown)
        *cap = grown_cap;
    return grown;
}
