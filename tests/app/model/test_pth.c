/* PyTorch .pth model files through the program (fixtures of tools/gen_pth.py): the reference's
 * generator saved by torch.save in both formats, in fp16 and wrapped in DataParallel gives
 * PyTorch's outputs, exactly those of the file `pix2pix convert` writes from it; discriminators
 * load, a pre-0.4 one without num_batches_tracked too; --init-g and --init-d take .pth files;
 * keys of no known network and pickles calling os.system are refused with the file and the
 * reason, and nothing runs. */
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "app/model/checkpoint.h"
#include "app/model/generator.h"
#include "app/model/model_file.h"
#include "cmd_run.h"

#define N (3 * 32 * 32)
static char tmp[] = "/tmp/p2p_pth_XXXXXX";

/* The generator in path, in eval mode on the CPU, applied to x (32x32). 0 on success. */
static int run_generator(const char *path, const float *x, float *y)
{
    char err[512];
    eng_backend *be = eng_cpu_backend_new(1);
    generator r;
    int rc = generator_open(&r, path, be, 1, 0, err, sizeof err);
    if (!rc) {
        rc = generator_run(&r, x, 32, 32, y, err, sizeof err);
        generator_close(&r);
    }
    CHECK(rc == 0, "%s", err);
    eng_backend_free(be);
    return rc;
}

/* Writes `pix2pix convert FIXTURE` into the temporary folder; its path in out. */
static void convert(const char *fixture, char *out, size_t len)
{
    char in[512];
    snprintf(in, sizeof in, "%s/%s", FIXTURE_DIR, fixture);
    snprintf(out, len, "%s/%s.safetensors", tmp, fixture);
    char *args[] = {"convert", in, out, NULL};
    CHECK(run_captured(cmd_convert, args) == 0, "convert %s: %s", fixture, out_text);
}

/* Every tensor of a equals b's (name, dtype, shape, bytes). */
static void check_same_tensors(const char *a, const char *b)
{
    st_file *fa = model_file_open(a), *fb = model_file_open(b);
    CHECK(fa && fb, "%s", eng_last_error());
    if (fa && fb) {
        int same = st_count(fa) == st_count(fb);
        for (int i = 0; same && i < st_count(fa); i++) {
            const st_tensor *x = st_get(fa, i), *y = st_find(fb, x->name);
            same = y && x->dtype == y->dtype && x->ndim == y->ndim && x->nbytes == y->nbytes &&
                   !memcmp(x->shape, y->shape, sizeof x->shape) &&
                   !memcmp(x->data, y->data, x->nbytes);
        }
        CHECK(same, "%s and %s hold different tensors", a, b);
    }
    st_close(fa);
    st_close(fb);
}

/* One generator in each of its files against PyTorch's output, and the files against each
 * other: the same tensors, so bit for bit the same outputs. */
static void check_generator(const char *const *files, int nfiles, const float *x,
                            const float *want, const char *what)
{
    float *first = calloc(N, sizeof *first), *y = calloc(N, sizeof *y);
    char path[512], converted[512];
    for (int k = 0; k <= nfiles; k++) {
        if (k < nfiles)
            snprintf(path, sizeof path, "%s/%s", FIXTURE_DIR, files[k]);
        else
            convert(files[0], path, sizeof path);
        if (run_generator(path, x, k ? y : first))
            continue;
        double diff = max_abs_diff(k ? y : first, want, N);
        printf("%s, %s: max |ours - PyTorch| = %.3g\n", what,
               k < nfiles ? files[k] : "converted to safetensors", diff);
        CHECK(diff <= 1e-4, "%s differs from PyTorch by %g", path, diff);
        CHECK(!k || !memcmp(first, y, N * sizeof *y), "%s: output differs from %s's", path,
              files[0]);
    }
    snprintf(path, sizeof path, "%s/%s", FIXTURE_DIR, files[0]);
    snprintf(converted, sizeof converted, "%s/%s.safetensors", tmp, files[0]);
    check_same_tensors(path, converted);
    free(first);
    free(y);
}

static void test_generators(void)
{
    st_file *out = fixture_open("pth_out.safetensors");
    float *x = fixture_tensor(out, "input", N), *unet = fixture_tensor(out, "unet_eval", N);
    float *fp16 = fixture_tensor(out, "unet_fp16_eval", N);
    float *resnet = fixture_tensor(out, "resnet_eval", N);
    st_close(out);
    const char *unet_files[] = {"pth_unet_g.pth", "pth_unet_g_legacy.pth"};
    check_generator(unet_files, 2, x, unet, "unet_5 (batch norm)");
    check_same_tensors(FIXTURE_DIR "/pth_unet_g.pth", FIXTURE_DIR "/pth_unet_g_legacy.pth");
    const char *fp16_files[] = {"pth_unet_g_fp16.pth"};
    check_generator(fp16_files, 1, x, fp16, "unet_5 in fp16");
    const char *dp_files[] = {"pth_resnet_g_dp.pth"};
    check_generator(dp_files, 1, x, resnet, "resnet_2blocks in DataParallel");
    st_file *f = model_file_open(FIXTURE_DIR "/pth_resnet_g_dp.pth");
    CHECK(f && st_find(f, "model.1.weight") && !st_find(f, "module.model.1.weight"),
          "module. prefixes kept: %s", f ? "" : eng_last_error());
    st_close(f);
    free(x);
    free(unet);
    free(fp16);
    free(resnet);
}

/* Builds the discriminator of the file on a plan and loads the file into it. */
static void check_discriminator(const char *name, int counters)
{
    char path[512], err[512];
    snprintf(path, sizeof path, "%s/%s", FIXTURE_DIR, name);
    st_file *f = model_file_open(path);
    disc_config c;
    CHECK(f && !ckpt_disc_config(f, &c, err, sizeof err), "%s", f ? err : eng_last_error());
    if (!f)
        return;
    CHECK(c.family == DISC_NLAYERS && c.n_layers == 3 && c.ndf == 2 && c.input_nc == 6 &&
              c.norm == NORM_BATCH, "%s: inferred as n_layers %d ndf %d", name, c.n_layers, c.ndf);
    CHECK(!!st_find(f, "model.3.num_batches_tracked") == counters, "%s: counters", name);
    eng_backend *be = eng_cpu_backend_new(1);
    eng_graph *g = eng_graph_new();
    net n;
    net_init_struct(&n, g, "", 0, 0, 0);
    eng_forward(g, net_discriminator(&n, &c, eng_input4(g, "x", 1, 6, 32, 32)));
    eng_plan *p = eng_plan_new(g, be);
    CHECK(p && !ckpt_load_net(&n, p, f, path, err, sizeof err), "%s", err);
    float count = -1, mean[4] = {0};
    const net_tensor *t = net_find_key(&n, "model.3.num_batches_tracked");
    const net_tensor *m = net_find_key(&n, "model.3.running_mean");
    const st_tensor *want = st_find(f, "model.3.running_mean");
    if (p && t && m && want && eng_node_numel(m->node) == 4 && want->numel == 4) {
        eng_plan_read(p, t->node, &count);
        eng_plan_read(p, m->node, mean);
        CHECK(count == (counters ? 7.0f : 0.0f) && !memcmp(mean, want->data, sizeof mean),
              "%s: num_batches_tracked %g, running_mean[0] %g", name, count, mean[0]);
    } else {
        CHECK(0, "%s: no model.3.running_mean of 4 channels", name);
    }
    eng_plan_free(p);
    net_release(&n);
    eng_graph_free(g);
    eng_backend_free(be);
    st_close(f);
}

/* Refusals name the file and the reason; the os.system pickles leave no trace. */
static void test_refusals(void)
{
    char want[640], path[512];
    const char *evil[] = {"evil.pth", "evil_legacy.pth"};
    for (int k = 0; k < 2; k++) {
        snprintf(path, sizeof path, "%s/%s", FIXTURE_DIR, evil[k]);
        snprintf(want, sizeof want, "%s: refused: pickle global posix.system is not part of a "
                 "state_dict", path);
        CHECK(!model_file_open(path) && !strcmp(eng_last_error(), want), "%s", eng_last_error());
        char *args[] = {"translate", "--model", path, "--input", FIXTURE_DIR "/unet5_in.png",
                        "--output", tmp, NULL};
        CHECK(run_captured(cmd_translate, args) == 1 && strstr(out_text, want), "%s", out_text);
    }
    printf("%s\n", want);
    CHECK(access("pix2pix_pwned.txt", F_OK) != 0, "the pickle's command ran");
    char *tr[] = {"translate", "--model", FIXTURE_DIR "/pth_unknown.pth", "--input",
                  FIXTURE_DIR "/unet5_in.png", "--output", tmp, NULL};
    CHECK(run_captured(cmd_translate, tr) == 1 &&
          strstr(out_text, "pth_unknown.pth: not a generator"), "%s", out_text);
    snprintf(path, sizeof path, "%s/unknown.safetensors", tmp);
    char *cv[] = {"convert", FIXTURE_DIR "/pth_unknown.pth", path, NULL};
    CHECK(run_captured(cmd_convert, cv) == 1 &&
          strstr(out_text, "pth_unknown.pth: the keys fit no known network") &&
          access(path, F_OK) != 0, "%s", out_text);
    char *in[] = {"inspect", FIXTURE_DIR "/pth_unet_g_legacy.pth", NULL};
    CHECK(run_captured(cmd_inspect, in) == 0 && strstr(out_text, "generator unet_5") &&
          strstr(out_text, "ngf 2, norm batch"), "%s", out_text);
}

/* The weights of a equal b's (running statistics aside); *worst gets the largest difference. */
static int same_weights(const st_file *a, const st_file *b, double *worst)
{
    int same = st_count(a) == st_count(b);
    *worst = 0;
    for (int i = 0; same && i < st_count(b); i++) {
        const st_tensor *w = st_get(b, i), *o = st_find(a, w->name);
        same = o && o->numel == w->numel;
        if (!same || strstr(w->name, "running_") || strstr(w->name, "num_batches"))
            continue;
        float *u = malloc(sizeof *u * w->numel), *v = malloc(sizeof *v * w->numel);
        st_to_f32(o, u);
        st_to_f32(w, v);
        double d = max_abs_diff(u, v, w->numel);
        *worst = d > *worst ? d : *worst;
        free(u);
        free(v);
    }
    return same;
}

/* --init-g and --init-d from .pth files: with a learning rate too small to move a weight, the
 * checkpoint after one step holds the files' weights (running statistics move). */
static void test_init(void)
{
    char data[256], ckpt[256], path[512], err[256];
    snprintf(data, sizeof data, "%s/data", tmp);
    snprintf(ckpt, sizeof ckpt, "%s/ck", tmp);
    CHECK(put_fixture_pair(data, "train", "pair.png", err, sizeof err) == 0, "%s", err);
    char *args[] = {"train", "--data", data, "--checkpoints-dir", ckpt, "--name", "init",
                    "--netG", "unet_5", "--ngf", "2", "--ndf", "2", "--preprocess", "none",
                    "--lr", "1e-30", "--threads", "1", "--workers", "1", "--display-freq", "0",
                    "--max-steps", "1", "--init-g", FIXTURE_DIR "/pth_unet_g.pth", "--init-d",
                    FIXTURE_DIR "/pth_basic_d.pth", NULL};
    CHECK(run_captured(cmd_train, args) == 0, "%s", out_text);
    const char *nets[][2] = {{"G", "pth_unet_g.pth"}, {"D", "pth_basic_d.pth"}};
    for (int k = 0; k < 2; k++) {
        char ref[512];
        snprintf(path, sizeof path, "%s/init/latest_net_%s.safetensors", ckpt, nets[k][0]);
        snprintf(ref, sizeof ref, "%s/%s", FIXTURE_DIR, nets[k][1]);
        st_file *ours = st_open(path);
        st_file *want = model_file_open(ref);
        double worst = 1;
        CHECK(ours && want && same_weights(ours, want, &worst) && worst <= 1e-6,
              "%s does not hold %s's weights (differences up to %g)", path, ref, worst);
        st_close(ours);
        st_close(want);
    }
}

int main(void)
{
    if (!mkdtemp(tmp) || chdir(tmp))
        return 1;
    test_generators();
    check_discriminator("pth_basic_d.pth", 1);
    check_discriminator("pth_old_d.pth", 0);
    test_refusals();
    test_init();
    char cmd[64];
    snprintf(cmd, sizeof cmd, "rm -rf %s", tmp);
    CHECK(system(cmd) == 0, "%s", cmd);
    return test_result(".pth files");
}
