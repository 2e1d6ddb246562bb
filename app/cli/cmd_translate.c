/* pix2pix translate: runs a generator on an image or every image of a folder (tree), on one
 * device or several. */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app/common/backend.h"
#include "app/common/precision.h"
#include "app/cli/choices.h"
#include "app/cli/cli.h"
#include "app/cli/commands.h"
#include "app/parallel/dist.h"
#include "app/parallel/dist_device.h"
#include "app/model/model_file.h"
#include "app/model/net_tune.h"
#include "app/common/fsutil.h"
#include "app/common/resources.h"
#include "app/translate/tiles.h"
#include "app/translate/translate_list.h"
#include "app/translate/translate_pipeline.h"
#include "base/text_line.h"
#include "datasets/image.h"

/* What --help says of pix2pix translate: its usage line, and the text below it. */
static const char usage[] =
    "pix2pix translate --model FILE --input FILE|DIR --output DIR [OPTIONS]";
static const char summary[] =
    "Translates images with a trained generator. Without --eval, BatchNorm uses each image's\n"
    "own statistics (the whole image's, also in tiles) and dropout stays on (the paper's\n"
    "test protocol), seeded by --seed. Each image is resized to the model's size and the\n"
    "result back to the image's size, unless --full-res. The result has the model's\n"
    "channels (1: grey) and the input's alpha. An image that cannot be read, translated\n"
    "or written is reported on one line (its path and the reason) and skipped; the others\n"
    "are still translated. Two inputs that would write the same output are refused first.\n"
    "\n"
    "Exit status: 0 every image translated; 1 an image failed (the rest were done), or\n"
    "the model, input or output folder could not be used, or two inputs have one output\n"
    "name; 2 invalid command line.";

/* Memory per pixel of an image being translated: decoded (3 bytes), the result resized back
 * (3) and its encoding (at most about 3), with room for the resizing's work rows. --full-res
 * adds the network at the image's size (or a tile's), which generator_prepare checks. With
 * --bit-depth 16: samples of two bytes, and the resizing works on float planes. */
#define TRANSLATE_PIXEL_BYTES 12
#define TRANSLATE_PIXEL_BYTES_16 (2 * TRANSLATE_PIXEL_BYTES + 6 * sizeof(float))

typedef struct {
    const char *model, *input, *output, *format, *device, *tile, *precision, *pairs, *tune;
    int quality, eval, full_res, threads, quiet, verbose, overlap, stats_passes, bit_depth,
        recursive, skip_existing, fp16;
    uint64_t seed, max_pixels;
} translate_opts;

/* --pairs: none (NULL), A or B. */
static pair_half pair_half_of(const char *pairs)
{
    return !pairs ? PAIR_WHOLE : !strcmp(pairs, "A") ? PAIR_A : PAIR_B;
}

/* --tile: "auto" (0) or a side; -1 when neither. */
static int parse_tile(const char *s)
{
    if (!strcmp(s, "auto"))
        return 0;
    char *end;
    long v = strtol(s, &end, 10);
    return *s && !*end && v >= 1 && v <= 65536 ? (int)v : -1;
}

static int check_opts(const translate_opts *o)
{
    const char *bad = !o->model || !o->input || !o->output
                          ? "--model, --input and --output are required"
                      : o->quality < 1 || o->quality > 100 ? "--quality must be in 1..100"
                      : o->max_pixels < 1 || o->max_pixels > (uint64_t)LLONG_MAX
                          ? "--max-pixels must be at least 1"
                      : parse_tile(o->tile) < 0 ? "--tile must be auto or a side in pixels"
                      : o->overlap < 0 ? "--overlap must be at least 0"
                      : o->stats_passes < 0 ? "--stats-passes must be at least 0"
                      : o->bit_depth != 8 && o->bit_depth != 16 ? "--bit-depth must be 8 or 16"
                      : o->bit_depth == 16 && !strcmp(o->format, "jpg")
                          ? "--bit-depth 16 needs --format png (JPEG has 8 bits)"
                          : NULL;
    if (bad)
        fprintf(stderr, "pix2pix translate: %s\n", bad);
    return bad ? 2 : 0;
}

/* The model file opens (it is read again for each device): checked before the devices are
 * opened, whose choice may print a note, so that a wrong --model gets only its error. */
static int check_model(const char *path)
{
    st_file *f = model_file_open(path);
    if (!f) {
        text_line(stderr, "pix2pix translate: %s", eng_last_error());
        return -1;
    }
    st_close(f);
    return 0;
}

static void print_stats(const translate_worker *w, int nw, int n, const translate_stats *st)
{
    double busy = 0;
    for (int k = 0; k < nw; k++)
        busy += st->compute_s[k];
    double wall = st->wall_s > 0 ? st->wall_s : 1e-9;
    fprintf(stderr,
            "translate: %d image%s in %.2f s (%.2f images/s); compute busy %.2f s (%.0f%% of "
            "the time%s); on their own threads: decoding %.2f s, encoding and writing %.2f s "
            "(two threads, summed)\n",
            n, n == 1 ? "" : "s", st->wall_s, n / wall, busy, 100.0 * busy / nw / wall,
            nw > 1 ? " on each device, on average" : "", st->load_s, st->save_s);
    for (int k = 0; nw > 1 && k < nw; k++)
        fprintf(stderr, "translate: %s: %d image%s, busy %.2f s (%.0f%%)\n",
                eng_backend_name(w[k].r->be), st->images[k], st->images[k] == 1 ? "" : "s",
                st->compute_s[k], 100.0 * st->compute_s[k] / wall);
}

/* One generator per device; each worker's share of its device's memory (several workers on
 * one device, the CPU ones on the host's memory, divide it). */
static int open_workers(const translate_opts *o, const translate_options *base,
                        eng_backend **be, int nb, generator *gens, translate_worker *w)
{
    char err[512];
    for (int k = 0; k < nb; k++) {
        if (generator_open(&gens[k], o->model, be[k], o->eval, o->seed, err, sizeof err)) {
            text_line(stderr, "pix2pix translate: %s", err);
            while (k > 0)
                generator_close(&gens[--k]);
            return -1;
        }
        gens[k].fp16 = o->fp16;
        int tile = parse_tile(o->tile), stride = gen_stride(&gens[k].cfg);
        int size = tile > 0 ? (tile + stride - 1) / stride * stride : gens[k].image_size;
        if (!strcmp(o->tune, "auto") &&
            net_tune_auto("translate", be[k], &gens[k].cfg, NULL, 1, size, size, 0, o->fp16)) {
            while (k >= 0)
                generator_close(&gens[k--]);
            return -1;
        }
        int same = 0;
        for (int j = 0; j < nb; j++)
            same += !strcmp(eng_backend_name(be[j]), eng_backend_name(be[k]));
        w[k] = (translate_worker){&gens[k], *base};
        w[k].opts.budget_share = 1.0 / same;
    }
    return 0;
}

/* This rank's share of the list (all of it in a job of one): the images that failed. */
static int translate_share_of(const translate_opts *o, const translate_worker *w, int nb,
                              const translate_list *l)
{
    translate_settings ts = {!strcmp(o->format, "jpg"), o->quality,
                             IMAGE_KEEP_GRAY | IMAGE_KEEP_ALPHA |
                                 (o->bit_depth == 16 ? IMAGE_KEEP_16BIT : 0),
                             o->quiet, (long long)o->max_pixels, dist_rank(), dist_size(),
                             pair_half_of(o->pairs)};
    int mine = translate_share(&ts, l->n);
    translate_stats st;
    if (translate_files(w, nb, &ts, l->inputs, l->outputs, l->n, &st)) {
        fprintf(stderr, "pix2pix translate: out of memory\n");
        return mine;
    }
    if (o->verbose && st.failed < mine)
        print_stats(w, nb, mine, &st);
    return st.failed;
}

/* The end of a summary line: the inputs left out, and why. */
static void print_left_out(int existing, int in_output)
{
    if (existing)
        printf(" (%d left out: their outputs exist)", existing);
    if (in_output)
        printf(" (%d image%s in the output folder, inside --input, left out)", in_output,
               in_output == 1 ? "" : "s");
    printf("\n");
}

/* Under mpirun each rank translates its share of the list (files r, r + N, ...) on its
 * device(s), each image with the masks of its position, so that the outputs are those of one
 * process; rank 0 reports the total. The exit status (the same on every rank) is 1 when a
 * file failed on any. */
static int translate_all(const translate_opts *o, const translate_list *l)
{
    char err[512], spec[32];
    eng_backend *be[TRANSLATE_MAX_WORKERS];
    generator gens[TRANSLATE_MAX_WORKERS];
    translate_worker w[TRANSLATE_MAX_WORKERS];
    const char *device;
    int threads, nb = -1;
    if (dist_join(err, sizeof err) == 0) {
        dist_device(o->device, o->threads, &device, &threads, spec, sizeof spec);
        nb = app_backends_open(device, threads, o->quiet, be, TRANSLATE_MAX_WORKERS, err,
                               sizeof err);
    }
    if (nb < 0)
        text_line(stderr, "pix2pix translate: %s", err);
    translate_options base = {.full_res = o->full_res || strcmp(o->tile, "auto"),
                              .tile = parse_tile(o->tile), .overlap = o->overlap,
                              .stats_passes = o->stats_passes, .keep = 1,
                              .depth = o->bit_depth, .verbose = o->verbose,
                              .tile_progress = !o->quiet && l->n == 1 && dist_size() == 1};
    if (nb < 0 || open_workers(o, &base, be, nb, gens, w)) {
        while (nb > 0)
            eng_backend_free(be[--nb]);
        if (dist_size() > 1)
            dist_abort(1);
        return 1;
    }
    dist_barrier(); /* every rank has its list (--skip-existing) before any writes */
    int failed = translate_share_of(o, w, nb, l);
    dist_sum_int(&failed, 1);
    if (dist_rank() == 0) {
        printf("translated %d of %d image%s into ", l->n - failed, l->n, l->n == 1 ? "" : "s");
        text_escape(stdout, o->output);
        print_left_out(l->existing, l->in_output);
    }
    for (int k = 0; k < nb; k++) {
        generator_close(&gens[k]);
        eng_backend_free(be[k]);
    }
    dist_leave();
    return failed ? 1 : 0;
}

int cmd_translate(int argc, char **argv)
{
    static const char *const formats[] = {"png", "jpg", NULL}, *const halves[] = {"A", "B", NULL};
    static const cli_choices format_choices = {formats, NULL, NULL};
    static const cli_choices pairs_choices = {halves, NULL, NULL};
    translate_opts o = {.format = "png", .device = app_default_device(), .tile = "auto",
                        .precision = "fp32", .tune = NET_TUNE_DEFAULT,
                        .quality = 95, .overlap = TILE_DEFAULT_OVERLAP, .stats_passes = 1,
                        .bit_depth = 8,
                        .max_pixels = IMAGE_DEFAULT_MAX_PIXELS};
    const cli_opt opts[] = {
        {"model", CLI_STR, &o.model, "generator file: .safetensors, or a PyTorch .pth state_dict"},
        {"input", CLI_STR, &o.input, "an image file or a folder of images"},
        {"output", CLI_STR, &o.output, "folder for the results (same base names)"},
        {"recursive", CLI_FLAG, &o.recursive,
         "also the subfolders of --input, mirrored in --output (not --output itself, when it "
         "is one of them: its images are said to be left out)"},
        {"skip-existing", CLI_FLAG, &o.skip_existing,
         "leave out the inputs whose output is a complete image (decoded to check; anything "
         "else there is made again): resumes a batch"},
        {"format", CLI_CHOICE, CLI_CHOICE_OF(o.format, format_choices), "of the results"},
        {"pairs", CLI_CHOICE, CLI_CHOICE_OF(o.pairs, pairs_choices),
         "the inputs are aligned A|B pairs (A left, B right, as in a dataset): translate "
         "their A or their B half"},
        {"quality", CLI_INT, &o.quality, "JPEG quality 1..100"},
        {"bit-depth", CLI_INT, &o.bit_depth,
         "8 | 16: bits per sample of the results (16: PNG; 16-bit inputs read at 16 bits)"},
        {"eval", CLI_FLAG, &o.eval, "BatchNorm running statistics and no dropout"},
        {"seed", CLI_U64, &o.seed, "dropout seed (without --eval)"},
        {"full-res", CLI_FLAG, &o.full_res,
         "run at the image's own resolution (mirror-padded to the network stride)"},
        {"tile", CLI_STR, &o.tile,
         "auto | N: with --full-res, overlapping tiles of N x N (implies --full-res); auto: "
         "tiles only when the whole image would not fit the device's memory"},
        {"overlap", CLI_INT, &o.overlap,
         "least overlap of the tiles in pixels (rounded up to the tile alignment)"},
        {"stats-passes", CLI_INT, &o.stats_passes,
         "tiles without --eval: refinement passes of the whole image's normalisation "
         "statistics (each costs a pass over the tiles; see the guide)"},
        {"device", CLI_STR, &o.device, APP_DEVICE_HELP "; a list (vulkan:0,cpu) shares the "
                                       "images out among the devices"},
        {"precision", CLI_CHOICE, CLI_CHOICE_OF(o.precision, cli_precision_choices),
         APP_PRECISION_HELP},
        {"tune", CLI_CHOICE, CLI_CHOICE_OF(o.tune, cli_tune_choices),
         NET_TUNE_HELP "; at the model's size, or at --tile's"},
        {"threads", CLI_INT, &o.threads,
         "CPU threads of each cpu device (0: all cores, shared among the cpu devices)"},
        {"max-pixels", CLI_U64, &o.max_pixels,
         "larger images (width x height) are refused before decoding"},
        {"quiet", CLI_FLAG, &o.quiet, "no progress display"},
        {"verbose", CLI_FLAG, &o.verbose,
         "print images/s, how busy the compute was (per device), decoding and encoding times, "
         "the tiles of each tiled image"},
    };
    const cli_spec spec = {"translate", usage, summary, opts, (int)(sizeof opts / sizeof *opts), 0};
    int status = cli_exit_status(cli_parse(&spec, argc, argv, NULL, NULL));
    if (status >= 0)
        return status;
    if (check_opts(&o) || (o.fp16 = app_precision_parse("translate", o.precision)) < 0)
        return 2;
    if (app_cap_threads("translate", "--threads", &o.threads))
        return 2;
    if (check_model(o.model))
        return 1;
    app_cap_by_memory("translate", "--max-pixels", &o.max_pixels,
                      o.bit_depth == 16 ? TRANSLATE_PIXEL_BYTES_16 : TRANSLATE_PIXEL_BYTES,
                      "pixel");
    if (fs_mkdirs(o.output)) {
        text_line(stderr, "%s: %s", o.output, strerror(errno));
        return 1;
    }
    translate_list l;
    if (translate_list_make(&l, o.input, o.output, o.format, o.recursive, o.skip_existing,
                            (long long)o.max_pixels))
        return 1;
    if (l.n == 0) {
        printf("nothing to translate into ");
        text_escape(stdout, o.output);
        printf(": the outputs of all %d images exist", l.existing);
        print_left_out(0, l.in_output);
        translate_list_free(&l);
        return 0;
    }
    if (!o.pairs && !o.quiet &&
        pair_half_looks_aligned(l.inputs, l.n, (long long)o.max_pixels))
        fprintf(stderr, "note: the images of %s are twice as wide as high, as aligned A|B pairs "
                "are: each is translated whole; --pairs A (or B) translates its A (or B) half\n",
                o.input);
    status = translate_all(&o, &l);
    translate_list_free(&l);
    return status;
}
