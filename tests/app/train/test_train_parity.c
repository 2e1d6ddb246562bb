/* Three pix2pix training steps from the same weights on the same pair (no dropout, no flip,
 * no preprocessing) give PyTorch's losses and weights (fixtures from tools/gen_parity.py,
 * which repeats the reference's optimize_parameters). */
#include <string.h>

#include "app/model/checkpoint.h"
#include "app/train/train.h"
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

/* Compares every tensor of the network with the files: buffers (running statistics) to
 * 1e-4; parameters by their change from the start. Without a float64 reference the three
 * Adam updates must agree to 1%. With one (ill-conditioned configurations), ours must be no
 * further from the float64 update than twice PyTorch's float32 distance to it. */
static void compare(trainer *t, const net *n, const char *start_name, const char *end_name,
                    const char *end64_name)
{
    st_file *start = fixture_open(start_name), *end = fixture_open(end_name);
    st_file *end64 = end64_name ? fixture_open(end64_name) : NULL;
    double worst_update = 0, worst_buffer = 0;
    for (int i = 0; i < n->n; i++) {
        const net_tensor *nt = &n->t[i];
        size_t count = eng_node_numel(nt->node);
        float *ours = malloc(sizeof *ours * count);
        eng_plan_read(t->plan, nt->node, ours);
        float *w0 = fixture_tensor(start, nt->key, count);
        float *w3 = fixture_tensor(end, nt->key, count);
        float *w64 = end64 ? fixture_tensor(end64, nt->key, count) : NULL;
        if (nt->trainable) {
            double ours_err = 0, ref_err = 0, norm = 0;
            for (size_t j = 0; j < count; j++) {
                double d_ours = (double)ours[j] - w0[j], d_ref = (double)w3[j] - w0[j];
                double d_exact = w64 ? (double)w64[j] - w0[j] : d_ref;
                ours_err += (d_ours - d_exact) * (d_ours - d_exact);
                ref_err += (d_ref - d_exact) * (d_ref - d_exact);
                norm += d_exact * d_exact;
            }
            ours_err = sqrt(ours_err);
            ref_err = sqrt(ref_err);
            norm = sqrt(norm);
            double allowed = w64 ? 2 * ref_err + 1e-3 * norm : 1e-2 * norm;
            double ratio = allowed > 0 ? ours_err / allowed : ours_err;
            if (ratio > worst_update)
                worst_update = ratio;
            CHECK(ours_err <= allowed || ours_err < 1e-9,
                  "%s: update differs by %.3g (allowed %.3g, PyTorch float32 %.3g, norm %.3g)",
                  nt->key, ours_err, allowed, ref_err, norm);
        } else {
            double d = max_abs_diff(ours, w3, count);
            if (d > worst_buffer)
                worst_buffer = d;
            CHECK(d <= 1e-4, "%s differs from PyTorch by %g", nt->key, d);
        }
        free(ours);
        free(w0);
        free(w3);
        free(w64);
    }
    printf("%s: worst update error / allowed %.3g, worst buffer error %.3g\n", end_name,
           worst_update, worst_buffer);
    st_close(start);
    st_close(end);
    if (end64)
        st_close(end64);
}

/* Three steps of one configuration; fixtures <prefix>_{g0,d0,g3,d3,data}.safetensors. */
static void run_case(const char *prefix, const trainer_opts *o, int with_f64)
{
    char err[512], g0[64], d0[64], g3[64], d3[64], g64[64], d64[64], data_name[64];
    snprintf(g0, sizeof g0, "%s_g0.safetensors", prefix);
    snprintf(d0, sizeof d0, "%s_d0.safetensors", prefix);
    snprintf(g3, sizeof g3, "%s_g3.safetensors", prefix);
    snprintf(d3, sizeof d3, "%s_d3.safetensors", prefix);
    snprintf(data_name, sizeof data_name, "%s_data.safetensors", prefix);
    snprintf(g64, sizeof g64, "%s_g3_f64.safetensors", prefix);
    snprintf(d64, sizeof d64, "%s_d3_f64.safetensors", prefix);
    printf("== %s\n", prefix);
    eng_backend *be = eng_cpu_backend_new(2);
    trainer t;
    if (trainer_init(&t, o, be, err, sizeof err)) {
        fprintf(stderr, "%s\n", err);
        exit(1);
    }
    load(&t, &t.G, g0);
    load(&t, &t.D, d0);
    st_file *data = fixture_open(data_name);
    size_t n = (size_t)o->batch * 3 * 32 * 32;
    float *a = fixture_tensor(data, "real_A", n), *b = fixture_tensor(data, "real_B", n);
    float *want = fixture_tensor(data, "losses", 3 * LOSS_COUNT);
    st_close(data);
    double worst = 0;
    for (int step = 0; step < 3; step++) {
        float losses[LOSS_COUNT];
        CHECK(trainer_step(&t, a, b, losses) == 0, "step %d: %s", step, eng_last_error());
        for (int k = 0; k < LOSS_COUNT; k++) {
            /* The fixture has the reference's lambda * L1; we report L1. */
            double ref = want[step * LOSS_COUNT + k] / (k == LOSS_G_L1 ? o->lambda_l1 : 1.0f);
            double rel = fabs(losses[k] - ref) / fabs(ref);
            if (!(rel <= worst))
                worst = rel;
            printf("step %d %-6s ours %.7f PyTorch %.7f\n", step + 1, loss_names[k],
                   losses[k], ref);
            CHECK(rel <= 1e-3, "%s step %d %s: %g vs PyTorch %g", prefix, step + 1,
                  loss_names[k], losses[k], ref);
        }
    }
    printf("worst relative loss error %.3g\n", worst);
    compare(&t, &t.G, g0, g3, with_f64 ? g64 : NULL);
    compare(&t, &t.D, d0, d3, with_f64 ? d64 : NULL);
    free(a);
    free(b);
    free(want);
    trainer_free(&t);
    eng_backend_free(be);
}

int main(void)
{
    /* U-Net + basic PatchGAN, BatchNorm, vanilla GAN, batch 1. */
    trainer_opts unet = {
        .gen = {GEN_UNET, 5, 3, 3, 4, NORM_BATCH, 0, GEN_UP_TRANSPOSED},
        .disc = {DISC_NLAYERS, 3, 6, 4, NORM_BATCH},
        .batch = 1, .height = 32, .width = 32,
        .lr = 2e-4f, .beta1 = 0.5f, .lambda_l1 = 100.0f, .lsgan = 0, .seed = 1,
    };
    run_case("train", &unet, 0);
    /* ResNet + pixel discriminator, InstanceNorm (biases), LSGAN, batch 2. */
    trainer_opts resnet = {
        .gen = {GEN_RESNET, 2, 3, 3, 4, NORM_INSTANCE, 0, GEN_UP_TRANSPOSED},
        .disc = {DISC_PIXEL, 0, 6, 4, NORM_INSTANCE},
        .batch = 2, .height = 32, .width = 32,
        .lr = 2e-4f, .beta1 = 0.5f, .lambda_l1 = 100.0f, .lsgan = 1, .seed = 1,
    };
    run_case("train2", &resnet, 1);
    printf("train parity: %s\n", test_failures ? "FAILED" : "ok");
    return test_failures != 0;
}
