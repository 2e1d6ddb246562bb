/* eng_adam_step against torch.optim.Adam (fixture adam_golden.safetensors from
 * tools/gen_golden.py), 5 steps each:
 *  1. plain params fed given gradients (loss = sum(w * Gw) + sum(b * Gb), so grad = G),
 *     compared after every step, then the moments exp_avg / exp_avg_sq after the last;
 *  2. a small conv net (conv, leaky relu, conv, mse) whose gradients the engine computes,
 *     one update per run, and all 5 updates recorded in one graph (one run: each update with
 *     its own step count, each forward after the previous update);
 *  3. the weight average of eng_adam_set_average (decay 0.9) on the conv net, two updates per
 *     run: after each run, each param's average against decay^2 * avg + decay * (1 - decay) *
 *     (weights after the first update) + (1 - decay) * (weights after the second), the weights
 *     read from a twin graph without an average stepped one update per run. */
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

/* A small conv net (conv, leaky relu, conv, mse) with per_run updates per run (up to 8, each
 * loss kept); with an average when decay > 0. */
typedef struct {
    eng_graph *g;
    eng_plan *p;
    eng_node *params[3];
    eng_adam *opt;
    eng_node *loss[8];
} conv_net;

static void conv_net_new(conv_net *n, const st_file *f, eng_backend *be, int per_run, float decay)
{
    static const char *names[3] = {"net.conv1.weight", "net.conv1.bias", "net.conv2.weight"};
    char key[128];
    int shape[ENG_MAX_DIMS];
    n->g = eng_graph_new();
    for (int i = 0; i < 3; i++) {
        snprintf(key, sizeof key, "%s.init", names[i]);
        n->params[i] = param_like(n->g, f, names[i], key);
    }
    eng_node *x = eng_input(n->g, "net.x", golden_shape(golden_tensor(f, "net.x"), shape), shape);
    eng_node *target =
        eng_input(n->g, "net.target", golden_shape(golden_tensor(f, "net.target"), shape), shape);
    n->opt = new_adam(n->g, f, n->params, 3);
    if (decay > 0)
        eng_adam_set_average(n->g, n->opt, decay);
    for (int k = 0; k < per_run && k < 8; k++) {
        eng_node *h = eng_leaky_relu(n->g, eng_conv2d(n->g, x, n->params[0], n->params[1], 2, 1),
                                     0.2f);
        n->loss[k] = eng_mse_loss(n->g, eng_conv2d(n->g, h, n->params[2], NULL, 1, 1), target);
        eng_forward(n->g, n->loss[k]);
        eng_backward(n->g, n->loss[k], n->params, 3);
        eng_adam_step(n->g, n->opt);
    }
    n->p = eng_plan_new(n->g, be);
    if (!n->p) {
        fprintf(stderr, "plan failed: %s\n", eng_last_error());
        exit(1);
    }
    for (int i = 0; i < 3; i++) {
        snprintf(key, sizeof key, "%s.init", names[i]);
        golden_write_node(n->p, n->params[i], f, key);
        if (decay > 0)
            golden_write_node(n->p, eng_adam_average(n->opt, i), f, key);
    }
    golden_write_node(n->p, x, f, "net.x");
    golden_write_node(n->p, target, f, "net.target");
}

static void conv_net_free(conv_net *n)
{
    eng_plan_free(n->p);
    eng_graph_free(n->g);
}

static void test_conv_net(const st_file *f, eng_backend *be, int steps, int per_run)
{
    static const char *names[3] = {"net.conv1.weight", "net.conv1.bias", "net.conv2.weight"};
    char key[128];
    conv_net n;
    conv_net_new(&n, f, be, per_run, 0);
    double worst = 0.0;
    for (int step = per_run - 1; step < steps; step += per_run) {
        run_or_die(n.p);
        for (int k = 0; k < per_run; k++) {
            snprintf(key, sizeof key, "net.loss%d", step - per_run + 1 + k);
            check(key, golden_compare_node(n.p, n.loss[k], 0, f, key), &worst);
        }
        for (int i = 0; i < 3; i++) {
            snprintf(key, sizeof key, "%s.step%d", names[i], step);
            check(key, golden_compare_node(n.p, n.params[i], 0, f, key), &worst);
        }
    }
    if (eng_adam_steps(n.opt) != steps) {
        fprintf(stderr, "adam counted %lld steps, expected %d\n", (long long)eng_adam_steps(n.opt),
                steps);
        failures++;
    }
    printf("  adam, small conv net:    %d steps, %d per run, worst error %.3g\n", steps, per_run,
           worst);
    conv_net_free(&n);
}

static float *read_node(eng_plan *p, const eng_node *n)
{
    float *v = malloc(eng_node_numel(n) * sizeof *v);
    if (!v || eng_plan_read(p, n, v)) {
        fprintf(stderr, "cannot read a node: %s\n", eng_last_error());
        exit(1);
    }
    return v;
}

static void test_average(const st_file *f, eng_backend *be, int runs)
{
    const float decay = 0.9f;
    conv_net avg, twin;
    conv_net_new(&avg, f, be, 2, decay);
    conv_net_new(&twin, f, be, 1, 0);
    if (eng_adam_average(twin.opt, 0) || eng_find(avg.g, "net.conv1.bias.ema") !=
                                             eng_adam_average(avg.opt, 1)) {
        fprintf(stderr, "the averages are not the state nodes <param>.ema\n");
        failures++;
    }
    size_t count[3];
    float *want[3];
    for (int i = 0; i < 3; i++) {
        count[i] = eng_node_numel(twin.params[i]);
        want[i] = read_node(twin.p, twin.params[i]);
    }
    double worst = 0.0;
    for (int run = 0; run < runs; run++) {
        run_or_die(avg.p);
        for (int k = 0; k < 2; k++) {
            run_or_die(twin.p);
            for (int i = 0; i < 3; i++) {
                float *w = read_node(twin.p, twin.params[i]);
                for (size_t j = 0; j < count[i]; j++)
                    want[i][j] = want[i][j] * decay + (1.0f - decay) * w[j];
                free(w);
            }
        }
        for (int i = 0; i < 3; i++) {
            float *got = read_node(avg.p, eng_adam_average(avg.opt, i));
            for (size_t j = 0; j < count[i]; j++)
                worst = fmax(worst, fabs((double)got[j] - want[i][j]) /
                                        fmax(1.0, fabs((double)want[i][j])));
            free(got);
        }
    }
    check("average", worst, &worst);
    printf("  adam's average (0.9):    %d runs of 2 updates, worst error %.3g\n", runs, worst);
    for (int i = 0; i < 3; i++)
        free(want[i]);
    conv_net_free(&avg);
    conv_net_free(&twin);
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
    test_average(f, be, 3);
    eng_backend_free(be);
    st_close(f);
    if (failures)
        fprintf(stderr, "%d comparison(s) failed\n", failures);
    return failures ? 1 : 0;
}
