/* --num-d and --lambda-feat end to end: a run with two critics and feature matching saves
 * critic 1 under "down1." in latest_net_D with the metadata num_D=2 (inspect names the
 * critics), logs and prints G_GAN_Feat and plots it in the report (a run without it keeps the
 * log's four losses); two steps and a resumed third give bit for bit the files of three steps
 * in one run; --continue refuses another --num-d with the option named, --init-d a file of
 * another count of critics; counts out of range
 * and images too small for the coarsest critic are refused with exit status 2. */
#include <string.h>
#include <unistd.h>

#include "cmd_run.h"
#include "engine/safetensors.h"

static char root[] = "/tmp/p2p_multiscale_XXXXXX";
static char data[256], ckpt[256];

/* pix2pix train on the first pair of the tiny dataset (32x32: one step an epoch, so that a
 * resume starts an epoch) with NAME, STEPS and the extra arguments. */
static int train(const char *name, const char *steps, const char *const *extra)
{
    const char *const base[] = {"train", "--data", data, "--checkpoints-dir", ckpt, "--name",
                                name, "--netG", "unet_5", "--ngf", "2", "--ndf", "2",
                                "--preprocess", "none", "--no-flip", "--serial-batches",
                                "--no-dropout", "--device", "cpu", "--threads", "1",
                                "--display-freq", "1", "--max-steps", steps, "--quiet",
                                "--max-dataset-size", "1", NULL};
    return run_joined(cmd_train, base, extra);
}

/* File `what` of experiment `name`, NUL-terminated (caller frees), or NULL. */
static char *run_file(const char *name, const char *what)
{
    char path[512];
    size_t len;
    snprintf(path, sizeof path, "%s/%s/%s", ckpt, name, what);
    return (char *)read_whole_file(path, &len);
}

/* The critics' keys and metadata, and what inspect says of them. */
static void check_critics(const char *name)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s/latest_net_D.safetensors", ckpt, name);
    st_file *f = st_open(path);
    CHECK(f != NULL, "%s", eng_last_error());
    if (!f)
        return;
    const char *num_d = st_meta(f, "num_D");
    CHECK(num_d && !strcmp(num_d, "2"), "metadata num_D %s", num_d ? num_d : "absent");
    CHECK(st_find(f, "model.0.weight") && st_find(f, "down1.model.0.weight") &&
              !st_find(f, "down2.model.0.weight"),
          "critic 0 under model., critic 1 under down1.");
    st_close(f);
    char *inspect[] = {"inspect", path, NULL};
    CHECK(run_captured(cmd_inspect, inspect) == 0 &&
              strstr(out_text, "2 critics at 1/1 to 1/2 scale") && !strstr(out_text, "note:"),
          "inspect: %s", out_text);
}

/* The loss log's header and rows, the printed losses and the report's charts. */
static void check_outputs(const char *name, int feat)
{
    char *log = run_file(name, "loss_log.csv"), *page = run_file(name, "web/index.html");
    CHECK(log && !strncmp(log, feat ? "epoch,iter,G_GAN,G_L1,D_real,D_fake,G_GAN_Feat\n"
                                    : "epoch,iter,G_GAN,G_L1,D_real,D_fake\n",
                          strcspn(log, "\n") + 1),
          "%s: loss_log.csv header: %.80s", name, log ? log : "(none)");
    int epoch, iter;
    float l[5];
    const char *row = log ? strchr(log, '\n') + 1 : "";
    int fields = sscanf(row, "%d,%d,%f,%f,%f,%f,%f", &epoch, &iter, &l[0], &l[1], &l[2], &l[3],
                        &l[4]);
    CHECK(fields == (feat ? 7 : 6), "%s: first row has %d fields: %.80s", name, fields, row);
    CHECK(!feat || (fields == 7 && l[4] > 0), "%s: G_GAN_Feat %g", name, (double)l[4]);
    CHECK(page && !strstr(page, "data-loss=\"G_GAN_Feat\"") == !feat,
          "%s: the report %s a G_GAN_Feat chart", name, feat ? "lacks" : "has");
    CHECK(!feat || (page && strstr(page, "(2 critics), batch norm") &&
                    strstr(page, "M parameters, feature matching")),
          "%s: the report's model line does not name the critics and feature matching", name);
    free(log);
    free(page);
}

int main(void)
{
    if (tiny_training_root(root, data, ckpt, sizeof data, "4", "0"))
        return 1;

    /* Two critics need 23-pixel sides with a 2-layer PatchGAN (basic: 47). */
    const char *msd[] = {"--netD", "n_layers", "--n-layers-d", "2", "--num-d", "2",
                         "--lambda-feat", "10", "--print-freq", "1", NULL};
    CHECK(train("whole", "3", msd) == 0, "whole: %s", out_text);
    CHECK(strstr(out_text, " G_GAN_Feat: ") && strstr(out_text, "unet_5 + n_layers (2 critics)"),
          "G_GAN_Feat or the critics not printed: %s", out_text);
    check_critics("whole");
    check_outputs("whole", 1);
    CHECK(train("resumed", "2", msd) == 0, "first two steps: %s", out_text);
    const char *again[] = {"--netD", "n_layers", "--n-layers-d", "2", "--num-d", "2",
                           "--lambda-feat", "10", "--continue", "--max-steps", "1", NULL};
    CHECK(train("resumed", "1", again) == 0, "resumed: %s", out_text);
    const char *saved[] = {"latest_net_G.safetensors", "latest_net_D.safetensors",
                           "latest_opt.safetensors"};
    for (int i = 0; i < 3; i++)
        same_tensors(ckpt, "whole", "resumed", saved[i],
                     "2 + 1 resumed steps (--num-d 2 --lambda-feat 10)");

    const char *fewer[] = {"--netD", "n_layers", "--n-layers-d", "2", "--continue", NULL};
    CHECK(train("resumed", "1", fewer) != 0 &&
              strstr(out_text, "--num-d 1 here, 2 in the checkpoint"),
          "--continue with --num-d 1: %s", out_text);
    char init_d[512];
    snprintf(init_d, sizeof init_d, "%s/whole/latest_net_D.safetensors", ckpt);
    const char *one[] = {"--netD", "n_layers", "--n-layers-d", "2", "--init-d", init_d, NULL};
    CHECK(train("initd", "1", one) == 1 && strstr(out_text, "has 2 critics, this run 1 (--num-d)"),
          "--init-d with 2 critics, --num-d 1: %s", out_text);
    const char *plain[] = {NULL};
    CHECK(train("plain", "1", plain) == 0, "plain: %s", out_text);
    check_outputs("plain", 0);

    const char *nine[] = {"--num-d", "9", NULL};
    CHECK(train("bad", "1", nine) == 2 && strstr(out_text, "--num-d must be 1 to 8, not 9"),
          "--num-d 9: %s", out_text);
    const char *negative[] = {"--lambda-feat", "-1", NULL};
    CHECK(train("bad", "1", negative) == 2 && strstr(out_text, "--lambda-feat must be in"),
          "--lambda-feat -1: %s", out_text);
    const char *small[] = {"--num-d", "2", NULL};
    CHECK(train("bad", "1", small) == 2 &&
              strstr(out_text, "basic (2 critics) need sides that are multiples of 32 and at "
                               "least 47"),
          "basic with 2 critics at 32x32: %s", out_text);
    printf("multiscale: %s\n", test_failures ? "FAILED" : "ok");
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf %s", root);
    CHECK(system(cmd) == 0, "cleanup");
    return test_failures != 0;
}
