/* st_file tables built in memory from tensors decoded elsewhere (engine/formats/pth/ builds
 * them from PyTorch files), held to the same rules as a parsed safetensors file. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/engine.h"
#include "engine/formats/safetensors_internal.h"
#include "engine/safetensors.h"

/* 0 when t's shape, element count, byte count and range agree and lie inside buf. */
static int check_entry(const st_tensor *t, const uint8_t *buf, size_t size)
{
    const char *name = t->name ? t->name : "(unnamed)";
    size_t esize = st_dtype_size(t->dtype);
    if (!t->name || !esize || t->ndim < 0 || t->ndim > ST_MAX_DIMS) {
        eng_set_error(-1, "tensor '%s': no name, an invalid dtype or %d dimensions", name, t->ndim);
        return -1;
    }
    size_t numel = 1;
    for (int d = 0; d < t->ndim; d++) {
        if (t->shape[d] < 0 || (t->shape[d] && numel > SIZE_MAX / (uint64_t)t->shape[d])) {
            eng_set_error(-1, "tensor '%s': dimension %d is negative or overflows", name, d);
            return -1;
        }
        numel *= (size_t)t->shape[d];
    }
    if (numel != t->numel || numel > SIZE_MAX / esize || t->nbytes != numel * esize) {
        eng_set_error(-1, "tensor '%s': %zu elements and %zu bytes do not match its shape", name,
                      t->numel, t->nbytes);
        return -1;
    }
    uintptr_t at = (uintptr_t)t->data, lo = (uintptr_t)buf;
    if (t->nbytes && (!t->data || at < lo || at - lo > size || t->nbytes > size - (at - lo))) {
        eng_set_error(-1, "tensor '%s': data outside the buffer", name);
        return -1;
    }
    return 0;
}

st_file *st_from_tensors(uint8_t *buf, size_t size, const st_tensor *tensors, int count)
{
    st_file *f = calloc(1, sizeof *f);
    if (!f || count < 0 || !(f->tensors = calloc((size_t)count + 1, sizeof *f->tensors))) {
        eng_set_error(-1, count < 0 ? "negative tensor count" : "out of memory");
        free(f);
        free(buf);
        return NULL;
    }
    f->buf = buf;
    f->size = size;
    for (int i = 0; i < count; i++) {
        if (check_entry(&tensors[i], buf, size))
            goto fail;
        f->tensors[i] = tensors[i];
        if (!(f->tensors[i].name = strdup(tensors[i].name))) {
            eng_set_error(-1, "out of memory");
            goto fail;
        }
        f->count++;
    }
    if (st_check_unique_names(f) == 0)
        return f;
fail:
    st_close(f);
    return NULL;
}
