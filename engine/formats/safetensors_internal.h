/* Shared by the safetensors reader and writer. */
#ifndef ENGINE_SAFETENSORS_INTERNAL_H
#define ENGINE_SAFETENSORS_INTERNAL_H

#include "engine/safetensors.h"

struct st_file {
    uint8_t *buf;
    size_t size;
    int mapped; /* buf is a read-only mapping of the file (else malloc'ed) */
    int count;
    st_tensor *tensors;
    int meta_count;
    char **meta_keys;
    char **meta_values;
};

/* "F32", "BF16", ... (NULL for an invalid value). */
const char *st_dtype_name(st_dtype d);
/* Bytes per element (0 for an invalid value). */
size_t st_dtype_size(st_dtype d);
/* Fails when a tensor name or a metadata key appears twice. Sorting keeps this O(n log n):
 * headers may hold millions of entries. */
int st_check_unique_names(const st_file *f);

#endif
