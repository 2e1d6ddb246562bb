/* The globals a state_dict's pickle may name and the calls it may make: OrderedDict() and the
 * tensor rebuilds, whose arguments are checked as torch writes them and recorded, not run. */
#include <stdio.h>
#include <string.h>

#include "engine/engine.h"
#include "engine/formats/pth/pickle.h"
#include "engine/formats/pth/pickle_internal.h"

#define ORDERED_DICT "collections.OrderedDict"
#define REBUILD_V2 "torch._utils._rebuild_tensor_v2"
#define REBUILD_V1 "torch._utils._rebuild_tensor"

int pk_global_allowed(const char *name)
{
    st_dtype ignored;
    if (!strcmp(name, ORDERED_DICT) || !strcmp(name, REBUILD_V2) || !strcmp(name, REBUILD_V1) ||
        !pk_storage_dtype(name, &ignored))
        return 0;
    return -1;
}

/* A tuple of at most ST_MAX_DIMS non-negative ints (a size or a stride). */
static int dims(const pk_value *v, int64_t *out, int *n)
{
    if (v->kind != PK_TUPLE || v->n > ST_MAX_DIMS)
        return -1;
    for (size_t i = 0; i < v->n; i++) {
        if (v->items[i]->kind != PK_INT || v->items[i]->i < 0)
            return -1;
        out[i] = v->items[i]->i;
    }
    *n = (int)v->n;
    return 0;
}

/* _rebuild_tensor_v2(storage, storage_offset, size, stride, requires_grad, backward_hooks
 * [, metadata]) or, before PyTorch 0.4, _rebuild_tensor(storage, storage_offset, size, stride). */
static pk_value *rebuild(pk_arena *a, int v2, const pk_value *args)
{
    pk_value *const *x = args->items;
    int nstride = -1;
    pk_value *t = NULL;
    int ok = v2 ? args->n == 6 || args->n == 7 : args->n == 4;
    ok = ok && x[0]->kind == PK_PERSID && x[1]->kind == PK_INT && x[1]->i >= 0;
    if (ok && v2)
        ok = x[4]->kind == PK_BOOL && x[5]->kind == PK_DICT &&
             (args->n == 6 || x[6]->kind == PK_DICT);
    if (ok && !(t = pk_new(a, PK_TENSOR))) {
        eng_set_error(-1, "out of memory");
        return NULL;
    }
    if (ok)
        ok = !dims(x[2], t->t.size, &t->t.ndim) && !dims(x[3], t->t.stride, &nstride) &&
             nstride == t->t.ndim;
    if (!ok) {
        eng_set_error(-1,
                      "corrupt pickle: the arguments of %s are not (storage, offset, "
                      "size, stride%s) as torch writes them",
                      v2 ? REBUILD_V2 : REBUILD_V1, v2 ? ", requires_grad, backward_hooks" : "");
        return NULL;
    }
    t->t.storage = x[0];
    t->t.offset = x[1]->i;
    return t;
}

pk_value *pk_call(pk_arena *a, const pk_value *callable, const pk_value *args)
{
    if (callable->kind != PK_GLOBAL || args->kind != PK_TUPLE) {
        eng_set_error(-1, "corrupt pickle: REDUCE calls %s with %s", pk_kind_name(callable->kind),
                      pk_kind_name(args->kind));
        return NULL;
    }
    if (!strcmp(callable->s, ORDERED_DICT) && args->n == 0) {
        pk_value *d = pk_new(a, PK_DICT);
        if (!d)
            eng_set_error(-1, "out of memory");
        return d;
    }
    if (!strcmp(callable->s, REBUILD_V2) || !strcmp(callable->s, REBUILD_V1))
        return rebuild(a, !strcmp(callable->s, REBUILD_V2), args);
    char name[128];
    eng_set_error(-1,
                  "refused: pickle call of %s with %zu argument%s is not part of a "
                  "state_dict",
                  pk_printable(callable->s, name, sizeof name), args->n, args->n == 1 ? "" : "s");
    return NULL;
}
