/* From the unpickled object to the state_dict's tensors and their storages: persistent ids as
 * torch writes them, views inside their storages, contiguous strides. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/engine.h"
#include "engine/formats/pth/pth_internal.h"

/* Tensors may share storages (tied weights), but tensors asking for more than this many times
 * their storages' elements (beyond a million) are refused: a small file cannot make us
 * allocate gigabytes. */
#define PTH_MAX_SHARING 8

/* A string value holding no NUL byte (keys and names are C strings). */
static int is_name(const pk_value *v)
{
    return v->kind == PK_STR && strlen(v->s) == v->len;
}

/* A storage's place in the table, added on first use. The file's declarations of one key must
 * agree. */
static int storage_index(pth_dict *d, const pth_storage *s)
{
    for (int i = 0; i < d->nstorages; i++)
        if (!strcmp(d->storages[i].key, s->key)) {
            if (d->storages[i].dtype == s->dtype && d->storages[i].numel == s->numel)
                return i;
            char k[64];
            eng_set_error(-1, "corrupt: storage %s declared with two types or sizes",
                          pk_printable(s->key, k, sizeof k));
            return -1;
        }
    d->storages[d->nstorages] = *s;
    return d->nstorages++;
}

/* ('storage', type, key, location, numel) and, in legacy files, view metadata: None or
 * (view_key, offset, size). Sets the entry's storage and the range its view covers. */
static int parse_storage_id(pth_dict *d, pth_entry *e, const pk_value *pid, int legacy)
{
    pk_value *const *x = pid->items;
    pth_storage s = {0};
    int ok = pid->kind == PK_TUPLE && pid->n == (size_t)(legacy ? 6 : 5) && is_name(x[0]) &&
             !strcmp(x[0]->s, "storage") && x[1]->kind == PK_GLOBAL &&
             !pk_storage_dtype(x[1]->s, &s.dtype) && is_name(x[2]) && x[3]->kind == PK_STR &&
             x[4]->kind == PK_INT && x[4]->i >= 0;
    const pk_value *view = ok && legacy ? x[5] : NULL;
    if (view && view->kind != PK_NONE)
        ok = view->kind == PK_TUPLE && view->n == 3 && view->items[0]->kind == PK_STR &&
             view->items[1]->kind == PK_INT && view->items[2]->kind == PK_INT &&
             view->items[1]->i >= 0 && view->items[2]->i >= 0 &&
             view->items[1]->i <= x[4]->i && view->items[2]->i <= x[4]->i - view->items[1]->i;
    if (!ok) {
        eng_set_error(-1,
                      "corrupt: a tensor's storage is not ('storage', type, key, "
                      "location, numel%s) as torch writes it",
                      legacy ? ", view" : "");
        return -1;
    }
    s.key = x[2]->s;
    s.numel = (size_t)x[4]->i;
    e->storage = storage_index(d, &s);
    e->offset = 0;
    e->end = s.numel;
    if (view && view->kind != PK_NONE) {
        e->offset = (size_t)view->items[1]->i;
        e->end = e->offset + (size_t)view->items[2]->i;
    }
    return e->storage < 0 ? -1 : 0;
}

/* Shape, contiguity and range of a tensor inside its storage's view. */
static int place(pth_entry *e, const pk_tensor *t)
{
    char k[96];
    size_t numel = 1, expect = 1;
    int contiguous = 1;
    for (int i = t->ndim - 1; i >= 0; i--) {
        e->shape[i] = t->size[i];
        if (t->size[i] != 1 && t->stride[i] != (int64_t)expect)
            contiguous = 0;
        if (t->size[i] && numel > SIZE_MAX / 2 / (uint64_t)t->size[i]) {
            eng_set_error(-1, "tensor '%s': its shape overflows",
                          pk_printable(e->name, k, sizeof k));
            return -1;
        }
        numel *= (size_t)t->size[i];
        expect = numel ? numel : 1;
    }
    e->ndim = t->ndim;
    e->numel = numel;
    if (numel && !contiguous) {
        eng_set_error(-1,
                      "tensor '%s': strides that are not contiguous (a state_dict's "
                      "tensors are; save tensor.contiguous())",
                      pk_printable(e->name, k, sizeof k));
        return -1;
    }
    size_t room = e->end - e->offset;
    if (numel && ((uint64_t)t->offset > room || numel > room - (size_t)t->offset)) {
        eng_set_error(-1,
                      "tensor '%s': %zu elements at offset %lld, past the %zu of its "
                      "storage",
                      pk_printable(e->name, k, sizeof k), numel, (long long)t->offset, room);
        return -1;
    }
    e->offset += (size_t)t->offset;
    return 0;
}

/* The dict of tensors: obj itself, or obj["state_dict"] (a training checkpoint). */
static const pk_value *state_dict(const pk_value *obj)
{
    const pk_value *inner = pk_dict_get(obj, "state_dict");
    if (inner && inner->kind == PK_DICT)
        return inner;
    if (obj->kind != PK_DICT)
        eng_set_error(-1, "not a state_dict: the file holds %s, not a dict of tensors",
                      pk_kind_name(obj->kind));
    return obj->kind == PK_DICT ? obj : NULL;
}

/* nn.DataParallel saves its module's keys as "module.KEY": drop the prefix when every key has
 * it. */
static void strip_module_prefix(pth_dict *d)
{
    static const char prefix[] = "module.";
    for (int i = 0; i < d->nentries; i++)
        if (strncmp(d->entries[i].name, prefix, sizeof prefix - 1))
            return;
    for (int i = 0; i < d->nentries; i++)
        d->entries[i].name += sizeof prefix - 1;
}

/* Refuses tensors that ask for far more elements than their storages hold. */
static int check_sharing(const pth_dict *d)
{
    double stored = 0, asked = 0;
    for (int i = 0; i < d->nstorages; i++)
        stored += (double)d->storages[i].numel;
    for (int i = 0; i < d->nentries; i++)
        asked += (double)d->entries[i].numel;
    if (asked <= PTH_MAX_SHARING * stored + 1e6)
        return 0;
    eng_set_error(-1, "refused: %d tensors view %.0f elements of storages holding %.0f",
                  d->nentries, asked, stored);
    return -1;
}

static int collect_entry(pth_dict *d, const pk_value *key, const pk_value *value, int legacy)
{
    char k[96];
    if (key->kind == PK_STR && !is_name(key)) {
        eng_set_error(-1, "not a state_dict: key '%s' contains a NUL byte",
                      pk_printable(key->s, k, sizeof k));
        return -1;
    }
    if (!is_name(key)) {
        eng_set_error(-1, "not a state_dict: a key is %s", pk_kind_name(key->kind));
        return -1;
    }
    if (value->kind != PK_TENSOR) {
        eng_set_error(-1, "not a state_dict: '%s' is %s, not a tensor",
                      pk_printable(key->s, k, sizeof k), pk_kind_name(value->kind));
        return -1;
    }
    pth_entry *e = &d->entries[d->nentries];
    e->name = key->s;
    if (parse_storage_id(d, e, value->t.storage->items[0], legacy) || place(e, &value->t))
        return -1;
    d->nentries++;
    return 0;
}

int pth_collect(pth_dict *d, const pk_value *obj, int legacy)
{
    memset(d, 0, sizeof *d);
    const pk_value *sd = state_dict(obj);
    if (!sd)
        return -1;
    size_t n = sd->n / 2;
    d->entries = calloc(n + 1, sizeof *d->entries);
    d->storages = calloc(n + 1, sizeof *d->storages);
    if (!d->entries || !d->storages) {
        eng_set_error(-1, "out of memory");
        return -1;
    }
    for (size_t i = 0; i < n; i++)
        if (collect_entry(d, sd->items[2 * i], sd->items[2 * i + 1], legacy))
            return -1;
    strip_module_prefix(d);
    return check_sharing(d);
}

void pth_dict_free(pth_dict *d)
{
    free(d->entries);
    free(d->storages);
    memset(d, 0, sizeof *d);
}
