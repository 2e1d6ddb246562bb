/* The training options the reference has and pix2pix-vk lacked, under the reference's names:
 * --max_dataset_size and --phase pick the pairs, --epoch_count numbers the first epoch (and
 * shortens the run), --save_latest_freq with --save_by_iter writes iter_<step>_net_* every so
 * many steps, --print_freq prints the reference's loss lines and the learning rate's changes,
 * and a --lr_policy plateau run stopped and resumed takes up the rate its loss log led to
 * (replayed: 0.2 x lr after six stalled epochs, not the initial lr). Also ours:
 * --lambda-mismatch with one pair per batch is refused, naming why; with two it trains, and
 * --ema-decay writes latest_ and <epoch>_net_G_ema, which test --ema scores (and test --model
 * takes like any generator). */
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cmd_run.h"

static char root[] = "/tmp/p2p_trainopts_XXXXXX";
static char data[256], ckpt[256];

/* pix2pix train on the tiny dataset (32x32, unet_5) with NAME and the extra arguments, under
 * the reference's option names. */
static int train(const char *name, const char *const *extra)
{
    const char *const base[] = {"train", "--dataroot", data, "--checkpoints_dir", ckpt,
                                "--name", name, "--netG", "unet_5", "--ngf", "2", "--ndf", "2",
                                "--load_size", "32", "--crop_size", "32", "--device", "cpu",
                                "--threads", "1", "--quiet", NULL};
    return run_joined(cmd_train, base, extra);
}

static int exists_in(const char *name, const char *file)
{
    char path[512];
    struct stat st;
    snprintf(path, sizeof path, "%s/%s/%s", ckpt, name, file);
    return stat(path, &st) == 0;
}

/* The epoch of the first row of NAME's loss log. */
static int first_logged_epoch(const char *name)
{
    char path[512], line[256];
    snprintf(path, sizeof path, "%s/%s/loss_log.csv", ckpt, name);
    FILE *f = fopen(path, "r");
    int epoch = -1;
    if (f && fgets(line, sizeof line, f) && fgets(line, sizeof line, f))
        epoch = atoi(line);
    if (f)
        fclose(f);
    return epoch;
}

int main(void)
{
    if (tiny_training_root(root, data, ckpt, sizeof data, "10", "0.3"))
        return 1;

    const char *subset[] = {"--max_dataset_size", "3", "--n_epochs", "1", "--n_epochs_decay",
                            "0", NULL};
    CHECK(train("subset", subset) == 0 && strstr(out_text, "on 3 pairs"), "%s", out_text);
    const char *val[] = {"--phase", "val", "--n_epochs", "1", "--n_epochs_decay", "0", NULL};
    CHECK(train("val", val) == 0 && strstr(out_text, "on 3 pairs"), "--phase val: %s",
          out_text);

    const char *counted[] = {"--epoch_count", "3", "--n_epochs", "2", "--n_epochs_decay", "2",
                             "--max_dataset_size", "2", "--save_latest_freq", "3",
                             "--save_by_iter", "--print_freq", "2", NULL};
    CHECK(train("counted", counted) == 0, "%s", out_text);
    CHECK(first_logged_epoch("counted") == 3, "first epoch %d, want 3",
          first_logged_epoch("counted"));
    CHECK(strstr(out_text, "done: 4 steps"), "epochs 3 and 4 of 2 steps: %s", out_text);
    CHECK(strstr(out_text, "(epoch: 3, iters: 2, step: 2,") &&
              strstr(out_text, "(epoch: 4, iters: 2, step: 4,"),
          "--print_freq lines: %s", out_text);
    /* Epoch 3 of 2 + 2 runs at 2/3 of lr, epoch 4 at 1/3, whatever epoch the run starts at. */
    CHECK(strstr(out_text, "learning rate 0.0001333 -> 0.0000667"), "the decay: %s", out_text);
    CHECK(exists_in("counted", "iter_3_net_G.safetensors") &&
              exists_in("counted", "iter_3_net_D.safetensors") &&
              !exists_in("counted", "iter_2_net_G.safetensors"),
          "--save_latest_freq 3 --save_by_iter: no iter_3_net_*");

    /* A loss that stalls (lr 1e-6 barely moves the weights) lowers a plateau's rate to 0.2 x
     * lr after epoch 7; a run stopped in epoch 9 resumes at that rate. */
    const char *plateau[] = {"--lr_policy", "plateau", "--lr", "1e-6", "--n_epochs", "6",
                             "--n_epochs_decay", "6", "--max_dataset_size", "2", "--print_freq",
                             "100", NULL};
    CHECK(train("plateau", plateau) == 0 &&
              strstr(out_text, "learning rate 0.0000010 -> 0.0000002"),
          "plateau: %s", out_text);
    const char *cut[] = {"--lr_policy", "plateau", "--lr", "1e-6", "--n_epochs", "6",
                         "--n_epochs_decay", "6", "--max_dataset_size", "2", "--max-steps", "17",
                         NULL};
    CHECK(train("cut", cut) == 0, "%s", out_text);
    const char *resumed[] = {"--lr_policy", "plateau", "--lr", "1e-6", "--n_epochs", "6",
                             "--n_epochs_decay", "6", "--max_dataset_size", "2",
                             "--continue_train", NULL};
    CHECK(train("cut", resumed) == 0 && strstr(out_text, "resuming at learning rate 2e-07"),
          "resumed plateau: %s", out_text);
    const char *alone[] = {"--lambda-mismatch", "1", NULL};
    CHECK(train("alone", alone) == 2 &&
              strstr(out_text, "--lambda-mismatch needs --batch-size 2 or more") &&
              !exists_in("alone", "opt.txt"),
          "--lambda-mismatch with batch 1: %s", out_text);
    const char *averaged[] = {"--lambda-mismatch", "0.5", "--batch_size", "2", "--ema-decay",
                              "0.99", "--n_epochs", "1", "--n_epochs_decay", "0",
                              "--max_dataset_size", "4", "--save_epoch_freq", "1", NULL};
    CHECK(train("ema", averaged) == 0, "%s", out_text);
    CHECK(exists_in("ema", "latest_net_G_ema.safetensors") &&
              exists_in("ema", "1_net_G_ema.safetensors"),
          "--ema-decay: no latest_ or 1_net_G_ema.safetensors");
    char *scored[] = {"test", "--data", data, "--split", "val", "--checkpoints-dir", ckpt,
                      "--name", "ema", "--ema", "--results", root, "--device", "cpu",
                      "--threads", "1", "--quiet", NULL};
    CHECK(run_captured(cmd_test, scored) == 0 && strstr(out_text, "3 pairs of") &&
              exists_in("../ema/val_latest_ema", "index.html"),
          "test --ema: %s", out_text);
    char model[512];
    snprintf(model, sizeof model, "%s/ema/1_net_G_ema.safetensors", ckpt);
    char *by_file[] = {"test", "--data", data, "--split", "val", "--model", model, "--results",
                       root, "--device", "cpu", "--threads", "1", "--quiet", NULL};
    CHECK(run_captured(cmd_test, by_file) == 0 && strstr(out_text, "3 pairs of"),
          "test --model *_net_G_ema: %s", out_text);
    return test_result("train options");
}
