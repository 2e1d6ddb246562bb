/* One ONNX node per engine op (opset 13). Only inference ops are exported: training-mode
 * batch norm, dropout, the losses and the ops no inference graph of ours uses are refused. */
#include <stdio.h>

#include "engine/formats/onnx_internal.h"

/* The value of src, or of a constant [count] of value when src is NULL (affine-free norms). */
static const char *value_or_const(onnx_model *m, const eng_node *n, const eng_node *src,
                                  const char *what, int count, float value)
{
    return src ? onnx_value(m, src) : onnx_const_f32(m, n, what, count, value);
}

/* Conv or ConvTranspose; the engine pads every side alike, its weights are ONNX's layout. */
static int conv(onnx_model *m, const eng_node *n, const char *type)
{
    const eng_node *w = n->src[1], *b = n->src[2];
    const char *in[3] = {onnx_value(m, n->src[0]), onnx_value(m, w), b ? onnx_value(m, b) : NULL};
    Onnx__NodeProto *node = onnx_node(m, n, type, in, b ? 3 : 2);
    if (!node)
        return -1;
    int s = n->arg.conv.stride, p = n->arg.conv.pad;
    onnx_attr_ints(m, node, "kernel_shape", 2, (const int64_t[]){w->shape[2], w->shape[3]});
    onnx_attr_ints(m, node, "strides", 2, (const int64_t[]){s, s});
    onnx_attr_ints(m, node, "pads", 4, (const int64_t[]){p, p, p, p});
    if (n->arg.conv.out_pad) { /* conv_transpose2d's (conv2d has none) */
        int op = n->arg.conv.out_pad;
        onnx_attr_ints(m, node, "output_padding", 2, (const int64_t[]){op, op});
    }
    return 0;
}

static int batch_norm(onnx_model *m, const eng_node *n)
{
    if (n->arg.norm.training)
        return onnx_fail(m, "batch_norm2d (node %d) uses batch statistics: only eval-mode "
                         "batch norm (running statistics) is exported", n->id);
    int c = n->shape[1];
    const char *in[5] = {onnx_value(m, n->src[0]), value_or_const(m, n, n->src[1], "scale", c, 1),
                         value_or_const(m, n, n->src[2], "B", c, 0), onnx_value(m, n->src[3]),
                         onnx_value(m, n->src[4])};
    Onnx__NodeProto *node = onnx_node(m, n, "BatchNormalization", in, 5);
    if (!node)
        return -1;
    onnx_attr_float(m, node, "epsilon", n->arg.norm.eps);
    return 0;
}

static int instance_norm(onnx_model *m, const eng_node *n)
{
    int c = n->shape[1];
    const char *in[3] = {onnx_value(m, n->src[0]), value_or_const(m, n, n->src[1], "scale", c, 1),
                         value_or_const(m, n, n->src[2], "B", c, 0)};
    Onnx__NodeProto *node = onnx_node(m, n, "InstanceNormalization", in, 3);
    if (!node)
        return -1;
    onnx_attr_float(m, node, "epsilon", n->arg.norm.eps);
    return 0;
}

/* Pad's pads: the starts of N, C, H, W, then their ends. */
static int reflection_pad(onnx_model *m, const eng_node *n)
{
    int p = n->arg.pad.pad;
    const int64_t pads[8] = {0, 0, p, p, 0, 0, p, p};
    const char *in[2] = {onnx_value(m, n->src[0]), onnx_const_i64(m, n, "pads", 8, pads)};
    Onnx__NodeProto *node = onnx_node(m, n, "Pad", in, 2);
    if (!node)
        return -1;
    onnx_attr_string(m, node, "mode", "reflect");
    return 0;
}

/* AveragePool over the cells inside the input, as eng_avg_pool2d; MaxPool as eng_max_pool2d
 * (ONNX pads MaxPool with -infinity: the padding is never the maximum). */
static int pool(onnx_model *m, const eng_node *n)
{
    int avg = n->op == ENG_OP_AVG_POOL2D;
    const char *in[1] = {onnx_value(m, n->src[0])};
    Onnx__NodeProto *node = onnx_node(m, n, avg ? "AveragePool" : "MaxPool", in, 1);
    if (!node)
        return -1;
    int k = n->arg.pool.kernel, s = n->arg.pool.stride, p = n->arg.pool.pad;
    onnx_attr_ints(m, node, "kernel_shape", 2, (const int64_t[]){k, k});
    onnx_attr_ints(m, node, "strides", 2, (const int64_t[]){s, s});
    onnx_attr_ints(m, node, "pads", 4, (const int64_t[]){p, p, p, p});
    if (avg)
        onnx_attr_int(m, node, "count_include_pad", 0);
    return 0;
}

/* Resize as torch.onnx exports nn.Upsample(scale_factor=s, mode='nearest'): no roi, scales
 * (1, 1, s, s), asymmetric coordinates rounded down, so out[y, x] = in[y / s, x / s]. */
static int upsample_nearest(onnx_model *m, const eng_node *n)
{
    float s = (float)n->arg.upsample.scale;
    const char *in[3] = {onnx_value(m, n->src[0]), "",
                         onnx_const_f32s(m, n, "scales", 4, (const float[]){1, 1, s, s})};
    Onnx__NodeProto *node = onnx_node(m, n, "Resize", in, 3);
    if (!node)
        return -1;
    onnx_attr_string(m, node, "coordinate_transformation_mode", "asymmetric");
    onnx_attr_float(m, node, "cubic_coeff_a", -0.75f);
    onnx_attr_string(m, node, "mode", "nearest");
    onnx_attr_string(m, node, "nearest_mode", "floor");
    return 0;
}

/* The element-wise ops and Concat: the op's sources in order. */
static Onnx__NodeProto *plain(onnx_model *m, const eng_node *n, const char *type)
{
    const char *in[2] = {onnx_value(m, n->src[0]), n->nsrc > 1 ? onnx_value(m, n->src[1]) : NULL};
    return onnx_node(m, n, type, in, n->nsrc);
}

static int not_exported(onnx_model *m, const eng_node *n)
{
    return onnx_fail(m, "%s (node %d) has no ONNX export (exported: conv2d, conv_transpose2d, "
                     "eval-mode batch_norm2d, instance_norm2d, reflection_pad2d, relu, "
                     "leaky_relu, tanh, concat, add, avg_pool2d, max_pool2d, upsample_nearest2d)",
                     eng_op_infos[n->op].name, n->id);
}

/* The onnx and onnx_scalar columns of the ENG_ELTWISE rows. */
static const struct {
    const char *type;   /* NULL: not exported */
    const char *scalar; /* the attribute of the op's scalar, or NULL */
} eltwise_nodes[ENG_OP_COUNT] = {
#define ENG_LEAF(id, name)
#define ENG_OP(id, name, kind, kernel, grads, reads, vk, macs)
#define ENG_ELTWISE(id, fn, operands, reads, onnx, onnx_scalar, fp32_output, forward, backward) \
    [ENG_OP_##id] = {onnx, onnx_scalar},
#include "engine/ops.def"
#undef ENG_LEAF
#undef ENG_OP
#undef ENG_ELTWISE
};

static int eltwise(onnx_model *m, const eng_node *n)
{
    const char *type = eltwise_nodes[n->op].type, *scalar = eltwise_nodes[n->op].scalar;
    if (!type)
        return not_exported(m, n);
    Onnx__NodeProto *node = plain(m, n, type);
    if (!node)
        return -1;
    if (scalar)
        onnx_attr_float(m, node, scalar, n->arg.scalar.value);
    return 0;
}

int onnx_emit_op(onnx_model *m, const eng_node *n)
{
    Onnx__NodeProto *node;
    switch (n->op) {
    case ENG_OP_CONV2D: return conv(m, n, "Conv");
    case ENG_OP_CONV_TRANSPOSE2D: return conv(m, n, "ConvTranspose");
    case ENG_OP_BATCH_NORM2D: return batch_norm(m, n);
    case ENG_OP_INSTANCE_NORM2D: return instance_norm(m, n);
    case ENG_OP_REFLECTION_PAD2D: return reflection_pad(m, n);
    case ENG_OP_CONCAT:
        if (!(node = plain(m, n, "Concat")))
            return -1;
        onnx_attr_int(m, node, "axis", 1);
        return 0;
    case ENG_OP_AVG_POOL2D: case ENG_OP_MAX_POOL2D: return pool(m, n);
    case ENG_OP_UPSAMPLE_NEAREST2D: return upsample_nearest(m, n);
#define ENG_LEAF(id, name)
#define ENG_OP(id, name, kind, kernel, grads, reads, vk, macs)
#define ENG_ELTWISE(id, fn, operands, reads, onnx, onnx_scalar, fp32_output, forward, backward) \
    case ENG_OP_##id:
#include "engine/ops.def"
#undef ENG_LEAF
#undef ENG_OP
#undef ENG_ELTWISE
        return eltwise(m, n);
    case ENG_OP_INPUT: case ENG_OP_PARAM: case ENG_OP_STATE: case ENG_OP_CONST:
    case ENG_OP_DROPOUT: case ENG_OP_DETACH: case ENG_OP_SUM: case ENG_OP_L1_LOSS:
    case ENG_OP_MSE_LOSS: case ENG_OP_BCE_LOGITS_LOSS: case ENG_OP_SPECTRAL_NORM:
    case ENG_OP_COUNT:
        break;
    }
    return not_exported(m, n);
}
