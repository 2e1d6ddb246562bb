/* Op definitions: the one place that knows each op's output shape, saved values and which
 * inputs receive gradients. The arithmetic lives in the backends. */
#include <limits.h>
#include <string.h>

#include "engine/engine.h"
#include "engine/graph.h"

#define OP_GRAD(i) (1u << (i))

const eng_op_info eng_op_infos[] = {
#define ENG_LEAF(id, name) [ENG_OP_##id] = {name, 0},
#define ENG_OP(id, name, kind, kernel, grads, reads, vk, macs) [ENG_OP_##id] = {name, grads},
#include "engine/ops.def"
#undef ENG_LEAF
#undef ENG_OP
};
_Static_assert(sizeof eng_op_infos / sizeof eng_op_infos[0] == ENG_OP_COUNT,
               "one eng_op_infos entry per op of ops.def");

static eng_node *op_node(eng_graph *g, eng_op op, int ndim, const int *shape, eng_node *const *src,
                         int nsrc)
{
    eng_node *n = eng_graph_add_node(g, op, NULL, ndim, shape);
    if (n == g->placeholder)
        return n;
    for (int i = 0; i < nsrc; i++)
        n->src[i] = src[i];
    n->nsrc = nsrc;
    return n;
}

/* The checks below refuse the shape on g (engine.h) and return 0 when it does not pass. */
static int is_4d(eng_graph *g, eng_op op, const eng_node *x, const char *what)
{
    if (x->ndim == 4)
        return 1;
    eng_graph_refuse(g, "%s: %s must be [N,C,H,W], has %d dimensions", eng_op_infos[op].name,
                     what, x->ndim);
    return 0;
}

static int is_vector(eng_graph *g, eng_op op, const eng_node *v, int len, const char *what)
{
    if (!v || (v->ndim == 1 && v->shape[0] == len))
        return 1;
    eng_graph_refuse(g, "%s: %s must be [%d]", eng_op_infos[op].name, what, len);
    return 0;
}

/* A side after padding on both ends, without overflowing an int. */
static int64_t padded(int side, int pad)
{
    return (int64_t)side + 2 * (int64_t)pad;
}

/* A computed size: at least 1 and an int. */
static int is_size(eng_graph *g, eng_op op, int64_t size, const char *what)
{
    if (size >= 1 && size <= INT_MAX)
        return 1;
    eng_graph_refuse(g, "%s: the output %s would be %lld", eng_op_infos[op].name, what,
                     (long long)size);
    return 0;
}

eng_node *eng_conv2d(eng_graph *g, eng_node *x, eng_node *w, eng_node *bias, int stride, int pad)
{
    const eng_op op = ENG_OP_CONV2D;
    if (!is_4d(g, op, x, "input") || !is_4d(g, op, w, "weight"))
        return g->placeholder;
    if (w->shape[1] != x->shape[1])
        return eng_graph_refuse(g, "conv2d: weight expects %d input channels, input has %d",
                                w->shape[1], x->shape[1]);
    if (!is_vector(g, op, bias, w->shape[0], "bias"))
        return g->placeholder;
    if (stride < 1 || pad < 0)
        return eng_graph_refuse(g, "conv2d: stride %d, padding %d", stride, pad);
    int64_t hi = padded(x->shape[2], pad), wi = padded(x->shape[3], pad);
    if (hi < w->shape[2] || wi < w->shape[3])
        return eng_graph_refuse(g, "conv2d: input %dx%d smaller than kernel %dx%d", x->shape[2],
                                x->shape[3], w->shape[2], w->shape[3]);
    int64_t ho = (hi - w->shape[2]) / stride + 1, wo = (wi - w->shape[3]) / stride + 1;
    if (!is_size(g, op, ho, "height") || !is_size(g, op, wo, "width"))
        return g->placeholder;
    eng_node *n = op_node(g, op, 4, (const int[]){x->shape[0], w->shape[0], (int)ho, (int)wo},
                          (eng_node *[]){x, w, bias}, 3);
    n->arg.conv.stride = stride;
    n->arg.conv.pad = pad;
    return n;
}

eng_node *eng_conv_transpose2d(eng_graph *g, eng_node *x, eng_node *w, eng_node *bias, int stride,
                               int pad, int out_pad)
{
    const eng_op op = ENG_OP_CONV_TRANSPOSE2D;
    if (!is_4d(g, op, x, "input") || !is_4d(g, op, w, "weight"))
        return g->placeholder;
    if (w->shape[0] != x->shape[1])
        return eng_graph_refuse(g, "conv_transpose2d: weight expects %d input channels, input "
                                "has %d", w->shape[0], x->shape[1]);
    if (!is_vector(g, op, bias, w->shape[1], "bias"))
        return g->placeholder;
    if (stride < 1 || pad < 0 || out_pad < 0 || out_pad >= stride)
        return eng_graph_refuse(g, "conv_transpose2d: stride %d, padding %d, output padding %d",
                                stride, pad, out_pad);
    int64_t ho = ((int64_t)x->shape[2] - 1) * stride - 2 * (int64_t)pad + w->shape[2] + out_pad;
    int64_t wo = ((int64_t)x->shape[3] - 1) * stride - 2 * (int64_t)pad + w->shape[3] + out_pad;
    if (!is_size(g, op, ho, "height") || !is_size(g, op, wo, "width"))
        return g->placeholder;
    eng_node *n = op_node(g, op, 4, (const int[]){x->shape[0], w->shape[1], (int)ho, (int)wo},
                          (eng_node *[]){x, w, bias}, 3);
    n->arg.conv.stride = stride;
    n->arg.conv.pad = pad;
    n->arg.conv.out_pad = out_pad;
    return n;
}

eng_node *eng_batch_norm2d(eng_graph *g, eng_node *x, eng_node *weight, eng_node *bias,
                           eng_node *running_mean, eng_node *running_var,
                           eng_node *num_batches_tracked, int training, float momentum, float eps)
{
    const eng_op op = ENG_OP_BATCH_NORM2D;
    if (!is_4d(g, op, x, "input"))
        return g->placeholder;
    int c = x->shape[1];
    if (!running_mean || !running_var || !num_batches_tracked)
        return eng_graph_refuse(g, "batch_norm2d: running statistics are required");
    if (!is_vector(g, op, weight, c, "weight") || !is_vector(g, op, bias, c, "bias") ||
        !is_vector(g, op, running_mean, c, "running_mean") ||
        !is_vector(g, op, running_var, c, "running_var") ||
        !is_vector(g, op, num_batches_tracked, 1, "num_batches_tracked"))
        return g->placeholder;
    if (training && x->numel / (size_t)c < 2)
        return eng_graph_refuse(g, "batch_norm2d: training needs more than 1 value per channel");
    eng_node *n = op_node(g, op, 4, x->shape,
                          (eng_node *[]){x, weight, bias, running_mean, running_var,
                                         num_batches_tracked},
                          6);
    n->arg.norm.momentum = momentum;
    n->arg.norm.eps = eps;
    n->arg.norm.training = training;
    n->aux_numel = 2 * (size_t)c;
    return n;
}

eng_node *eng_instance_norm2d(eng_graph *g, eng_node *x, eng_node *weight, eng_node *bias, float eps)
{
    const eng_op op = ENG_OP_INSTANCE_NORM2D;
    if (!is_4d(g, op, x, "input") || !is_vector(g, op, weight, x->shape[1], "weight") ||
        !is_vector(g, op, bias, x->shape[1], "bias"))
        return g->placeholder;
    if ((size_t)x->shape[2] * (size_t)x->shape[3] < 2)
        return eng_graph_refuse(g, "instance_norm2d: needs more than 1 spatial value");
    eng_node *n = op_node(g, op, 4, x->shape, (eng_node *[]){x, weight, bias}, 3);
    n->arg.norm.eps = eps;
    n->arg.norm.training = 1;
    n->aux_numel = 2 * (size_t)x->shape[0] * (size_t)x->shape[1];
    return n;
}

eng_node *eng_reflection_pad2d(eng_graph *g, eng_node *x, int pad)
{
    const eng_op op = ENG_OP_REFLECTION_PAD2D;
    if (!is_4d(g, op, x, "input"))
        return g->placeholder;
    if (pad < 0 || pad >= x->shape[2] || pad >= x->shape[3])
        return eng_graph_refuse(g, "reflection_pad2d: padding %d must be below the input size "
                                "%dx%d", pad, x->shape[2], x->shape[3]);
    int64_t ho = padded(x->shape[2], pad), wo = padded(x->shape[3], pad);
    if (!is_size(g, op, ho, "height") || !is_size(g, op, wo, "width"))
        return g->placeholder;
    eng_node *n = op_node(g, op, 4, (const int[]){x->shape[0], x->shape[1], (int)ho, (int)wo},
                          &x, 1);
    n->arg.pad.pad = pad;
    return n;
}

/* avg_pool2d and max_pool2d: kernel x kernel windows, stride apart, over the input padded by
 * pad on each side (the padding never counted); Hout = (H + 2 pad - kernel) / stride + 1. */
static eng_node *pool2d(eng_graph *g, eng_op op, eng_node *x, int kernel, int stride, int pad)
{
    const char *name = eng_op_infos[op].name;
    if (!is_4d(g, op, x, "input"))
        return g->placeholder;
    /* PyTorch's limit: every window then holds at least one input cell */
    if (kernel < 1 || stride < 1 || pad < 0 || pad > kernel / 2)
        return eng_graph_refuse(g, "%s: kernel %d, stride %d, padding %d (padding at most half "
                                "the kernel)", name, kernel, stride, pad);
    int64_t hi = padded(x->shape[2], pad), wi = padded(x->shape[3], pad);
    if (hi < kernel || wi < kernel)
        return eng_graph_refuse(g, "%s: input %dx%d smaller than kernel %d", name, x->shape[2],
                                x->shape[3], kernel);
    int ho = (int)((hi - kernel) / stride + 1), wo = (int)((wi - kernel) / stride + 1);
    eng_node *n = op_node(g, op, 4, (const int[]){x->shape[0], x->shape[1], ho, wo}, &x, 1);
    n->arg.pool.kernel = kernel;
    n->arg.pool.stride = stride;
    n->arg.pool.pad = pad;
    return n;
}

eng_node *eng_avg_pool2d(eng_graph *g, eng_node *x, int kernel, int stride, int pad)
{
    return pool2d(g, ENG_OP_AVG_POOL2D, x, kernel, stride, pad);
}

eng_node *eng_max_pool2d(eng_graph *g, eng_node *x, int kernel, int stride, int pad)
{
    return pool2d(g, ENG_OP_MAX_POOL2D, x, kernel, stride, pad);
}

eng_node *eng_upsample_nearest2d(eng_graph *g, eng_node *x, int scale)
{
    const eng_op op = ENG_OP_UPSAMPLE_NEAREST2D;
    if (!is_4d(g, op, x, "input"))
        return g->placeholder;
    if (scale < 1)
        return eng_graph_refuse(g, "upsample_nearest2d: scale %d (a whole factor from 1)", scale);
    int64_t ho = (int64_t)x->shape[2] * scale, wo = (int64_t)x->shape[3] * scale;
    if (!is_size(g, op, ho, "height") || !is_size(g, op, wo, "width"))
        return g->placeholder;
    eng_node *n = op_node(g, op, 4, (const int[]){x->shape[0], x->shape[1], (int)ho, (int)wo},
                          &x, 1);
    n->arg.upsample.scale = scale;
    return n;
}

eng_node *eng_spectral_norm(eng_graph *g, eng_node *weight, eng_node *u, eng_node *v, float eps)
{
    const eng_op op = ENG_OP_SPECTRAL_NORM;
    if (weight->ndim < 2)
        return eng_graph_refuse(g, "spectral_norm: weight must have 2 or more dimensions, has %d",
                                weight->ndim);
    int rows = weight->shape[0];
    size_t cols = weight->numel / (size_t)rows;
    if (cols > INT_MAX)
        return eng_graph_refuse(g, "spectral_norm: %zu columns", cols);
    if (!u || !v)
        return eng_graph_refuse(g, "spectral_norm: u and v are required");
    if (!is_vector(g, op, u, rows, "u") || !is_vector(g, op, v, (int)cols, "v"))
        return g->placeholder;
    if (!(eps > 0.0f))
        return eng_graph_refuse(g, "spectral_norm: eps %g must be positive", (double)eps);
    eng_node *n = op_node(g, op, weight->ndim, weight->shape, (eng_node *[]){weight, u, v}, 3);
    n->arg.spectral.eps = eps;
    n->aux_numel = 2 * (size_t)rows + cols + 2; /* u, v, sigma, W v, the backward's dot */
    return n;
}

static eng_node *unary(eng_graph *g, eng_op op, eng_node *x, float value)
{
    eng_node *n = op_node(g, op, x->ndim, x->shape, &x, 1);
    n->arg.scalar.value = value;
    return n;
}

eng_node *eng_detach(eng_graph *g, eng_node *x) { return unary(g, ENG_OP_DETACH, x, 0); }

eng_node *eng_dropout(eng_graph *g, eng_node *x, float p, uint32_t seed)
{
    if (!(p >= 0.0f && p < 1.0f))
        return eng_graph_refuse(g, "dropout: probability %g outside [0, 1)", (double)p);
    eng_node *n = unary(g, ENG_OP_DROPOUT, x, 0);
    n->arg.dropout.p = p;
    n->arg.dropout.seed = seed;
    return n;
}

eng_node *eng_concat(eng_graph *g, eng_node *a, eng_node *b)
{
    const eng_op op = ENG_OP_CONCAT;
    if (!is_4d(g, op, a, "first operand") || !is_4d(g, op, b, "second operand"))
        return g->placeholder;
    if (a->shape[0] != b->shape[0] || a->shape[2] != b->shape[2] || a->shape[3] != b->shape[3])
        return eng_graph_refuse(g, "concat: [%d,%d,%d,%d] and [%d,%d,%d,%d] differ outside the "
                                "channels", a->shape[0], a->shape[1], a->shape[2], a->shape[3],
                                b->shape[0], b->shape[1], b->shape[2], b->shape[3]);
    int64_t c = (int64_t)a->shape[1] + b->shape[1];
    if (!is_size(g, op, c, "channels"))
        return g->placeholder;
    return op_node(g, op, 4, (const int[]){a->shape[0], (int)c, a->shape[2], a->shape[3]},
                   (eng_node *[]){a, b}, 2);
}

static eng_node *binary(eng_graph *g, eng_op op, eng_node *a, eng_node *b, int ndim,
                        const int *shape)
{
    if (a->ndim != b->ndim || memcmp(a->shape, b->shape, sizeof(int) * (size_t)a->ndim))
        return eng_graph_refuse(g, "%s: operands have different shapes", eng_op_infos[op].name);
    return op_node(g, op, ndim, shape, (eng_node *[]){a, b}, 2);
}

/* The element-wise ops' constructors, one per ENG_ELTWISE row of the op table, by its operands
 * column: eng_<fn>(g, x), eng_<fn>(g, x, s) or eng_<fn>(g, a, b) (declared in engine.h). */
#define CONSTRUCTOR_X(id, fn)                                                                    \
    eng_node *eng_##fn(eng_graph *g, eng_node *x) { return unary(g, ENG_OP_##id, x, 0); }
#define CONSTRUCTOR_XS(id, fn)                                                                   \
    eng_node *eng_##fn(eng_graph *g, eng_node *x, float s) { return unary(g, ENG_OP_##id, x, s); }
#define CONSTRUCTOR_AB(id, fn)                                                                   \
    eng_node *eng_##fn(eng_graph *g, eng_node *a, eng_node *b)                                   \
    {                                                                                            \
        return binary(g, ENG_OP_##id, a, b, a->ndim, a->shape);                                  \
    }
#define ENG_LEAF(id, name)
#define ENG_OP(id, name, kind, kernel, grads, reads, vk, macs)
#define ENG_ELTWISE(id, fn, operands, reads, onnx, onnx_scalar, fp32_output, forward, backward) \
    CONSTRUCTOR_##operands(id, fn)
#include "engine/ops.def"
#undef ENG_LEAF
#undef ENG_OP
#undef ENG_ELTWISE

static const int scalar_shape[1] = {1};

eng_node *eng_sum(eng_graph *g, eng_node *x)
{
    return op_node(g, ENG_OP_SUM, 1, scalar_shape, &x, 1);
}
eng_node *eng_l1_loss(eng_graph *g, eng_node *x, eng_node *target)
{
    return binary(g, ENG_OP_L1_LOSS, x, target, 1, scalar_shape);
}
eng_node *eng_mse_loss(eng_graph *g, eng_node *x, eng_node *target)
{
    return binary(g, ENG_OP_MSE_LOSS, x, target, 1, scalar_shape);
}
eng_node *eng_bce_with_logits_loss(eng_graph *g, eng_node *logits, eng_node *target)
{
    return binary(g, ENG_OP_BCE_LOGITS_LOSS, logits, target, 1, scalar_shape);
}
