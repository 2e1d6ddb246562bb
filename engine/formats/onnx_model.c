/* The pieces of an ONNX model under construction: arena, initializers, nodes, attributes. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/formats/onnx_internal.h"

#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "ONNX raw_data is little-endian; this code writes floats as they are in memory"
#endif

/* Takes ownership of p (NULL allowed: a failed large allocation, nothing to record). */
static void *arena_keep(onnx_model *m, void *p)
{
    if (p && m->n_allocs == m->cap_allocs) {
        size_t cap = m->cap_allocs ? 2 * m->cap_allocs : 256;
        void **a = realloc(m->allocs, cap * sizeof *a);
        if (!a) {
            free(p);
            longjmp(m->out_of_memory, 1);
        }
        m->allocs = a;
        m->cap_allocs = cap;
    }
    if (p)
        m->allocs[m->n_allocs++] = p;
    return p;
}

void *onnx_alloc(onnx_model *m, size_t bytes)
{
    void *p = calloc(1, bytes ? bytes : 1);
    if (!p)
        longjmp(m->out_of_memory, 1);
    return arena_keep(m, p);
}

char *onnx_strdup(onnx_model *m, const char *s)
{
    size_t n = strlen(s) + 1;
    return memcpy(onnx_alloc(m, n), s, n);
}

int onnx_fail(onnx_model *m, const char *fmt, ...)
{
    if (!m->failed) {
        char msg[512];
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(msg, sizeof msg, fmt, ap);
        va_end(ap);
        eng_set_error(-1, "%s", msg);
        m->failed = 1;
    }
    return -1;
}

/* A float or int64 tensor of shape dims (ndim of them) named name; data is raw_data. */
static char *add_initializer(onnx_model *m, const char *name, int32_t type, int ndim,
                             const int64_t *dims, void *data, size_t bytes)
{
    Onnx__TensorProto *t = onnx_alloc(m, sizeof *t);
    *t = (Onnx__TensorProto)ONNX__TENSOR_PROTO__INIT;
    t->name = onnx_strdup(m, name);
    t->has_data_type = 1;
    t->data_type = type;
    t->n_dims = (size_t)ndim;
    t->dims = onnx_alloc(m, sizeof *t->dims * (size_t)ndim);
    memcpy(t->dims, dims, sizeof *t->dims * (size_t)ndim);
    t->has_raw_data = 1;
    t->raw_data.len = bytes;
    t->raw_data.data = data;
    m->inits[m->n_inits++] = t;
    return t->name;
}

/* A param or state: its values as the plan holds them. */
static char *leaf_initializer(onnx_model *m, const eng_node *n)
{
    float *v = NULL;
    if (!n->name[0])
        onnx_fail(m, "an unnamed %s (node %d) cannot be an initializer",
                  eng_op_infos[n->op].name, n->id);
    else if (!(v = arena_keep(m, malloc(sizeof *v * n->numel))))
        onnx_fail(m, "out of memory for the values of %s", n->name);
    else if (eng_plan_read(m->plan, n, v))
        onnx_fail(m, "cannot read %s: %s", n->name, eng_last_error());
    if (m->failed)
        return NULL;
    int64_t dims[ENG_MAX_DIMS];
    for (int d = 0; d < n->ndim; d++)
        dims[d] = n->shape[d];
    return add_initializer(m, n->name, ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT, n->ndim, dims, v,
                           sizeof *v * n->numel);
}

const char *onnx_value(onnx_model *m, const eng_node *src)
{
    if (!m->names[src->id]) {
        if (src == m->input->node)
            m->names[src->id] = onnx_strdup(m, m->input->name);
        else if (src->op == ENG_OP_PARAM || src->op == ENG_OP_STATE)
            m->names[src->id] = leaf_initializer(m, src);
        else if (src->op == ENG_OP_INPUT)
            onnx_fail(m, "input '%s' is not the declared input '%s'", src->name,
                      m->input->name);
        else /* a constant: ops are emitted before what reads them */
            onnx_fail(m, "%s (node %d) has no ONNX export", eng_op_infos[src->op].name,
                      src->id);
    }
    return m->names[src->id];
}

/* "<op>_<id>": the name of n's ONNX node and, unless it is the output, of its value. */
static char *node_name(onnx_model *m, const eng_node *n)
{
    char name[64];
    snprintf(name, sizeof name, "%s_%d", eng_op_infos[n->op].name, n->id);
    return onnx_strdup(m, name);
}

Onnx__NodeProto *onnx_node(onnx_model *m, const eng_node *n, const char *op_type,
                           const char *const *inputs, int nin)
{
    for (int i = 0; i < nin; i++)
        if (!inputs[i])
            return NULL;
    Onnx__NodeProto *node = onnx_alloc(m, sizeof *node);
    *node = (Onnx__NodeProto)ONNX__NODE_PROTO__INIT;
    node->name = node_name(m, n);
    node->op_type = onnx_strdup(m, op_type);
    node->n_input = (size_t)nin;
    node->input = onnx_alloc(m, sizeof *node->input * (size_t)nin);
    for (int i = 0; i < nin; i++)
        node->input[i] = (char *)inputs[i];
    node->n_output = 1;
    node->output = onnx_alloc(m, sizeof *node->output);
    node->output[0] = n == m->output->node ? onnx_strdup(m, m->output->name) : node->name;
    node->attribute = onnx_alloc(m, sizeof *node->attribute * 8);
    m->names[n->id] = node->output[0];
    m->nodes[m->n_nodes++] = node;
    return node;
}

static Onnx__AttributeProto *add_attr(onnx_model *m, Onnx__NodeProto *node, const char *name,
                                      Onnx__AttributeProto__AttributeType type)
{
    if (node->n_attribute == 8)
        eng_fail("ONNX node %s: more than 8 attributes", node->name);
    Onnx__AttributeProto *a = onnx_alloc(m, sizeof *a);
    *a = (Onnx__AttributeProto)ONNX__ATTRIBUTE_PROTO__INIT;
    a->name = onnx_strdup(m, name);
    a->has_type = 1;
    a->type = type;
    node->attribute[node->n_attribute++] = a;
    return a;
}

void onnx_attr_int(onnx_model *m, Onnx__NodeProto *node, const char *name, int64_t v)
{
    Onnx__AttributeProto *a = add_attr(m, node, name, ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INT);
    a->has_i = 1;
    a->i = v;
}

void onnx_attr_ints(onnx_model *m, Onnx__NodeProto *node, const char *name, int count,
                    const int64_t *v)
{
    Onnx__AttributeProto *a =
        add_attr(m, node, name, ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INTS);
    a->n_ints = (size_t)count;
    a->ints = memcpy(onnx_alloc(m, sizeof *v * (size_t)count), v, sizeof *v * (size_t)count);
}

void onnx_attr_float(onnx_model *m, Onnx__NodeProto *node, const char *name, float v)
{
    Onnx__AttributeProto *a =
        add_attr(m, node, name, ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__FLOAT);
    a->has_f = 1;
    a->f = v;
}

void onnx_attr_string(onnx_model *m, Onnx__NodeProto *node, const char *name, const char *v)
{
    Onnx__AttributeProto *a =
        add_attr(m, node, name, ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__STRING);
    a->has_s = 1;
    a->s.len = strlen(v);
    a->s.data = (uint8_t *)onnx_strdup(m, v);
}

static char *const_name(onnx_model *m, const eng_node *n, const char *what)
{
    char name[96];
    snprintf(name, sizeof name, "%s_%d.%s", eng_op_infos[n->op].name, n->id, what);
    return onnx_strdup(m, name);
}

/* A 1-D constant of count elements of elem_size bytes, copied into the model. */
static const char *const_1d(onnx_model *m, const eng_node *n, const char *what, int type,
                            int count, const void *values, size_t elem_size)
{
    size_t bytes = elem_size * (size_t)count;
    int64_t dim = count;
    return add_initializer(m, const_name(m, n, what), type, 1, &dim,
                           memcpy(onnx_alloc(m, bytes), values, bytes), bytes);
}

const char *onnx_const_f32s(onnx_model *m, const eng_node *n, const char *what, int count,
                            const float *values)
{
    return const_1d(m, n, what, ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT, count, values,
                    sizeof *values);
}

const char *onnx_const_f32(onnx_model *m, const eng_node *n, const char *what, int count,
                           float value)
{
    float *v = onnx_alloc(m, sizeof *v * (size_t)count);
    for (int i = 0; i < count; i++)
        v[i] = value;
    return onnx_const_f32s(m, n, what, count, v);
}

const char *onnx_const_i64(onnx_model *m, const eng_node *n, const char *what, int count,
                           const int64_t *values)
{
    return const_1d(m, n, what, ONNX__TENSOR_PROTO__DATA_TYPE__INT64, count, values,
                    sizeof *values);
}
