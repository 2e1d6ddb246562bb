/* The reference's documented pix2pix command lines (fixtures/reference_commands.txt, as they
 * are) run with pix2pix train and pix2pix test, each pair in a fresh folder with a tiny
 * ./datasets/facades, only a size and step limit added: exit 0, and the outputs where the
 * reference puts them (checkpoints/facades_pix2pix/latest_net_G, opt.txt with the options
 * meant; results/facades_pix2pix/test_latest/index.html and images/1_{real_A,fake_B,real_B}.png
 * decoding at 256x256). Then: test takes the direction the model records unless --direction
 * says otherwise, and says which ran; --epoch N, --results_dir and --phase name the folder as
 * the reference does; --save-pth writes latest_net_G.pth, which test scores as ours;
 * --model cycle_gan, --gpu_ids 0,1 outside mpirun and --suffix are refused
 * naming why, and --gpu_ids 7 where there is no GPU 7; --help lists the reference's names. */
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cmd_run.h"
#include "datasets/image.h"

/* What the test adds to the documented lines: a small network, two steps, the CPU. */
static const char *const added_train[] = {"--ngf", "2", "--ndf", "2", "--max-steps", "2",
                                          "--device", "cpu", "--threads", "2", "--quiet"};
static const char *const added_test[] = {"--device", "cpu", "--threads", "2", "--quiet"};

#define MAX_ARGS 64

/* A fixture line "python X.py ARGS" as argv {command, ARGS..., added...}; 0 when not one. */
static int command_line(char *line, const char *script, const char *command,
                        const char *const *added, int nadded, char **argv)
{
    char prefix[64];
    snprintf(prefix, sizeof prefix, "python %s ", script);
    if (strncmp(line, prefix, strlen(prefix)))
        return 0;
    int argc = 0;
    argv[argc++] = (char *)command;
    for (char *tok = strtok(line + strlen(prefix), " \n"); tok && argc < MAX_ARGS - 16;
         tok = strtok(NULL, " \n"))
        argv[argc++] = tok;
    for (int i = 0; i < nadded; i++)
        argv[argc++] = (char *)added[i];
    argv[argc] = NULL;
    return argc;
}

static int exists(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0;
}

/* images/1_<what>.png of a results folder decodes at 256x256. */
static void check_image(const char *results, const char *what)
{
    char path[512], err[256];
    snprintf(path, sizeof path, "%s/images/1_%s.png", results, what);
    image img = {0};
    CHECK(image_load(path, 0, &img, err, sizeof err) == 0, "%s: %s", path, err);
    CHECK(img.width == 256 && img.height == 256, "%s: %dx%d", path, img.width, img.height);
    image_free(&img);
}

static int file_has(const char *path, const char *text)
{
    size_t len;
    char *buf = (char *)read_whole_file(path, &len);
    int found = buf && strstr(buf, text);
    free(buf);
    return found;
}

/* A fresh folder under root holding ./datasets/facades (3 train pairs, 1 test), made current. */
static void fresh_folder(const char *root, int k)
{
    char dir[512];
    snprintf(dir, sizeof dir, "%s/run%d", root, k);
    mkdir(dir, 0755);
    CHECK(chdir(dir) == 0, "chdir %s", dir);
    CHECK(synth_dataset("datasets/facades", "4", "256", "0", "0.25") == 0, "synth: %s",
          out_text);
}

/* Runs the fixture's pairs of lines; returns how many pairs ran. */
static int run_documented(const char *root)
{
    FILE *f = fopen(FIXTURE_DIR "/reference_commands.txt", "r");
    CHECK(f != NULL, "no fixture");
    char line[1024], *argv[MAX_ARGS];
    int pairs = 0, argc;
    while (f && fgets(line, sizeof line, f)) {
        if ((argc = command_line(line, "train.py", "train", added_train, 11, argv))) {
            fresh_folder(root, ++pairs);
            CHECK(run_captured(cmd_train, argv) == 0, "%s", out_text);
            CHECK(exists("checkpoints/facades_pix2pix/latest_net_G.safetensors"),
                  "no checkpoints/facades_pix2pix/latest_net_G: %s", out_text);
            CHECK(file_has("checkpoints/facades_pix2pix/opt.txt", "direction: BtoA") &&
                      file_has("checkpoints/facades_pix2pix/opt.txt", "data: ./datasets/facades"),
                  "opt.txt does not hold the options given");
        } else if ((argc = command_line(line, "test.py", "test", added_test, 5, argv))) {
            CHECK(run_captured(cmd_test, argv) == 0, "%s", out_text);
            CHECK(strstr(out_text, "(test, BtoA)"), "test output: %s", out_text);
            const char *results = "results/facades_pix2pix/test_latest";
            CHECK(file_has("results/facades_pix2pix/test_latest/index.html", "1_fake_B.png"),
                  "no %s/index.html showing the images", results);
            check_image(results, "real_A");
            check_image(results, "fake_B");
            check_image(results, "real_B");
        }
    }
    if (f)
        fclose(f);
    return pairs;
}

/* The mean L1 the last test printed. */
static double printed_l1(void)
{
    const char *at = strstr(out_text, "mean L1 ");
    return at ? atof(at + 8) : -1;
}

/* In the last folder: the direction and the folder names of test. */
static void check_test_choices(void)
{
    char *recorded[] = {"test", "--dataroot", "./datasets/facades", "--name", "facades_pix2pix",
                        "--gpu_ids", "-1", "--eval", NULL};
    CHECK(run_captured(cmd_test, recorded) == 0, "%s", out_text);
    CHECK(strstr(out_text, "direction BtoA: recorded in the model"), "%s", out_text);
    double l1_recorded = printed_l1();
    char *gpu[] = {"test", "--dataroot", "./datasets/facades", "--name", "facades_pix2pix",
                   "--gpu_ids", "7", NULL};
    CHECK(run_captured(cmd_test, gpu) == 2 && strstr(out_text, "this machine has no GPU 7"),
          "--gpu_ids 7: %s", out_text);
    char *atob[] = {"test", "--dataroot", "./datasets/facades", "--name", "facades_pix2pix",
                    "--direction", "AtoB", "--device", "cpu", "--quiet", "--eval", NULL};
    CHECK(run_captured(cmd_test, atob) == 0, "%s", out_text);
    CHECK(strstr(out_text, "direction AtoB: --direction (the model was trained BtoA)"), "%s",
          out_text);
    CHECK(printed_l1() != l1_recorded, "AtoB scored as BtoA: L1 %g", l1_recorded);
    char *btoa[] = {"test", "--dataroot", "./datasets/facades", "--name", "facades_pix2pix",
                    "--direction", "BtoA", "--device", "cpu", "--quiet", "--eval", NULL};
    CHECK(run_captured(cmd_test, btoa) == 0 && printed_l1() == l1_recorded,
          "BtoA given: L1 %g, recorded: %g", printed_l1(), l1_recorded);

    /* The reference's folder names: --results_dir, --phase, --epoch; a missing epoch named. */
    char *named[] = {"test", "--dataroot", "./datasets/facades", "--name", "facades_pix2pix",
                     "--results_dir", "out", "--phase", "train", "--num_test", "2", "--device",
                     "cpu", "--quiet", NULL};
    CHECK(run_captured(cmd_test, named) == 0, "%s", out_text);
    CHECK(exists("out/facades_pix2pix/train_latest/index.html") &&
              exists("out/facades_pix2pix/train_latest/images/2_fake_B.png") &&
              !exists("out/facades_pix2pix/train_latest/images/3_fake_B.png"),
          "--results_dir/--phase/--num_test: %s", out_text);
    char *epoch[] = {"test", "--dataroot", "./datasets/facades", "--name", "facades_pix2pix",
                     "--epoch", "200", NULL};
    CHECK(run_captured(cmd_test, epoch) == 1 &&
              strstr(out_text, "./checkpoints/facades_pix2pix/200_net_G.safetensors nor .pth"),
          "--epoch 200: %s", out_text);
}

/* test --name (with ema_flag: G's average) scores as test --model latest_net_<which>.pth. */
static void scored_alike(const char *which, char *ema_flag)
{
    char *ours[] = {"test", "--dataroot", "./datasets/facades", "--name", "facades_pix2pix",
                    "--device", "cpu", "--quiet", "--eval", ema_flag, NULL};
    CHECK(run_captured(cmd_test, ours) == 0, "%s", out_text);
    double l1 = printed_l1();
    char model[96], results[32];
    snprintf(model, sizeof model, "checkpoints/facades_pix2pix/latest_net_%s.pth", which);
    snprintf(results, sizeof results, "pth_%s", which);
    char *pth[] = {"test", "--dataroot", "./datasets/facades", "--model", model, "--direction",
                   "BtoA", "--device", "cpu", "--quiet", "--eval", "--results", results, NULL};
    CHECK(run_captured(cmd_test, pth) == 0 && printed_l1() == l1,
          "latest_net_%s.pth scores L1 %g, the .safetensors %g: %s", which, printed_l1(), l1,
          out_text);
}

/* In the last folder: --save-pth writes the reference's latest_net_G.pth and latest_net_D.pth
 * (and with --ema-decay latest_net_G_ema.pth) beside ours, and test scores each .pth as the
 * .safetensors. */
static void check_pth(void)
{
    char *train[] = {"train", "--dataroot", "./datasets/facades", "--name", "facades_pix2pix",
                     "--model", "pix2pix", "--direction", "BtoA", "--ngf", "2", "--ndf", "2",
                     "--max-steps", "2", "--device", "cpu", "--quiet", "--save-pth",
                     "--ema-decay", "0.5", "--overwrite", NULL};
    CHECK(run_captured(cmd_train, train) == 0, "%s", out_text);
    CHECK(exists("checkpoints/facades_pix2pix/latest_net_G.pth") &&
              exists("checkpoints/facades_pix2pix/latest_net_D.pth") &&
              exists("checkpoints/facades_pix2pix/latest_net_G_ema.pth"),
          "--save-pth: no latest_net_G.pth, latest_net_D.pth and latest_net_G_ema.pth");
    scored_alike("G", NULL);
    scored_alike("G_ema", "--ema");
}

static void check_refusals(void)
{
    char *cycle[] = {"train", "--dataroot", "x", "--model", "cycle_gan", NULL};
    CHECK(run_captured(cmd_train, cycle) == 2 &&
              strstr(out_text, "--model cycle_gan: pix2pix-vk trains pix2pix only"),
          "%s", out_text);
    char *cycle_test[] = {"test", "--dataroot", "x", "--name", "n", "--model", "cycle_gan", NULL};
    CHECK(run_captured(cmd_test, cycle_test) == 2 && strstr(out_text, "trains pix2pix only"),
          "%s", out_text);
    char *gpus[] = {"train", "--dataroot", "x", "--gpu_ids", "0,1", NULL};
    CHECK(run_captured(cmd_train, gpus) == 2 && strstr(out_text, "mpirun"), "%s", out_text);
    char *suffix[] = {"train", "--dataroot", "x", "--suffix", "{model}", NULL};
    CHECK(run_captured(cmd_train, suffix) == 2 && strstr(out_text, "--suffix: write the whole"),
          "%s", out_text);
    char *help[] = {"train", "--help", NULL};
    CHECK(run_captured(cmd_train, help) == 0 && strstr(out_text, "--dataroot") &&
              strstr(out_text, "= --data") && strstr(out_text, "--display_id"),
          "train --help: %s", out_text);
}

int main(void)
{
    char root[] = "/tmp/p2p_refcli_XXXXXX";
    temp_dir(root);
    int pairs = run_documented(root);
    CHECK(pairs == 2, "%d documented train/test pairs ran", pairs);
    check_test_choices();
    check_pth();
    check_refusals();
    printf("reference command lines: %d pairs; %s\n", pairs, test_failures ? "FAILED" : "ok");
    return test_failures != 0;
}
