/* Arrays that grow as items are appended: one place for the doubling every list of the
 * project does. */
#ifndef BASE_GROW_H
#define BASE_GROW_H

#include <stddef.h>

/* items, an array of *cap items of size bytes whose first count are in use, with room for one
 * more: items itself while count < *cap, else a realloc'ed array of twice the capacity (first
 * when *cap is 0) stored in *cap. NULL when out of memory: items and *cap as they were. */
void *grow_for_one(void *items, int *cap, int count, size_t size, int first);

/* buf, a buffer of *cap bytes whose first len are in use, with room for n more: buf itself when
 * it has it, else a realloc'ed buffer of at least twice the size (its size in *cap; a NULL buf
 * is always allocated). NULL when out of memory: buf and *cap as they were. */
void *grow_bytes(void *buf, size_t *cap, size_t len, size_t n);

#endif
