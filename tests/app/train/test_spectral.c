/* --spectral-norm end to end: a run with spectral normalization on the critics saves each
 * conv under PyTorch's keys (weight_orig, and the buffers weight_u, weight_v of unit length),
 * with the metadata spectral_norm=1, in the safetensors and the .pth files (inspect and the
 * report's model line say so);
 * two steps and a resumed third give bit for bit the files of three steps in one run (the u
 * and v vectors included); the .pth D starts another run (--init-d); --continue and --init-d
 * refuse a run of the other setting with the option named. */
#include <math.h>
#include <string.h>

#include "app/model/model_file.h"
#include "cmd_run.h"
#include "engine/safetensors.h"

static char root[] = "/tmp/p2p_spectral_XXXXXX";
static char data[256], ckpt[256];

/* pix2pix train on the first pair of the tiny dataset (32x32, one step an epoch) with NAME,
 * STEPS and the extra arguments, two critics of a 2-layer PatchGAN. */
static int train(const char *name, const char *steps, const char *const *extra)
{
    const char *const base[] = {"train", "--data", data, "--checkpoints-dir", ckpt, "--name",
                                name, "--netG", "unet_5", "--ngf", "2", "--ndf", "2",
                                "--netD", "n_layers", "--n-layers-d", "2", "--num-d", "2",
                                "--preprocess", "none", "--no-flip", "--serial-batches",
                                "--no-dropout", "--device", "cpu", "--threads", "1",
                                "--max-steps", steps, "--quiet", "--max-dataset-size", "1",
                                NULL};
    return run_joined(cmd_train, base, extra);
}

/* The spectral_norm'ed keys of a saved D (safetensors or .pth), u and v of unit length. */
static void check_keys(const char *path)
{
    st_file *f = model_file_open(path);
    CHECK(f != NULL, "%s: %s", path, eng_last_error());
    if (!f)
        return;
    CHECK(st_find(f, "model.0.weight_orig") && st_find(f, "down1.model.5.weight_orig") &&
              !st_find(f, "model.0.weight") && st_find(f, "model.3.weight"),
          "%s: conv weights under weight_orig (the norms' as they were)", path);
    const char *vectors[] = {"model.0.weight_u", "model.0.weight_v", "down1.model.2.weight_u",
                             "down1.model.5.weight_v"};
    for (int i = 0; i < 4; i++) {
        const st_tensor *t = st_find(f, vectors[i]);
        float *v = t ? malloc(t->numel * sizeof *v) : NULL;
        if (v)
            st_to_f32(t, v);
        double sq = 0;
        for (size_t j = 0; v && j < t->numel; j++)
            sq += (double)v[j] * v[j];
        CHECK(v && fabs(sqrt(sq) - 1.0) < 1e-5, "%s: %s of length %g", path, vectors[i],
              sqrt(sq));
        free(v);
    }
    st_close(f);
}

int main(void)
{
    if (tiny_training_root(root, data, ckpt, sizeof data, "4", "0"))
        return 1;
    const char *sn[] = {"--spectral-norm", "--save-pth", NULL};
    CHECK(train("whole", "3", sn) == 0, "whole: %s", out_text);
    char *page = NULL, path[512];
    size_t len;
    snprintf(path, sizeof path, "%s/whole/web/index.html", ckpt);
    page = (char *)read_whole_file(path, &len);
    CHECK(page && strstr(page, "(2 critics) spectral-normed, batch norm"),
          "the report's model line does not say spectral-normed");
    free(page);
    snprintf(path, sizeof path, "%s/whole/latest_net_D.safetensors", ckpt);
    check_keys(path);
    st_file *f = st_open(path);
    const char *meta = f ? st_meta(f, "spectral_norm") : NULL;
    CHECK(meta && !strcmp(meta, "1"), "metadata spectral_norm %s", meta ? meta : "absent");
    if (f)
        st_close(f);
    char *inspect[] = {"inspect", path, NULL};
    CHECK(run_captured(cmd_inspect, inspect) == 0 &&
              strstr(out_text, "norm batch, spectral norm") && !strstr(out_text, "note:"),
          "inspect: %s", out_text);
    char pth[512];
    snprintf(pth, sizeof pth, "%s/whole/latest_net_D.pth", ckpt);
    check_keys(pth);

    CHECK(train("resumed", "2", sn) == 0, "first two steps: %s", out_text);
    const char *again[] = {"--spectral-norm", "--continue", NULL};
    CHECK(train("resumed", "1", again) == 0, "resumed: %s", out_text);
    const char *saved[] = {"latest_net_G.safetensors", "latest_net_D.safetensors",
                           "latest_opt.safetensors"};
    for (int i = 0; i < 3; i++)
        same_tensors(ckpt, "whole", "resumed", saved[i], "2 + 1 resumed steps (--spectral-norm)");

    const char *plain_continue[] = {"--continue", NULL};
    CHECK(train("resumed", "1", plain_continue) != 0 &&
              strstr(out_text, "--spectral-norm not given here, given in the checkpoint"),
          "--continue without --spectral-norm: %s", out_text);
    const char *from_pth[] = {"--spectral-norm", "--init-d", pth, NULL};
    CHECK(train("initd", "1", from_pth) == 0, "--init-d the .pth D: %s", out_text);
    const char *plain_init[] = {"--init-d", pth, NULL};
    CHECK(train("initd2", "1", plain_init) == 1 &&
              strstr(out_text, "has spectral normalization (weight_orig, weight_u, weight_v "
                               "keys), this run does not (--spectral-norm)"),
          "--init-d of a spectral-norm D without it: %s", out_text);
    printf("spectral: %s\n", test_failures ? "FAILED" : "ok");
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf %s", root);
    CHECK(system(cmd) == 0, "cleanup");
    return test_failures != 0;
}
