/* translate and aligned A|B pairs (issue 24, item 5): a folder of them is noted as such, and
 * --pairs A|B translates one half, as translating that half alone does. */
#include <string.h>
#include <sys/stat.h>

#include "app/cli/commands.h"
#include "app_test.h"
#include "datasets/image.h"
#include "datasets/preprocess.h"

/* The image at dir/name (width 0 when it cannot be read). */
static image load(const char *dir, const char *name)
{
    char path[512], err[256];
    image img = {0};
    snprintf(path, sizeof path, "%s/%s", dir, name);
    if (image_load(path, 0, &img, err, sizeof err))
        fprintf(stderr, "%s: %s\n", path, err);
    return img;
}

int main(void)
{
    char tmp[] = "/tmp/p2p_pairs_XXXXXX", in[256], half_dir[256], out[256], err[256];
    temp_dir(tmp);
    snprintf(in, sizeof in, "%s/in", tmp);
    snprintf(half_dir, sizeof half_dir, "%s/half", tmp);
    mkdir(in, 0755);
    mkdir(half_dir, 0755);
    image pair = {0}, b = {0};
    CHECK(image_load(FIXTURE_DIR "/train_pair.png", 0, &pair, err, sizeof err) == 0, "%s", err);
    CHECK(image_crop(&pair, pair.width / 2, 0, pair.width / 2, pair.height, &b) == 0, "crop");
    char path[512];
    snprintf(path, sizeof path, "%s/p.png", in);
    CHECK(image_save_png(path, &pair, err, sizeof err) == 0, "%s", err);
    snprintf(path, sizeof path, "%s/p.png", half_dir);
    CHECK(image_save_png(path, &b, err, sizeof err) == 0, "%s", err);

    char *model = FIXTURE_DIR "/unet5_g.safetensors";
    snprintf(out, sizeof out, "%s/whole", tmp);
    char *whole[] = {"translate", "--model", model, "--input", in, "--output", out, "--eval",
                     NULL};
    CHECK(run_captured(cmd_translate, whole) == 0 &&
              strstr(out_text, "twice as wide as high, as aligned A|B pairs are") &&
              strstr(out_text, "--pairs A (or B)"),
          "a folder of pairs, not noted: %s", out_text);
    image res = load(out, "p.png");
    CHECK(res.width == pair.width, "whole pair: width %d, not %d", res.width, pair.width);
    image_free(&res);

    snprintf(out, sizeof out, "%s/b", tmp);
    char *take_b[] = {"translate", "--model", model, "--input", in, "--output", out, "--eval",
                      "--pairs", "b", NULL};
    CHECK(run_captured(cmd_translate, take_b) == 0 && !strstr(out_text, "twice as wide"),
          "--pairs b: %s", out_text);
    char ref_dir[256];
    snprintf(ref_dir, sizeof ref_dir, "%s/ref", tmp);
    char *alone[] = {"translate", "--model", model, "--input", half_dir, "--output", ref_dir,
                     "--eval", NULL};
    CHECK(run_captured(cmd_translate, alone) == 0 && !strstr(out_text, "twice as wide"),
          "the B half alone: %s", out_text);
    image got = load(out, "p.png"), want = load(ref_dir, "p.png");
    CHECK(got.width == b.width && got.height == b.height && want.width == b.width &&
              !memcmp(got.pixels, want.pixels, (size_t)b.width * b.height * 3),
          "--pairs B: %dx%d, not the B half's translation", got.width, got.height);
    image_free(&got);
    image_free(&want);
    image_free(&pair);
    image_free(&b);
    if (!test_failures)
        printf("ok   translate --pairs: a folder of pairs noted, one half translated\n");
    return test_failures ? 1 : 0;
}
