/* Learning rate: the reference's linear decay by epoch, and the rate set on the trainer is
 * the one its Adam steps use (a first Adam step moves each weight by about lr). */
#include "app/train/train.h"
#include "app/train/train_run.h"
#include "app_test.h"

static double first_step_size(float lr)
{
    trainer_opts o = {
        .gen = {GEN_UNET, 5, 3, 3, 4, NORM_BATCH, 0},
        .disc = {DISC_NLAYERS, 3, 6, 4, NORM_BATCH},
        .batch = 1, .height = 32, .width = 32,
        .lr = 2e-4f, .beta1 = 0.5f, .lambda_l1 = 100.0f, .seed = 3,
    };
    char err[256];
    eng_backend *be = eng_cpu_backend_new(1);
    trainer t;
    if (trainer_init(&t, &o, be, err, sizeof err)) {
        fprintf(stderr, "%s\n", err);
        exit(1);
    }
    trainer_set_lr(&t, lr);
    const eng_node *w = t.G.t[0].node;
    size_t numel = eng_node_numel(w);
    float *before = malloc(sizeof *before * numel), *after = malloc(sizeof *after * numel);
    float *a = calloc(3 * 32 * 32, sizeof *a), *b = calloc(3 * 32 * 32, sizeof *b);
    for (int i = 0; i < 3 * 32 * 32; i++) {
        a[i] = sinf(i * 0.37f);
        b[i] = cosf(i * 0.11f);
    }
    float losses[LOSS_COUNT];
    eng_plan_read(t.plan, w, before);
    CHECK(trainer_step(&t, a, b, losses) == 0, "step");
    eng_plan_read(t.plan, w, after);
    double step = max_abs_diff(before, after, numel);
    free(before);
    free(after);
    free(a);
    free(b);
    trainer_free(&t);
    eng_backend_free(be);
    return step;
}

int main(void)
{
    const struct { int epoch; double lr; } want[] = {
        {1, 2e-4}, {100, 2e-4}, {101, 2e-4 * 100.0 / 101.0}, {150, 2e-4 * 51.0 / 101.0},
        {200, 2e-4 * 1.0 / 101.0}};
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
        double got = train_epoch_lr(2e-4f, 100, 100, want[i].epoch);
        CHECK(fabs(got - want[i].lr) <= 1e-6 * want[i].lr, "epoch %d: %g, want %g", want[i].epoch,
              got, want[i].lr);
    }
    for (int k = 0; k < 2; k++) {
        float lr = k ? 1e-3f : 1e-4f;
        double step = first_step_size(lr);
        printf("lr %g: largest first-step change %g\n", (double)lr, step);
        CHECK(step > 0.9 * lr && step < 1.01 * lr, "lr %g moved weights by %g", (double)lr, step);
    }
    printf("lr: %s\n", test_failures ? "FAILED" : "ok");
    return test_failures != 0;
}
