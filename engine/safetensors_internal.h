/* Shared by the safetensors reader and writer. */
#ifndef ENGINE_SAFETENSORS_INTERNAL_H
#define ENGINE_SAFETENSORS_INTERNAL_H

#include "engine/safetensors.h"

/* "F32", "BF16", ... (NULL for an invalid value). */
const char *st_dtype_name(st_dtype d);
/* Bytes per element (0 for an invalid value). */
size_t st_dtype_size(st_dtype d);

#endif
