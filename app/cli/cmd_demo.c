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

/* What --help says of pix2pix demo: its usage line, and the text below it. */
static const char usage[] = "pix2pix demo [OPTIONS]";
static const char summary[] =
    "Generates a synthetic paired dataset (label maps of shapes -> rendered scenes), trains a\n"
    "small U-Net on it for --time-limit seconds, translates the test split and writes an\n"
    "HTML page comparing input, output and target.\n"
    "\n"
    "Exit status: 0 done; 1 the data, training or translation failed (the message says "
    "which);\n2 invalid command line.";

#define DEMO_LINE_MAX 20000

/* The demo's options and its folders. */
typedef struct {
    const char *dir;
    int count, size, ngf, threads, batch, quiet;
    float time_limit;
    uint64_t seed;
    char data[4200], ckpt[4200], results[4200], model[4400], netg[16];
} demo_run;

/* The demo's training through the train command itself, so that opt.txt, the report and the
 * checkpoints record train's options, and line (the command, printed at the end) runs it
 * again. Returns train's exit status. */
static int demo_train(const demo_run *d, char *line, size_t len)
{
    char ngf[16], batch[16], size[16], time_limit[32], seed[32], threads[16];
    snprintf(ngf, sizeof ngf, "%d", d->ngf);
    snprintf(batch, sizeof batch, "%d", d->batch);
    snprintf(size, sizeof size, "%d", d->size);
    float_text(d->time_limit, time_limit, sizeof time_limit);
    snprintf(seed, sizeof seed, "%" PRIu64, d->seed);
    snprintf(threads, sizeof threads, "%d", d->threads);
    /* The time limit bounds the run; --overwrite: a second demo moves the first one aside. */
    char *args[] = {"train", "--data", (char *)d->data, "--checkpoints-dir", (char *)d->ckpt,
                    "--name", "demo", "--netG", (char *)d->netg, "--ngf", ngf, "--ndf", ngf,
                    "--batch-size", batch, "--load-size", size, "--crop-size", size,
                    "--epochs", "1000", "--epochs-decay", "0", "--time-limit", time_limit,
                    "--seed", seed, "--threads", threads, "--workers", "1",
                    "--display-freq", "50", "--overwrite", d->quiet ? "--quiet" : NULL, NULL};
    int argc = (int)(sizeof args / sizeof *args) - 1 - !d->quiet;
    size_t used = (size_t)snprintf(line, len, "%s", app_program());
    for (int i = 0; i < argc && used < len; i++) {
        char word[4400];
        used += (size_t)snprintf(line + used, len - used, " %s",
                                 app_shell_word(args[i], word, sizeof word));
    }
    printf("2/3 training %s (ngf %d) for %s s:\n  %s\n", d->netg, d->ngf, time_limit, line);
    fflush(stdout);
    return cmd_train(argc, args);
}

/* Where to look, in aligned columns, and the commands that go on from here. */
static void print_endings(const demo_run *d, const char *train_line)
{
    char paths[3][4400], model[4400];
    snprintf(paths[0], sizeof paths[0], "%s/index.html", d->results);
    snprintf(paths[1], sizeof paths[1], "%s/demo/web/index.html", d->ckpt);
    snprintf(paths[2], sizeof paths[2], "%s/demo/loss_log.csv", d->ckpt);
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
           app_program(), app_shell_word(d->model, model, sizeof model), d->ckpt, train_line);
}

int cmd_demo(int argc, char **argv)
{
    demo_run d = {.dir = "./pix2pix-demo", .count = 240, .size = 64, .ngf = 16, .threads = 2,
                  .batch = 4, .seed = 1,
                  .time_limit = 105.0f}; /* with data generation and testing: under 2 minutes */
    const cli_opt opts[] = {
        {"dir", CLI_STR, &d.dir, "folder for the dataset, checkpoints and results"},
        {"count", CLI_INT, &d.count, "pairs to generate"},
        {"size", CLI_INT, &d.size, "image size (a power of two, 32..256)"},
        {"ngf", CLI_INT, &d.ngf, "generator filters in the first layer"},
        {"batch-size", CLI_INT, &d.batch, "images per step"},
        {"time-limit", CLI_FLOAT, &d.time_limit, "seconds of training"},
        {"threads", CLI_INT, &d.threads, "CPU threads (0: all cores)"},
        {"seed", CLI_U64, &d.seed, "seed of the data and the weights"},
        {"quiet", CLI_FLAG, &d.quiet, "no progress display"},
    };
    const cli_spec spec = {"demo", usage, summary, opts, (int)(sizeof opts / sizeof *opts), 0};
    int status = cli_exit_status(cli_parse(&spec, argc, argv, NULL, NULL));
    if (status >= 0)
        return status;
    int depth = 0;
    while ((1 << depth) < d.size)
        depth++;
    if ((1 << depth) != d.size || depth < 5 || depth > 8 || d.count < 10) {
        fprintf(stderr, "pix2pix demo: --size must be 32, 64, 128 or 256 and --count >= 10\n");
        return 2;
    }
    if (app_cap_threads("demo", "--threads", &d.threads))
        return 2;
    char err[512];
    snprintf(d.data, sizeof d.data, "%s/data", d.dir);
    snprintf(d.ckpt, sizeof d.ckpt, "%s/checkpoints", d.dir);
    snprintf(d.results, sizeof d.results, "%s/results", d.dir);
    snprintf(d.model, sizeof d.model, "%s/demo/latest_net_G.safetensors", d.ckpt);
    snprintf(d.netg, sizeof d.netg, "unet_%d", depth == 8 ? 256 : depth == 7 ? 128 : depth);
    printf("1/3 generating %d synthetic pairs of %dx%d in %s\n", d.count, d.size, d.size,
           d.data);
    fflush(stdout);
    progress_view view = {.label = "synth"};
    progress_init(&view.bar, "pairs", d.count, d.quiet);
    const dataset_progress prog = {progress_view_step, &view};
    synth_opts so = {.out = d.data, .count = d.count, .size = d.size, .seed = d.seed,
                     .val_fraction = 0.0, .test_fraction = 0.1, .progress = &prog};
    snprintf(err, sizeof err, "cannot create the folder");
    int rc = fs_mkdirs(d.dir) ? -1 : synth_write_dataset(&so, err, sizeof err);
    progress_end(&view.bar);
    if (rc) {
        fprintf(stderr, "pix2pix demo: %s: %s\n", d.data, err);
        return 1;
    }

    char train_line[DEMO_LINE_MAX];
    rc = demo_train(&d, train_line, sizeof train_line);
    if (rc)
        return rc;

    printf("3/3 translating the test split\n");
    fflush(stdout);
    test_config te = {.data = d.data, .model = d.model, .split = "test", .results = d.results,
                      .direction = "AtoB", .device = app_default_device(),
                      .threads = d.threads, .seed = d.seed, .quiet = d.quiet};
    rc = test_run(&te, NULL);
    if (rc)
        return rc;
    print_endings(&d, train_line);
    return 0;
}
