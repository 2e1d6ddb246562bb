/* eng_plan_nonfinite_grads: an optimizer whose gradient overflows while its loss stays finite
 * is reported after the run (on the CPU; with "vulkan" on the Vulkan device, lavapipe in the
 * tests), and the report is of that run only. The overflow: loss = sum(1e10 * a * b) with
 * a = 1e-30 and b = 1e30 is 6.4e11, but d(loss)/da = 1e10 * b = 1e40 is infinite in float. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "engine/device.h"
#include "engine/engine.h"

#define N 64

static int failures;

#define CHECK(cond, ...)                                                                          \
    do {                                                                                          \
        if (!(cond)) {                                                                            \
            printf("FAIL %s:%d: ", __FILE__, __LINE__);                                           \
            printf(__VA_ARGS__);                                                                  \
            printf("\n");                                                                         \
            failures++;                                                                           \
        }                                                                                         \
    } while (0)

/* One run with b filled with b_value: the loss read back, the optimizers reported. */
static int run_with(eng_plan *p, eng_node *b, eng_node *loss, float b_value, float *loss_value)
{
    float v[N];
    for (int i = 0; i < N; i++)
        v[i] = b_value;
    CHECK(eng_plan_write(p, b, v) == 0 && eng_plan_run(p) == 0 &&
              eng_plan_read(p, loss, loss_value) == 0,
          "run: %s", eng_last_error());
    return eng_plan_nonfinite_grads(p);
}

static void check_backend(eng_backend *be)
{
    eng_graph *g = eng_graph_new();
    eng_node *a = eng_param1(g, "a", N), *b = eng_input(g, "b", 1, (const int[]){N});
    eng_node *loss = eng_sum(g, eng_scale(g, eng_mul(g, a, b), 1e10f));
    eng_backward(g, loss, &a, 1);
    eng_adam_step(g, eng_adam_new(g, &a, 1, 1e-3f, 0.5f, 0.999f, 1e-8f));
    eng_plan *p = eng_plan_new(g, be);
    CHECK(p != NULL, "planning: %s", eng_last_error());
    if (p) {
        float small[N], loss_value;
        for (int i = 0; i < N; i++)
            small[i] = 1e-30f;
        CHECK(eng_plan_write(p, a, small) == 0, "writing a: %s", eng_last_error());
        int bad = run_with(p, b, loss, 1e30f, &loss_value);
        CHECK(bad == 1 && isfinite(loss_value), "overflowing gradient: %d optimizer(s) reported, "
              "loss %g", bad, (double)loss_value);
        CHECK(run_with(p, b, loss, 1.0f, &loss_value) == 0,
              "a run with finite gradients still reports the last one's");
        eng_plan_free(p);
    }
    eng_graph_free(g);
    printf("%-4s %s: a gradient overflowing under a finite loss is reported, for its run only\n",
           failures ? "FAIL" : "ok", eng_backend_name(be));
}

int main(int argc, char **argv)
{
    eng_backend *be;
    if (argc > 1 && !strcmp(argv[1], "vulkan")) {
        char err[512];
        be = eng_backend_open("vulkan", 0, err, sizeof err);
        if (!be) {
            printf("skipped: no Vulkan device: %s\n", err);
            return 77;
        }
    } else {
        be = eng_cpu_backend_new(2);
    }
    check_backend(be);
    eng_backend_free(be);
    return failures != 0;
}
