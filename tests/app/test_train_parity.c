/* Three pix2pix training steps from the same weights on the same pair (no dropout, no flip,
 * no preprocessing) give PyTorch's losses and weights (fixtures from tools/gen_parity.py,
 * which repeats the reference's optimize_parameters). */
#include <string.h>

#include "app/checkpoint.h"
#include "app/train.h"
#include "app_test.h"

static void load(trainer *t, const net *n, const char *name)
{
    char path[1024], err[512];
    snprintf(path, sizeof path, "%s/%s", FIXTURE_DIR, name);
    st_file *f = fixture_open(name);
    if (ckpt_load_net(n, t->plan, f, path, err, sizeof err)) {
        fprintf(stderr, "%s\n", err);
        exit(1);
    }
    st_close(f);
}

/* Compares every tensor of the network with the file: buffers (running statistics) to 1e-5,
 * parameters by their change from the start: the three Adam updates must agree. */
static void compare(trainer *t, const net *n, const char *start_name, const char *end_name)
{
    st_file *start = fixture_open(start_name), *end = fixture_open(end_name);
    double worst_update = 0, worst_buffer = 0;
    for (int i = 0; i < n->n; i++) {
        const net_tensor *nt = &n->t[i];
        size_t count = nt->node->numel;
        float *ours = malloc(sizeof *ours * count);
        eng_plan_read(t->plan, nt->node, ours);
        float *w0 = fixture_tensor(start, nt->key, count);
        float *w3 = fixture_tensor(end, nt->key, count);
        if (nt->trainable) {
            double num = 0, den = 0;
            for (size_t j = 0; j < count; j++) {
                double d_ours = (double)ours[j] - w0[j], d_ref = (double)w3[j] - w0[j];
                num += (d_ours - d_ref) * (d_ours - d_ref);
                den += d_ref * d_ref;
            }
            double rel = den > 0 ? sqrt(num / den) : sqrt(num);
            if (rel > worst_update)
                worst_update = rel;
            CHECK(rel <= 1e-2, "%s: update differs from PyTorch by %.3g (relative)", nt->key, rel);
        } else {
            double d = max_abs_diff(ours, w3, count);
            if (d > worst_buffer)
                worst_buffer = d;
            CHECK(d <= 1e-4, "%s differs from PyTorch by %g", nt->key, d);
        }
        free(ours);
        free(w0);
        free(w3);
    }
    printf("%s: worst relative update error %.3g, worst buffer error %.3g\n", end_name,
           worst_update, worst_buffer);
    st_close(start);
    st_close(end);
}

int main(void)
{
    trainer_opts o = {
        .gen = {GEN_UNET, 5, 3, 3, 4, NORM_BATCH, 0},
        .disc = {DISC_NLAYERS, 3, 6, 4, NORM_BATCH},
        .batch = 1, .height = 32, .width = 32,
        .lr = 2e-4f, .beta1 = 0.5f, .lambda_l1 = 100.0f, .lsgan = 0, .seed = 1,
    };
    char err[512];
    eng_backend *be = eng_cpu_backend_new(2);
    trainer t;
    if (trainer_init(&t, &o, be, err, sizeof err)) {
        fprintf(stderr, "%s\n", err);
        return 1;
    }
    load(&t, &t.G, "train_g0.safetensors");
    load(&t, &t.D, "train_d0.safetensors");
    st_file *data = fixture_open("train_data.safetensors");
    size_t n = (size_t)3 * 32 * 32;
    float *a = fixture_tensor(data, "real_A", n), *b = fixture_tensor(data, "real_B", n);
    float *want = fixture_tensor(data, "losses", 3 * LOSS_COUNT);
    st_close(data);
    double worst = 0;
    for (int step = 0; step < 3; step++) {
        float losses[LOSS_COUNT];
        CHECK(trainer_step(&t, a, b, losses) == 0, "step %d: %s", step, eng_last_error());
        for (int k = 0; k < LOSS_COUNT; k++) {
            /* The fixture has the reference's lambda * L1; we report L1. */
            double ref = want[step * LOSS_COUNT + k] / (k == LOSS_G_L1 ? o.lambda_l1 : 1.0f);
            double rel = fabs(losses[k] - ref) / fabs(ref);
            if (!(rel <= worst))
                worst = rel;
            printf("step %d %-6s ours %.7f PyTorch %.7f\n", step + 1, trainer_loss_names[k],
                   losses[k], ref);
            CHECK(rel <= 1e-3, "step %d %s: %g vs PyTorch %g", step + 1, trainer_loss_names[k],
                  losses[k], ref);
        }
    }
    printf("worst relative loss error %.3g\n", worst);
    compare(&t, &t.G, "train_g0.safetensors", "train_g3.safetensors");
    compare(&t, &t.D, "train_d0.safetensors", "train_d3.safetensors");
    free(a);
    free(b);
    free(want);
    trainer_free(&t);
    eng_backend_free(be);
    printf("train parity: %s\n", test_failures ? "FAILED" : "ok");
    return test_failures != 0;
}
