/* --upsample resize-conv end to end: a U-Net and a ResNet trained with it save its keys
 * ("<layer>.1.weight" in each transposed conv's place) and the metadata upsample=resize-conv;
 * inspect names it, export rebuilds the network from the file and writes it as ONNX, --continue
 * resumes it and refuses --upsample transposed with the option named; an unknown value is
 * refused by the parser. */
#include <string.h>
#include <unistd.h>

#include "app/cli/commands.h"
#include "app_test.h"

static char root[] = "/tmp/p2p_upsample_XXXXXX";
static char data[256], ckpt[256];

#define MAX_ARGS 48

/* pix2pix train on the tiny dataset (32x32, two steps) with NAME and the extra arguments. */
static int train(const char *name, const char *const *extra)
{
    char *argv[MAX_ARGS] = {"train", "--data", data, "--checkpoints-dir", ckpt, "--name",
                            (char *)name, "--ngf", "2", "--ndf", "2", "--load-size", "32",
                            "--crop-size", "32", "--device", "cpu", "--threads", "1",
                            "--max-steps", "2", "--quiet"};
    int argc = 22;
    while (*extra && argc < MAX_ARGS - 1)
        argv[argc++] = (char *)*extra++;
    argv[argc] = NULL;
    return run_captured(cmd_train, argv);
}

/* The saved generator of run name has the metadata upsample=resize-conv and the key. */
static void check_saved(const char *name, const char *key)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s/latest_net_G.safetensors", ckpt, name);
    st_file *f = st_open(path);
    CHECK(f != NULL, "%s", eng_last_error());
    if (!f)
        return;
    const char *up = st_meta(f, "upsample");
    CHECK(up && !strcmp(up, "resize-conv"), "%s: metadata upsample %s", name, up ? up : "none");
    CHECK(st_find(f, key) != NULL, "%s: no key %s", name, key);
    st_close(f);

    char *inspect[] = {"inspect", path, NULL};
    CHECK(run_captured(cmd_inspect, inspect) == 0 && strstr(out_text, "upsample resize-conv") &&
              !strstr(out_text, "note:"),
          "inspect %s: %s", name, out_text);
    char onnx[512];
    snprintf(onnx, sizeof onnx, "%s/%s.onnx", root, name);
    char *export[] = {"export", "--model", path, "--onnx", onnx, NULL};
    CHECK(run_captured(cmd_export, export) == 0 && access(onnx, F_OK) == 0, "export %s: %s",
          name, out_text);
}

int main(void)
{
    if (!mkdtemp(root))
        return 1;
    snprintf(data, sizeof data, "%s/data", root);
    snprintf(ckpt, sizeof ckpt, "%s/checkpoints", root);
    char *synth[] = {"dataset", "synth", "--out", data, "--count", "4", "--size", "32",
                     "--val-fraction", "0", "--test-fraction", "0", "--quiet", NULL};
    CHECK(run_captured(cmd_dataset, synth) == 0, "synth: %s", out_text);

    const char *unet[] = {"--netG", "unet_5", "--upsample", "resize-conv", NULL};
    CHECK(train("unet", unet) == 0, "unet: %s", out_text);
    check_saved("unet", "model.model.3.1.weight");
    const char *resnet[] = {"--netG", "resnet_1blocks", "--norm", "instance", "--upsample",
                            "resize-conv", NULL};
    CHECK(train("resnet", resnet) == 0, "resnet: %s", out_text);
    check_saved("resnet", "model.11.1.weight");

    const char *again[] = {"--netG", "unet_5", "--upsample", "resize-conv", "--continue",
                           "--max-steps", "4", NULL};
    CHECK(train("unet", again) == 0, "--continue: %s", out_text);
    const char *other[] = {"--netG", "unet_5", "--continue", "--max-steps", "6", NULL};
    CHECK(train("unet", other) != 0 &&
              strstr(out_text, "--upsample transposed here, resize-conv in the checkpoint"),
          "--continue with --upsample transposed: %s", out_text);
    const char *bad[] = {"--upsample", "bilinear", NULL};
    CHECK(train("bad", bad) == 2 && strstr(out_text, "resize-conv"), "--upsample bilinear: %s",
          out_text);
    printf("upsample: %s\n", test_failures ? "FAILED" : "ok");
    return test_failures != 0;
}
