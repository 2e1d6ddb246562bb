/* eng_adam_step against torch.optim.Adam (fixture adam_golden.safetensors from
 * tools/gen_golden.py), 5 steps each:
 *  1. plain params fed given gradients (loss = sum(w * Gw) + sum(b * Gb), so grad = G),
 *     compared after every step, then the moments exp_avg / exp_avg_sq after the last;
 *  2. a small conv net (conv, leaky relu, conv, mse) whose gradients the engine computes,
 *     one update per run, and all 5 updates recorded in one graph (one run: each update with
 *     its own step count, each forward after the previous update). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/engine.h"
#include "tests/engine/golden.h"

static int failures;

static double meta_number(const st_file *f, const char *key)
{
    const char *v = st_meta(f, key);
    if (!v) {
        fprintf(stderr, "adam_golden.safetensors: metadata '%s' missing\n", key);
        exit(1);
    }
    return atof(v);
}

static eng_node *param_like(eng_graph *g, const st_file *f, const char *name, const char *fixture)
{
    int shape[ENG_MAX_DIMS];
    int ndim = golden_shape(golden_tensor(f, fixture), shape);
    return eng_param(g, name, ndim, shape);
}

static void check(const char *what, double err, double *worst)
{
    if (!(err <= GOLDEN_TOL)) {
        fprintf(stderr, "%s: error %.3g above %g\n", what, err, GOLDEN_TOL);
        failures++;
    }
    *worst = fmax(*worst, err);
}

static void run_or_die(eng_plan *p)
{
    if (eng_plan_run(p) != ENG_OK) {
        fprintf(stderr, "run failed: %s\n", eng_last_error());
        exit(1);
    }
}

static eng_adam *new_adam(eng_graph *g, const st_file *f, eng_node *const *params, int n)
{
    return eng_adam_new(g, params, n, (float)meta_number(f, "lr"), (float)meta_number(f, "beta1"),
                        (float)meta_number(f, "beta2"), (float)meta_number(f, "eps"));
}

static void test_given_gradients(const st_file *f, eng_backend *be, int steps)
{
    static const char *names[2] = {"plain.w", "plain.b"};
    eng_graph *g = eng_graph_new();
    eng_node *params[2], *grads[2], *terms[2];
    char key[128];
    for (int i = 0; i < 2; i++) {
        snprintf(key, sizeof key, "%s.init", names[i]);
        params[i] = param_like(g, f, names[i], key);
        char gname[64];
        snprintf(gname, sizeof gname, "%s.given_grad", names[i]);
        grads[i] = eng_input(g, gname, params[i]->ndim, params[i]->shape);
        terms[i] = eng_sum(g, eng_mul(g, params[i], grads[i]));
    }
    eng_node *loss = eng_add(g, terms[0], terms[1]);
    eng_forward(g, loss);
    eng_backward(g, loss, params, 2);
    eng_adam *opt = new_adam(g, f, params, 2);
    eng_adam_step(g, opt);
    eng_plan *p = eng_plan_new(g, be);
    if (!p) {
        fprintf(stderr, "plan failed: %s\n", eng_last_error());
        exit(1);
    }
    for (int i = 0; i < 2; i++) {
        snprintf(key, sizeof key, "%s.init", names[i]);
        golden_write_node(p, params[i], f, key);
    }
    double worst = 0.0;
    for (int step = 0; step < steps; step++) {
        for (int i = 0; i < 2; i++) {
            snprintf(key, sizeof key, "%s.grad%d", names[i], step);
            golden_write_node(p, grads[i], f, key);
        }
        run_or_die(p);
        for (int i = 0; i < 2; i++) {
            snprintf(key, sizeof key, "%s.step%d", names[i], step);
            check(key, golden_compare_node(p, params[i], 0, f, key), &worst);
        }
    }
    if (eng_adam_steps(opt) != steps) {
        fprintf(stderr, "adam counted %lld steps, expected %d\n", (long long)eng_adam_steps(opt),
                steps);
        failures++;
    }
    /* The moments are state nodes named after the param, as in PyTorch's optimizer state. */
    for (int i = 0; i < 2; i++) {
        static const char *moments[2] = {"exp_avg", "exp_avg_sq"};
        for (int m = 0; m < 2; m++) {
            snprintf(key, sizeof key, "%s.%s", names[i], moments[m]);
            const eng_node *n = eng_find(g, key);
            if (!n) {
                fprintf(stderr, "no state node '%s'\n", key);
                failures++;
                continue;
            }
            check(key, golden_compare_node(p, n, 0, f, key), &worst);
        }
    }
    printf("  adam, given gradients:   %d steps, worst error %.3g\n", steps, worst);
    eng_plan_free(p);
    eng_graph_free(g);
}

static void test_conv_net(const st_file *f, eng_backend *be, int steps, int per_run)
{
    static const char *names[3] = {"net.conv1.weight", "net.conv1.bias", "net.conv2.weight"};
    eng_graph *g = eng_graph_new();
    eng_node *params[3], *loss[8];
    char key[128];
    for (int i = 0; i < 3; i++) {
        snprintf(key, sizeof key, "%s.init", names[i]);
        params[i] = param_like(g, f, names[i], key);
    }
    int shape[ENG_MAX_DIMS];
    int ndim = golden_shape(golden_tensor(f, "net.x"), shape);
    eng_node *x = eng_input(g, "net.x", ndim, shape);
    ndim = golden_shape(golden_tensor(f, "net.target"), shape);
    eng_node *target = eng_input(g, "net.target", ndim, shape);
    eng_adam *opt = new_adam(g, f, params, 3);
    for (int k = 0; k < per_run && k < 8; k++) {
        eng_node *h = eng_leaky_relu(g, eng_conv2d(g, x, params[0], params[1], 2, 1), 0.2f);
        loss[k] = eng_mse_loss(g, eng_conv2d(g, h, params[2], NULL, 1, 1), target);
        eng_forward(g, loss[k]);
        eng_backward(g, loss[k], params, 3);
        eng_adam_step(g, opt);
    }
    eng_plan *p = eng_plan_new(g, be);
    if (!p) {
        fprintf(stderr, "plan failed: %s\n", eng_last_error());
        exit(1);
    }
    for (int i = 0; i < 3; i++) {
        snprintf(key, sizeof key, "%s.init", names[i]);
        golden_write_node(p, params[i], f, key);
    }
    golden_write_node(p, x, f, "net.x");
    golden_write_node(p, target, f, "net.target");
    double worst = 0.0;
    for (int step = per_run - 1; step < steps; step += per_run) {
        run_or_die(p);
        for (int k = 0; k < per_run; k++) {
            snprintf(key, sizeof key, "net.loss%d", step - per_run + 1 + k);
            check(key, golden_compare_node(p, loss[k], 0, f, key), &worst);
        }
        for (int i = 0; i < 3; i++) {
            snprintf(key, sizeof key, "%s.step%d", names[i], step);
            check(key, golden_compare_node(p, params[i], 0, f, key), &worst);
        }
    }
    if (eng_adam_steps(opt) != steps) {
        fprintf(stderr, "adam counted %lld steps, expected %d\n", (long long)eng_adam_steps(opt),
                steps);
        failures++;
    }
    printf("  adam, small conv net:    %d steps, %d per run, worst error %.3g\n", steps, per_run,
           worst);
    eng_plan_free(p);
    eng_graph_free(g);
}

int main(void)
{
    st_file *f = golden_open("adam_golden.safetensors");
    int steps = (int)meta_number(f, "steps");
    eng_backend *be = eng_cpu_backend_new(2);
    printf("Adam vs torch.optim.Adam, worst |a-b|/max(1,|b|), tolerance %g\n", GOLDEN_TOL);
    test_given_gradients(f, be, steps);
    test_conv_net(f, be, steps, 1);
    test_conv_net(f, be, steps, steps);
    eng_backend_free(be);
    st_close(f);
    if (failures)
        fprintf(stderr, "%d comparison(s) failed\n", failures);
    return failures ? 1 : 0;
}
