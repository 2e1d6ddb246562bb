/* pix2pix test: translate a dataset split and score it against the targets. */
#include <stdio.h>

#include "app/common/backend.h"
#include "app/common/precision.h"
#include "app/cli/cli.h"
#include "app/cli/commands.h"
#include "app/common/resources.h"
#include "app/translate/test_run.h"

int cmd_test(int argc, char **argv)
{
    test_config c = {.split = "test", .results = "./results", .direction = "AtoB",
                     .device = app_default_device()};
    const char *precision = "fp32";
    const cli_opt opts[] = {
        {"data", CLI_STR, &c.data, "dataset folder with DATA/<split>/ aligned A|B images"},
        {"model", CLI_STR, &c.model, "generator file: .safetensors, or a PyTorch .pth state_dict"},
        {"split", CLI_STR, &c.split, "train | val | test"},
        {"results", CLI_STR, &c.results, "folder for images/ and index.html"},
        {"direction", CLI_STR, &c.direction, "AtoB | BtoA"},
        {"eval", CLI_FLAG, &c.eval, "BatchNorm running statistics and no dropout"},
        {"seed", CLI_U64, &c.seed, "dropout seed (without --eval)"},
        {"device", CLI_STR, &c.device, APP_DEVICE_HELP},
        {"precision", CLI_STR, &precision, APP_PRECISION_HELP},
        {"threads", CLI_INT, &c.threads, "CPU threads (0: all cores)"},
        {"quiet", CLI_FLAG, &c.quiet, "no progress display"},
    };
    const cli_spec spec = {
        "test", "pix2pix test --data DIR --model FILE [OPTIONS]",
        "Translates every pair of a split and reports the mean L1, PSNR and SSIM of the outputs\n"
        "against the targets (0..255 images; SSIM with an 11x11 Gaussian window, sigma 1.5),\n"
        "with an HTML page of input | output | target rows.\n"
        "\n"
        "Exit status: 0 every pair scored; 1 a pair failed (reported; the others are scored),\n"
        "or the data, model or results folder could not be used; 2 invalid command line.",
        opts, (int)(sizeof opts / sizeof opts[0]), 0};
    int rc = cli_parse(&spec, argc, argv, NULL, NULL);
    if (rc)
        return rc == CLI_HELP ? 0 : 2;
    if ((c.fp16 = app_precision_parse("test", precision)) < 0)
        return 2;
    if (!c.data || !c.model) {
        fprintf(stderr, "pix2pix test: --data and --model are required (see --help)\n");
        return 2;
    }
    if (app_cap_threads("test", "--threads", &c.threads))
        return 2;
    return test_run(&c, NULL);
}
