/* Reductions to a [1] tensor: sum and the mean-reduced losses (l1, mse, bce with logits).
 * Sums are accumulated in double over a fixed split into blocks, so the result does not
 * depend on the number of threads. */
#include <math.h>

#include "engine/cpu/cpu_internal.h"

#define LOSS_BLOCKS 256

typedef double (*term_fn)(float x, float t);

typedef struct {
    const float *x, *t;
    term_fn term;
    size_t numel, block;
    double partial[LOSS_BLOCKS];
} reduce_job;

static void reduce_blocks(void *arg, size_t begin, size_t end)
{
    reduce_job *j = arg;
    for (size_t b = begin; b < end; b++) {
        size_t lo = b * j->block, hi = lo + j->block < j->numel ? lo + j->block : j->numel;
        double s = 0.0;
        for (size_t i = lo; i < hi; i++)
            s += j->term(j->x[i], j->t ? j->t[i] : 0.0f);
        j->partial[b] = s;
    }
}

static double reduce(cpu_ctx *c, const float *x, const float *t, size_t numel, term_fn term)
{
    reduce_job j = {.x = x, .t = t, .term = term, .numel = numel,
                    .block = (numel + LOSS_BLOCKS - 1) / LOSS_BLOCKS};
    size_t blocks = j.block ? (numel + j.block - 1) / j.block : 0;
    cpu_parallel_for(c->pool, blocks, reduce_blocks, &j);
    double s = 0.0;
    for (size_t b = 0; b < blocks; b++)
        s += j.partial[b];
    return s;
}

static double term_value(float x, float t)
{
    (void)t;
    return x;
}
static double term_l1(float x, float t) { return fabs((double)x - t); }
static double term_mse(float x, float t)
{
    double d = (double)x - t;
    return d * d;
}
/* max(x, 0) - x*t + log(1 + exp(-|x|)): stable for any x. */
static double term_bce(float x, float t)
{
    double xd = x;
    return (xd > 0.0 ? xd : 0.0) - xd * t + log1p(exp(-fabs(xd)));
}

static void loss_forward(cpu_ctx *c, const eng_node *n, term_fn term, int mean)
{
    const eng_node *x = n->src[0];
    const float *t = n->nsrc > 1 ? c->data[n->src[1]->id] : NULL;
    double s = reduce(c, c->data[x->id], t, x->numel, term);
    c->data[n->id][0] = (float)(mean ? s / (double)x->numel : s);
}

void cpu_sum_forward(cpu_ctx *c, const eng_node *n) { loss_forward(c, n, term_value, 0); }
void cpu_l1_loss_forward(cpu_ctx *c, const eng_node *n) { loss_forward(c, n, term_l1, 1); }
void cpu_mse_loss_forward(cpu_ctx *c, const eng_node *n) { loss_forward(c, n, term_mse, 1); }
void cpu_bce_logits_loss_forward(cpu_ctx *c, const eng_node *n) { loss_forward(c, n, term_bce, 1); }

/* ---- backward: gx += factor * d(term)/dx, factor = upstream / numel (or upstream for sum) -- */
typedef float (*dterm_fn)(float x, float t);

typedef struct {
    const float *x, *t;
    float *gx;
    float factor;
    dterm_fn dterm;
} grad_job;

static void grad_range(void *arg, size_t lo, size_t hi)
{
    const grad_job *j = arg;
    for (size_t i = lo; i < hi; i++)
        j->gx[i] += j->dterm(j->x[i], j->t ? j->t[i] : 0.0f) * j->factor;
}

static float dterm_value(float x, float t)
{
    (void)x;
    (void)t;
    return 1.0f;
}
/* sign(x - t) with sign(0) = 0, as PyTorch. */
static float dterm_l1(float x, float t)
{
    float d = x - t;
    return (float)((d > 0.0f) - (d < 0.0f));
}
static float dterm_mse(float x, float t) { return 2.0f * (x - t); }
static float dterm_bce(float x, float t)
{
    float s = x >= 0.0f ? 1.0f / (1.0f + expf(-x)) : expf(x) / (1.0f + expf(x));
    return s - t;
}

static void loss_backward(cpu_ctx *c, const eng_node *n, unsigned mask, dterm_fn dterm, int mean)
{
    const eng_node *x = n->src[0];
    if (!(mask & 1u))
        return;
    float up = c->grad[n->id][0];
    grad_job j = {.x = c->data[x->id], .t = n->nsrc > 1 ? c->data[n->src[1]->id] : NULL,
                  .gx = c->grad[x->id], .dterm = dterm,
                  .factor = mean ? (float)((double)up / (double)x->numel) : up};
    cpu_parallel_for(c->pool, x->numel, grad_range, &j);
}

void cpu_sum_backward(cpu_ctx *c, const eng_node *n, unsigned mask)
{
    loss_backward(c, n, mask, dterm_value, 0);
}
void cpu_l1_loss_backward(cpu_ctx *c, const eng_node *n, unsigned mask)
{
    loss_backward(c, n, mask, dterm_l1, 1);
}
void cpu_mse_loss_backward(cpu_ctx *c, const eng_node *n, unsigned mask)
{
    loss_backward(c, n, mask, dterm_mse, 1);
}
void cpu_bce_logits_loss_backward(cpu_ctx *c, const eng_node *n, unsigned mask)
{
    loss_backward(c, n, mask, dterm_bce, 1);
}
