/* Adam, following torch.optim.Adam's single-tensor path (weight_decay 0, amsgrad off):
 *   exp_avg.lerp_(grad, 1 - beta1)
 *   exp_avg_sq.mul_(beta2).addcmul_(grad, grad, value = 1 - beta2)
 *   denom = exp_avg_sq.sqrt() / sqrt(1 - beta2^t) + eps
 *   param.addcdiv_(exp_avg, denom, value = -lr / (1 - beta1^t))
 * Element-wise arithmetic in float, the bias corrections in double, as PyTorch. It also tells
 * whether the gradient held an infinity or a NaN (eng_plan_nonfinite_grads), and whether the
 * update left one in the moments or the weights (eng_plan_nonfinite_state): a finite gradient
 * whose square overflows makes exp_avg_sq infinite and the update of those weights 0 from then
 * on, which only the state shows. With an average (eng_adam_set_average) the same pass over
 * the range then moves it towards the new weights: avg = decay * avg + (1 - decay) * param. */
#include <math.h>
#include <stdint.h>
#include <string.h>

#include "engine/cpu/cpu_internal.h"

typedef struct {
    float *p, *m, *v, *avg;
    const float *g;
    float w1, beta2, w2, bc2_sqrt, eps, neg_step, decay, keep;
    int nonfinite; /* ADAM_BAD_* bits, set (atomically) by the ranges that met one */
} adam_job;

/* 1 when x is an infinity or a NaN (all exponent bits set), branch-free so that the loops
 * vectorize. */
static inline uint32_t nonfinite_bit(float x)
{
    uint32_t bits;
    memcpy(&bits, &x, sizeof bits);
    return (uint32_t)((bits & 0x7f800000u) == 0x7f800000u);
}

static void adam_range(void *arg, size_t lo, size_t hi)
{
    adam_job *j = arg;
    float *restrict p = j->p, *restrict m = j->m, *restrict v = j->v;
    const float *restrict g = j->g;
    const float w1 = j->w1, beta2 = j->beta2, w2 = j->w2, bc2_sqrt = j->bc2_sqrt, eps = j->eps,
                neg_step = j->neg_step;
    uint32_t bad_grad = 0, bad_state = 0;
    /* PyTorch's lerp switches formula at weight 0.5 for accuracy; pix2pix uses beta1 = 0.5. */
    const int small_w1 = fabsf(w1) < 0.5f;
    for (size_t i = lo; i < hi; i++) {
        float mi = small_w1 ? m[i] + w1 * (g[i] - m[i]) : g[i] - (g[i] - m[i]) * (1.0f - w1);
        float vi = v[i] * beta2 + w2 * g[i] * g[i];
        float pi = p[i] + neg_step * (mi / (sqrtf(vi) / bc2_sqrt + eps));
        m[i] = mi;
        v[i] = vi;
        p[i] = pi;
        bad_grad |= nonfinite_bit(g[i]);
        bad_state |= nonfinite_bit(mi) | nonfinite_bit(vi) | nonfinite_bit(pi);
    }
    if (j->avg) { /* while the range's weights are in cache */
        float *restrict avg = j->avg;
        const float decay = j->decay, keep = j->keep;
        for (size_t i = lo; i < hi; i++)
            avg[i] = avg[i] * decay + keep * p[i];
    }
    int bad = (bad_grad ? ADAM_BAD_GRAD : 0) | (bad_state ? ADAM_BAD_STATE : 0);
    if (bad)
        __atomic_fetch_or(&j->nonfinite, bad, __ATOMIC_RELAXED);
}

int cpu_adam_param(cpu_ctx *c, const eng_adam *opt, int i, int64_t step)
{
    double t = (double)step;
    double bc1 = 1.0 - pow(opt->beta1, t), bc2 = 1.0 - pow(opt->beta2, t);
    int id = opt->params[i]->id;
    adam_job j = {.p = c->data[id], .g = c->grad[id], .m = c->data[opt->exp_avg[i]->id],
                  .v = c->data[opt->exp_avg_sq[i]->id], .w1 = (float)(1.0 - opt->beta1),
                  .beta2 = opt->beta2, .w2 = (float)(1.0 - opt->beta2),
                  .bc2_sqrt = (float)sqrt(bc2), .eps = opt->eps,
                  .neg_step = (float)(-(double)opt->lr / bc1),
                  .avg = opt->average ? c->data[opt->average[i]->id] : NULL,
                  .decay = opt->average_decay, .keep = (float)(1.0 - opt->average_decay)};
    cpu_parallel_for(c->pool, opt->params[i]->numel, adam_range, &j);
    return __atomic_load_n(&j.nonfinite, __ATOMIC_RELAXED);
}
