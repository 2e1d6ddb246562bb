/* batch_norm2d and instance_norm2d (PyTorch semantics, statistics accumulated in double as
 * PyTorch's CPU kernels do).
 *
 * Both normalise "groups" of planes: batch norm groups the N planes of a channel, instance norm
 * uses one plane per group. A group is `count` planes of `plane` floats, `stride` floats apart. */
#include <math.h>

#include "engine/cpu/cpu_internal.h"

typedef struct {
    const float *x;
    size_t count, stride, plane;
} group;

static group channel_group(const eng_node *x, const float *data, size_t ch)
{
    size_t plane = (size_t)x->shape[2] * x->shape[3];
    return (group){data + ch * plane, (size_t)x->shape[0], (size_t)x->shape[1] * plane, plane};
}

static group instance_group(const eng_node *x, const float *data, size_t nc)
{
    size_t plane = (size_t)x->shape[2] * x->shape[3];
    return (group){data + nc * plane, 1, 0, plane};
}

/* Mean and biased variance, two passes. */
static void group_stats(const group *g, double *mean, double *var)
{
    double s = 0.0, q = 0.0;
    for (size_t i = 0; i < g->count; i++) {
        const float *p = g->x + i * g->stride;
        for (size_t j = 0; j < g->plane; j++)
            s += p[j];
    }
    double n = (double)(g->count * g->plane), m = s / n;
    for (size_t i = 0; i < g->count; i++) {
        const float *p = g->x + i * g->stride;
        for (size_t j = 0; j < g->plane; j++) {
            double d = p[j] - m;
            q += d * d;
        }
    }
    *mean = m;
    *var = q / n;
}

/* y = x * alpha + beta over the group's planes (y laid out like x). */
static void group_affine(const group *g, float *y, float alpha, float beta)
{
    for (size_t i = 0; i < g->count; i++) {
        const float *p = g->x + i * g->stride;
        float *q = y + i * g->stride;
        for (size_t j = 0; j < g->plane; j++)
            q[j] = p[j] * alpha + beta;
    }
}

/* sum(dy) and sum((x - mean) * dy) over the group. */
static void group_grad_sums(const group *g, const float *gy, double mean, double *sum_dy,
                            double *dot)
{
    double s = 0.0, d = 0.0;
    for (size_t i = 0; i < g->count; i++) {
        const float *p = g->x + i * g->stride, *q = gy + i * g->stride;
        for (size_t j = 0; j < g->plane; j++) {
            s += q[j];
            d += (p[j] - mean) * q[j];
        }
    }
    *sum_dy = s;
    *dot = d;
}

/* gx += dy * w * invstd, minus the projections through the batch statistics when `stats`. */
static void group_grad_x(const group *g, const float *gy, float *gx, double mean, double invstd,
                         double w, double sum_dy, double dot, int stats)
{
    double n = (double)(g->count * g->plane);
    float grad_mean = stats ? (float)(sum_dy / n) : 0.0f;
    float proj = stats ? (float)(dot * invstd * invstd / n) : 0.0f;
    float fmean = (float)mean, scale = (float)(invstd * w);
    for (size_t i = 0; i < g->count; i++) {
        const float *p = g->x + i * g->stride, *q = gy + i * g->stride;
        float *r = gx + i * g->stride;
        for (size_t j = 0; j < g->plane; j++)
            r[j] += (q[j] - grad_mean - (p[j] - fmean) * proj) * scale;
    }
}

/* ---- batch_norm2d ------------------------------------------------------------------------ */
typedef struct {
    cpu_ctx *c;
    const eng_node *n;
    unsigned mask;
} norm_job;

static int bn_training(const eng_node *n) { return n->arg.norm.training; }

static float param_or(const cpu_ctx *c, const eng_node *p, size_t i, float fallback)
{
    return p ? c->data[p->id][i] : fallback;
}

/* Statistics used by forward and backward: saved batch ones (training) or running ones. */
static void bn_stats(const cpu_ctx *c, const eng_node *n, size_t ch, double *mean, double *invstd)
{
    if (bn_training(n)) {
        const float *aux = c->aux[n->id];
        *mean = aux[ch];
        *invstd = aux[n->shape[1] + ch];
    } else {
        *mean = c->data[n->src[3]->id][ch];
        *invstd = 1.0 / sqrt((double)c->data[n->src[4]->id][ch] + n->arg.norm.eps);
    }
}

static void bn_forward_channels(void *arg, size_t begin, size_t end)
{
    const norm_job *j = arg;
    cpu_ctx *c = j->c;
    const eng_node *n = j->n, *x = n->src[0];
    int channels = n->shape[1];
    double momentum = n->arg.norm.momentum;
    for (size_t ch = begin; ch < end; ch++) {
        group g = channel_group(x, c->data[x->id], ch);
        double mean, invstd;
        if (bn_training(n)) {
            double var;
            float *rm = c->data[n->src[3]->id], *rv = c->data[n->src[4]->id];
            double count = (double)(g.count * g.plane);
            group_stats(&g, &mean, &var);
            invstd = 1.0 / sqrt(var + n->arg.norm.eps);
            c->aux[n->id][ch] = (float)mean;
            c->aux[n->id][channels + ch] = (float)invstd;
            /* The constructor rejects count 1, where PyTorch refuses to train too. */
            rm[ch] = (float)(momentum * mean + (1.0 - momentum) * rm[ch]);
            rv[ch] = (float)(momentum * var * count / (count - 1.0) + (1.0 - momentum) * rv[ch]);
        } else {
            bn_stats(c, n, ch, &mean, &invstd);
        }
        double w = param_or(c, n->src[1], ch, 1.0f), b = param_or(c, n->src[2], ch, 0.0f);
        double alpha = invstd * w;
        group_affine(&g, c->data[n->id] + (g.x - c->data[x->id]), (float)alpha,
                     (float)(b - mean * alpha));
    }
}

void cpu_batch_norm2d_forward(cpu_ctx *c, const eng_node *n)
{
    norm_job j = {c, n, 0};
    cpu_parallel_for(c->pool, (size_t)n->shape[1], bn_forward_channels, &j);
    if (bn_training(n))
        c->data[n->src[5]->id][0] += 1.0f;
}

static void bn_backward_channels(void *arg, size_t begin, size_t end)
{
    const norm_job *j = arg;
    cpu_ctx *c = j->c;
    const eng_node *n = j->n, *x = n->src[0];
    for (size_t ch = begin; ch < end; ch++) {
        group g = channel_group(x, c->data[x->id], ch);
        const float *gy = c->grad[n->id] + (g.x - c->data[x->id]);
        double mean, invstd, sum_dy, dot;
        bn_stats(c, n, ch, &mean, &invstd);
        group_grad_sums(&g, gy, mean, &sum_dy, &dot);
        if (j->mask & 1u)
            group_grad_x(&g, gy, c->grad[x->id] + (g.x - c->data[x->id]), mean, invstd,
                         param_or(c, n->src[1], ch, 1.0f), sum_dy, dot, bn_training(n));
        if ((j->mask & 2u) && n->src[1])
            c->grad[n->src[1]->id][ch] += (float)(dot * invstd);
        if ((j->mask & 4u) && n->src[2])
            c->grad[n->src[2]->id][ch] += (float)sum_dy;
    }
}

void cpu_batch_norm2d_backward(cpu_ctx *c, const eng_node *n, unsigned mask)
{
    norm_job j = {c, n, mask};
    cpu_parallel_for(c->pool, (size_t)n->shape[1], bn_backward_channels, &j);
}

/* ---- instance_norm2d: aux = mean[N*C] then invstd[N*C] ---------------------------------- */
static void in_forward_planes(void *arg, size_t begin, size_t end)
{
    const norm_job *j = arg;
    cpu_ctx *c = j->c;
    const eng_node *n = j->n, *x = n->src[0];
    size_t channels = (size_t)n->shape[1], planes = (size_t)n->shape[0] * channels;
    for (size_t nc = begin; nc < end; nc++) {
        group g = instance_group(x, c->data[x->id], nc);
        double mean, var;
        group_stats(&g, &mean, &var);
        double invstd = 1.0 / sqrt(var + n->arg.norm.eps);
        c->aux[n->id][nc] = (float)mean;
        c->aux[n->id][planes + nc] = (float)invstd;
        double w = param_or(c, n->src[1], nc % channels, 1.0f);
        double b = param_or(c, n->src[2], nc % channels, 0.0f);
        double alpha = invstd * w;
        group_affine(&g, c->data[n->id] + nc * g.plane, (float)alpha, (float)(b - mean * alpha));
    }
}

void cpu_instance_norm2d_forward(cpu_ctx *c, const eng_node *n)
{
    norm_job j = {c, n, 0};
    cpu_parallel_for(c->pool, (size_t)n->shape[0] * n->shape[1], in_forward_planes, &j);
}

/* One task per channel: it owns the channel's weight and bias gradients across the batch. */
static void in_backward_channels(void *arg, size_t begin, size_t end)
{
    const norm_job *j = arg;
    cpu_ctx *c = j->c;
    const eng_node *n = j->n, *x = n->src[0];
    size_t channels = (size_t)n->shape[1], planes = (size_t)n->shape[0] * channels;
    const float *aux = c->aux[n->id];
    for (size_t ch = begin; ch < end; ch++) {
        double dw = 0.0, db = 0.0;
        for (size_t nc = ch; nc < planes; nc += channels) {
            group g = instance_group(x, c->data[x->id], nc);
            const float *gy = c->grad[n->id] + nc * g.plane;
            double mean = aux[nc], invstd = aux[planes + nc], sum_dy, dot;
            group_grad_sums(&g, gy, mean, &sum_dy, &dot);
            if (j->mask & 1u)
                group_grad_x(&g, gy, c->grad[x->id] + nc * g.plane, mean, invstd,
                             param_or(c, n->src[1], ch, 1.0f), sum_dy, dot, 1);
            dw += dot * invstd;
            db += sum_dy;
        }
        if ((j->mask & 2u) && n->src[1])
            c->grad[n->src[1]->id][ch] += (float)dw;
        if ((j->mask & 4u) && n->src[2])
            c->grad[n->src[2]->id][ch] += (float)db;
    }
}

void cpu_instance_norm2d_backward(cpu_ctx *c, const eng_node *n, unsigned mask)
{
    norm_job j = {c, n, mask};
    cpu_parallel_for(c->pool, (size_t)n->shape[1], in_backward_channels, &j);
}
