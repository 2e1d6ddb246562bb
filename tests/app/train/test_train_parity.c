/* Three pix2pix training steps from the same weights on the same pair (no dropout, no flip,
 * no preprocessing) give PyTorch's losses and weights (fixtures from tools/gen_parity.py and,
 * for pix2pixHD's LocalEnhancer, tools/gen_global_g.py, which repeat the reference's
 * optimize_parameters; with --gan, tools/gen_gan_parity.py's --gan-mode hinge, --d-steps 2,
 * --ema-decay 0.9 --lambda-mismatch 1: there also the critic's loss on the mismatched pairs and
 * G's averaged weights, and --num-d 3 --lambda-feat 10 --gan-mode hinge, without and with
 * --spectral-norm; with --local, the LocalEnhancer's alone).
 * Usage: test_app_train_parity [--gan | --local] [DEVICE] [--fp16] (default cpu; exit 77 when
 * DEVICE is unavailable). With --fp16 (mixed precision, a loss scale of 256) the losses must
 * agree to 3%, the buffers to 1e-3 (u and v: FP16_SN_VECTOR_TOL) and each network's whole
 * update to 10% of its size: fp16 rounding turns Adam's nearly sign-sized steps of
 * nearly-zero gradients (a BatchNorm bias) around. A loss is then judged relative to at least
 * FP16_LOSS_FLOOR: the hinge G_GAN of the critics under --spectral-norm sums their signed
 * outputs through zero (-0.045, -0.013, 0.018 over the steps), where fp16's absolute error of
 * a few 1e-4 on each critic's mean output (D_real and D_fake, near 3, agree to 5e-5) is
 * several percent of the sum. */
#include <string.h>

#include "app/model/checkpoint.h"
#include "app/train/train.h"
#include "app/train/train_ema.h"
#include "app_test.h"
#include "engine/device.h"

#define FP16_LOSS_FLOOR 0.05
/* u and v are the singular vectors of the critics' weights after the last update: they move
 * with the weights' fp16 error (6% of the critics' 3-step update in the spectral-norm case)
 * amplified by the gap between the first two singular values; 1e-3 in the worst element
 * measured (the fp32 runs: 1.6e-7). */
#define FP16_SN_VECTOR_TOL 5e-3

static const char *device = "cpu";
static int fp16;

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

/* Spectral normalization's u or v (a key ending in weight_u or weight_v). */
static int spectral_vector(const char *key)
{
    size_t len = strlen(key);
    return len > 9 && (!strcmp(key + len - 9, ".weight_u") || !strcmp(key + len - 9, ".weight_v"));
}

/* Compares every tensor of the network with the files: buffers (running statistics, spectral
 * normalization's u and v) to 1e-4; parameters by their change from the start. Without a
 * float64 reference the three Adam updates must agree to 1%. With one (ill-conditioned configurations), ours must be no
 * further from the float64 update than twice PyTorch's float32 distance to it. With --fp16,
 * see the top. */
static void compare(trainer *t, const net *n, const char *start_name, const char *end_name,
                    const char *end64_name)
{
    st_file *start = fixture_open(start_name), *end = fixture_open(end_name);
    st_file *end64 = end64_name ? fixture_open(end64_name) : NULL;
    double worst_update = 0, worst_buffer = 0, all_err = 0, all_norm = 0;
    const char *worst_buffer_key = "none";
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
            all_err += ours_err * ours_err;
            all_norm += norm * norm;
            double allowed = w64 ? 2 * ref_err + 1e-3 * norm : 1e-2 * norm;
            double ratio = allowed > 0 ? ours_err / allowed : ours_err;
            if (ratio > worst_update)
                worst_update = ratio;
            CHECK(fp16 || ours_err <= allowed || ours_err < 1e-9,
                  "%s: update differs by %.3g (allowed %.3g, PyTorch float32 %.3g, norm %.3g)",
                  nt->key, ours_err, allowed, ref_err, norm);
        } else {
            double d = max_abs_diff(ours, w3, count);
            double bound = !fp16 ? 1e-4 : spectral_vector(nt->key) ? FP16_SN_VECTOR_TOL : 1e-3;
            if (d > worst_buffer) {
                worst_buffer = d;
                worst_buffer_key = nt->key;
            }
            CHECK(d <= bound, "%s differs from PyTorch by %g", nt->key, d);
        }
        free(ours);
        free(w0);
        free(w3);
        free(w64);
    }
    printf("%s: worst update error / allowed %.3g, worst buffer error %.3g (%s), whole "
           "network's update error %.3g of its size\n", end_name, worst_update, worst_buffer,
           worst_buffer_key, sqrt(all_err / all_norm));
    CHECK(!fp16 || all_err <= 0.1 * 0.1 * all_norm, "%s: update differs by %.3g of its size",
          end_name, sqrt(all_err / all_norm));
    st_close(start);
    st_close(end);
    if (end64)
        st_close(end64);
}

/* The fixtures of one case: start and end weights of G and D (and float64 end weights), and
 * the file of real_A, real_B and the losses per step (under the key losses); with
 * --ema-decay, G's averaged weights at the end (gavg, with G's buffers), and with
 * --lambda-mismatch the critic's loss on the mismatched pairs per step (losses_mismatch). */
typedef struct {
    const char *g0, *d0, *g3, *d3, *g64, *d64, *data, *losses, *gavg;
} case_files;

/* D's loss on the mismatched pairs after a step against PyTorch's. */
static void check_mismatch(trainer *t, const float *want, int step, double tolerance)
{
    float ours;
    CHECK(eng_plan_read(t->plan, t->loss[LOSS_D_MISMATCH], &ours) == 0, "%s", eng_last_error());
    double rel = fabs(ours - want[step]) / fabs(want[step]);
    printf("step %d D_mismatch ours %.7f PyTorch %.7f\n", step + 1, ours, want[step]);
    CHECK(rel <= tolerance, "step %d D_mismatch: %g vs PyTorch %g", step + 1, ours, want[step]);
}

/* Three steps of one configuration. */
static void run_case(const char *name, const case_files *f, trainer_opts o)
{
    char err[512];
    printf("== %s on %s%s\n", name, device, fp16 ? " (fp16)" : "");
    o.fp16 = fp16;
    eng_backend *be = eng_backend_open(device, 2);
    trainer t;
    if (!be || trainer_init(&t, &o, be, err, sizeof err)) {
        fprintf(stderr, "%s\n", be ? err : eng_last_error());
        exit(1);
    }
    load(&t, &t.G, f->g0);
    load(&t, &t.D, f->d0);
    CHECK(train_ema_reset(&t) == 0, "%s", eng_last_error()); /* G's average starts at g0 */
    if (fp16) /* a scale the first steps need not lower (PyTorch's run did not skip them) */
        eng_plan_set_loss_scale(t.plan, 256.0f, ENG_LOSS_SCALE_GROWTH_INTERVAL, 0);
    st_file *data = fixture_open(f->data);
    size_t n = (size_t)o.batch * 3 * 32 * 32;
    float *a = fixture_tensor(data, "real_A", n), *b = fixture_tensor(data, "real_B", n);
    /* G_GAN_Feat in the fixtures of feature matching alone, as in the loss log */
    int nl = o.lambda_feat > 0 ? LOSS_G_FEAT + 1 : LOSS_COUNT_NO_FEAT;
    float *want = fixture_tensor(data, f->losses, (size_t)(3 * nl));
    float *mismatch = t.loss[LOSS_D_MISMATCH] ? fixture_tensor(data, "losses_mismatch", 3) : NULL;
    st_close(data);
    double worst = 0, tolerance = fp16 ? 3e-2 : 1e-3;
    for (int step = 0; step < 3; step++) {
        float losses[LOSS_COUNT];
        CHECK(trainer_step(&t, a, b, losses) == 0, "step %d: %s", step, eng_last_error());
        for (int k = 0; k < nl; k++) {
            /* The fixture of tools/gen_parity.py has the reference's lambda * L1; we report L1
             * (as tools/gen_gan_parity.py does). */
            double ref = want[step * nl + k] /
                         (k == LOSS_G_L1 && !strcmp(f->losses, "losses") ? o.lambda_l1 : 1.0f);
            double scale = fp16 ? fmax(fabs(ref), FP16_LOSS_FLOOR) : fabs(ref);
            double rel = fabs(losses[k] - ref) / scale;
            if (!(rel <= worst))
                worst = rel;
            printf("step %d %-6s ours %.7f PyTorch %.7f\n", step + 1, loss_names[k],
                   losses[k], ref);
            CHECK(rel <= tolerance, "%s step %d %s: %g vs PyTorch %g", name, step + 1,
                  loss_names[k], losses[k], ref);
        }
        if (mismatch)
            check_mismatch(&t, mismatch, step, tolerance);
    }
    printf("worst relative loss error %.3g\n", worst);
    CHECK(eng_plan_skipped_runs(t.plan) == 0, "%lld steps skipped their update",
          (long long)eng_plan_skipped_runs(t.plan));
    compare(&t, &t.G, f->g0, f->g3, f->g64);
    compare(&t, &t.D, f->d0, f->d3, f->d64);
    CHECK(!f->gavg == !t.G_ema.n, "G's average kept: %d, in the fixtures: %d", t.G_ema.n > 0,
          f->gavg != NULL);
    if (f->gavg && t.G_ema.n)
        compare(&t, &t.G_ema, f->g0, f->gavg, NULL);
    free(mismatch);
    free(a);
    free(b);
    free(want);
    trainer_free(&t);
    eng_backend_free(be);
}

/* fp16 from GradScaler's first scale, which these gradients overflow: each of the two D
 * updates of a step checks its own gradients, so the skipped ones leave D finite. */
static void skip_case(trainer_opts o)
{
    char err[512];
    o.fp16 = 1;
    eng_backend *be = eng_backend_open(device, 2);
    trainer t;
    if (!be || trainer_init(&t, &o, be, err, sizeof err)) {
        fprintf(stderr, "%s\n", be ? err : eng_last_error());
        exit(1);
    }
    load(&t, &t.G, "gan_g0.safetensors");
    load(&t, &t.D, "gan_d0.safetensors");
    st_file *data = fixture_open("gan_data.safetensors");
    size_t n = (size_t)3 * 32 * 32;
    float *a = fixture_tensor(data, "real_A", n), *b = fixture_tensor(data, "real_B", n);
    st_close(data);
    for (int step = 0; step < 3; step++) {
        float losses[LOSS_COUNT];
        CHECK(trainer_step(&t, a, b, losses) == 0, "step %d: %s", step, eng_last_error());
        for (int k = 0; k < LOSS_COUNT; k++)
            CHECK(isfinite(losses[k]), "step %d at scale 65536: %s is %g", step + 1,
                  loss_names[k], losses[k]);
    }
    CHECK(!eng_plan_nonfinite_state(t.plan), "the weights or moments are not finite");
    printf("--d-steps 2 from loss scale 65536: %lld of 3 steps skipped, weights finite\n",
           (long long)eng_plan_skipped_runs(t.plan));
    CHECK(eng_plan_skipped_runs(t.plan) > 0, "no step skipped: the case checks nothing");
    free(a);
    free(b);
    trainer_free(&t);
    eng_backend_free(be);
}

/* The reference's recipe: vanilla and LSGAN. */
static void reference_cases(void)
{
    /* U-Net + basic PatchGAN, BatchNorm, vanilla GAN, batch 1. */
    trainer_opts unet = {
        .gen = {.family = GEN_UNET, .depth = 5, .input_nc = 3, .output_nc = 3, .ngf = 4,
            .norm = NORM_BATCH, .use_dropout = 0},
        .disc = {DISC_NLAYERS, 3, 6, 4, NORM_BATCH, 1, 0},
        .batch = 1, .height = 32, .width = 32,
        .lr = 2e-4f, .beta1 = 0.5f, .lambda_l1 = 100.0f, .gan = GAN_VANILLA, .seed = 1,
    };
    run_case("train", &(case_files){"train_g0.safetensors", "train_d0.safetensors",
                                    "train_g3.safetensors", "train_d3.safetensors", NULL, NULL,
                                    "train_data.safetensors", "losses", NULL}, unet);
    /* ResNet + pixel discriminator, InstanceNorm (biases), LSGAN, batch 2. */
    trainer_opts resnet = {
        .gen = {.family = GEN_RESNET, .depth = 2, .input_nc = 3, .output_nc = 3, .ngf = 4,
            .norm = NORM_INSTANCE, .use_dropout = 0, .n_down = 2},
        .disc = {DISC_PIXEL, 0, 6, 4, NORM_INSTANCE, 1, 0},
        .batch = 2, .height = 32, .width = 32,
        .lr = 2e-4f, .beta1 = 0.5f, .lambda_l1 = 100.0f, .gan = GAN_LSGAN, .seed = 1,
    };
    run_case("train2", &(case_files){"train2_g0.safetensors", "train2_d0.safetensors",
                                     "train2_g3.safetensors", "train2_d3.safetensors",
                                     "train2_g3_f64.safetensors", "train2_d3_f64.safetensors",
                                     "train2_data.safetensors", "losses", NULL}, resnet);
}

/* pix2pixHD's LocalEnhancer (--netG local; with --local alone). */
static void local_case(void)
{
    /* pix2pixHD's LocalEnhancer + pixel discriminator, InstanceNorm, LSGAN, batch 1
     * (tools/gen_global_g.py write_train). */
    trainer_opts local = {
        .gen = {.family = GEN_LOCAL, .depth = 0, .input_nc = 3, .output_nc = 3, .ngf = 2,
                .norm = NORM_INSTANCE, .n_down = 2, .n_local = 1, .local_blocks = 1},
        .disc = {DISC_PIXEL, 0, 6, 2, NORM_INSTANCE, 1, 0},
        .batch = 1, .height = 32, .width = 32,
        .lr = 2e-4f, .beta1 = 0.5f, .lambda_l1 = 100.0f, .gan = GAN_LSGAN, .seed = 1,
    };
    run_case("local", &(case_files){"local_train_g0.safetensors", "local_train_d0.safetensors",
                                    "local_train_g3.safetensors", "local_train_d3.safetensors",
                                    "local_train_g3_f64.safetensors",
                                    "local_train_d3_f64.safetensors",
                                    "local_train_data.safetensors", "losses", NULL}, local);
}

/* tools/gen_gan_parity.py: U-Net (ngf 1) + basic PatchGAN (ndf 2), BatchNorm, batch 1; hinge
 * loss, vanilla with two D updates per step, (batch 2) vanilla with G's average and the
 * mismatched pairs, and three critics with feature matching, from the same weights. */
static void gan_cases(void)
{
    trainer_opts o = {
        .gen = {GEN_UNET, 5, 3, 3, 1, NORM_BATCH, 0},
        .disc = {DISC_NLAYERS, 3, 6, 2, NORM_BATCH, 1, 0},
        .batch = 1, .height = 32, .width = 32,
        .lr = 2e-4f, .beta1 = 0.5f, .lambda_l1 = 100.0f, .gan = GAN_HINGE, .seed = 1,
    };
    run_case("--gan-mode hinge", &(case_files){"gan_g0.safetensors", "gan_d0.safetensors",
                                               "gan_hinge_g3.safetensors",
                                               "gan_hinge_d3.safetensors", NULL, NULL,
                                               "gan_data.safetensors", "losses_hinge", NULL}, o);
    o.gan = GAN_VANILLA;
    o.d_steps = 2;
    run_case("--d-steps 2", &(case_files){"gan_g0.safetensors", "gan_d0.safetensors",
                                          "gan_dsteps2_g3.safetensors",
                                          "gan_dsteps2_d3.safetensors", NULL, NULL,
                                          "gan_data.safetensors", "losses_dsteps2", NULL}, o);
    if (fp16)
        skip_case(o);
    o.d_steps = 1;
    o.batch = 2;
    o.ema_decay = 0.9f;
    o.lambda_mismatch = 1.0f;
    run_case("--ema-decay 0.9 --lambda-mismatch 1",
             &(case_files){"gan_g0.safetensors", "gan_d0.safetensors", "gan_ema_g3.safetensors",
                           "gan_ema_d3.safetensors", NULL, NULL, "gan_ema_data.safetensors",
                           "losses_ema", "gan_ema_gavg3.safetensors"}, o);
    /* pix2pixHD's three critics (PatchGANs of one layer, judging 32, 16 and 8 pixel sides) and
     * feature matching, with the hinge loss. */
    o.batch = 1;
    o.ema_decay = 0.0f;
    o.lambda_mismatch = 0.0f;
    o.gan = GAN_HINGE;
    o.disc = (disc_config){DISC_NLAYERS, 1, 6, 2, NORM_BATCH, 3, 0};
    o.lambda_feat = 10.0f;
    run_case("--num-d 3 --lambda-feat 10 --gan-mode hinge",
             &(case_files){"gan_g0.safetensors", "gan_msd_d0.safetensors",
                           "gan_msd_g3.safetensors", "gan_msd_d3.safetensors", NULL, NULL,
                           "gan_data.safetensors", "losses_msd", NULL}, o);
    /* The same with spectral normalization on every conv of the critics: each application
     * of a critic one power iteration, u and v compared as buffers. */
    o.disc.spectral = 1;
    run_case("--num-d 3 --lambda-feat 10 --gan-mode hinge --spectral-norm",
             &(case_files){"gan_g0.safetensors", "gan_msd_sn_d0.safetensors",
                           "gan_msd_sn_g3.safetensors", "gan_msd_sn_d3.safetensors", NULL, NULL,
                           "gan_data.safetensors", "losses_msd_sn", NULL}, o);
}

int main(int argc, char **argv)
{
    int gan = 0, local = 0;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--gan"))
            gan = 1;
        else if (!strcmp(argv[i], "--local"))
            local = 1;
        else if (!strcmp(argv[i], "--fp16"))
            fp16 = 1;
        else
            device = argv[i];
    }
    device_or_skip(device);
    if (gan)
        gan_cases();
    else if (local)
        local_case();
    else {
        reference_cases();
        local_case();
    }
    return test_result("train parity");
}
