/* pix2pix train end to end: two steps, then --continue for a third, from the PyTorch
 * fixture's weights on its pair give PyTorch's three-step losses and weights (so the
 * optimizer state and counters survive the resume); logs, samples and checkpoints are
 * written; SIGINT stops after the step with a checkpoint and a resume hint, exit status 0.
 * With --gan-mode hinge --d-steps 2, and with --ema-decay 0.9, two steps and a resumed third
 * give bit for bit the weights (G's average too) and optimizer state of three steps in one
 * run; so do two steps and three resumed ones on three shuffled, jittered pairs (the resume
 * lands in the middle of an epoch). */
#include <signal.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cmd_run.h"

static char tmp[] = "/tmp/p2p_train_XXXXXX";
static char data[256], data3[256], ckpt[256];

/* extra: more options (NULL-terminated), or NULL. */
static int train_with(const char *name, const char *steps, int resume, char *const *extra)
{
    char *args[40] = {"train", "--data", data, "--checkpoints-dir", ckpt, "--name", (char *)name,
                      "--netG", "unet_5", "--ngf", "4", "--ndf", "4", "--no-dropout", "--no-flip",
                      "--serial-batches", "--preprocess", "none", "--epochs", "10",
                      "--epochs-decay", "0", "--threads", "2", "--workers", "1",
                      "--display-freq", "1", "--max-steps", (char *)steps};
    int argc = 30;
    if (resume) {
        args[argc++] = "--continue";
    } else {
        args[argc++] = "--init-g";
        args[argc++] = FIXTURE_DIR "/train_g0.safetensors";
        args[argc++] = "--init-d";
        args[argc++] = FIXTURE_DIR "/train_d0.safetensors";
    }
    for (int i = 0; extra && extra[i]; i++)
        args[argc++] = extra[i];
    args[argc] = NULL;
    return cmd_train(argc, args);
}

/* On data3's 3 pairs, shuffled, flipped and jittered (load 36, crop 32): 3 steps an epoch. */
static int train_shuffled(const char *name, const char *steps, int resume)
{
    const char *const base[] = {"train", "--data", data3, "--checkpoints-dir", ckpt, "--name",
                                name, "--netG", "unet_5", "--ngf", "4", "--ndf", "4",
                                "--load-size", "36", "--crop-size", "32", "--epochs", "10",
                                "--epochs-decay", "0", "--threads", "2", "--workers", "1",
                                "--max-steps", steps, NULL};
    const char *const resumed[] = {"--continue", NULL};
    return run_joined(cmd_train, base, resume ? resumed : NULL);
}

static int train(const char *name, const char *steps, int resume)
{
    return train_with(name, steps, resume, NULL);
}

static int count_lines(const char *path)
{
    FILE *f = fopen(path, "r");
    int n = 0, ch;
    while (f && (ch = fgetc(f)) != EOF)
        n += ch == '\n';
    if (f)
        fclose(f);
    return n;
}

static void check_weights(const char *path, const char *fixture)
{
    st_file *ours = st_open(path), *ref = fixture_open(fixture);
    CHECK(ours != NULL, "%s", eng_last_error());
    if (!ours)
        return;
    CHECK(st_count(ours) == st_count(ref), "%s: %d tensors", path, st_count(ours));
    double worst = 0;
    for (int i = 0; i < st_count(ref); i++) {
        const st_tensor *r = st_get(ref, i), *o = st_find(ours, r->name);
        CHECK(o && o->numel == r->numel, "%s: %s", path, r->name);
        if (!o || o->numel != r->numel)
            continue;
        float *a = malloc(sizeof *a * r->numel), *b = malloc(sizeof *b * r->numel);
        st_to_f32(o, a);
        st_to_f32(r, b);
        double d = max_abs_diff(a, b, r->numel);
        worst = d > worst ? d : worst;
        free(a);
        free(b);
    }
    printf("%s vs PyTorch after 2 + 1 resumed steps: max |difference| %.3g\n", fixture, worst);
    CHECK(worst <= 1e-5, "%s: weights differ by %g", path, worst);
    st_close(ours);
    st_close(ref);
}

int main(void)
{
    temp_dir(tmp);
    char path[512], err[256];
    snprintf(data, sizeof data, "%s/data", tmp);
    snprintf(ckpt, sizeof ckpt, "%s/ckpt", tmp);
    snprintf(path, sizeof path, "%s/train", data);
    mkdir(data, 0755);
    mkdir(path, 0755);
    image pair = {0};
    CHECK(image_load(FIXTURE_DIR "/train_pair.png", 0, &pair, err, sizeof err) == 0, "%s", err);
    snprintf(path, sizeof path, "%s/train/pair.png", data);
    CHECK(image_save_png(path, &pair, err, sizeof err) == 0, "%s", err);
    snprintf(data3, sizeof data3, "%s/data3", tmp);
    mkdir(data3, 0755);
    snprintf(path, sizeof path, "%s/train", data3);
    mkdir(path, 0755);
    for (int i = 0; i < 3; i++) { /* the pair, its colours turned */
        for (size_t k = 0; pair.pixels && k < (size_t)pair.width * pair.height * 3; k++)
            pair.pixels[k] = (uint8_t)(pair.pixels[k] + 85 * (k % 3 == (size_t)i));
        snprintf(path, sizeof path, "%s/train/%d.png", data3, i);
        CHECK(image_save_png(path, &pair, err, sizeof err) == 0, "%s", err);
    }
    image_free(&pair);

    /* SIGINT in a child: finishes the step, saves, exit 0. */
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0) {
        freopen("/dev/null", "w", stdout);
        _exit(train("sig", "0", 0));
    }
    snprintf(path, sizeof path, "%s/sig/loss_log.csv", ckpt);
    for (int i = 0; i < 600 && count_lines(path) < 3; i++)
        usleep(10000);
    kill(pid, SIGINT);
    int status = -1;
    waitpid(pid, &status, 0);
    CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0, "status after SIGINT %d", status);
    snprintf(path, sizeof path, "%s/sig/latest_opt.safetensors", ckpt);
    CHECK(access(path, F_OK) == 0, "%s missing after SIGINT", path);

    /* Parity through the command line, with a resume in the middle. */
    CHECK(train("p", "2", 0) == 0, "first run");
    CHECK(train("p", "1", 1) == 0, "resumed run");
    snprintf(path, sizeof path, "%s/p/loss_log.csv", ckpt);
    FILE *f = fopen(path, "r");
    st_file *fx = fixture_open("train_data.safetensors");
    float *want = fixture_tensor(fx, "losses", 12);
    st_close(fx);
    char line[256];
    int rows = 0;
    CHECK(f && fgets(line, sizeof line, f) && !strcmp(line, "epoch,iter,G_GAN,G_L1,D_real,D_fake\n"),
          "header");
    while (f && fgets(line, sizeof line, f)) {
        int epoch, iter;
        float l[4];
        CHECK(sscanf(line, "%d,%d,%f,%f,%f,%f", &epoch, &iter, &l[0], &l[1], &l[2], &l[3]) == 6,
              "row %s", line);
        CHECK(epoch == rows + 1 && iter == 1, "row %d: epoch %d iter %d", rows, epoch, iter);
        l[1] *= 100.0f; /* logged before lambda; the fixture has the reference's lambda * L1 */
        for (int k = 0; k < 4 && rows < 3; k++)
            CHECK(fabs(l[k] - want[rows * 4 + k]) <= 1e-3 * fabs(want[rows * 4 + k]),
                  "step %d loss %d: %g vs PyTorch %g", rows + 1, k, l[k], want[rows * 4 + k]);
        rows++;
    }
    if (f)
        fclose(f);
    free(want);
    CHECK(rows == 3, "%d rows in loss_log.csv", rows);
    snprintf(path, sizeof path, "%s/p/latest_net_G.safetensors", ckpt);
    check_weights(path, "train_g3.safetensors");
    snprintf(path, sizeof path, "%s/p/latest_net_D.safetensors", ckpt);
    check_weights(path, "train_d3.safetensors");
    const char *expected[] = {"opt.txt", "web/index.html", "web/images/epoch003_fake_B.png",
                              "5_net_G.safetensors"};
    for (int i = 0; i < 3; i++) {
        snprintf(path, sizeof path, "%s/p/%s", ckpt, expected[i]);
        CHECK(access(path, F_OK) == 0, "%s missing", path);
    }
    snprintf(path, sizeof path, "%s/p/%s", ckpt, expected[3]);
    CHECK(access(path, F_OK) != 0, "%s written before epoch 5", path);
    snprintf(path, sizeof path, "%s/p/web/images/epoch003_fake_B.png", ckpt);
    image sample = {0};
    CHECK(image_load(path, 0, &sample, err, sizeof err) == 0 && sample.width == 32,
          "%s: %s", path, err);
    image_free(&sample);

    /* --gan-mode hinge --d-steps 2: a resume changes nothing. */
    char *critic[] = {"--gan-mode", "hinge", "--d-steps", "2", NULL};
    CHECK(train_with("whole", "3", 0, critic) == 0, "hinge run");
    CHECK(train_with("resumed", "2", 0, critic) == 0, "hinge first run");
    CHECK(train_with("resumed", "1", 1, critic) == 0, "hinge resumed run");
    const char *saved[] = {"latest_net_G.safetensors", "latest_net_D.safetensors",
                           "latest_opt.safetensors"};
    for (int i = 0; i < 3; i++)
        same_tensors(ckpt, "whole", "resumed", saved[i],
                     "2 + 1 resumed steps (--gan-mode hinge --d-steps 2)");
    /* --ema-decay: G's average is restored too. */
    char *averaged[] = {"--ema-decay", "0.9", NULL};
    CHECK(train_with("ema_whole", "3", 0, averaged) == 0, "--ema-decay run");
    CHECK(train_with("ema_resumed", "2", 0, averaged) == 0, "--ema-decay first run");
    CHECK(train_with("ema_resumed", "1", 1, averaged) == 0, "--ema-decay resumed run");
    same_tensors(ckpt, "ema_whole", "ema_resumed", "latest_net_G_ema.safetensors",
                 "2 + 1 resumed steps (--ema-decay 0.9)");
    same_tensors(ckpt, "ema_whole", "ema_resumed", "latest_net_G.safetensors",
                 "2 + 1 resumed steps (--ema-decay 0.9)");

    /* Shuffled, flipped and jittered data, resumed in the middle of an epoch: the resumed run
     * sees the batches the whole run saw (the loader goes on where the checkpoint left it). */
    CHECK(train_shuffled("data_whole", "5", 0) == 0, "shuffled run");
    CHECK(train_shuffled("data_resumed", "2", 0) == 0, "shuffled first run");
    CHECK(train_shuffled("data_resumed", "3", 1) == 0, "shuffled resumed run");
    for (int i = 0; i < 3; i++)
        same_tensors(ckpt, "data_whole", "data_resumed", saved[i],
                     "2 + 3 resumed steps (shuffled, 3 pairs an epoch)");

    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf %s", tmp);
    CHECK(system(cmd) == 0, "cleanup");
    return test_result("cli train");
}
