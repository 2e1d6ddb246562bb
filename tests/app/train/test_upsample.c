/* --upsample resize-conv end to end: a U-Net and a ResNet trained with it save its keys
 * ("<layer>.1.weight" in each transposed conv's place) and the metadata upsample=resize-conv;
 * inspect names it, export rebuilds the network from the file and writes it as ONNX, --continue
 * resumes it and refuses --upsample transposed with the option named; an unknown value is
 * refused by the parser. */
#include <string.h>
#include <unistd.h>

#include "app/cli/commands.h"
#include "app_test.h"
#include "tiny_train.h"

static char root[] = "/tmp/p2p_upsample_XXXXXX";
static char data[256], ckpt[256];

static int train(const char *name, const char *const *extra)
{
    return tiny_train(data, ckpt, name, extra);
}

/* The saved generator of run name has the metadata upsample=resize-conv and the key. */
static void check_saved(const char *name, const char *key)
{
    char path[512];
    st_file *f = tiny_open_g(ckpt, name, path, sizeof path);
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
    if (tiny_dataset(root, data, ckpt))
        return 1;

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
    return test_result("upsample");
}
