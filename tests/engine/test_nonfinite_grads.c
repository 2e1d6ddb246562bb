/* eng_plan_nonfinite_grads and eng_plan_nonfinite_state: an optimizer whose gradient overflows
 * while its loss stays finite, or whose finite gradient squares past float's range in
 * exp_avg_sq, is reported after the run (on the CPU; with "vulkan" on the Vulkan device,
 * lavapipe in the tests, in fp32 and in fp16 with loss scaling), and the gradients' report is
 * of that run only. The graph: loss = sum(k * a * b), a = 1e-30 a parameter, b an input, so
 * that d(loss)/da = k * b while the loss stays small:
 * - k = 1e10, b = 1e30: the gradient 1e40 is infinite in float;
 * - k = 1e10, b = 1e11: the gradient 1e21 is finite, (1 - beta2) times its square, 1e39, in
 *   exp_avg_sq is not.
 * In fp16 a gradient that passes through half storage (at most 65504) cannot reach 1e21, but
 * tensors of one value are fp32 there: the graph of one value (the update of loss scaling,
 * from fp32 master weights) tests the second. */
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

typedef struct {
    eng_graph *g;
    eng_plan *p;
    eng_node *a, *b, *loss;
    int n;
} model;

/* loss = sum(k * a * b) with a = 1e-30, planned on be (in fp16 where be has it, of one value);
 * NULL plan on failure. */
static model model_new(eng_backend *be, float k, int fp16)
{
    model m = {.g = eng_graph_new(), .n = fp16 ? 1 : N};
    m.a = eng_param1(m.g, "a", m.n);
    m.b = eng_input(m.g, "b", 1, (const int[]){m.n});
    m.loss = eng_sum(m.g, eng_scale(m.g, eng_mul(m.g, m.a, m.b), k));
    eng_backward(m.g, m.loss, &m.a, 1);
    eng_adam_step(m.g, eng_adam_new(m.g, &m.a, 1, 1e-3f, 0.5f, 0.999f, 1e-8f));
    if (fp16)
        eng_mixed_precision(m.g);
    m.p = eng_plan_new(m.g, be);
    CHECK(m.p != NULL, "planning: %s", eng_last_error());
    float small[N];
    for (int i = 0; i < N; i++)
        small[i] = 1e-30f;
    CHECK(!m.p || eng_plan_write(m.p, m.a, small) == 0, "writing a: %s", eng_last_error());
    return m;
}

static void model_free(model *m)
{
    eng_plan_free(m->p);
    eng_graph_free(m->g);
}

/* One run with b filled with b_value: the loss read back. */
static float run_with(model *m, float b_value)
{
    float v[N], loss = NAN;
    for (int i = 0; i < m->n; i++)
        v[i] = b_value;
    CHECK(eng_plan_write(m->p, m->b, v) == 0 && eng_plan_run(m->p) == 0 &&
              eng_plan_read(m->p, m->loss, &loss) == 0,
          "run: %s", eng_last_error());
    return loss;
}

/* A gradient that is infinite under a finite loss: reported for its run only. */
static void check_infinite_gradient(eng_backend *be)
{
    model m = model_new(be, 1e10f, 0);
    if (m.p) {
        float loss = run_with(&m, 1e30f);
        CHECK(eng_plan_nonfinite_grads(m.p) == 1 && eng_plan_nonfinite_state(m.p) == 1 &&
                  isfinite(loss), "overflowing gradient: %d optimizer(s) reported for the "
              "gradients, %d for the state, loss %g", eng_plan_nonfinite_grads(m.p),
              eng_plan_nonfinite_state(m.p), (double)loss);
        run_with(&m, 1.0f);
        CHECK(eng_plan_nonfinite_grads(m.p) == 0,
              "a run with finite gradients still reports the last one's");
    }
    model_free(&m);
}

/* A finite gradient whose square overflows exp_avg_sq: the state is reported at that run. */
static void check_overflowing_square(eng_backend *be, int fp16)
{
    model m = model_new(be, 1e10f, fp16);
    if (m.p) {
        CHECK(eng_plan_fp16(m.p) == fp16, "the plan is %sin fp16", fp16 ? "not " : "");
        float loss = run_with(&m, 1e11f);
        CHECK(eng_plan_nonfinite_grads(m.p) == 0 && eng_plan_nonfinite_state(m.p) == 1 &&
                  isfinite(loss), "%s gradient squaring past float: %d optimizer(s) reported "
              "for the gradients (0 expected), %d for the state (1), loss %g",
              fp16 ? "fp16" : "fp32", eng_plan_nonfinite_grads(m.p),
              eng_plan_nonfinite_state(m.p), (double)loss);
    }
    model_free(&m);
    m = model_new(be, 1.0f, fp16);
    if (m.p) {
        run_with(&m, 1.0f);
        CHECK(eng_plan_nonfinite_state(m.p) == 0, "%s: a finite update reported",
              fp16 ? "fp16" : "fp32");
    }
    model_free(&m);
}

int main(int argc, char **argv)
{
    eng_backend *be;
    int vulkan = argc > 1 && !strcmp(argv[1], "vulkan");
    if (vulkan) {
        be = eng_backend_open("vulkan", 0);
        if (!be) {
            printf("skipped: no Vulkan device: %s\n", eng_last_error());
            return 77;
        }
    } else {
        be = eng_cpu_backend_new(2);
    }
    check_infinite_gradient(be);
    check_overflowing_square(be, 0);
    if (vulkan)
        check_overflowing_square(be, 1);
    printf("%-4s %s: gradients and states that are not finite are reported%s\n",
           failures ? "FAIL" : "ok", eng_backend_name(be), vulkan ? " (fp32 and fp16)" : "");
    eng_backend_free(be);
    return failures != 0;
}
