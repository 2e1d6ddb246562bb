/* Arrays that grow as items are appended: one place for the doubling every list of the
 * project does. */
#ifndef BASE_GROW_H
#define BASE_GROW_H

#include <stddef.h>

/* items, an array of *cap items of size bytes whose first count are in use, with room for one
 * more: items itself while count < *cap, else a realloc'ed array of twice the capacity (first
 * when *cap is 0) stored in *cap. NULL when out of memory: items and *cap as they were. */
void *grow_for_one(void *items, int *cap, int count, size_t size, int first);

#endif
