/* inspect, test, demo and --help end to end (outputs captured and checked). */
#include <dirent.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cmd_run.h"

static int exists(const char *dir, const char *name)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    return access(path, F_OK) == 0;
}

/* Whether dir has an entry whose name starts with prefix. */
static int has_entry(const char *dir, const char *prefix)
{
    DIR *d = opendir(dir);
    const struct dirent *e;
    int found = 0;
    while (d && !found && (e = readdir(d)))
        found = !strncmp(e->d_name, prefix, strlen(prefix));
    if (d)
        closedir(d);
    return found;
}

int main(void)
{
    char tmp[] = "/tmp/p2p_misc_XXXXXX";
    temp_dir(tmp);

    char *inspect[] = {"inspect", FIXTURE_DIR "/unet5_g.safetensors", NULL};
    CHECK(run_captured(cmd_inspect, inspect) == 0, "inspect: %s", out_text);
    CHECK(strstr(out_text, "generator unet_5") && strstr(out_text, "ngf 4") &&
              strstr(out_text, "norm batch") && strstr(out_text, "metadata:   none"),
          "inspect output: %s", out_text);
    char *inspect_d[] = {"inspect", FIXTURE_DIR "/train_d0.safetensors", NULL};
    CHECK(run_captured(cmd_inspect, inspect_d) == 0 && strstr(out_text, "discriminator basic"),
          "inspect D: %s", out_text);
    char *inspect_bad[] = {"inspect", FIXTURE_DIR "/unet5_in.png", NULL};
    CHECK(run_captured(cmd_inspect, inspect_bad) == 1 && strstr(out_text, "unet5_in.png: "),
          "inspect of a PNG: %s", out_text);

    char *help[] = {"train", "--help", NULL};
    CHECK(run_captured(cmd_train, help) == 0 && strstr(out_text, "--lambda-l1") &&
              strstr(out_text, "(default: 100)"),
          "train --help: %s", out_text);
    char *bad_opt[] = {"train", "--data", tmp, "--gan-mode", "wgan", NULL};
    CHECK(run_captured(cmd_train, bad_opt) == 2 && strstr(out_text, "--gan-mode"), "bad option: %s",
          out_text);

    /* test on a one-pair split. */
    char data[256], results[256], path[512], err[256];
    snprintf(data, sizeof data, "%s/data", tmp);
    snprintf(results, sizeof results, "%s/results", tmp);
    CHECK(put_fixture_pair(data, "test", "p1.png", err, sizeof err) == 0, "%s", err);
    char *test[] = {"test", "--data", data, "--model", FIXTURE_DIR "/unet5_g.safetensors",
                    "--results", results, "--eval", NULL};
    CHECK(run_captured(cmd_test, test) == 0, "test: %s", out_text);
    CHECK(strstr(out_text, "1 pairs") && strstr(out_text, "PSNR"), "test output: %s", out_text);
    CHECK(exists(results, "index.html") && exists(results, "images/p1_fake_B.png") &&
              exists(results, "images/p1_real_A.png") && exists(results, "images/p1_real_B.png"),
          "test results missing");

    /* A very short demo. */
    char demo[256];
    snprintf(demo, sizeof demo, "%s/demo", tmp);
    char *demo_args[] = {"demo", "--dir", demo, "--count", "20", "--size", "64", "--ngf", "4",
                         "--time-limit", "2", NULL};
    CHECK(run_captured(cmd_demo, demo_args) == 0, "demo: %s", out_text);
    CHECK(exists(demo, "results/index.html") &&
              exists(demo, "checkpoints/demo/latest_net_G.safetensors") &&
              exists(demo, "checkpoints/demo/web/index.html"),
          "demo outputs missing: %s", out_text);
    /* Run again, it starts over: the first run's training is moved aside, not mixed in. */
    CHECK(run_captured(cmd_demo, demo_args) == 0, "second demo: %s", out_text);
    snprintf(path, sizeof path, "%s/checkpoints", demo);
    CHECK(has_entry(path, "demo.old-") && exists(path, "demo/latest_net_G.safetensors"),
          "second demo: no demo.old-* beside demo: %s", out_text);

    /* Without --eval dropout is active (unet_6 has one dropout block) and seeded: the same
     * seed gives the same bytes, another seed other ones. */
    char model[512], test_in[512], outs[3][512];
    snprintf(model, sizeof model, "%s/checkpoints/demo/latest_net_G.safetensors", demo);
    snprintf(test_in, sizeof test_in, "%s/data/test", demo);
    const char *seeds[3] = {"1", "1", "2"};
    for (int i = 0; i < 3; i++) {
        snprintf(outs[i], sizeof outs[i], "%s/seed%d", tmp, i);
        char *tr[] = {"translate", "--model", model, "--input", test_in, "--output", outs[i],
                      "--seed", (char *)seeds[i], NULL};
        CHECK(run_captured(cmd_translate, tr) == 0, "translate: %s", out_text);
    }
    char cmp[2048];
    snprintf(cmp, sizeof cmp, "cmp -s %s/1.png %s/1.png", outs[0], outs[1]);
    CHECK(system(cmp) == 0, "same seed, different output");
    snprintf(cmp, sizeof cmp, "cmp -s %s/1.png %s/1.png", outs[0], outs[2]);
    CHECK(system(cmp) != 0, "another seed, same output");

    snprintf(path, sizeof path, "rm -rf %s", tmp);
    CHECK(system(path) == 0, "cleanup");
    return test_result("cli misc");
}
