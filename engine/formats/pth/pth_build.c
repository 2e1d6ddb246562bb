/* The tensor table of a state_dict: one buffer holding every tensor, floats as F32, filled one
 * storage at a time (a zip archive's storage is read once, whatever the tensors sharing it). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/engine.h"
#include "engine/formats/pth/pth_internal.h"
#include "engine/formats/safetensors_internal.h"

static st_dtype out_dtype(st_dtype stored)
{
    return stored == ST_F16 || stored == ST_BF16 || stored == ST_F64 ? ST_F32 : stored;
}

/* Each entry's dtype, shape and place in the output buffer (at[i]); its size in *total. */
static int layout(const pth_dict *d, st_tensor *t, size_t *at, size_t *total)
{
    size_t end = 0;
    for (int i = 0; i < d->nentries; i++) {
        const pth_entry *e = &d->entries[i];
        st_dtype dt = out_dtype(d->storages[e->storage].dtype);
        size_t esize = st_dtype_size(dt);
        if (e->numel > (SIZE_MAX - end - 8) / esize) {
            eng_set_error(-1, "the tensors' total size overflows");
            return -1;
        }
        t[i] = (st_tensor){.name = e->name, .dtype = dt, .ndim = e->ndim, .numel = e->numel,
                           .nbytes = e->numel * esize};
        memcpy(t[i].shape, e->shape, sizeof e->shape);
        at[i] = end;
        end += (t[i].nbytes + 7) & ~(size_t)7; /* each tensor 8-byte aligned */
    }
    *total = end;
    return 0;
}

/* Copies (or converts) the entries of storage s, whose data st holds, into their places. */
static void fill(const pth_dict *d, int s, const pth_storage *st, const size_t *at,
                 st_tensor *t, uint8_t *buf)
{
    size_t esize = st_dtype_size(st->dtype);
    for (int i = 0; i < d->nentries; i++) {
        const pth_entry *e = &d->entries[i];
        if (e->storage != s)
            continue;
        uint8_t *dst = buf + at[i];
        const uint8_t *src = st->data + e->offset * esize;
        t[i].data = dst;
        if (!e->numel)
            continue;
        if (t[i].dtype == st->dtype) {
            memcpy(dst, src, t[i].nbytes);
        } else {
            st_tensor from = {.dtype = st->dtype, .numel = e->numel, .data = src};
            st_to_f32(&from, (float *)dst);
        }
    }
}

st_file *pth_build(const pth_dict *d, pth_loader load, void *ctx)
{
    st_tensor *t = calloc((size_t)d->nentries + 1, sizeof *t);
    size_t *at = calloc((size_t)d->nentries + 1, sizeof *at), total = 0;
    uint8_t *buf = NULL;
    int rc = t && at ? layout(d, t, at, &total) : -1;
    if (!t || !at || (!rc && !(buf = malloc(total ? total : 1)))) {
        eng_set_error(-1, "out of memory (%zu bytes for the tensors)", total);
        rc = -1;
    }
    for (int s = 0; s < d->nstorages && !rc; s++) {
        pth_storage st = d->storages[s];
        rc = load ? load(ctx, &st, s) : 0;
        if (!rc)
            fill(d, s, &st, at, t, buf);
    }
    st_file *f = NULL;
    if (!rc)
        f = st_from_tensors(buf, total, t, d->nentries); /* owns buf */
    else
        free(buf);
    free(t);
    free(at);
    return f;
}
