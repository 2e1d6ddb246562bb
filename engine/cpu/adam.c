/* Adam, following torch.optim.Adam's single-tensor path (weight_decay 0, amsgrad off):
 *   exp_avg.lerp_(grad, 1 - beta1)
 *   exp_avg_sq.mul_(beta2).addcmul_(grad, grad, value = 1 - beta2)
 *   denom = exp_avg_sq.sqrt() / sqrt(1 - beta2^t) + eps
 *   param.addcdiv_(exp_avg, denom, value = -lr / (1 - beta1^t))
 * Element-wise arithmetic in float, the bias corrections in double, as PyTorch. */
#include <math.h>

#include "engine/cpu/cpu_internal.h"

typedef struct {
    float *p, *m, *v;
    const float *g;
    float w1, beta2, w2, bc2_sqrt, eps, neg_step;
} adam_job;

static void adam_range(void *arg, size_t lo, size_t hi)
{
    const adam_job *j = arg;
    /* PyTorch's lerp switches formula at weight 0.5 for accuracy; pix2pix uses beta1 = 0.5. */
    int small = fabsf(j->w1) < 0.5f;
    for (size_t i = lo; i < hi; i++) {
        float g = j->g[i], m = j->m[i];
        m = small ? m + j->w1 * (g - m) : g - (g - m) * (1.0f - j->w1);
        float v = j->v[i] * j->beta2 + j->w2 * g * g;
        float denom = sqrtf(v) / j->bc2_sqrt + j->eps;
        j->m[i] = m;
        j->v[i] = v;
        j->p[i] += j->neg_step * (m / denom);
    }
}

void cpu_adam_step(cpu_ctx *c, const eng_adam *opt)
{
    double t = (double)opt->steps;
    double bc1 = 1.0 - pow(opt->beta1, t), bc2 = 1.0 - pow(opt->beta2, t);
    for (int i = 0; i < opt->nparams; i++) {
        int id = opt->params[i]->id;
        adam_job j = {.p = c->data[id], .g = c->grad[id], .m = c->data[opt->exp_avg[i]->id],
                      .v = c->data[opt->exp_avg_sq[i]->id], .w1 = (float)(1.0 - opt->beta1),
                      .beta2 = opt->beta2, .w2 = (float)(1.0 - opt->beta2),
                      .bc2_sqrt = (float)sqrt(bc2), .eps = opt->eps,
                      .neg_step = (float)(-(double)opt->lr / bc1)};
        cpu_parallel_for(c->pool, opt->params[i]->numel, adam_range, &j);
    }
}
