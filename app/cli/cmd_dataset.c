/* pix2pix dataset combine|make|synth|check|bench: building and inspecting paired datasets. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app/cli/cli.h"
#include "app/cli/choices.h"
#include "app/cli/commands.h"
#include "app/common/float_text.h"
#include "app/common/progress.h"
#include "app/common/resources.h"
#include "base/text_line.h"
#include "datasets/dataset_tools.h"
#include "datasets/file_list.h"
#include "datasets/loader.h"
#include "datasets/synthetic.h"

/* Parses the options of subcommand argv[0] with the commands' parser (one help format for
 * all): -1 to go on, else the exit status (0 after --help, 2 on an error it reported). */
static int parse_options(int argc, char **argv, const char *usage, const char *summary,
                         const cli_opt *opts, int n)
{
    char command[64];
    snprintf(command, sizeof command, "dataset %s", argv[0]);
    const cli_spec spec = {command, usage, summary, opts, n, 0};
    return cli_exit_status(cli_parse(&spec, argc, argv, NULL, NULL));
}

#define NOPTS(a) ((int)(sizeof(a) / sizeof((a)[0])))

static int require(const char *value, const char *cmd, const char *name)
{
    if (value)
        return 0;
    fprintf(stderr, "pix2pix dataset %s: --%s is required (see --help)\n", cmd, name);
    return -1;
}

static int cmd_combine(int argc, char **argv)
{
    const char *a = NULL, *b = NULL, *out = NULL;
    int quality = 0;
    const cli_opt opts[] = {
        {"a", CLI_STR, &a, "folder of A images (or with train/val/test subfolders)"},
        {"b", CLI_STR, &b, "folder of B images with the same file names"},
        {"out", CLI_STR, &out, "output folder of aligned A|B files"},
        {"jpeg-quality", CLI_INT, &quality, "write JPEG of quality N; 0 writes PNG"},
    };
    int rc = parse_options(argc, argv,
                           "pix2pix dataset combine --a DIR --b DIR --out DIR [OPTIONS]",
                           "Joins same-named A and B images side by side (A left, B right).\n"
                           "\n"
                           "Exit status: 0 pairs written; 1 a folder could not be used, a pair\n"
                           "failed or none was written; 2 invalid command line.",
                           opts, NOPTS(opts));
    if (rc >= 0)
        return rc;
    if (require(a, argv[0], "a") || require(b, argv[0], "b") || require(out, argv[0], "out"))
        return 2;
    combine_result res;
    char err[1024];
    rc = dataset_combine(a, b, out, quality, &res, err, sizeof err);
    text_line(stdout, "combine: %zu pairs written to %s, %zu files without a partner, %zu failed",
              res.written, out, res.unpartnered, res.failed);
    if (rc) {
        text_line(stderr, "pix2pix dataset combine: %s", err);
        return 1;
    }
    return 0;
}

static int cmd_make(int argc, char **argv)
{
    const char *task = NULL, *from = NULL, *out = NULL;
    make_opts o = {MAKE_EDGES, NULL, NULL, 256, 0, 0.1, 0.1, 1, 95, NULL};
    float val_fraction = 0.1f, test_fraction = 0.1f;
    int quiet = 0;
    static const char *const tasks[] = {"edges", "colorize", "deblur", NULL}; /* make_task */
    static const cli_choices task_choices = {tasks, NULL, NULL};
    const cli_opt opts[] = {
        {"task", CLI_CHOICE, CLI_CHOICE_OF(task, task_choices), "what the input A is"},
        {"from", CLI_STR, &from, "folder of photos (JPEG or PNG)"},
        {"out", CLI_STR, &out, "output dataset folder (train/val/test inside)"},
        {"size", CLI_INT, &o.size, "side of the square halves (their height with --width)"},
        {"width", CLI_INT, &o.width,
         "width of the halves, e.g. --width 1024 --size 512 (0: square)"},
        {"val-fraction", CLI_FLOAT, &val_fraction, "share of photos for val"},
        {"test-fraction", CLI_FLOAT, &test_fraction, "share of photos for test"},
        {"seed", CLI_U64, &o.seed, "decides which photos go to which split"},
        {"jpeg-quality", CLI_INT, &o.jpeg_quality, "JPEG quality of the pairs; 0 writes PNG"},
        {"quiet", CLI_FLAG, &quiet, "no progress display"},
    };
    int rc = parse_options(argc, argv,
                           "pix2pix dataset make --task NAME --from PHOTOS --out DIR [OPTIONS]",
                           "Builds an aligned A|B dataset from photos: B is the photo (centre "
                           "square, or --width:--size,\nresized), A its edge map (black on "
                           "white), its grayscale version or a Gaussian-blurred copy.\n"
                           "\n"
                           "Exit status: 0 pairs written; 1 the folders could not be used or no\n"
                           "pair was written; 2 invalid command line.",
                           opts, NOPTS(opts));
    if (rc >= 0)
        return rc;
    if (require(task, argv[0], "task") || require(from, argv[0], "from") ||
        require(out, argv[0], "out"))
        return 2;
    for (int i = 0; tasks[i]; i++)
        if (task == tasks[i])
            o.task = (make_task)i;
    if (o.jpeg_quality < 0 || o.jpeg_quality > 100) {
        fprintf(stderr, "pix2pix dataset make: --jpeg-quality must be 0..100\n");
        return 2;
    }
    o.photos = from;
    o.out = out;
    o.val_fraction = float_decimal(val_fraction); /* 0.1, as the text said */
    o.test_fraction = float_decimal(test_fraction);
    progress_view view = {.label = "make"};
    progress_init(&view.bar, "photos", 0, quiet);
    const dataset_progress prog = {progress_view_step, &view};
    o.progress = &prog;
    make_result res;
    char err[1024];
    rc = dataset_make(&o, &res, err, sizeof err);
    progress_end(&view.bar);
    text_line(stdout, "make: %zu train, %zu val, %zu test pairs written to %s, %zu photos failed",
              res.train, res.val, res.test, out, res.failed);
    if (rc) {
        text_line(stderr, "pix2pix dataset make: %s", err);
        return 1;
    }
    return 0;
}

static int cmd_synth(int argc, char **argv)
{
    synth_opts o = {NULL, 400, 256, 1, 0.1, 0.1, NULL};
    float val_fraction = 0.1f, test_fraction = 0.1f;
    int quiet = 0;
    const cli_opt opts[] = {
        {"out", CLI_STR, &o.out, "output dataset folder (train/val/test inside)"},
        {"count", CLI_INT, &o.count, "pairs in all splits together"},
        {"size", CLI_INT, &o.size, "side of the square halves"},
        {"seed", CLI_U64, &o.seed, "the same seed writes the same images"},
        {"val-fraction", CLI_FLOAT, &val_fraction, "share of pairs for val"},
        {"test-fraction", CLI_FLOAT, &test_fraction, "share of pairs for test"},
        {"quiet", CLI_FLAG, &quiet, "no progress display"},
    };
    int rc = parse_options(argc, argv, "pix2pix dataset synth --out DIR [OPTIONS]",
                           "Writes a procedural aligned dataset: A a label map of shapes, B the "
                           "scene rendered from it.\n"
                           "\n"
                           "Exit status: 0 written; 1 the dataset could not be written;\n"
                           "2 invalid command line.",
                           opts, NOPTS(opts));
    if (rc >= 0)
        return rc;
    if (require(o.out, argv[0], "out"))
        return 2;
    o.val_fraction = float_decimal(val_fraction); /* 0.1, as the text said */
    o.test_fraction = float_decimal(test_fraction);
    progress_view view = {.label = "synth"};
    progress_init(&view.bar, "pairs", o.count, quiet);
    const dataset_progress prog = {progress_view_step, &view};
    o.progress = &prog;
    char err[1024];
    rc = synth_write_dataset(&o, err, sizeof err);
    progress_end(&view.bar);
    if (rc) {
        text_line(stderr, "pix2pix dataset synth: %s", err);
        return 1;
    }
    printf("synth: %d pairs of %dx%d written to %s\n", o.count, 2 * o.size, o.size, o.out);
    return 0;
}

typedef struct {
    const char *data, *split, *preprocess, *direction;
    int load, crop, threads, batch, batches, no_flip;
    uint64_t seed;
} loader_args;

static int open_loader(const char *cmd, const loader_args *a, int serial, pair_loader **out)
{
    pair_loader_opts o = {0};
    /* The parser took the names: cli_preprocess_choices lists them in preprocess_mode order. */
    for (int i = 0; cli_preprocess_choices.names[i]; i++)
        if (!strcmp(a->preprocess, cli_preprocess_choices.names[i]))
            o.preprocess = (preprocess_mode)i;
    o.root = a->data;
    o.split = a->split;
    o.direction_btoa = !strcmp(a->direction, "BtoA");
    o.load_size = a->load;
    o.crop_size = a->crop;
    o.no_flip = a->no_flip;
    o.serial = serial;
    o.seed = a->seed;
    o.batch_size = a->batch;
    o.threads = a->threads;
    o.input_nc = o.output_nc = 3;
    char err[1024];
    *out = pair_loader_open(&o, err, sizeof err);
    if (!*out) {
        text_line(stderr, "pix2pix dataset %s: %s/%s: %s", cmd, a->data, a->split, err);
        return 1;
    }
    return 0;
}

#define LOADER_OPTIONS(a)                                                                      \
    {"data", CLI_STR, &(a).data, "dataset folder (DATA/<split> or DATA/A|B/<split>)"},         \
        {"preprocess", CLI_CHOICE, CLI_CHOICE_OF((a).preprocess, cli_preprocess_choices),      \
         "how images become --crop-size squares"},                                             \
        {"direction", CLI_CHOICE, CLI_CHOICE_OF((a).direction, cli_direction_choices),         \
         "A to B, or B to A"},                                                                 \
        {"load-size", CLI_INT, &(a).load, "resize target"},                                    \
        {"crop-size", CLI_INT, &(a).crop, "crop side"},                                        \
        {"threads", CLI_INT, &(a).threads, "decoding threads"}

static int cap_loader_threads(const char *cmd, loader_args *a)
{
    char command[64];
    snprintf(command, sizeof command, "dataset %s", cmd);
    return app_cap_threads(command, "--threads", &a->threads);
}

static int split_present(const char *data, const char *split)
{
    char p1[4096], p2[4096];
    snprintf(p1, sizeof p1, "%s/%s", data, split);
    snprintf(p2, sizeof p2, "%s/A/%s", data, split);
    return is_directory(p1) || is_directory(p2);
}

/* Reads one epoch of every split present; exit 1 when a file had to be skipped. */
static int cmd_check(int argc, char **argv)
{
    loader_args a = {NULL, NULL, "resize_and_crop", "AtoB", 286, 256, 2, 1, 0, 0, 1};
    const cli_opt opts[] = {LOADER_OPTIONS(a)};
    int rc = parse_options(argc, argv, "pix2pix dataset check --data DIR [OPTIONS]",
                           "Decodes and preprocesses every pair of train, val and test (those "
                           "present)\nand reports the files that cannot be used.\n"
                           "\n"
                           "Exit status: 0 every pair usable; 1 a file was skipped, or no split\n"
                           "could be read; 2 invalid command line.",
                           opts, NOPTS(opts));
    if (rc >= 0)
        return rc;
    if (require(a.data, argv[0], "data") || cap_loader_threads(argv[0], &a))
        return 2;
    /* One pair at a time: an epoch of larger batches may leave the last few pairs out. */
    static const char *splits[3] = {"train", "val", "test"};
    size_t total = 0, skipped = 0;
    int found = 0;
    for (int s = 0; s < 3; s++) {
        a.split = splits[s];
        pair_loader *l;
        if (!split_present(a.data, splits[s]))
            continue;
        if ((rc = open_loader(argv[0], &a, 1, &l)))
            return rc;
        found++;
        int h, w;
        pair_loader_item_size(l, &h, &w);
        size_t per = (size_t)3 * h * w * a.batch, loaded = 0;
        float *fa = malloc(per * sizeof(float)), *fb = malloc(per * sizeof(float));
        int done = 0, failed = 0;
        while (fa && fb && !done && !(failed = pair_loader_next(l, fa, fb, NULL, &done)))
            ;
        if (done && !failed)
            loaded = pair_loader_size(l) - pair_loader_skipped(l);
        printf("check: %s: %zu pairs found, %zu loaded, %zu skipped, items %dx%d\n", splits[s],
               pair_loader_size(l), loaded, pair_loader_skipped(l), w, h);
        total += loaded;
        skipped += pair_loader_skipped(l);
        free(fa);
        free(fb);
        pair_loader_close(l);
    }
    if (!found) {
        text_line(stderr, "pix2pix dataset check: no usable split in %s", a.data);
        return 1;
    }
    printf("check: %zu pairs loaded, %zu files skipped\n", total, skipped);
    return skipped ? 1 : 0;
}

static int cmd_bench(int argc, char **argv)
{
    loader_args a = {NULL, "train", "resize_and_crop", "AtoB", 286, 256, 2, 1, 0, 0, 1};
    const cli_opt opts[] = {
        LOADER_OPTIONS(a),
        {"batch", CLI_INT, &a.batch, "pairs per batch"},
        {"split", CLI_STR, &a.split, "split to read"},
        {"batches", CLI_INT, &a.batches, "batches to time; 0 means one epoch"},
        {"seed", CLI_U64, &a.seed, "shuffle, crop and flip seed"},
    };
    int rc = parse_options(argc, argv, "pix2pix dataset bench --data DIR [OPTIONS]",
                           "Measures the loader's throughput (decode + preprocess, shuffled).\n"
                           "\n"
                           "Exit status: 0 timed; 1 the split could not be read through;\n"
                           "2 invalid command line.",
                           opts, NOPTS(opts));
    if (rc >= 0)
        return rc;
    if (require(a.data, argv[0], "data") || cap_loader_threads(argv[0], &a))
        return 2;
    pair_loader *l;
    if ((rc = open_loader(argv[0], &a, 0, &l)))
        return rc;
    int h, w;
    pair_loader_item_size(l, &h, &w);
    size_t per = (size_t)3 * h * w * a.batch;
    float *fa = malloc(per * sizeof(float)), *fb = malloc(per * sizeof(float));
    size_t batches = a.batches > 0 ? (size_t)a.batches : pair_loader_batches_per_epoch(l), n = 0;
    double t0 = now_seconds();
    while (fa && fb && n < batches && !pair_loader_next(l, fa, fb, NULL, NULL))
        n++;
    double dt = now_seconds() - t0;
    printf("bench: %zu pairs (%zu batches of %d, %dx%d, %s, %d threads) in %.2f s: %.1f pairs/s\n",
           n * a.batch, n, a.batch, w, h, a.preprocess, a.threads, dt, n * a.batch / dt);
    free(fa);
    free(fb);
    pair_loader_close(l);
    return n == batches ? 0 : 1;
}

int cmd_dataset(int argc, char **argv)
{
    static const struct {
        const char *name, *summary;
        int (*run)(int, char **);
    } subs[] = {
        {"combine", "join A and B folders into aligned A|B pairs", cmd_combine},
        {"make", "build an edges/colorize/deblur dataset from photos", cmd_make},
        {"synth", "write a procedural shapes dataset", cmd_synth},
        {"check", "decode every pair of a dataset and report bad files", cmd_check},
        {"bench", "measure the loader's pairs per second", cmd_bench},
    };
    int n = (int)(sizeof subs / sizeof subs[0]);
    if (argc >= 2)
        for (int i = 0; i < n; i++)
            if (!strcmp(argv[1], subs[i].name))
                return subs[i].run(argc - 1, argv + 1);
    int help = argc >= 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"));
    FILE *f = help ? stdout : stderr;
    if (argc >= 2 && !help)
        fprintf(f, "pix2pix dataset: unknown subcommand '%s'\n\n", argv[1]);
    fprintf(f, "usage: pix2pix dataset SUBCOMMAND [OPTIONS]\n\nsubcommands:\n");
    for (int i = 0; i < n; i++)
        fprintf(f, "  %-8s %s\n", subs[i].name, subs[i].summary);
    fprintf(f, "\n'pix2pix dataset SUBCOMMAND --help' lists its options and defaults.\n");
    return help ? 0 : 2;
}
