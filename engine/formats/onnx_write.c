/* The ONNX writer (see onnx.h): the walk over the graph, the model around it, the file. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/atomic_file.h"
#include "engine/formats/onnx_internal.h"

enum { ONNX_OPSET = 13, ONNX_IR_VERSION = ONNX__VERSION__IR_VERSION_2020_5_8 };

/* The graph input or output v: float, of v's shape with its symbolic dimensions. */
static Onnx__ValueInfoProto *value_info(onnx_model *m, const eng_onnx_value *v)
{
    Onnx__TensorShapeProto *shape = onnx_alloc(m, sizeof *shape);
    *shape = (Onnx__TensorShapeProto)ONNX__TENSOR_SHAPE_PROTO__INIT;
    shape->n_dim = (size_t)v->node->ndim;
    shape->dim = onnx_alloc(m, sizeof *shape->dim * shape->n_dim);
    for (int d = 0; d < v->node->ndim; d++) {
        Onnx__TensorShapeProto__Dimension *dim = onnx_alloc(m, sizeof *dim);
        *dim = (Onnx__TensorShapeProto__Dimension)ONNX__TENSOR_SHAPE_PROTO__DIMENSION__INIT;
        if (v->dims[d]) {
            dim->value_case = ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_PARAM;
            dim->dim_param = onnx_strdup(m, v->dims[d]);
        } else {
            dim->value_case = ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_VALUE;
            dim->dim_value = v->node->shape[d];
        }
        shape->dim[d] = dim;
    }
    Onnx__TypeProto__Tensor *tensor = onnx_alloc(m, sizeof *tensor);
    *tensor = (Onnx__TypeProto__Tensor)ONNX__TYPE_PROTO__TENSOR__INIT;
    tensor->has_elem_type = 1;
    tensor->elem_type = ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT;
    tensor->shape = shape;
    Onnx__TypeProto *type = onnx_alloc(m, sizeof *type);
    *type = (Onnx__TypeProto)ONNX__TYPE_PROTO__INIT;
    type->value_case = ONNX__TYPE_PROTO__VALUE_TENSOR_TYPE;
    type->tensor_type = tensor;
    Onnx__ValueInfoProto *info = onnx_alloc(m, sizeof *info);
    *info = (Onnx__ValueInfoProto)ONNX__VALUE_INFO_PROTO__INIT;
    info->name = onnx_strdup(m, v->name);
    info->type = type;
    return info;
}

/* Emits every op the output depends on, in the graph's order (sources come first). */
static int emit_ops(onnx_model *m, const eng_graph *g)
{
    const eng_node *out = m->output->node;
    if (m->input->node->op != ENG_OP_INPUT)
        return onnx_fail(m, "the declared input '%s' is a %s, not an input", m->input->name,
                         eng_op_infos[m->input->node->op].name);
    if (eng_op_is_leaf(out->op))
        return onnx_fail(m, "the output is a %s, not computed by an op",
                         eng_op_infos[out->op].name);
    char *needed = onnx_alloc(m, (size_t)out->id + 1);
    needed[out->id] = 1;
    for (int i = out->id; i >= 0; i--)
        for (int s = 0; needed[i] && s < g->nodes[i]->nsrc; s++)
            if (g->nodes[i]->src[s])
                needed[g->nodes[i]->src[s]->id] = 1;
    for (int i = 0; i <= out->id && !m->failed; i++) {
        if (needed[i] && !eng_op_is_leaf(g->nodes[i]->op))
            onnx_emit_op(m, g->nodes[i]);
    }
    return m->failed ? -1 : 0;
}

static Onnx__ModelProto *model(onnx_model *m, const eng_onnx_info *info)
{
    Onnx__GraphProto *graph = onnx_alloc(m, sizeof *graph);
    *graph = (Onnx__GraphProto)ONNX__GRAPH_PROTO__INIT;
    graph->name = onnx_strdup(m, info->graph_name);
    graph->n_node = m->n_nodes;
    graph->node = m->nodes;
    graph->n_initializer = m->n_inits;
    graph->initializer = m->inits;
    graph->n_input = graph->n_output = 1;
    graph->input = onnx_alloc(m, sizeof *graph->input);
    graph->input[0] = value_info(m, m->input);
    graph->output = onnx_alloc(m, sizeof *graph->output);
    graph->output[0] = value_info(m, m->output);

    Onnx__OperatorSetIdProto *opset = onnx_alloc(m, sizeof *opset);
    *opset = (Onnx__OperatorSetIdProto)ONNX__OPERATOR_SET_ID_PROTO__INIT;
    opset->domain = onnx_strdup(m, "");
    opset->has_version = 1;
    opset->version = ONNX_OPSET;
    Onnx__ModelProto *model = onnx_alloc(m, sizeof *model);
    *model = (Onnx__ModelProto)ONNX__MODEL_PROTO__INIT;
    model->has_ir_version = 1;
    model->ir_version = ONNX_IR_VERSION;
    model->n_opset_import = 1;
    model->opset_import = onnx_alloc(m, sizeof *model->opset_import);
    model->opset_import[0] = opset;
    model->producer_name = onnx_strdup(m, info->producer);
    model->producer_version = onnx_strdup(m, info->producer_version);
    if (info->doc)
        model->doc_string = onnx_strdup(m, info->doc);
    model->graph = graph;
    model->n_metadata_props = (size_t)info->nmeta;
    model->metadata_props = onnx_alloc(m, sizeof *model->metadata_props * (size_t)info->nmeta);
    for (int i = 0; i < info->nmeta; i++) {
        Onnx__StringStringEntryProto *e = onnx_alloc(m, sizeof *e);
        *e = (Onnx__StringStringEntryProto)ONNX__STRING_STRING_ENTRY_PROTO__INIT;
        e->key = onnx_strdup(m, info->meta[2 * i]);
        e->value = onnx_strdup(m, info->meta[2 * i + 1]);
        model->metadata_props[i] = e;
    }
    return model;
}

/* protobuf-c's output, gathered into large writes (it appends field by field). */
typedef struct {
    ProtobufCBuffer base;
    atomic_file *file;
    size_t used;
    uint8_t buf[1 << 16];
} file_buffer;

static void flush(file_buffer *b)
{
    atomic_file_write(b->file, b->buf, b->used);
    b->used = 0;
}

static void append(ProtobufCBuffer *base, size_t len, const uint8_t *data)
{
    file_buffer *b = (file_buffer *)base;
    if (b->used + len > sizeof b->buf)
        flush(b);
    if (len > sizeof b->buf) {
        atomic_file_write(b->file, data, len);
        return;
    }
    memcpy(b->buf + b->used, data, len);
    b->used += len;
}

static int save(const Onnx__ModelProto *model, const char *path)
{
    atomic_file f;
    char err[512]; /* the base library's reasons, passed on */
    if (atomic_file_open(&f, path, err, sizeof err))
        return eng_set_error(-1, "%s", err);
    file_buffer *b = malloc(sizeof *b);
    if (!b) {
        atomic_file_abandon(&f);
        return eng_set_error(-1, "%s: out of memory", path);
    }
    b->base.append = append;
    b->file = &f;
    b->used = 0;
    onnx__model_proto__pack_to_buffer(model, &b->base);
    flush(b);
    free(b);
    return atomic_file_commit(&f, err, sizeof err) ? eng_set_error(-1, "%s", err) : 0;
}

static int build_and_save(onnx_model *m, const eng_onnx_info *info, const char *path)
{
    size_t nnodes = (size_t)m->plan->graph->nnodes;
    m->names = onnx_alloc(m, sizeof *m->names * nnodes);
    m->nodes = onnx_alloc(m, sizeof *m->nodes * nnodes);
    m->inits = onnx_alloc(m, sizeof *m->inits * 3 * nnodes);
    int rc = emit_ops(m, m->plan->graph);
    return rc ? rc : save(model(m, info), path);
}

int eng_onnx_write(eng_plan *p, const eng_onnx_value *input, const eng_onnx_value *output,
                   const eng_onnx_info *info, const char *path)
{
    /* On the heap: its fields keep their values when onnx_alloc jumps back here. */
    onnx_model *m = calloc(1, sizeof *m);
    if (!m)
        return eng_set_error(ENG_ENOMEM, "out of memory building an ONNX model");
    *m = (onnx_model){.plan = p, .input = input, .output = output};
    int rc;
    if (setjmp(m->out_of_memory))
        rc = eng_set_error(ENG_ENOMEM, "out of memory building an ONNX model");
    else
        rc = build_and_save(m, info, path);
    for (size_t i = 0; i < m->n_allocs; i++)
        free(m->allocs[i]);
    free(m->allocs);
    free(m);
    return rc;
}
