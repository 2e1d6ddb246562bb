/* pix2pix demo: a complete run in about two minutes on two cores: generate the synthetic
 * dataset (label maps -> rendered scenes), train a small U-Net on it, translate its test
 * split and write an HTML page. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app/common/backend.h"
#include "app/cli/cli.h"
#include "app/cli/commands.h"
#include "app/common/fsutil.h"
#include "app/common/progress.h"
#include "app/common/resources.h"
#include "app/translate/test_run.h"
#include "app/train/train_run.h"
#include "datasets/synthetic.h"

int cmd_demo(int argc, char **argv)
{
    const char *dir = "./pix2pix-demo";
    int count = 240, size = 64, ngf = 16, threads = 2, batch = 4;
    float time_limit = 105.0f; /* with data generation and testing: under 2 minutes */
    uint64_t seed = 1;
    int quiet = 0;
    const cli_opt opts[] = {
        {"dir", CLI_STR, &dir, "folder for the dataset, checkpoints and results"},
        {"count", CLI_INT, &count, "pairs to generate"},
        {"size", CLI_INT, &size, "image size (a power of two, 32..256)"},
        {"ngf", CLI_INT, &ngf, "generator filters in the first layer"},
        {"batch-size", CLI_INT, &batch, "images per step"},
        {"time-limit", CLI_FLOAT, &time_limit, "seconds of training"},
        {"threads", CLI_INT, &threads, "CPU threads (0: all cores)"},
        {"seed", CLI_U64, &seed, "seed of the data and the weights"},
        {"quiet", CLI_FLAG, &quiet, "no progress display"},
    };
    const cli_spec spec = {
        "demo", "pix2pix demo [OPTIONS]",
        "Generates a synthetic paired dataset (label maps of shapes -> rendered scenes), trains a\n"
        "small U-Net on it for --time-limit seconds, translates the test split and writes an\n"
        "HTML page comparing input, output and target.",
        opts, (int)(sizeof opts / sizeof opts[0]), 0};
    int rc = cli_parse(&spec, argc, argv, NULL, NULL);
    if (rc)
        return rc == CLI_HELP ? 0 : 2;
    int depth = 0;
    while ((1 << depth) < size)
        depth++;
    if ((1 << depth) != size || depth < 5 || depth > 8 || count < 10) {
        fprintf(stderr, "pix2pix demo: --size must be 32, 64, 128 or 256 and --count >= 10\n");
        return 2;
    }
    if (app_cap_threads("demo", "--threads", &threads))
        return 2;
    char data[4200], ckpt[4200], results[4200], model[4400], netg[16], err[512];
    snprintf(data, sizeof data, "%s/data", dir);
    snprintf(ckpt, sizeof ckpt, "%s/checkpoints", dir);
    snprintf(results, sizeof results, "%s/results", dir);
    snprintf(netg, sizeof netg, "unet_%d", depth == 8 ? 256 : depth == 7 ? 128 : depth);
    printf("1/3 generating %d synthetic pairs of %dx%d in %s\n", count, size, size, data);
    fflush(stdout);
    progress_view view = {.label = "synth"};
    progress_init(&view.bar, "pairs", count, quiet);
    const dataset_progress prog = {progress_view_step, &view};
    synth_opts so = {.out = data, .count = count, .size = size, .seed = seed,
                     .val_fraction = 0.0, .test_fraction = 0.1, .progress = &prog};
    snprintf(err, sizeof err, "cannot create the folder");
    rc = fs_mkdirs(dir) ? -1 : synth_write_dataset(&so, err, sizeof err);
    progress_end(&view.bar);
    if (rc) {
        fprintf(stderr, "pix2pix demo: %s: %s\n", data, err);
        return 1;
    }

    printf("2/3 training %s (ngf %d) for %.0f s\n", netg, ngf, (double)time_limit);
    fflush(stdout);
    train_config tc;
    train_config_defaults(&tc);
    tc.data = data;
    tc.name = "demo";
    tc.checkpoints_dir = ckpt;
    tc.netG = netg;
    tc.ngf = ngf;
    tc.ndf = ngf;
    tc.batch_size = batch;
    tc.load_size = size;
    tc.crop_size = size;
    tc.epochs = 1000;
    tc.epochs_decay = 0;
    tc.seed = seed;
    tc.threads = threads;
    tc.workers = 1;
    tc.display_freq = 50;
    tc.time_limit = time_limit;
    tc.options_json = "{\"demo\":true}";
    tc.quiet = quiet;
    tc.overwrite = 1; /* a second demo starts over; the first one's run is moved aside */
    char *options = cli_to_text(&spec); /* the demo's options, on the report and in opt.txt */
    tc.options_text = options;
    rc = train_run(&tc);
    free(options);
    if (rc)
        return rc;

    printf("3/3 translating the test split\n");
    fflush(stdout);
    snprintf(model, sizeof model, "%s/demo/latest_net_G.safetensors", ckpt);
    test_config te = {.data = data, .model = model, .split = "test", .results = results,
                      .direction = "AtoB", .device = app_default_device(), .threads = threads,
                      .seed = seed, .quiet = quiet};
    rc = test_run(&te, NULL);
    if (rc)
        return rc;
    printf("\nlook at:\n  %s/index.html            test inputs, outputs and targets\n"
           "  %s/demo/web/index.html   the training report: losses, speed, samples\n"
           "  %s/demo/loss_log.csv     losses per step\n"
           "translate your own label maps with:\n"
           "  pix2pix translate --model %s --input DIR --output OUT\n",
           results, ckpt, ckpt, model);
    return 0;
}
