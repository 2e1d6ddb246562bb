/* The ONNX writer (engine/onnx.h) on a graph using every op it exports, read back with
 * protobuf-c: the nodes in order with their attributes and inputs, the initializers (params
 * and states under their names with the plan's values, the writer's constants, no BatchNorm
 * counter), the declared input and output with their symbolic dimensions, opset and
 * metadata. Then each element-wise op of the op table alone, written or refused as its onnx
 * column says. Then what it refuses, each with its message and no file left: training-mode
 * batch norm, dropout, an undeclared input, a declared one that is not an input,
 * a leaf as output, a folder that does not exist. avg_pool2d becomes an AveragePool that
 * counts only the cells inside the input, max_pool2d a MaxPool; upsample_nearest2d a Resize as torch.onnx writes
 * nn.Upsample(scale_factor=2, mode='nearest'). (tests/app/cli/onnx_runtime.py runs exported
 * generators in onnx.checker and OpenCV.) */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "engine/graph.h"
#include "engine/onnx.h"
#include "onnx/onnx.pb-c.h"
#include "plan_check.h"
#include "test_files.h"
#include "tests/engine/eltwise_cases.h"

typedef struct {
    eng_graph *g;
    eng_node *x, *y;
} graph;

/* x -> pad, conv+bias, BN, leaky, conv (no bias), IN (no affine), relu, convT, concat x,
 * BN (no affine) + concat, tanh. */
static graph build_all_ops(void)
{
    graph t = {eng_graph_new(), NULL, NULL};
    eng_graph *g = t.g;
    t.x = eng_input4(g, "x", 1, 2, 8, 8);
    eng_node *h = eng_reflection_pad2d(g, t.x, 1);
    h = eng_conv2d(g, h, eng_param4(g, "w1", 4, 2, 3, 3), eng_param1(g, "b1", 4), 1, 0);
    h = eng_batch_norm2d(g, h, eng_param1(g, "bn.weight", 4), eng_param1(g, "bn.bias", 4),
                         eng_state1(g, "bn.running_mean", 4), eng_state1(g, "bn.running_var", 4),
                         eng_state1(g, "bn.num_batches_tracked", 1), 0, 0.1f, 1e-5f);
    h = eng_leaky_relu(g, h, 0.2f);
    h = eng_conv2d(g, h, eng_param4(g, "w2", 4, 4, 4, 4), NULL, 2, 1);
    h = eng_relu(g, eng_instance_norm2d(g, h, NULL, NULL, 1e-5f));
    h = eng_conv_transpose2d(g, h, eng_param4(g, "wt", 4, 2, 3, 3), eng_param1(g, "bt", 2), 2,
                             1, 1);
    eng_node *cat = eng_concat(g, h, t.x);
    h = eng_batch_norm2d(g, cat, NULL, NULL, eng_state1(g, "bn2.running_mean", 4),
                         eng_state1(g, "bn2.running_var", 4),
                         eng_state1(g, "bn2.num_batches_tracked", 1), 0, 0.1f, 1e-3f);
    t.y = eng_tanh(g, eng_add(g, h, cat));
    return t;
}

/* A fill seed from a tensor's name (the order of the nodes of a call's arguments is not
 * fixed by C). */
static uint32_t seed_of(const char *name)
{
    uint32_t h = 2166136261u;
    for (; *name; name++)
        h = (h ^ (uint8_t)*name) * 16777619u;
    return h;
}

/* Plans t on the CPU with reproducible leaf values (variances positive) and writes it. */
static int export(graph *t, const char *path)
{
    eng_forward(t->g, t->y);
    eng_backend *be = eng_cpu_backend_new(1);
    eng_plan *p = eng_plan_new(t->g, be);
    for (int i = 0; i < t->g->nnodes; i++) {
        const eng_node *n = t->g->nodes[i];
        if (n->op != ENG_OP_PARAM && n->op != ENG_OP_STATE)
            continue;
        float *v = malloc(sizeof *v * n->numel);
        fill(v, n->numel, seed_of(n->name));
        for (size_t j = 0; strstr(n->name, "var") && j < n->numel; j++)
            v[j] += 1.0f;
        eng_plan_write(p, n, v);
        free(v);
    }
    eng_onnx_value in = {t->x, "x", {NULL, NULL, "H", "W"}};
    eng_onnx_value out = {t->y, "y", {NULL, NULL, "H", "W"}};
    const char *meta[] = {"k", "v"};
    eng_onnx_info info = {"test", "1.0", "all_ops", "doc", meta, 1};
    int rc = eng_onnx_write(p, &in, &out, &info, path);
    eng_plan_free(p);
    eng_backend_free(be);
    eng_graph_free(t->g);
    return rc;
}

static Onnx__ModelProto *load(const char *path)
{
    FILE *f = fopen(path, "rb");
    static uint8_t buf[1 << 16];
    size_t n = f ? fread(buf, 1, sizeof buf, f) : 0;
    if (f)
        fclose(f);
    return n ? onnx__model_proto__unpack(NULL, n, buf) : NULL;
}

static const Onnx__AttributeProto *attr(const Onnx__NodeProto *n, const char *name)
{
    for (size_t i = 0; i < n->n_attribute; i++)
        if (!strcmp(n->attribute[i]->name, name))
            return n->attribute[i];
    return NULL;
}

/* The attribute's ints are exactly v (count of them). */
static int ints_are(const Onnx__NodeProto *n, const char *name, int count, const int64_t *v)
{
    const Onnx__AttributeProto *a = attr(n, name);
    return a && a->n_ints == (size_t)count && !memcmp(a->ints, v, sizeof *v * (size_t)count);
}

static const Onnx__TensorProto *initializer(const Onnx__GraphProto *g, const char *name)
{
    for (size_t i = 0; i < g->n_initializer; i++)
        if (!strcmp(g->initializer[i]->name, name))
            return g->initializer[i];
    return NULL;
}

static void check_nodes(const Onnx__GraphProto *g)
{
    const char *types[] = {"Pad", "Conv", "BatchNormalization", "LeakyRelu", "Conv",
                           "InstanceNormalization", "Relu", "ConvTranspose", "Concat",
                           "BatchNormalization", "Add", "Tanh"};
    int ok = g->n_node == 12;
    for (size_t i = 0; ok && i < g->n_node; i++)
        ok = !strcmp(g->node[i]->op_type, types[i]);
    check(ok, "one node per op, in order");
    if (!ok)
        return;
    Onnx__NodeProto **n = g->node;
    check(!strcmp(n[0]->input[0], "x") && !strcmp(n[1]->input[0], n[0]->output[0]) &&
              n[1]->n_input == 3 && !strcmp(n[1]->input[1], "w1") && n[4]->n_input == 2 &&
              !strcmp(n[8]->input[1], "x") && !strcmp(n[11]->output[0], "y"),
          "inputs: the previous node's output, the params, the declared input; output 'y'");
    const Onnx__AttributeProto *mode = attr(n[0], "mode");
    check(mode && mode->s.len == 7 && !memcmp(mode->s.data, "reflect", 7), "Pad: reflect");
    check(ints_are(n[4], "kernel_shape", 2, (const int64_t[]){4, 4}) &&
              ints_are(n[4], "strides", 2, (const int64_t[]){2, 2}) &&
              ints_are(n[4], "pads", 4, (const int64_t[]){1, 1, 1, 1}) &&
              ints_are(n[1], "pads", 4, (const int64_t[]){0, 0, 0, 0}),
          "Conv: kernel_shape, strides, pads");
    check(ints_are(n[7], "output_padding", 2, (const int64_t[]){1, 1}) &&
              ints_are(n[7], "strides", 2, (const int64_t[]){2, 2}),
          "ConvTranspose: output_padding, strides");
    check(n[2]->n_input == 5 && !strcmp(n[2]->input[3], "bn.running_mean") &&
              attr(n[2], "epsilon")->f == 1e-5f && attr(n[9], "epsilon")->f == 1e-3f,
          "BatchNormalization: running statistics, epsilon");
    check(attr(n[3], "alpha")->f == 0.2f && attr(n[8], "axis")->i == 1 &&
              attr(n[5], "epsilon")->f == 1e-5f,
          "LeakyRelu alpha, Concat axis, InstanceNormalization epsilon");
}

static void check_initializers(const Onnx__GraphProto *g)
{
    const char *params[] = {"w1", "b1", "bn.weight", "bn.bias", "bn.running_mean",
                            "bn.running_var", "w2", "wt", "bt", "bn2.running_mean",
                            "bn2.running_var"};
    int ok = 1;
    for (int i = 0; i < 11; i++)
        ok &= initializer(g, params[i]) != NULL;
    check(ok, "every param and state read by a node is an initializer under its name");
    check(!initializer(g, "bn.num_batches_tracked") && g->n_initializer == 11 + 5,
          "no BatchNorm counter; five constants (pads, two unit scales, two zero shifts)");
    const Onnx__TensorProto *w1 = initializer(g, "w1");
    float expect[4 * 2 * 3 * 3];
    fill(expect, 72, seed_of("w1"));
    check(w1->n_dims == 4 && w1->dims[0] == 4 && w1->dims[3] == 3 &&
              w1->data_type == ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT &&
              w1->raw_data.len == sizeof expect &&
              !memcmp(w1->raw_data.data, expect, sizeof expect),
          "w1: shape, float type and the plan's values");
    const Onnx__TensorProto *pads = initializer(g, g->node[0]->input[1]);
    const int64_t want[8] = {0, 0, 1, 1, 0, 0, 1, 1};
    check(pads && pads->data_type == ONNX__TENSOR_PROTO__DATA_TYPE__INT64 &&
              pads->raw_data.len == sizeof want &&
              !memcmp(pads->raw_data.data, want, sizeof want),
          "Pad's pads: int64 [0, 0, 1, 1, 0, 0, 1, 1]");
    const Onnx__TensorProto *scale = initializer(g, g->node[5]->input[1]);
    check(scale && scale->dims[0] == 4 && ((const float *)scale->raw_data.data)[3] == 1.0f,
          "InstanceNormalization without affine: a unit scale");
}

static void check_model(const char *path)
{
    Onnx__ModelProto *m = load(path);
    check(m != NULL, "the file unpacks as an onnx.ModelProto");
    if (!m)
        return;
    check(m->ir_version == 7 && m->n_opset_import == 1 && m->opset_import[0]->version == 13 &&
              !strcmp(m->producer_name, "test") && m->n_metadata_props == 1 &&
              !strcmp(m->metadata_props[0]->value, "v") && !strcmp(m->graph->name, "all_ops"),
          "IR 7, opset 13, producer, graph name, metadata");
    const Onnx__GraphProto *g = m->graph;
    const Onnx__TensorShapeProto *s = g->input[0]->type->tensor_type->shape;
    check(g->n_input == 1 && !strcmp(g->input[0]->name, "x") && s->n_dim == 4 &&
              s->dim[1]->dim_value == 2 && !strcmp(s->dim[2]->dim_param, "H") &&
              !strcmp(s->dim[3]->dim_param, "W") && !strcmp(g->output[0]->name, "y"),
          "input x [1, 2, H, W], output y");
    check_nodes(g);
    check_initializers(g);
    onnx__model_proto__free_unpacked(m, NULL);
}

/* x -> avg_pool2d(3, 2, 1): one AveragePool with count_include_pad 0. */
static void check_avg_pool(const char *dir)
{
    char path[512];
    snprintf(path, sizeof path, "%s/pool.onnx", dir);
    graph t = {eng_graph_new(), NULL, NULL};
    t.x = eng_input4(t.g, "x", 1, 2, 7, 7);
    t.y = eng_avg_pool2d(t.g, t.x, 3, 2, 1);
    check(export(&t, path) == 0, "avg_pool2d is exported");
    Onnx__ModelProto *m = load(path);
    const Onnx__NodeProto *n = m && m->graph->n_node == 1 ? m->graph->node[0] : NULL;
    const Onnx__AttributeProto *cip = n ? attr(n, "count_include_pad") : NULL;
    check(n && !strcmp(n->op_type, "AveragePool") &&
              ints_are(n, "kernel_shape", 2, (const int64_t[]){3, 3}) &&
              ints_are(n, "strides", 2, (const int64_t[]){2, 2}) &&
              ints_are(n, "pads", 4, (const int64_t[]){1, 1, 1, 1}) && cip && cip->i == 0,
          "as AveragePool kernel 3, stride 2, pads 1, count_include_pad 0");
    if (m)
        onnx__model_proto__free_unpacked(m, NULL);
    unlink(path);
}

/* x -> max_pool2d(2, 2, 0): one MaxPool, without count_include_pad. */
static void check_max_pool(const char *dir)
{
    char path[512];
    snprintf(path, sizeof path, "%s/maxpool.onnx", dir);
    graph t = {eng_graph_new(), NULL, NULL};
    t.x = eng_input4(t.g, "x", 1, 2, 6, 6);
    t.y = eng_max_pool2d(t.g, t.x, 2, 2, 0);
    check(export(&t, path) == 0, "max_pool2d is exported");
    Onnx__ModelProto *m = load(path);
    const Onnx__NodeProto *n = m && m->graph->n_node == 1 ? m->graph->node[0] : NULL;
    check(n && !strcmp(n->op_type, "MaxPool") &&
              ints_are(n, "kernel_shape", 2, (const int64_t[]){2, 2}) &&
              ints_are(n, "strides", 2, (const int64_t[]){2, 2}) &&
              ints_are(n, "pads", 4, (const int64_t[]){0, 0, 0, 0}) &&
              !attr(n, "count_include_pad"),
          "as MaxPool kernel 2, stride 2, pads 0");
    if (m)
        onnx__model_proto__free_unpacked(m, NULL);
    unlink(path);
}

/* The string attribute's value is v. */
static int string_is(const Onnx__NodeProto *n, const char *name, const char *v)
{
    const Onnx__AttributeProto *a = attr(n, name);
    return a && a->s.len == strlen(v) && !memcmp(a->s.data, v, a->s.len);
}

/* x -> upsample_nearest2d(2): one Resize (no roi, scales 1, 1, 2, 2, nearest, floor). */
static void check_upsample(const char *dir)
{
    char path[512];
    snprintf(path, sizeof path, "%s/upsample.onnx", dir);
    graph t = {eng_graph_new(), NULL, NULL};
    t.x = eng_input4(t.g, "x", 1, 2, 3, 5);
    t.y = eng_upsample_nearest2d(t.g, t.x, 2);
    check(export(&t, path) == 0, "upsample_nearest2d is exported");
    Onnx__ModelProto *m = load(path);
    const Onnx__NodeProto *n = m && m->graph->n_node == 1 ? m->graph->node[0] : NULL;
    const Onnx__TensorProto *sc =
        n && n->n_input == 3 ? initializer(m->graph, n->input[2]) : NULL;
    const float want[4] = {1, 1, 2, 2};
    check(n && !strcmp(n->op_type, "Resize") && !strcmp(n->input[0], "x") && !*n->input[1] &&
              sc && sc->data_type == ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT && sc->n_dims == 1 &&
              sc->dims[0] == 4 && sc->raw_data.len == sizeof want &&
              !memcmp(sc->raw_data.data, want, sizeof want),
          "as Resize of x, no roi, scales float [1, 1, 2, 2]");
    check(n && string_is(n, "mode", "nearest") && string_is(n, "nearest_mode", "floor") &&
              string_is(n, "coordinate_transformation_mode", "asymmetric") &&
              attr(n, "cubic_coeff_a") && attr(n, "cubic_coeff_a")->f == -0.75f,
          "Resize: nearest, floor, asymmetric, cubic_coeff_a -0.75 (torch.onnx's attributes)");
    if (m)
        onnx__model_proto__free_unpacked(m, NULL);
    unlink(path);
}

/* A graph the writer refuses: the message holds want, no file is written. */
static void refused(graph t, const char *dir, const char *want, const char *what)
{
    char path[512];
    snprintf(path, sizeof path, "%s/refused.onnx", dir);
    int rc = export(&t, path);
    check(rc == -1 && strstr(eng_last_error(), want) && access(path, F_OK) != 0, what);
    if (!strstr(eng_last_error(), want))
        printf("     message: %s\n", eng_last_error());
}

/* op on x (batch norm in training mode, dropout under a relu, an element-wise op on x or x and
 * x) after unused params and states: the op is node 6. */
static graph with_op(eng_op op)
{
    graph t = {eng_graph_new(), NULL, NULL};
    t.x = eng_input4(t.g, "x", 1, 2, 4, 4);
    eng_node *w = eng_param1(t.g, "w", 2), *b = eng_param1(t.g, "b", 2);
    eng_node *s[3] = {eng_state1(t.g, "m", 2), eng_state1(t.g, "v", 2), eng_state1(t.g, "n", 1)};
    if (op == ENG_OP_BATCH_NORM2D)
        t.y = eng_batch_norm2d(t.g, t.x, w, b, s[0], s[1], s[2], 1, 0.1f, 1e-5f);
    else if (op == ENG_OP_DROPOUT)
        t.y = eng_relu(t.g, eng_dropout(t.g, t.x, 0.5f, 1));
    else if (eltwise_operands_of(op) != ELTWISE_NONE)
        t.y = eltwise_build(t.g, op, t.x, t.x, 0.5f);
    return t;
}

/* An input that is not the declared one. */
static graph with_undeclared_input(void)
{
    graph t = with_op(ENG_OP_ADD);
    t.y = eng_add(t.g, t.y, eng_input4(t.g, "x2", 1, 2, 4, 4));
    return t;
}

/* The onnx column of the ENG_ELTWISE rows (NULL for the other ops). */
static const char *const onnx_types[ENG_OP_COUNT] = {
#define ENG_LEAF(id, name)
#define ENG_OP(id, name, kind, kernel, grads, reads, vk, macs)
#define ENG_ELTWISE(id, fn, operands, reads, onnx, onnx_scalar, fp32_output, forward, backward) \
    [ENG_OP_##id] = onnx,
#include "engine/ops.def"
#undef ENG_LEAF
#undef ENG_OP
#undef ENG_ELTWISE
};

/* Each ENG_ELTWISE row alone: written when it has an ONNX node type, else refused with the list
 * of the ops exported. */
static void check_eltwise_rows(const char *dir)
{
    char path[512], want[128];
    snprintf(path, sizeof path, "%s/eltwise.onnx", dir);
    for (int op = 0; op < ENG_OP_COUNT; op++) {
        if (eltwise_operands_of((eng_op)op) == ELTWISE_NONE)
            continue;
        const char *name = eng_op_infos[op].name;
        snprintf(want, sizeof want, "%s (node 6) has no ONNX export (exported: ", name);
        if (!onnx_types[op]) {
            refused(with_op((eng_op)op), dir, want, want);
            continue;
        }
        graph t = with_op((eng_op)op);
        check(export(&t, path) == 0, name);
        unlink(path);
    }
}

int main(void)
{
    char dir[] = "/tmp/p2p_onnx_XXXXXX", path[512];
    temp_dir(dir);
    snprintf(path, sizeof path, "%s/all_ops.onnx", dir);
    graph t = build_all_ops();
    int rc = export(&t, path);
    check(rc == 0, "a graph of every exported op is written");
    if (rc)
        printf("     message: %s\n", eng_last_error());
    check_model(path);
    check(count_dir_entries(dir) == 1, "no temporary file left");
    unlink(path);
    check_avg_pool(dir);
    check_max_pool(dir);
    check_upsample(dir);

    refused(with_op(ENG_OP_BATCH_NORM2D), dir, "batch_norm2d (node 6) uses batch statistics",
            "training-mode batch norm refused");
    refused(with_op(ENG_OP_DROPOUT), dir, "dropout (node 6) has no ONNX export",
            "dropout refused");
    check_eltwise_rows(dir);
    refused(with_undeclared_input(), dir, "input 'x2' is not the declared input 'x'",
            "an undeclared input refused");
    t = build_all_ops();
    t.y = eng_find(t.g, "w1");
    refused(t, dir, "the output is a param", "a leaf as the output refused");
    t = build_all_ops();
    t.x = eng_find(t.g, "w1");
    refused(t, dir, "the declared input 'x' is a param, not an input",
            "a declared input that is not an input refused");
    t = build_all_ops();
    const char *missing = "/nonexistent-p2p-dir/m.onnx";
    check(export(&t, missing) == -1 && strstr(eng_last_error(), missing) &&
              strstr(eng_last_error(), "No such file or directory"),
          "a folder that does not exist: the reason names the file");
    check(count_dir_entries(dir) == 0, "no file left by the refused graphs");
    rmdir(dir);
    printf("%d failure(s)\n", failures);
    return failures ? 1 : 0;
}
