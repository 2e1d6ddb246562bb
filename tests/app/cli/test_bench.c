/* pix2pix bench end to end on a small U-Net: the JSON line it ends with has every field, with
 * consistent values, and bad options are refused with exit status 2 and a message. */
#include <cjson/cJSON.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "app/cli/commands.h"
#include "app_test.h"

static double field(const cJSON *j, const char *name)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(j, name);
    return cJSON_IsNumber(v) ? v->valuedouble : NAN;
}

/* The convolution work (GFLOP) of a training step of a 2-layer PatchGAN at 32x32 with the
 * extra options (NULL-terminated), from the JSON line; NaN when bench fails. */
static double train_gflop(char *const *extra)
{
    char *args[32] = {"bench", "--netG", "unet_5", "--size", "32", "--ngf", "4", "--ndf", "4",
                      "--netD", "n_layers", "--n-layers-d", "2", "--iters", "1", "--warmup",
                      "0", "--threads", "2", "--json"};
    int argc = 20;
    while (*extra)
        args[argc++] = *extra++;
    args[argc] = NULL;
    if (run_captured(cmd_benchmark, args) != 0)
        return NAN;
    cJSON *j = cJSON_Parse(strrchr(out_text, '{'));
    double gflop = j ? field(j, "gflops_train") * field(j, "train_step_ms") / 1e3 : NAN;
    cJSON_Delete(j);
    return gflop;
}

int main(void)
{
    char *args[] = {"bench", "--netG", "unet_5", "--size", "32", "--ngf", "4", "--ndf", "4",
                    "--iters", "2", "--warmup", "1", "--threads", "2", "--json", NULL};
    CHECK(run_captured(cmd_benchmark, args) == 0, "bench failed: %s", out_text);
    char *last = out_text + strlen(out_text);
    while (last > out_text && last[-1] == '\n')
        *--last = '\0';
    while (last > out_text && last[-1] != '\n')
        last--;
    cJSON *j = cJSON_Parse(last);
    CHECK(j != NULL, "last line is not JSON: %s", last);
    if (!j)
        return 1;
    const cJSON *dev = cJSON_GetObjectItemCaseSensitive(j, "device");
    CHECK(cJSON_IsString(dev) && !strcmp(dev->valuestring, "cpu"), "device: %s", last);
    const char *positive[] = {"infer_ms", "infer_eval_ms", "train_step_ms", "gflops_infer",
                              "gflops_train", "peak_rss_mib", "peak_rss_infer_mib"};
    for (size_t i = 0; i < sizeof positive / sizeof *positive; i++)
        CHECK(field(j, positive[i]) > 0.0, "%s not positive: %s", positive[i], last);
    /* A training step does about 7x the convolution work of a forward pass of G alone. */
    double infer_work = field(j, "gflops_infer") * field(j, "infer_ms");
    double train_work = field(j, "gflops_train") * field(j, "train_step_ms");
    CHECK(train_work > 3.0 * infer_work, "work: train %g, infer %g", train_work, infer_work);
    CHECK(strstr(out_text, "training step") != NULL, "report: %s", out_text);
    cJSON_Delete(j);

    /* --num-d 2 --lambda-feat 10: the second critic's and the real features' passes. */
    char *none[] = {NULL}, *msd[] = {"--num-d", "2", "--lambda-feat", "10", NULL};
    double one = train_gflop(none), two = train_gflop(msd);
    CHECK(two > 1.05 * one, "a step with 2 critics and feature matching: %g GFLOP, with one %g",
          two, one);
    /* --spectral-norm: the step runs; the power iterations are not counted as products (the
     * same work, to the rounding of the printed rate and time). */
    char *sn[] = {"--spectral-norm", NULL};
    double spectral = train_gflop(sn);
    CHECK(fabs(spectral - one) <= 0.02 * one, "a step with --spectral-norm: %g GFLOP, without %g",
          spectral, one);
    char *bad_critics[] = {"bench", "--num-d", "9", NULL};
    CHECK(run_captured(cmd_benchmark, bad_critics) == 2 &&
              strstr(out_text, "--num-d must be 1 to 8, not 9"),
          "--num-d 9: %s", out_text);

    /* pix2pixHD's generators take their sizes: a second block is more work. */
    char *block1[] = {"--netG", "global", "--n-downsample-global", "2", "--n-blocks-global", "1",
                      NULL};
    char *block2[] = {"--netG", "global", "--n-downsample-global", "2", "--n-blocks-global", "2",
                      NULL};
    double g1 = train_gflop(block1), g2 = train_gflop(block2);
    CHECK(g2 > 1.05 * g1, "global of 2 blocks: %g GFLOP, of 1 block %g", g2, g1);
    char *bad_local[] = {"bench", "--netG", "local", "--n-local-enhancers", "4", NULL};
    CHECK(run_captured(cmd_benchmark, bad_local) == 2 &&
              strstr(out_text, "--n-local-enhancers must be 1 to 3, not 4"),
          "--n-local-enhancers 4: %s", out_text);

    char *bad_size[] = {"bench", "--netG", "unet_5", "--size", "30", NULL};
    CHECK(run_captured(cmd_benchmark, bad_size) == 2 && strstr(out_text, "multiple of 32"),
          "bad size: %s", out_text);
    char *bad_net[] = {"bench", "--netG", "unet_x", NULL};
    CHECK(run_captured(cmd_benchmark, bad_net) == 2 && strstr(out_text, "unet_x"), "bad net: %s",
          out_text);
    char *bad_dev[] = {"bench", "--device", "nowhere", "--netG", "unet_5", "--size", "32", NULL};
    CHECK(run_captured(cmd_benchmark, bad_dev) == 2 && strstr(out_text, "nowhere"),
          "bad device: %s", out_text);
    if (!test_failures)
        printf("ok   bench: JSON fields, work ratio, option errors\n");
    return test_failures ? 1 : 0;
}
