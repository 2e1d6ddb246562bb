/* The CPU Adam step against torch.optim.Adam's update rule evaluated in double.
 *
 * loss = sum(p * G) gives p the gradient G, which changes between runs so that the moments
 * mix several gradients. beta1 = 0.5 takes PyTorch's other lerp branch, hence two optimizers. */
#include <math.h>
#include <stdio.h>

#include "engine/engine.h"

#define N 37
#define STEPS 5

static int check(eng_backend *be, float lr, float beta1, float beta2, float eps)
{
    eng_graph *g = eng_graph_new();
    eng_node *p = eng_param(g, "p", 1, (const int[]){N});
    eng_node *grad = eng_input(g, "G", 1, (const int[]){N});
    eng_node *loss = eng_sum(g, eng_mul(g, p, grad));
    eng_adam *opt = eng_adam_new(g, &p, 1, lr, beta1, beta2, eps);
    eng_backward(g, loss, &p, 1);
    eng_adam_step(g, opt);
    eng_plan *plan = eng_plan_new(g, be);

    float pv[N], gv[N];
    double ref[N], m[N] = {0}, v[N] = {0};
    /* parameters start at 0, so float rounding is relative to the accumulated update */
    for (int i = 0; i < N; i++) {
        pv[i] = 0.0f;
        ref[i] = 0.0;
    }
    eng_plan_write(plan, p, pv);
    double worst = 0.0;
    for (int t = 1; t <= STEPS; t++) {
        for (int i = 0; i < N; i++)
            gv[i] = (float)cos(i * 1.3 + t) * (i % 3 ? 1.0f : 1e-3f);
        eng_plan_write(plan, grad, gv);
        eng_plan_run(plan);
        eng_plan_read(plan, p, pv);
        double bc1 = 1.0 - pow(beta1, t), bc2 = 1.0 - pow(beta2, t);
        for (int i = 0; i < N; i++) {
            m[i] = beta1 * m[i] + (1.0 - beta1) * gv[i];
            v[i] = beta2 * v[i] + (1.0 - beta2) * gv[i] * gv[i];
            ref[i] -= lr / bc1 * m[i] / (sqrt(v[i]) / sqrt(bc2) + eps);
            worst = fmax(worst, fabs(pv[i] - ref[i]) / fmax(fabs(ref[i]), 1e-2 * lr));
        }
    }
    int ok = worst < 2e-5 && eng_adam_steps(opt) == STEPS;
    printf("%-4s adam lr %g betas (%g, %g): %d steps, worst relative error %.2e\n",
           ok ? "ok" : "FAIL", (double)lr, (double)beta1, (double)beta2,
           (int)eng_adam_steps(opt), worst);
    eng_plan_free(plan);
    eng_graph_free(g);
    return ok;
}

int main(void)
{
    eng_backend *be = eng_cpu_backend_new(2);
    if (!be) {
        fprintf(stderr, "no CPU backend: %s\n", eng_last_error());
        return 2;
    }
    int ok = check(be, 2e-4f, 0.5f, 0.999f, 1e-8f);
    ok &= check(be, 1e-2f, 0.9f, 0.99f, 1e-6f);
    eng_backend_free(be);
    return ok ? 0 : 1;
}
