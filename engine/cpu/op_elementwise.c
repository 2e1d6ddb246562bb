/* Element-wise ops: the ENG_ELTWISE rows of the op table, each a forward and a backward pass
 * from its formulas, and dropout and detach. Each pass is one sweep over memory, split across
 * the pool. */
#include <string.h>
#include <tgmath.h> /* the formulas' exp, tanh, ... on floats are expf, tanhf, ... */

#include "engine/cpu/cpu_internal.h"

typedef struct {
    const float *a, *b; /* operands (backward of X and XS: a holds the formula's v) */
    const float *gy;    /* upstream gradient */
    float *out;         /* forward output, or the gradient of the first operand */
    float *out_b;       /* gradient of the second operand */
    float s;            /* the XS scalar, or dropout's keep scale */
    float p;            /* dropout probability */
    uint32_t seed, run;
} ew_job;

static void run_job(cpu_ctx *c, size_t n, cpu_range_fn fn, ew_job *j)
{
    cpu_parallel_for(c->pool, n, fn, j);
}

static float *data_of(cpu_ctx *c, const eng_node *n, int i) { return c->data[n->src[i]->id]; }
static float *grad_of(cpu_ctx *c, const eng_node *n, int i) { return c->grad[n->src[i]->id]; }

/* The formulas' tanh (eltwise.comp clamps its input for some GPU drivers; tanhf is exact). */
static inline float bounded_tanh(float x) { return tanh(x); }

/* ---- the ENG_ELTWISE rows ------------------------------------------------------------------
 * Each row's two passes over [lo, hi), its formulas inlined in the loops with the variables
 * that ops.def gives them: <fn>_forward sets out[i] from a (and b, or s); <fn>_backward adds
 * into the first operand's gradient from dy and v (X, XS) or, for both operands, b (AB). */
/* second: the statement that declares the formula's b (AB rows), or one that does nothing */
#define FORWARD(fn, forward, second)                                                             \
    static void fn##_forward(void *arg, size_t lo, size_t hi)                                    \
    {                                                                                            \
        const ew_job *j = arg;                                                                   \
        const float *restrict as = j->a, *restrict bs = j->b;                                    \
        float *restrict out = j->out;                                                            \
        const float s = j->s;                                                                    \
        (void)s;                                                                                 \
        for (size_t i = lo; i < hi; i++) {                                                       \
            const float a = as[i];                                                               \
            second;                                                                              \
            out[i] = (forward);                                                                  \
        }                                                                                        \
    }
#define FORWARD_X(fn, forward) FORWARD(fn, forward, (void)bs)
#define FORWARD_XS FORWARD_X
#define FORWARD_AB(fn, forward) FORWARD(fn, forward, const float b = bs[i])
/* dy and v loaded whether the formula takes them or not, so that its selects vectorize */
#define BACKWARD_X(fn, backward)                                                                 \
    static void fn##_backward(void *arg, size_t lo, size_t hi)                                   \
    {                                                                                            \
        const ew_job *j = arg;                                                                   \
        const float *restrict vs = j->a, *restrict dys = j->gy;                                  \
        float *restrict out = j->out;                                                            \
        const float s = j->s;                                                                    \
        (void)s;                                                                                 \
        for (size_t i = lo; i < hi; i++) {                                                       \
            const float dy = dys[i], v = vs[i];                                                  \
            (void)v;                                                                             \
            out[i] += (backward);                                                                \
        }                                                                                        \
    }
#define BACKWARD_XS BACKWARD_X
/* One pass per operand's gradient, b being the other operand: f(x, x) sends both gradients to
 * one buffer, one pass after the other (so each pass may take restrict pointers). */
#define BACKWARD_AB(fn, backward)                                                                \
    static void fn##_backward_one(const float *restrict dys, const float *restrict bs,          \
                                  float *restrict out, size_t lo, size_t hi)                     \
    {                                                                                            \
        for (size_t i = lo; i < hi; i++) {                                                       \
            const float dy = dys[i], b = bs[i];                                                  \
            (void)b;                                                                             \
            out[i] += (backward);                                                                \
        }                                                                                        \
    }                                                                                            \
    static void fn##_backward(void *arg, size_t lo, size_t hi)                                   \
    {                                                                                            \
        const ew_job *j = arg;                                                                   \
        if (j->out)                                                                              \
            fn##_backward_one(j->gy, j->b, j->out, lo, hi);                                      \
        if (j->out_b)                                                                            \
            fn##_backward_one(j->gy, j->a, j->out_b, lo, hi);                                    \
    }

#define ENG_LEAF(id, name)
#define ENG_OP(id, name, kind, kernel, grads, reads, vk, macs)
#define ENG_ELTWISE(id, fn, operands, reads, onnx, onnx_scalar, fp32_output, forward, backward) \
    FORWARD_##operands(fn, forward) BACKWARD_##operands(fn, backward)
#include "engine/ops.def"
#undef ENG_LEAF
#undef ENG_OP
#undef ENG_ELTWISE

/* Each ENG_ELTWISE row's passes, by op. */
static const struct {
    cpu_range_fn forward, backward;
} passes[ENG_OP_COUNT] = {
#define ENG_LEAF(id, name)
#define ENG_OP(id, name, kind, kernel, grads, reads, vk, macs)
#define ENG_ELTWISE(id, fn, operands, reads, onnx, onnx_scalar, fp32_output, forward, backward) \
    [ENG_OP_##id] = {fn##_forward, fn##_backward},
#include "engine/ops.def"
#undef ENG_LEAF
#undef ENG_OP
#undef ENG_ELTWISE
};

/* arg.scalar.value is s for XS ops (unread by the others' formulas) */
void cpu_eltwise_forward(cpu_ctx *c, const eng_node *n)
{
    ew_job j = {.a = data_of(c, n, 0), .b = n->nsrc > 1 ? data_of(c, n, 1) : NULL,
                .out = c->data[n->id], .s = n->arg.scalar.value};
    run_job(c, n->numel, passes[n->op].forward, &j);
}

/* v is the output where the op's reads say so: the input's memory may be another tensor's by
 * then (for leaky_relu with a slope >= 0 the signs are the same). */
void cpu_eltwise_backward(cpu_ctx *c, const eng_node *n, unsigned mask)
{
    int two = n->nsrc > 1;
    ew_job j = {.gy = c->grad[n->id], .s = n->arg.scalar.value,
                .out = (mask & 1u) ? grad_of(c, n, 0) : NULL,
                .out_b = two && (mask & 2u) ? grad_of(c, n, 1) : NULL};
    if (two) {
        j.a = data_of(c, n, 0);
        j.b = data_of(c, n, 1);
    } else {
        j.a = eng_op_backward_reads(n) & ENG_READS_OUTPUT ? c->data[n->id] : data_of(c, n, 0);
    }
    if (j.out || j.out_b)
        run_job(c, n->numel, passes[n->op].backward, &j);
}

/* ---- dropout: the mask is recomputed from (seed, run, index) in both directions ---------- */
static float dropout_factor(const ew_job *j, size_t i)
{
    return eng_dropout_uniform(j->seed, j->run, (uint32_t)i) >= j->p ? j->s : 0.0f;
}
static void dropout_fwd(void *arg, size_t lo, size_t hi)
{
    const ew_job *j = arg;
    for (size_t i = lo; i < hi; i++)
        j->out[i] = j->a[i] * dropout_factor(j, i);
}
static void dropout_bwd(void *arg, size_t lo, size_t hi)
{
    const ew_job *j = arg;
    for (size_t i = lo; i < hi; i++)
        j->out[i] += j->gy[i] * dropout_factor(j, i);
}
static ew_job dropout_job(cpu_ctx *c, const eng_node *n)
{
    float p = n->arg.dropout.p; /* in [0, 1): checked by eng_dropout */
    return (ew_job){.p = p, .s = 1.0f / (1.0f - p), .seed = n->arg.dropout.seed,
                    .run = c->run_index};
}
void cpu_dropout_forward(cpu_ctx *c, const eng_node *n)
{
    ew_job j = dropout_job(c, n);
    j.a = data_of(c, n, 0);
    j.out = c->data[n->id];
    run_job(c, n->numel, dropout_fwd, &j);
}
void cpu_dropout_backward(cpu_ctx *c, const eng_node *n, unsigned mask)
{
    ew_job j = dropout_job(c, n);
    j.gy = c->grad[n->id];
    j.out = grad_of(c, n, 0);
    if (mask & 1u)
        run_job(c, n->numel, dropout_bwd, &j);
}

/* ---- detach: a copy; no gradient flows through it ---------------------------------------- */
void cpu_detach_forward(cpu_ctx *c, const eng_node *n)
{
    memcpy(c->data[n->id], data_of(c, n, 0), n->numel * sizeof(float));
}
/* Never called: eng_op_infos gives detach no gradient sources. Present for the dispatch table. */
void cpu_detach_backward(cpu_ctx *c, const eng_node *n, unsigned mask)
{
    (void)c;
    (void)n;
    (void)mask;
}
