/* State_dict files as torch.save writes them (pth_save.h). */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app/model/pth_save.h"
#include "app/model/zip_store.h"
#include "base/grow.h"

/* The pickle, built in memory. */
typedef struct {
    uint8_t *b;
    size_t len, cap;
    int failed;
} pickle;

static void put(pickle *k, const void *p, size_t n)
{
    uint8_t *grown = grow_bytes(k->b, &k->cap, k->len, n);
    if (!grown) {
        k->failed = 1;
        return;
    }
    k->b = grown;
    memcpy(k->b + k->len, p, n);
    k->len += n;
}

static void op(pickle *k, uint8_t code)
{
    put(k, &code, 1);
}

static void global(pickle *k, const char *module, const char *name)
{
    op(k, 'c'); /* GLOBAL */
    put(k, module, strlen(module));
    op(k, '\n');
    put(k, name, strlen(name));
    op(k, '\n');
}

static void string(pickle *k, const char *s)
{
    uint32_t n = (uint32_t)strlen(s);
    uint8_t len[4] = {(uint8_t)n, (uint8_t)(n >> 8), (uint8_t)(n >> 16), (uint8_t)(n >> 24)};
    op(k, 'X'); /* BINUNICODE */
    put(k, len, 4);
    put(k, s, n);
}

/* A non-negative integer: BININT (4 bytes) or LONG1 (8). */
static void integer(pickle *k, uint64_t v)
{
    uint8_t b[8];
    for (int i = 0; i < 8; i++)
        b[i] = (uint8_t)(v >> (8 * i));
    if (v < 0x80000000u) {
        op(k, 'J');
        put(k, b, 4);
        return;
    }
    op(k, 0x8a); /* LONG1, 8 bytes, the top bit clear for a non-negative value */
    op(k, 8);
    put(k, b, 8);
}

static void empty_ordered_dict(pickle *k)
{
    global(k, "collections", "OrderedDict");
    op(k, ')'); /* EMPTY_TUPLE */
    op(k, 'R'); /* REDUCE */
}

/* _rebuild_tensor_v2(storage key, 0, shape, contiguous strides, False, OrderedDict()). */
static void tensor(pickle *k, const eng_node *node, int is_counter, int key)
{
    char name[16];
    snprintf(name, sizeof name, "%d", key);
    global(k, "torch._utils", "_rebuild_tensor_v2");
    op(k, '('); /* MARK: the arguments */
    op(k, '('); /* MARK: the persistent id */
    string(k, "storage");
    global(k, "torch", is_counter ? "LongStorage" : "FloatStorage");
    string(k, name);
    string(k, "cpu");
    integer(k, is_counter ? 1 : eng_node_numel(node));
    op(k, 't'); /* TUPLE */
    op(k, 'Q'); /* BINPERSID */
    integer(k, 0);
    int ndim = is_counter ? 0 : eng_node_ndim(node); /* the counter: a 0-d tensor */
    const int *shape = eng_node_shape(node);
    op(k, '(');
    for (int d = 0; d < ndim; d++)
        integer(k, (uint64_t)shape[d]);
    op(k, 't');
    op(k, '(');
    for (int d = 0; d < ndim; d++) {
        uint64_t stride = 1;
        for (int e = d + 1; e < ndim; e++)
            stride *= (uint64_t)shape[e];
        integer(k, stride);
    }
    op(k, 't');
    op(k, 0x89); /* NEWFALSE: requires_grad */
    empty_ordered_dict(k);
    op(k, 't');
    op(k, 'R');
}

static void state_dict(pickle *k, const net *n)
{
    op(k, 0x80); /* PROTO 2 */
    op(k, 2);
    empty_ordered_dict(k);
    op(k, '(');
    for (int i = 0; i < n->n; i++) {
        string(k, n->t[i].key);
        tensor(k, n->t[i].node, n->t[i].is_counter, i);
    }
    op(k, 'u'); /* SETITEMS */
    op(k, '.'); /* STOP */
}

/* Tensor i's storage as a record: fp32, or the counter as an int64. */
static int add_storage(zip_store *z, const char *prefix, const net_tensor *t, int i,
                       eng_plan *p, char *err, size_t errlen)
{
    size_t count = eng_node_numel(t->node);
    float *v = malloc(sizeof *v * count);
    if (!v || eng_plan_read(p, t->node, v)) {
        snprintf(err, errlen, "%s: cannot read %s: %s", z->file.path, t->key,
                 v ? eng_last_error() : "out of memory");
        free(v);
        return -1;
    }
    char name[64];
    snprintf(name, sizeof name, "%s/data/%d", prefix, i);
    if (t->is_counter) {
        int64_t counter = (int64_t)llroundf(v[0]);
        zip_store_add(z, name, &counter, sizeof counter);
    } else {
        zip_store_add(z, name, v, sizeof *v * count); /* little-endian, as torch's default */
    }
    free(v);
    return 0;
}

int pth_save_net(const net *n, eng_plan *p, const char *path, char *err, size_t errlen)
{
    static const char prefix[] = "archive";
    pickle k = {0};
    state_dict(&k, n);
    zip_store z;
    if (k.failed || zip_store_open(&z, path, err, errlen)) {
        if (k.failed)
            snprintf(err, errlen, "%s: out of memory", path);
        free(k.b);
        return -1;
    }
    char name[64];
    snprintf(name, sizeof name, "%s/data.pkl", prefix);
    zip_store_add(&z, name, k.b, k.len);
    free(k.b);
    for (int i = 0; i < n->n; i++)
        if (add_storage(&z, prefix, &n->t[i], i, p, err, errlen)) {
            zip_store_abandon(&z);
            return -1;
        }
    snprintf(name, sizeof name, "%s/version", prefix);
    zip_store_add(&z, name, "3\n", 2);
    return zip_store_close(&z, err, errlen);
}
