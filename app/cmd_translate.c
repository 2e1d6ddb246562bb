/* pix2pix translate: runs a generator on an image or every image of a folder. */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app/backend.h"
#include "app/cli.h"
#include "app/commands.h"
#include "app/dist.h"
#include "app/dist_device.h"
#include "app/fsutil.h"
#include "app/resources.h"
#include "app/translate_pipeline.h"
#include "datasets/image.h"

/* Memory per pixel of an image being translated: decoded (3 bytes), the result resized back
 * (3) and its encoding (at most about 3), with room for the resizing's work rows. --full-res
 * adds the network at the image's size, which generator_prepare checks. */
#define TRANSLATE_PIXEL_BYTES 12

typedef struct {
    const char *model, *input, *output, *format, *device;
    int quality, eval, full_res, threads, quiet, verbose;
    uint64_t seed, max_pixels;
} translate_opts;

typedef struct {
    char stem[1024];
    int index;
} named_file;

static int by_stem_then_index(const void *a, const void *b)
{
    const named_file *x = a, *y = b;
    int c = strcmp(x->stem, y->stem);
    return c ? c : x->index - y->index;
}

/* Under mpirun each rank translates its share of the list (files r, r + N, ...) with the
 * masks of the files' positions, so that the outputs are those of one process; rank 0 reports
 * the total. The exit status (the same on every rank) is 1 when a file failed on any. */
static int translate_ranks(generator *r, translate_settings *ts, char **list, const int *owner,
                           int n, const char *output, int verbose)
{
    ts->first = dist_rank();
    ts->step = dist_size();
    translate_stats st;
    if (translate_files(r, ts, list, owner, n, &st)) {
        fprintf(stderr, "pix2pix translate: out of memory\n");
        st.failed = translate_share(ts, n);
    } else if (verbose) {
        int mine = translate_share(ts, n);
        fprintf(stderr,
                "translate: %d image%s in %.2f s (%.2f images/s); compute busy %.2f s "
                "(%.0f%% of the time); on their own threads: decoding %.2f s, encoding and "
                "writing %.2f s (two threads, summed)\n",
                mine, mine == 1 ? "" : "s", st.wall_s, st.wall_s > 0 ? mine / st.wall_s : 0.0,
                st.compute_s, st.wall_s > 0 ? 100.0 * st.compute_s / st.wall_s : 0.0, st.load_s,
                st.save_s);
    }
    int failed = st.failed;
    dist_sum_int(&failed, 1);
    if (dist_rank() == 0)
        printf("translated %d of %d image%s into %s\n", n - failed, n, n == 1 ? "" : "s",
               output);
    return failed ? 1 : 0;
}

/* owner[i]: the index of the first file whose output has the same name as file i (i itself
 * when none comes earlier), so that "a.jpg" and "a.png" do not silently overwrite each other.
 * NULL when out of memory. */
static int *output_owners(char **files, int n)
{
    named_file *names = malloc((size_t)n * sizeof *names);
    int *owner = malloc((size_t)n * sizeof *owner);
    if (!names || !owner) {
        free(names);
        free(owner);
        return NULL;
    }
    for (int i = 0; i < n; i++) {
        fs_stem(files[i], names[i].stem, sizeof names[i].stem);
        names[i].index = i;
    }
    qsort(names, (size_t)n, sizeof *names, by_stem_then_index);
    for (int i = 0; i < n; i++)
        owner[names[i].index] =
            i > 0 && !strcmp(names[i].stem, names[i - 1].stem) ? owner[names[i - 1].index]
                                                                 : names[i].index;
    free(names);
    return owner;
}

int cmd_translate(int argc, char **argv)
{
    translate_opts o = {.format = "png", .device = app_default_device(), .quality = 95,
                        .max_pixels = IMAGE_DEFAULT_MAX_PIXELS};
    const cli_opt opts[] = {
        {"model", CLI_STR, &o.model, "generator file: .safetensors, or a PyTorch .pth state_dict"},
        {"input", CLI_STR, &o.input, "an image file or a folder of images"},
        {"output", CLI_STR, &o.output, "folder for the results (same base names)"},
        {"format", CLI_STR, &o.format, "png | jpg"},
        {"quality", CLI_INT, &o.quality, "JPEG quality 1..100"},
        {"eval", CLI_FLAG, &o.eval, "BatchNorm running statistics and no dropout"},
        {"seed", CLI_U64, &o.seed, "dropout seed (without --eval)"},
        {"full-res", CLI_FLAG, &o.full_res,
         "run at the image's own resolution (mirror-padded to the network stride)"},
        {"device", CLI_STR, &o.device, APP_DEVICE_HELP},
        {"threads", CLI_INT, &o.threads, "CPU threads (0: all cores)"},
        {"max-pixels", CLI_U64, &o.max_pixels,
         "larger images (width x height) are refused before decoding"},
        {"quiet", CLI_FLAG, &o.quiet, "no progress display"},
        {"verbose", CLI_FLAG, &o.verbose,
         "print images/s, how busy the compute was, decoding and encoding times"},
    };
    const cli_spec spec = {
        "translate", "pix2pix translate --model FILE --input FILE|DIR --output DIR [OPTIONS]",
        "Translates images with a trained generator. Without --eval, BatchNorm uses each image's\n"
        "own statistics and dropout stays on (the paper's test protocol), seeded by --seed.\n"
        "Each image is resized to the model's size and the result back to the image's size,\n"
        "unless --full-res. An image that cannot be read, translated or written is reported\n"
        "on one line (its path and the reason) and skipped; the others are still translated.\n"
        "\n"
        "Exit status: 0 every image translated; 1 an image failed (the rest were done), or\n"
        "the model, input or output folder could not be used; 2 invalid command line.",
        opts, (int)(sizeof opts / sizeof opts[0]), 0};
    int rc = cli_parse(&spec, argc, argv, NULL, NULL);
    if (rc)
        return rc == CLI_HELP ? 0 : 2;
    if (!o.model || !o.input || !o.output) {
        fprintf(stderr, "pix2pix translate: --model, --input and --output are required\n");
        return 2;
    }
    if (strcmp(o.format, "png") && strcmp(o.format, "jpg")) {
        fprintf(stderr, "pix2pix translate: --format must be png or jpg\n");
        return 2;
    }
    if (o.quality < 1 || o.quality > 100) {
        fprintf(stderr, "pix2pix translate: --quality must be in 1..100\n");
        return 2;
    }
    if (o.max_pixels < 1 || o.max_pixels > (uint64_t)LLONG_MAX) {
        fprintf(stderr, "pix2pix translate: --max-pixels must be at least 1\n");
        return 2;
    }
    if (app_cap_threads("translate", "--threads", &o.threads))
        return 2;
    app_cap_by_memory("translate", "--max-pixels", &o.max_pixels, TRANSLATE_PIXEL_BYTES,
                      "pixel");
    int count = 0;
    char **files = NULL, *single[1] = {(char *)o.input};
    if (fs_is_dir(o.input)) {
        files = fs_list_images(o.input, &count);
        if (!count) {
            fprintf(stderr, "%s: no .png or .jpg images in this folder\n", o.input);
            return 1;
        }
    } else if (!fs_exists(o.input)) {
        fprintf(stderr, "%s: no such file or folder\n", o.input);
        return 1;
    }
    if (fs_mkdirs(o.output)) {
        perror(o.output);
        fs_free_list(files, count);
        return 1;
    }
    char err[512], device_spec[32];
    if (dist_join(err, sizeof err)) {
        fprintf(stderr, "pix2pix translate: %s\n", err);
        fs_free_list(files, count);
        return 1;
    }
    const char *device;
    int threads;
    dist_device(o.device, o.threads, &device, &threads, device_spec, sizeof device_spec);
    eng_backend *be = app_backend_open(device, threads, o.quiet, err, sizeof err);
    generator r;
    if (!be || generator_open(&r, o.model, be, o.eval, o.seed, err, sizeof err)) {
        fprintf(stderr, "pix2pix translate: %s\n", err);
        if (be)
            eng_backend_free(be);
        fs_free_list(files, count);
        if (dist_size() > 1)
            dist_abort(1);
        return 1;
    }
    char **list = files ? files : single;
    int n = files ? count : 1;
    int *owner = output_owners(list, n);
    translate_settings ts = {o.output, !strcmp(o.format, "jpg"), o.quality, o.full_res, o.quiet,
                             (long long)o.max_pixels, 0, 1};
    rc = translate_ranks(&r, &ts, list, owner, n, o.output, o.verbose);
    free(owner);
    generator_close(&r);
    eng_backend_free(be);
    fs_free_list(files, count);
    dist_leave();
    return rc;
}
