/* pix2pix demo: a complete run in about two minutes on two cores: generate the synthetic
 * dataset (label maps -> rendered scenes), train a small U-Net on it, translate its test
 * split and write an HTML page. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app/common/backend.h"
#include "app/cli/cli.h"
#include "app/cli/commands.h"
#include "app/common/float_text.h"
#include "app/common/fsutil.h"
#include "app/common/program.h"
#include "app/common/progress.h"
#include "app/common/resources.h"
#include "app/translate/test_run.h"
#include "datasets/synthetic.h"

#define DEMO_LINE_MAX 20000

/* The demo's training through the train command itself, so that opt.txt, the report and the
 * checkpoints record train's options, and line (the command, printed at the end) runs it
 * again. Returns train's exit status. */
static int demo_train(const char *data, const char *ckpt, const char *netg, int ngf, int batch,
                      int size, float time_limit, uint64_t seed, int threads, int quiet,
                      char *line, size_t len)
{
    char ngf_s[16], batch_s[16], size_s[16], time_s[32], seed_s[32], threads_s[16];
    snprintf(ngf_s, sizeof ngf_s, "%d", ngf);
    snprintf(batch_s, sizeof batch_s, "%d", batch);
    snprintf(size_s, sizeof size_s, "%d", size);
    float_text(time_limit, time_s, sizeof time_s);
    snprintf(seed_s, sizeof seed_s, "%" PRIu64, seed);
    snprintf(threads_s, sizeof threads_s, "%d", threads);
    /* The time limit bounds the run; --overwrite: a second demo moves the first one aside. */
    char *args[] = {"train", "--data", (char *)data, "--checkpoints-dir", (char *)ckpt,
                    "--name", "demo", "--netG", (char *)netg, "--ngf", ngf_s, "--ndf", ngf_s,
                    "--batch-size", batch_s, "--load-size", size_s, "--crop-size", size_s,
                    "--epochs", "1000", "--epochs-decay", "0", "--time-limit", time_s,
                    "--seed", seed_s, "--threads", threads_s, "--workers", "1",
                    "--display-freq", "50", "--overwrite", quiet ? "--quiet" : NULL, NULL};
    int argc = (int)(sizeof args / sizeof *args) - 1 - !quiet;
    int used = snprintf(line, len, "%s", app_program());
    for (int i = 0; i < argc && used > 0 && (size_t)used < len; i++)
        used += snprintf(line + used, len - (size_t)used, " %s", args[i]);
    printf("2/3 training %s (ngf %d) for %s s:\n  %s\n", netg, ngf, time_s, line);
    fflush(stdout);
    return cmd_train(argc, args);
}

/* Where to look, in aligned columns, and the commands that go on from here. */
static void print_endings(const char *results, const char *ckpt, const char *model,
                          const char *train_line)
{
    char paths[3][4400];
    snprintf(paths[0], sizeof paths[0], "%s/index.html", results);
    snprintf(paths[1], sizeof paths[1], "%s/demo/web/index.html", ckpt);
    snprintf(paths[2], sizeof paths[2], "%s/demo/loss_log.csv", ckpt);
    static const char *const what[3] = {"test inputs, outputs and targets",
                                        "the training report: losses, speed, samples",
                                        "losses per step"};
    int width = 0;
    for (int i = 0; i < 3; i++)
        width = (int)strlen(paths[i]) > width ? (int)strlen(paths[i]) : width;
    printf("\nlook at:\n");
    for (int i = 0; i < 3; i++)
        printf("  %-*s   %s\n", width, paths[i], what[i]);
    printf("translate your own label maps with:\n"
           "  %s translate --model %s --input DIR --output OUT\n"
           "train it again (its options are in %s/demo/opt.txt) with:\n  %s\n",
           app_program(), model, ckpt, train_line);
}

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

    char train_line[DEMO_LINE_MAX];
    rc = demo_train(data, ckpt, netg, ngf, batch, size, time_limit, seed, threads, quiet,
                    train_line, sizeof train_line);
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
    print_endings(results, ckpt, model, train_line);
    return 0;
}
