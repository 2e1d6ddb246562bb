/* pix2pix dataset combine|make|synth|check|bench: building and inspecting paired datasets. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app/cli/cli.h"
#include "app/cli/commands.h"
#include "app/common/progress.h"
#include "app/common/resources.h"
#include "base/text_line.h"
#include "datasets/dataset_tools.h"
#include "datasets/file_list.h"
#include "datasets/loader.h"
#include "datasets/synthetic.h"

typedef enum { OPT_STRING, OPT_INT, OPT_DOUBLE, OPT_U64, OPT_FLAG } opt_type;

typedef struct {
    const char *name; /* without the leading "--" */
    opt_type type;
    void *value;
    const char *help; /* the default is printed from *value */
} cli_option;

static void print_help(const char *usage, const char *about, const cli_option *opts, int n)
{
    printf("usage: pix2pix dataset %s\n\n%s\n\noptions:\n", usage, about);
    for (int i = 0; i < n; i++) {
        char def[64] = "";
        switch (opts[i].type) {
        case OPT_STRING:
            if (*(const char **)opts[i].value)
                snprintf(def, sizeof def, " (default %s)", *(const char **)opts[i].value);
            break;
        case OPT_INT:
            snprintf(def, sizeof def, " (default %d)", *(int *)opts[i].value);
            break;
        case OPT_DOUBLE:
            snprintf(def, sizeof def, " (default %g)", *(double *)opts[i].value);
            break;
        case OPT_U64:
            snprintf(def, sizeof def, " (default %llu)", *(unsigned long long *)opts[i].value);
            break;
        case OPT_FLAG:
            break;
        }
        printf("  --%-14s %s%s\n", opts[i].name, opts[i].help, def);
    }
}

/* Parses argv[1..] into opts; 1 when --help was printed, -1 on an error (reported). */
static int parse_options(int argc, char **argv, const char *usage, const char *about,
                         const cli_option *opts, int n)
{
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
            print_help(usage, about, opts, n);
            return 1;
        }
        const cli_option *o = NULL;
        for (int k = 0; k < n; k++)
            if (!strncmp(argv[i], "--", 2) && !strcmp(argv[i] + 2, opts[k].name))
                o = &opts[k];
        if (!o) {
            fprintf(stderr, "pix2pix dataset %s: unknown option '%s' (see --help)\n", argv[0],
                    argv[i]);
            return -1;
        }
        if (o->type == OPT_FLAG) {
            *(int *)o->value = 1;
            continue;
        }
        if (i + 1 >= argc) {
            fprintf(stderr, "pix2pix dataset %s: %s needs a value\n", argv[0], argv[i]);
            return -1;
        }
        const char *v = argv[++i];
        char *end = NULL;
        errno = 0;
        switch (o->type) {
        case OPT_STRING:
            *(const char **)o->value = v;
            end = "";
            break;
        case OPT_INT: {
            char command[64];
            snprintf(command, sizeof command, "dataset %s", argv[0]);
            if (cli_parse_count(command, o->name, v, (int *)o->value))
                return -1;
            end = "";
            break;
        }
        case OPT_DOUBLE:
            *(double *)o->value = strtod(v, &end);
            break;
        case OPT_U64:
            *(unsigned long long *)o->value = strtoull(v, &end, 10);
            if (v[0] == '-') /* strtoull takes -1 as its largest value */
                end = NULL;
            break;
        case OPT_FLAG:
            break;
        }
        if (errno || !end || *end || end == v) {
            fprintf(stderr, "pix2pix dataset %s: --%s: invalid value '%s'\n", argv[0], o->name, v);
            return -1;
        }
    }
    return 0;
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
    cli_option opts[] = {
        {"a", OPT_STRING, &a, "folder of A images (or with train/val/test subfolders)"},
        {"b", OPT_STRING, &b, "folder of B images with the same file names"},
        {"out", OPT_STRING, &out, "output folder of aligned A|B files"},
        {"jpeg-quality", OPT_INT, &quality, "write JPEG of this quality; 0 writes PNG"},
    };
    int rc = parse_options(argc, argv, "combine --a DIR --b DIR --out DIR [options]",
                           "Joins same-named A and B images side by side (A left, B right).",
                           opts, NOPTS(opts));
    if (rc)
        return rc > 0 ? 0 : 2;
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
    make_opts o = {MAKE_EDGES, NULL, NULL, 256, 0.1, 0.1, 1, 95, NULL};
    unsigned long long seed = 1;
    int quiet = 0;
    cli_option opts[] = {
        {"task", OPT_STRING, &task, "edges | colorize | deblur: what the input A is"},
        {"from", OPT_STRING, &from, "folder of photos (JPEG or PNG)"},
        {"out", OPT_STRING, &out, "output dataset folder (train/val/test inside)"},
        {"size", OPT_INT, &o.size, "side of the square halves"},
        {"val-fraction", OPT_DOUBLE, &o.val_fraction, "share of photos for val"},
        {"test-fraction", OPT_DOUBLE, &o.test_fraction, "share of photos for test"},
        {"seed", OPT_U64, &seed, "decides which photos go to which split"},
        {"jpeg-quality", OPT_INT, &o.jpeg_quality, "JPEG quality of the pairs; 0 writes PNG"},
        {"quiet", OPT_FLAG, &quiet, "no progress display"},
    };
    int rc = parse_options(argc, argv,
                           "make --task edges|colorize|deblur --from PHOTOS --out DIR [options]",
                           "Builds an aligned A|B dataset from photos: B is the photo (centre "
                           "square, resized), A\nits edge map (black on white), its grayscale "
                           "version or a Gaussian-blurred copy.",
                           opts, NOPTS(opts));
    if (rc)
        return rc > 0 ? 0 : 2;
    if (require(task, argv[0], "task") || require(from, argv[0], "from") ||
        require(out, argv[0], "out"))
        return 2;
    if (!strcmp(task, "edges"))
        o.task = MAKE_EDGES;
    else if (!strcmp(task, "colorize"))
        o.task = MAKE_COLORIZE;
    else if (!strcmp(task, "deblur"))
        o.task = MAKE_DEBLUR;
    else {
        fprintf(stderr, "pix2pix dataset make: unknown task '%s' (edges, colorize, deblur)\n", task);
        return 2;
    }
    if (o.jpeg_quality < 0 || o.jpeg_quality > 100) {
        fprintf(stderr, "pix2pix dataset make: --jpeg-quality must be 0..100\n");
        return 2;
    }
    o.photos = from;
    o.out = out;
    o.seed = seed;
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
    unsigned long long seed = 1;
    int quiet = 0;
    cli_option opts[] = {
        {"out", OPT_STRING, &o.out, "output dataset folder (train/val/test inside)"},
        {"count", OPT_INT, &o.count, "pairs in all splits together"},
        {"size", OPT_INT, &o.size, "side of the square halves"},
        {"seed", OPT_U64, &seed, "the same seed writes the same images"},
        {"val-fraction", OPT_DOUBLE, &o.val_fraction, "share of pairs for val"},
        {"test-fraction", OPT_DOUBLE, &o.test_fraction, "share of pairs for test"},
        {"quiet", OPT_FLAG, &quiet, "no progress display"},
    };
    int rc = parse_options(argc, argv, "synth --out DIR [options]",
                           "Writes a procedural aligned dataset: A a label map of shapes, B the "
                           "scene rendered from it.",
                           opts, NOPTS(opts));
    if (rc)
        return rc > 0 ? 0 : 2;
    if (require(o.out, argv[0], "out"))
        return 2;
    o.seed = seed;
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
    unsigned long long seed;
} loader_args;

static int open_loader(const char *cmd, const loader_args *a, int serial, pair_loader **out)
{
    static const char *modes[] = {"resize_and_crop", "crop", "scale_width",
                                  "scale_width_and_crop", "none"};
    pair_loader_opts o = {0};
    int mode = -1;
    for (int i = 0; i < 5; i++)
        if (!strcmp(a->preprocess, modes[i]))
            mode = i;
    if (mode < 0 || (strcmp(a->direction, "AtoB") && strcmp(a->direction, "BtoA"))) {
        fprintf(stderr, "pix2pix dataset %s: unknown --preprocess or --direction (see --help)\n",
                cmd);
        return 2;
    }
    o.root = a->data;
    o.split = a->split;
    o.direction_btoa = !strcmp(a->direction, "BtoA");
    o.preprocess = (preprocess_mode)mode;
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
    {"data", OPT_STRING, &(a).data, "dataset folder (DATA/<split> or DATA/A|B/<split>)"},      \
        {"preprocess", OPT_STRING, &(a).preprocess,                                            \
         "resize_and_crop | crop | scale_width | scale_width_and_crop | none"},                \
        {"direction", OPT_STRING, &(a).direction, "AtoB or BtoA"},                             \
        {"load-size", OPT_INT, &(a).load, "resize target"},                                    \
        {"crop-size", OPT_INT, &(a).crop, "crop side"},                                        \
        {"threads", OPT_INT, &(a).threads, "decoding threads"},                                \
        {"batch", OPT_INT, &(a).batch, "pairs per batch"}

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
    cli_option opts[] = {LOADER_OPTIONS(a)};
    int rc = parse_options(argc, argv, "check --data DIR [options]",
                           "Decodes and preprocesses every pair of train, val and test (those "
                           "present)\nand reports the files that cannot be used (one pair at a "
                           "time: --batch does not apply).",
                           opts, NOPTS(opts));
    if (rc)
        return rc > 0 ? 0 : 2;
    if (require(a.data, argv[0], "data") || cap_loader_threads(argv[0], &a))
        return 2;
    a.batch = 1; /* an epoch of larger batches may leave the last few pairs out */
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
    cli_option opts[] = {
        LOADER_OPTIONS(a),
        {"split", OPT_STRING, &a.split, "split to read"},
        {"batches", OPT_INT, &a.batches, "batches to time; 0 means one epoch"},
        {"seed", OPT_U64, &a.seed, "shuffle, crop and flip seed"},
    };
    int rc = parse_options(argc, argv, "bench --data DIR [options]",
                           "Measures the loader's throughput (decode + preprocess, shuffled).",
                           opts, NOPTS(opts));
    if (rc)
        return rc > 0 ? 0 : 2;
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
