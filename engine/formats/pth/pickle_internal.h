/* Shared by the unpickler's files. */
#ifndef ENGINE_PTH_PICKLE_INTERNAL_H
#define ENGINE_PTH_PICKLE_INTERNAL_H

#include "engine/formats/pth/pickle.h"

/* A new value owned by the arena (NULL when out of memory). */
pk_value *pk_new(pk_arena *a, pk_kind kind);
/* Appends to a container's items; -1 when out of memory. */
int pk_append(pk_value *container, pk_value *item);
/* What REDUCE makes of callable(args): an OrderedDict, a tensor, or a refusal. NULL with the
 * reason in eng_last_error(). */
pk_value *pk_call(pk_arena *a, const pk_value *callable, const pk_value *args);
/* "MARK", "STOP", ... (NULL for a byte that is no opcode). */
const char *pk_op_name(uint8_t op);
/* 0 when a GLOBAL may be loaded. */
int pk_global_allowed(const char *name);

#endif
