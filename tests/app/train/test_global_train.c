/* --netG global and local end to end on a tiny dataset: training saves pix2pixHD's keys (a
 * bias on every conv, no dropout layer) and the metadata netG, n_downsample_global,
 * n_blocks_global (local: n_local_enhancers, n_blocks_local) and norm instance (pix2pixHD's
 * default, taken when --norm is not given); inspect names it without notes, translate and
 * export run it, --save-pth writes a .pth recognised from its keys alone, --continue resumes it
 * and refuses another --n-downsample-global with the option named; sizes out of range are
 * refused with their limits. --niter-fix-global: while fixed, a step changes the finest
 * enhancer's weights and none of the others; released, all of them. */
#include <string.h>
#include <unistd.h>

#include "app/cli/commands.h"
#include "app/model/checkpoint.h"
#include "app/model/model_file.h"
#include "app/train/train.h"
#include "app_test.h"
#include "tiny_train.h"

static char root[] = "/tmp/p2p_global_train_XXXXXX";
static char data[256], ckpt[256];

/* A tiny run (tiny_train.h) of --netG global, or what extra says. */
static int train(const char *name, const char *const *extra)
{
    const char *args[TINY_MAX_ARGS] = {"--netG", "global"};
    int n = 2;
    while (*extra && n < TINY_MAX_ARGS - 1)
        args[n++] = *extra++;
    args[n] = NULL;
    return tiny_train(data, ckpt, name, args);
}

static void check_meta(const st_file *f, const char *key, const char *want)
{
    const char *v = st_meta(f, key);
    CHECK(v && !strcmp(v, want), "metadata %s: %s, expected %s", key, v ? v : "none", want);
}

/* The generator of run name: its metadata and keys; inspect, translate and export take it. */
static void check_saved(const char *name, const char *netg, const char *down,
                        const char *blocks, const char *last_key)
{
    char path[512];
    st_file *f = tiny_open_g(ckpt, name, path, sizeof path);
    if (!f)
        return;
    check_meta(f, "netG", netg);
    check_meta(f, "n_downsample_global", down);
    check_meta(f, "n_blocks_global", blocks);
    check_meta(f, "norm", "instance");
    check_meta(f, "use_dropout", "0");
    CHECK(st_find(f, "model.4.bias") && st_find(f, last_key), "%s: keys", name);
    st_close(f);

    char *inspect[] = {"inspect", path, NULL};
    char want[160];
    if (!strcmp(netg, "global"))
        snprintf(want, sizeof want, "generator global (pix2pixHD GlobalGenerator, downsamplings "
                 "%s, blocks %s)", down, blocks);
    else
        snprintf(want, sizeof want, "generator local (pix2pixHD LocalEnhancer, enhancers 1 of 1 "
                 "blocks, global downsamplings %s, blocks %s)", down, blocks);
    CHECK(run_captured(cmd_inspect, inspect) == 0 && strstr(out_text, want) &&
              !strstr(out_text, "note:"),
          "inspect %s: %s", name, out_text);
    char out[512], onnx[512];
    snprintf(out, sizeof out, "%s/%s_out", root, name);
    snprintf(onnx, sizeof onnx, "%s/%s.onnx", root, name);
    char *translate[] = {"translate", "--model", path, "--input", data, "--output", out,
                         "--device", "cpu", "--threads", "1", "--recursive", NULL};
    CHECK(run_captured(cmd_translate, translate) == 0, "translate %s: %s", name, out_text);
    char *export[] = {"export", "--model", path, "--onnx", onnx, NULL};
    CHECK(run_captured(cmd_export, export) == 0 && access(onnx, F_OK) == 0, "export %s: %s",
          name, out_text);
}

/* The .pth of run name, without metadata, is a global generator by its keys. */
static void check_pth(const char *name, int n_down, int blocks, net_norm norm)
{
    char path[512], err[256];
    snprintf(path, sizeof path, "%s/%s/latest_net_G.pth", ckpt, name);
    st_file *f = model_file_open(path);
    CHECK(f != NULL, "%s", eng_last_error());
    if (!f)
        return;
    gen_config c;
    CHECK(ckpt_gen_config(f, &c, err, sizeof err) == 0 && c.family == GEN_GLOBAL &&
              c.n_down == n_down && c.depth == blocks && c.norm == norm,
          "%s: family %d, %d downsamplings, %d blocks, norm %d (%s)", path, c.family, c.n_down,
          c.depth, c.norm, err);
    st_close(f);
}

/* The tensors of G whose values changed since before (G's trainable values in order);
 * before gets the current values. Counts those with keys of the finest enhancer
 * ("model1_") and the others. */
static void changed(trainer *t, float *before, int *finest, int *others)
{
    *finest = *others = 0;
    size_t at = 0;
    for (int i = 0; i < t->G.n; i++) {
        if (!t->G.t[i].trainable)
            continue;
        size_t count = eng_node_numel(t->G.t[i].node);
        float *now = malloc(sizeof *now * count);
        eng_plan_read(t->plan, t->G.t[i].node, now);
        int moved = memcmp(now, before + at, sizeof *now * count) != 0;
        if (moved && !strncmp(t->G.t[i].key, "model1_", 7))
            (*finest)++;
        else if (moved)
            (*others)++;
        memcpy(before + at, now, sizeof *now * count);
        free(now);
        at += count;
    }
}

static void fix_global_steps(void)
{
    trainer_opts o = {
        .gen = {.family = GEN_LOCAL, .depth = 1, .input_nc = 3, .output_nc = 3, .ngf = 2,
                .norm = NORM_INSTANCE, .n_down = 2, .n_local = 1, .local_blocks = 1},
        .disc = {DISC_NLAYERS, 3, 6, 2, NORM_INSTANCE, 1, 0},
        .batch = 1, .height = 32, .width = 32, .lr = 2e-4f, .beta1 = 0.5f,
        .lambda_l1 = 100.0f, .gan = GAN_LSGAN, .seed = 3, .fix_global = 1,
    };
    char err[512];
    eng_backend *be = eng_cpu_backend_new(1);
    trainer t;
    if (trainer_init(&t, &o, be, err, sizeof err)) {
        CHECK(0, "%s", err);
        eng_backend_free(be);
        return;
    }
    size_t n = (size_t)3 * 32 * 32;
    float *a = malloc(sizeof *a * n), *b = malloc(sizeof *b * n);
    for (size_t i = 0; i < n; i++) {
        a[i] = (float)((i * 37) % 101) / 50.0f - 1.0f;
        b[i] = (float)((i * 53) % 97) / 48.0f - 1.0f;
    }
    float *before = malloc(sizeof *before * (size_t)net_param_count(&t.G)), losses[LOSS_COUNT];
    int finest, others, total = 0;
    changed(&t, before, &finest, &others);
    trainer_set_lr(&t, 2e-4f);
    trainer_fix_global(&t, 1);
    for (int step = 0; step < 2; step++) {
        CHECK(trainer_step(&t, a, b, losses) == 0, "step: %s", eng_last_error());
        changed(&t, before, &finest, &others);
        CHECK(finest > 0 && others == 0, "fixed, step %d: %d finest and %d other tensors "
              "changed", step + 1, finest, others);
    }
    for (int i = 0; i < t.G.n; i++)
        total += t.G.t[i].trainable && strncmp(t.G.t[i].key, "model1_", 7);
    trainer_fix_global(&t, 0);
    CHECK(trainer_step(&t, a, b, losses) == 0, "step: %s", eng_last_error());
    changed(&t, before, &finest, &others);
    /* the biases in front of a norm layer have no gradient, and stay */
    CHECK(finest > 0 && others > total / 2, "released: %d finest and %d of %d other tensors "
          "changed", finest, others, total);
    printf("--niter-fix-global: fixed steps change the finest enhancer only; released, %d of "
           "the %d other tensors move\n", others, total);
    free(a);
    free(b);
    free(before);
    trainer_free(&t);
    eng_backend_free(be);
}

int main(void)
{
    if (tiny_dataset(root, data, ckpt))
        return 1;

    /* 3 downsamplings, 1 block: the block at model.13, the last conv at 13 + 1 + 9 + 1. */
    const char *g3[] = {"--n-downsample-global", "3", "--n-blocks-global", "1", "--save-pth",
                        NULL};
    CHECK(train("g3", g3) == 0, "global: %s", out_text);
    check_saved("g3", "global", "3", "1", "model.24.weight");
    check_pth("g3", 3, 1, NORM_INSTANCE);
    /* 2 downsamplings under instance norm: the ResNet's keys, a global by its metadata. */
    const char *g2[] = {"--n-downsample-global", "2", "--n-blocks-global", "2", NULL};
    CHECK(train("g2", g2) == 0, "global 2: %s", out_text);
    check_saved("g2", "global", "2", "2", "model.19.weight");
    /* Batch norm keeps the conv biases: a global by its keys alone. */
    const char *gb[] = {"--n-downsample-global", "2", "--n-blocks-global", "1", "--norm",
                        "batch", "--save-pth", NULL};
    CHECK(train("gb", gb) == 0, "global batch: %s", out_text);
    check_pth("gb", 2, 1, NORM_BATCH);

    const char *again[] = {"--n-downsample-global", "3", "--n-blocks-global", "1", "--continue",
                           "--max-steps", "4", NULL};
    CHECK(train("g3", again) == 0, "--continue: %s", out_text);
    const char *other[] = {"--n-downsample-global", "2", "--n-blocks-global", "1", "--continue",
                           "--max-steps", "6", NULL};
    CHECK(train("g3", other) != 0 &&
              strstr(out_text, "--n-downsample-global 2 here, 3 in the checkpoint"),
          "--continue with another --n-downsample-global: %s", out_text);
    const char *deep[] = {"--n-downsample-global", "9", NULL};
    CHECK(train("deep", deep) == 2 &&
              strstr(out_text, "--n-downsample-global must be 1 to 8, not 9"),
          "--n-downsample-global 9: %s", out_text);
    const char *small[] = {"--n-downsample-global", "5", NULL}; /* 32 < 2 * 2^5 */
    CHECK(train("small", small) == 2, "32x32 with 5 downsamplings: %s", out_text);
    /* 2 downsamplings and 1 enhancer: the enhancer's output conv at model1_2.<1 + 4>. */
    const char *local[] = {"--netG", "local", "--n-downsample-global", "2", "--n-blocks-global",
                           "1", "--n-blocks-local", "1", "--niter-fix-global", "1", "--epochs",
                           "1", "--epochs-decay", "1", "--max-steps", "0", "--save-pth", NULL};
    CHECK(train("local", local) == 0 &&
              strstr(out_text, "epoch 2: the global generator trains too from now on"),
          "local: %s", out_text);
    check_saved("local", "local", "2", "1", "model1_2.5.weight");
    char path[512];
    st_file *f = tiny_open_g(ckpt, "local", path, sizeof path);
    if (f) {
        check_meta(f, "n_local_enhancers", "1");
        check_meta(f, "n_blocks_local", "1");
        st_close(f);
    }
    const char *fix_global[] = {"--niter-fix-global", "1", NULL};
    CHECK(train("fixg", fix_global) == 2 && strstr(out_text, "--niter-fix-global"),
          "--niter-fix-global with --netG global: %s", out_text);
    const char *with_ema[] = {"--netG", "local", "--niter-fix-global", "1", "--ema-decay",
                              "0.9", NULL};
    CHECK(train("fixema", with_ema) == 2 && strstr(out_text, "--ema-decay"),
          "--niter-fix-global with --ema-decay: %s", out_text);
    fix_global_steps();
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", root);
    CHECK(system(cmd) == 0, "cleanup");
    printf("global train: %s\n", test_failures ? "FAILED" : "ok");
    return test_failures != 0;
}
