/* The learning-rate policies (lr_policy.h), as PyTorch's schedulers compute them. */
#include <math.h>
#include <string.h>

#include "app/common/name_list.h"
#include "app/train/lr_policy.h"

#define PLATEAU_FACTOR 0.2
#define PLATEAU_THRESHOLD 0.01
#define PLATEAU_PATIENCE 5
#define PLATEAU_EPS 1e-8 /* a change of the rate smaller than this is not made */

const char *const lr_policy_names[] = {"linear", "step", "plateau", "cosine", NULL};

int lr_policy_parse(const char *name, lr_policy_kind *kind)
{
    int i = name_index(lr_policy_names, name);
    if (i >= 0)
        *kind = (lr_policy_kind)i;
    return i >= 0 ? 0 : -1;
}

void lr_schedule_init(lr_schedule *s, lr_policy_kind kind, float lr0, int epochs,
                      int epochs_decay, int epoch_count, int decay_iters)
{
    *s = (lr_schedule){kind, lr0, epochs, epochs_decay, epoch_count, decay_iters, lr0,
                       INFINITY, 0};
}

float lr_schedule_rate(const lr_schedule *s, int epoch)
{
    int k = epoch - s->epoch_count; /* scheduler steps before this epoch */
    switch (s->kind) {
    case LR_LINEAR: { /* LambdaLR: 1 - max(0, k + epoch_count - n_epochs) / (n_epochs_decay + 1) */
        int over = k + s->epoch_count - s->epochs;
        return (float)(s->lr0 * (1.0 - (over > 0 ? over : 0) / (double)(s->epochs_decay + 1)));
    }
    case LR_STEP: /* StepLR(step_size = lr_decay_iters, gamma = 0.1) */
        return (float)(s->lr0 * pow(0.1, k / s->decay_iters));
    case LR_COSINE: /* CosineAnnealingLR(T_max = n_epochs, eta_min = 0) */
        return (float)(s->lr0 * (1.0 + cos(M_PI * k / s->epochs)) / 2.0);
    case LR_PLATEAU: break;
    }
    return s->lr;
}

void lr_schedule_metric(lr_schedule *s, double metric)
{
    if (s->kind != LR_PLATEAU)
        return;
    if (metric < s->best * (1.0 - PLATEAU_THRESHOLD)) {
        s->best = metric;
        s->bad = 0;
    } else if (++s->bad > PLATEAU_PATIENCE) {
        double lowered = s->lr * PLATEAU_FACTOR;
        if (s->lr - lowered > PLATEAU_EPS)
            s->lr = (float)lowered;
        s->bad = 0;
    }
}
