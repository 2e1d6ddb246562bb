/* Element-wise ops: activations, dropout, add, mul, scale, detach. Each kernel is one pass over
 * memory, split across the pool. */
#include <math.h>
#include <string.h>

#include "engine/cpu/cpu_internal.h"

typedef struct {
    const float *a, *b; /* sources (a: x or first operand; b: second operand or the output) */
    const float *gy;    /* upstream gradient */
    float *out;         /* forward output, or the gradient of a */
    float *out_b;       /* gradient of b */
    float s;            /* slope, scale factor or dropout keep scale */
    float p;            /* dropout probability */
    uint32_t seed, run;
} ew_job;

static void run_job(cpu_ctx *c, size_t n, cpu_range_fn fn, ew_job *j)
{
    cpu_parallel_for(c->pool, n, fn, j);
}

static float *data_of(cpu_ctx *c, const eng_node *n, int i) { return c->data[n->src[i]->id]; }
static float *grad_of(cpu_ctx *c, const eng_node *n, int i) { return c->grad[n->src[i]->id]; }

/* ---- relu: gradient where the output is positive (as PyTorch's threshold_backward) ------- */
static void relu_fwd(void *arg, size_t lo, size_t hi)
{
    const ew_job *j = arg;
    const float *restrict a = j->a;
    float *restrict out = j->out;
    for (size_t i = lo; i < hi; i++)
        out[i] = a[i] > 0.0f ? a[i] : 0.0f;
}
static void relu_bwd(void *arg, size_t lo, size_t hi)
{
    const ew_job *j = arg;
    const float *restrict y = j->b, *restrict gy = j->gy;
    float *restrict out = j->out;
    for (size_t i = lo; i < hi; i++) {
        float g = gy[i]; /* loaded unconditionally, so the select vectorizes */
        out[i] += y[i] > 0.0f ? g : 0.0f;
    }
}
void cpu_relu_forward(cpu_ctx *c, const eng_node *n)
{
    ew_job j = {.a = data_of(c, n, 0), .out = c->data[n->id]};
    run_job(c, n->numel, relu_fwd, &j);
}
void cpu_relu_backward(cpu_ctx *c, const eng_node *n, unsigned mask)
{
    ew_job j = {.b = c->data[n->id], .gy = c->grad[n->id], .out = grad_of(c, n, 0)};
    if (mask & 1u)
        run_job(c, n->numel, relu_bwd, &j);
}

/* ---- leaky_relu(slope) ------------------------------------------------------------------- */
static void leaky_fwd(void *arg, size_t lo, size_t hi)
{
    const ew_job *j = arg;
    const float *restrict a = j->a;
    float *restrict out = j->out;
    const float s = j->s;
    for (size_t i = lo; i < hi; i++)
        out[i] = a[i] > 0.0f ? a[i] : a[i] * s;
}
static void leaky_bwd(void *arg, size_t lo, size_t hi)
{
    const ew_job *j = arg;
    const float *restrict a = j->a, *restrict gy = j->gy;
    float *restrict out = j->out;
    const float s = j->s;
    for (size_t i = lo; i < hi; i++)
        out[i] += a[i] > 0.0f ? gy[i] : gy[i] * s;
}
void cpu_leaky_relu_forward(cpu_ctx *c, const eng_node *n)
{
    ew_job j = {.a = data_of(c, n, 0), .out = c->data[n->id], .s = n->arg.scalar.value};
    run_job(c, n->numel, leaky_fwd, &j);
}
/* With a slope >= 0 the output is positive exactly where the input is, so the gradient comes
 * from the output and the input's memory can be reused once the forward is done. */
void cpu_leaky_relu_backward(cpu_ctx *c, const eng_node *n, unsigned mask)
{
    float slope = n->arg.scalar.value;
    ew_job j = {.a = slope >= 0.0f ? c->data[n->id] : data_of(c, n, 0), .gy = c->grad[n->id],
                .out = grad_of(c, n, 0), .s = slope};
    if (mask & 1u)
        run_job(c, n->numel, leaky_bwd, &j);
}

/* ---- tanh and sigmoid: gradients from the output ----------------------------------------- */
static void tanh_fwd(void *arg, size_t lo, size_t hi)
{
    const ew_job *j = arg;
    for (size_t i = lo; i < hi; i++)
        j->out[i] = tanhf(j->a[i]);
}
static void tanh_bwd(void *arg, size_t lo, size_t hi)
{
    const ew_job *j = arg;
    const float *restrict y = j->b, *restrict gy = j->gy;
    float *restrict out = j->out;
    for (size_t i = lo; i < hi; i++)
        out[i] += gy[i] * (1.0f - y[i] * y[i]);
}
void cpu_tanh_forward(cpu_ctx *c, const eng_node *n)
{
    ew_job j = {.a = data_of(c, n, 0), .out = c->data[n->id]};
    run_job(c, n->numel, tanh_fwd, &j);
}
void cpu_tanh_backward(cpu_ctx *c, const eng_node *n, unsigned mask)
{
    ew_job j = {.b = c->data[n->id], .gy = c->grad[n->id], .out = grad_of(c, n, 0)};
    if (mask & 1u)
        run_job(c, n->numel, tanh_bwd, &j);
}

static void sigmoid_fwd(void *arg, size_t lo, size_t hi)
{
    const ew_job *j = arg;
    for (size_t i = lo; i < hi; i++)
        j->out[i] = 1.0f / (1.0f + expf(-j->a[i]));
}
static void sigmoid_bwd(void *arg, size_t lo, size_t hi)
{
    const ew_job *j = arg;
    const float *restrict y = j->b, *restrict gy = j->gy;
    float *restrict out = j->out;
    for (size_t i = lo; i < hi; i++)
        out[i] += gy[i] * (1.0f - y[i]) * y[i];
}
void cpu_sigmoid_forward(cpu_ctx *c, const eng_node *n)
{
    ew_job j = {.a = data_of(c, n, 0), .out = c->data[n->id]};
    run_job(c, n->numel, sigmoid_fwd, &j);
}
void cpu_sigmoid_backward(cpu_ctx *c, const eng_node *n, unsigned mask)
{
    ew_job j = {.b = c->data[n->id], .gy = c->grad[n->id], .out = grad_of(c, n, 0)};
    if (mask & 1u)
        run_job(c, n->numel, sigmoid_bwd, &j);
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

/* ---- add, mul (same shapes) -------------------------------------------------------------- */
static void add_fwd(void *arg, size_t lo, size_t hi)
{
    const ew_job *j = arg;
    const float *restrict a = j->a, *restrict b = j->b;
    float *restrict out = j->out;
    for (size_t i = lo; i < hi; i++)
        out[i] = a[i] + b[i];
}
static void mul_fwd(void *arg, size_t lo, size_t hi)
{
    const ew_job *j = arg;
    const float *restrict a = j->a, *restrict b = j->b;
    float *restrict out = j->out;
    for (size_t i = lo; i < hi; i++)
        out[i] = a[i] * b[i];
}
/* add(x, x) and mul(x, x) send both gradients to one buffer: no restrict on out and out_b. */
static void add_bwd(void *arg, size_t lo, size_t hi)
{
    const ew_job *j = arg;
    const float *gy = j->gy;
    float *out = j->out, *out_b = j->out_b;
    if (out)
        for (size_t i = lo; i < hi; i++)
            out[i] += gy[i];
    if (out_b)
        for (size_t i = lo; i < hi; i++)
            out_b[i] += gy[i];
}
static void mul_bwd(void *arg, size_t lo, size_t hi)
{
    const ew_job *j = arg;
    const float *restrict gy = j->gy, *restrict a = j->a, *restrict b = j->b;
    float *out = j->out, *out_b = j->out_b;
    for (size_t i = lo; i < hi; i++) {
        float g = gy[i], x = a[i], y = b[i];
        if (out)
            out[i] += g * y;
        if (out_b)
            out_b[i] += g * x;
    }
}
static ew_job binary_backward_job(cpu_ctx *c, const eng_node *n, unsigned mask)
{
    return (ew_job){.a = data_of(c, n, 0), .b = data_of(c, n, 1), .gy = c->grad[n->id],
                    .out = (mask & 1u) ? grad_of(c, n, 0) : NULL,
                    .out_b = (mask & 2u) ? grad_of(c, n, 1) : NULL};
}
void cpu_add_forward(cpu_ctx *c, const eng_node *n)
{
    ew_job j = {.a = data_of(c, n, 0), .b = data_of(c, n, 1), .out = c->data[n->id]};
    run_job(c, n->numel, add_fwd, &j);
}
void cpu_add_backward(cpu_ctx *c, const eng_node *n, unsigned mask)
{
    ew_job j = binary_backward_job(c, n, mask);
    if (mask & 3u)
        run_job(c, n->numel, add_bwd, &j);
}
void cpu_mul_forward(cpu_ctx *c, const eng_node *n)
{
    ew_job j = {.a = data_of(c, n, 0), .b = data_of(c, n, 1), .out = c->data[n->id]};
    run_job(c, n->numel, mul_fwd, &j);
}
void cpu_mul_backward(cpu_ctx *c, const eng_node *n, unsigned mask)
{
    ew_job j = binary_backward_job(c, n, mask);
    if (mask & 3u)
        run_job(c, n->numel, mul_bwd, &j);
}

/* ---- scale(factor) ----------------------------------------------------------------------- */
static void scale_fwd(void *arg, size_t lo, size_t hi)
{
    const ew_job *j = arg;
    const float *restrict a = j->a;
    float *restrict out = j->out;
    const float s = j->s;
    for (size_t i = lo; i < hi; i++)
        out[i] = a[i] * s;
}
static void scale_bwd(void *arg, size_t lo, size_t hi)
{
    const ew_job *j = arg;
    const float *restrict gy = j->gy;
    float *restrict out = j->out;
    const float s = j->s;
    for (size_t i = lo; i < hi; i++)
        out[i] += gy[i] * s;
}
void cpu_scale_forward(cpu_ctx *c, const eng_node *n)
{
    ew_job j = {.a = data_of(c, n, 0), .out = c->data[n->id], .s = n->arg.scalar.value};
    run_job(c, n->numel, scale_fwd, &j);
}
void cpu_scale_backward(cpu_ctx *c, const eng_node *n, unsigned mask)
{
    ew_job j = {.gy = c->grad[n->id], .out = grad_of(c, n, 0), .s = n->arg.scalar.value};
    if (mask & 1u)
        run_job(c, n->numel, scale_bwd, &j);
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
