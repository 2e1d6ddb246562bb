/* translate at full resolution in tiles (app/translate/translate_tiled.c, translate_exact.c,
 * app/translate/tiles.c), measured:
 * - the tile layout: origins on the alignment, overlaps at least the asked one, blending
 *   weights summing to 1 at every pixel and ramping to near 0 at a tile's inner edges;
 * - on a 1024x1024 image of four unlike quarters, with the unet_5 fixture (batch norm) and the
 *   ResNet fixture (instance norm), --tile 256 against the untiled result: mean difference at
 *   most 2 levels of 255, and the mean gradient across the tile boundaries at most 1.2 times
 *   the mean gradient elsewhere; tiles translated one by one with their own statistics (what
 *   the tiling avoids) are further off, and on the ResNet show seams;
 * - exact tiles of the unet_5 fixture with batch statistics, cut at every depth it can be:
 *   mean difference at most 0.6 levels, which translate_tiled's tiles (1.2) do not reach;
 * - --tile auto: untiled (byte for byte) when the budget holds the image, tiles when it does
 *   not; the plan size estimate within 15% of the plan built;
 * - translate of one image in tiles shows its progress over the tiles of each pass (none with
 *   --quiet). */
#include <stdlib.h>
#include <string.h>

#include "app/cli/commands.h"
#include "datasets/image.h"

#include "app/translate/tiles.h"
#include "app/translate/translate.h"
#include "app_test.h"
#include "engine/engine.h"

#define SIDE 1024
#define TILE 256

/* Colours and textures that change across the image (smooth, so that a seam would stand
 * out), so that a tile's own statistics differ from the image's. */
static void make_picture(image *img)
{
    image_alloc(img, SIDE, SIDE, 3);
    for (int y = 0; y < SIDE; y++)
        for (int x = 0; x < SIDE; x++) {
            uint8_t *p = img->pixels + ((size_t)y * SIDE + x) * 3;
            double u = (double)x / SIDE, v = (double)y / SIDE;
            double texture = 40 * u * v * sin(x * 0.15) * sin(y * 0.11);
            double c[3] = {128 + 110 * sin(6.0 * u + 1.0) + texture,
                           128 + 100 * cos(5.0 * v) - texture, 30 + 200 * u * v};
            if (hypot(x - 700.0, y - 300.0) < 150) /* a disc of another colour */
                c[0] = 250, c[1] = 240, c[2] = 20;
            for (int k = 0; k < 3; k++)
                p[k] = (uint8_t)(c[k] < 0 ? 0 : c[k] > 255 ? 255 : c[k]);
        }
}

static void check_layout(int length, int tile, int overlap, int stride)
{
    int align = tile_alignment(stride, tile), ov = tile_overlap(overlap, tile, align);
    tile_axis a;
    CHECK(tile_axis_plan(&a, length, tile, ov, align, stride, stride) == 0, "plan");
    double worst_sum = 0, worst_edge = 0;
    for (int x = 0; x < length; x++) {
        double sum = 0;
        for (int k = 0; k < a.n; k++)
            if (x >= a.origin[k] && x < a.origin[k] + a.size)
                sum += a.weight[(size_t)k * a.size + x - a.origin[k]];
        worst_sum = fmax(worst_sum, fabs(sum - 1));
    }
    for (int k = 0; k < a.n; k++) {
        int after = k == 0 ? a.origin[k] == 0 : a.origin[k] > a.origin[k - 1];
        CHECK(a.origin[k] % align == 0 && after, "origin %d of %d: %d (align %d)", k, a.n,
              a.origin[k], align);
        if (k > 0) {
            CHECK(a.origin[k - 1] + a.size - a.origin[k] >= ov, "overlap of tiles %d, %d", k - 1,
                  k);
            worst_edge = fmax(worst_edge, a.weight[(size_t)k * a.size]);
        }
        if (k < a.n - 1)
            worst_edge = fmax(worst_edge, a.weight[(size_t)k * a.size + a.size - 1]);
    }
    CHECK(a.origin[a.n - 1] + a.size >= length, "the tiles end at %d < %d",
          a.origin[a.n - 1] + a.size, length);
    CHECK(a.size % stride == 0, "tile side %d", a.size);
    CHECK(worst_sum < 1e-5 && worst_edge < 0.05, "length %d tile %d: weights sum to 1 +- %g, "
          "%g at an inner edge", length, tile, worst_sum, worst_edge);
    tile_axis_free(&a);
}

static double mean_diff(const image *a, const image *b)
{
    double s = 0;
    size_t n = (size_t)a->width * a->height * a->channels;
    for (size_t i = 0; i < n; i++)
        s += fabs((double)a->pixels[i] - b->pixels[i]);
    return s / n;
}

/* Mean |difference| of neighbours across the lines in bound (1: between positions i - 1 and
 * i) over that of all other neighbours, along both axes. */
static double seam_ratio(const image *img, const char *bound)
{
    double across = 0, elsewhere = 0;
    long na = 0, ne = 0;
    int w = img->width, c = img->channels;
    for (int y = 0; y < img->height; y++)
        for (int x = 0; x < w; x++)
            for (int k = 0; k < c; k++) {
                double v = img->pixels[((size_t)y * w + x) * c + k];
                if (x > 0) {
                    double g = fabs(v - img->pixels[((size_t)y * w + x - 1) * c + k]);
                    across += bound[x] ? g : 0, elsewhere += bound[x] ? 0 : g;
                    na += bound[x], ne += !bound[x];
                }
                if (y > 0) {
                    double g = fabs(v - img->pixels[((size_t)(y - 1) * w + x) * c + k]);
                    across += bound[y] ? g : 0, elsewhere += bound[y] ? 0 : g;
                    na += bound[y], ne += !bound[y];
                }
            }
    return (across / na) / (elsewhere / ne);
}

/* The lines where a tile starts or ends, and the middles of the overlaps. */
static void tile_bounds(int stride, char *bound)
{
    int align = tile_alignment(stride, TILE), ov = tile_overlap(-1, TILE, align);
    tile_axis a;
    tile_axis_plan(&a, SIDE, TILE, ov, align, stride, stride);
    memset(bound, 0, SIDE);
    for (int k = 1; k < a.n; k++) {
        int end = a.origin[k - 1] + a.size;
        bound[a.origin[k]] = 1;
        if (end < SIDE)
            bound[end] = 1;
        bound[(a.origin[k] + end) / 2] = 1;
    }
    tile_axis_free(&a);
}

/* The naive tiling: each 256 x 256 block translated alone (its own statistics), stitched. */
static void naive_tiles(generator *r, const image *in, image *out)
{
    char err[512];
    image_alloc(out, SIDE, SIDE, 3);
    translate_options o = {.full_res = 1, .tile = TILE};
    for (int by = 0; by < SIDE; by += TILE)
        for (int bx = 0; bx < SIDE; bx += TILE) {
            image block, res;
            image_alloc(&block, TILE, TILE, 3);
            for (int y = 0; y < TILE; y++)
                memcpy(block.pixels + (size_t)y * TILE * 3,
                       in->pixels + ((size_t)(by + y) * SIDE + bx) * 3, TILE * 3);
            CHECK(translate_image(r, &block, &o, &res, err, sizeof err) == 0, "%s", err);
            for (int y = 0; y < TILE && res.pixels; y++)
                memcpy(out->pixels + ((size_t)(by + y) * SIDE + bx) * 3,
                       res.pixels + (size_t)y * TILE * 3, TILE * 3);
            image_free(&block);
            image_free(&res);
        }
}

static int open_model(generator *r, eng_backend *be, const char *name, int eval)
{
    char path[1024], err[512];
    snprintf(path, sizeof path, "%s/%s", FIXTURE_DIR, name);
    int rc = generator_open(r, path, be, eval, 0, err, sizeof err);
    CHECK(rc == 0, "%s", err);
    return rc;
}

/* The lines between the naive tiling's blocks. */
static void block_bounds(char *bound)
{
    memset(bound, 0, SIDE);
    for (int x = TILE; x < SIDE; x += TILE)
        bound[x] = 1;
}

/* What the naive tiling must fail: the difference, and the seams too. */
enum { NAIVE_DIFF = 1, NAIVE_SEAMS = 2 };

/* Untiled and --tile 256 results of one model (passes < 0: refinement passes enough for exact
 * statistics); naive: what the naive tiling must fail. */
static void check_seams(eng_backend *be, const image *in, const char *model, int eval,
                        int passes, int naive)
{
    char err[512], bound[SIDE];
    generator r;
    if (open_model(&r, be, model, eval))
        return;
    norm_stats layers;
    CHECK(generator_stats_init(&r, &layers) == 0, "stats");
    passes = passes >= 0 ? passes : layers.nlayers - 1;
    norm_stats_free(&layers);
    image whole = {0}, tiled = {0}, alone = {0};
    translate_options untiled = {.full_res = 1, .tile = SIDE};
    translate_options tiles = {.full_res = 1, .tile = TILE, .overlap = -1, .stats_passes = passes};
    CHECK(translate_image(&r, in, &untiled, &whole, err, sizeof err) == 0, "%s", err);
    CHECK(translate_image(&r, in, &tiles, &tiled, err, sizeof err) == 0, "%s", err);
    tile_bounds(gen_stride(&r.cfg), bound);
    if (whole.pixels && tiled.pixels) {
        double d = mean_diff(&whole, &tiled), s = seam_ratio(&tiled, bound);
        printf("%s%s, tiles of %d, %d refinement passes: mean |tiled - untiled| %.3f of 255, "
               "gradient across the tile boundaries / elsewhere %.3f (untiled: %.3f)\n", model,
               eval ? " --eval" : "", TILE, passes, d, s, seam_ratio(&whole, bound));
        CHECK(d <= 2.0 && s <= 1.2, "%s: difference %.3f, seam ratio %.3f", model, d, s);
    }
    if (naive && whole.pixels) {
        naive_tiles(&r, in, &alone);
        block_bounds(bound);
        double d = mean_diff(&whole, &alone), s = seam_ratio(&alone, bound);
        printf("%s, blocks of %d translated alone: mean difference %.3f, seam ratio %.3f "
               "(untiled: %.3f)\n", model, TILE, d, s, seam_ratio(&whole, bound));
        CHECK(d > 2.0 && (s > 1.2 || !(naive & NAIVE_SEAMS)),
              "the naive tiling passes: difference %.3f, seam ratio %.3f", d, s);
    }
    image_free(&whole);
    image_free(&tiled);
    image_free(&alone);
    generator_close(&r);
}

/* Exact tiles of a U-Net with batch statistics (translate_exact.c): at every depth the fixture
 * can be cut at (the budget of the map held whole halved until the cut moves), --tile 256 is
 * the untiled result up to the statistics' tile borders; the tiles of translate_tiled (no
 * budget fits) are further off. */
#define EXACT_DIFF 0.6
static void check_exact(eng_backend *be, const image *in)
{
    char err[512];
    generator r;
    if (open_model(&r, be, "unet5_g.safetensors", 0))
        return;
    image whole = {0};
    translate_options untiled = {.full_res = 1, .tile = SIDE};
    CHECK(translate_image(&r, in, &untiled, &whole, err, sizeof err) == 0, "%s", err);
    int last = 0, deepest = 0;
    for (long long budget = 16 << 20; budget >= 1 && whole.pixels; budget /= 2) {
        translate_options o = {.full_res = 1, .tile = TILE, .overlap = -1, .stats_passes = 1,
                               .split_bytes = budget};
        int k = translate_exact_split(&r, SIDE, SIDE, TILE, &o);
        if (k == last)
            continue;
        image tiled = {0};
        CHECK(translate_image(&r, in, &o, &tiled, err, sizeof err) == 0, "%s", err);
        if (tiled.pixels) {
            double d = mean_diff(&whole, &tiled);
            printf("unet5_g.safetensors, tiles of %d, %s: mean |tiled - untiled| %.3f of 255\n",
                   TILE, k ? "exact" : "translate_tiled", d);
            if (k) {
                CHECK(d <= EXACT_DIFF, "cut at block %d: difference %.3f", k, d);
                /* the windows' interiors meet every TILE - 2 halo from TILE - halo on (the
                 * halo: translate_exact.c's 4 cells of block k's input) */
                char bound[SIDE] = {0};
                int halo = 4 << (k - 1), step = TILE - 2 * halo;
                for (int x = TILE - halo; step > 0 && x < SIDE; x += step)
                    bound[x] = 1;
                double sr = seam_ratio(&tiled, bound);
                printf("    gradient across the windows' borders / elsewhere %.3f\n", sr);
                CHECK(sr <= 1.2, "cut at block %d: seam ratio %.3f", k, sr);
            } else
                CHECK(d > EXACT_DIFF, "translate_tiled's tiles as close as exact: %.3f", d);
        }
        image_free(&tiled);
        deepest = k > deepest ? k : deepest;
        last = k;
    }
    CHECK(last == 0 && deepest >= 4, "cut at most at block %d, then %d", deepest, last);
    image_free(&whole);
    generator_close(&r);
}

/* --tile auto against budget shares: all of it (the image fits: untiled), a quarter of the
 * untiled plan (tiles). */
static void check_auto(eng_backend *be, const image *in)
{
    char err[512];
    generator r;
    if (open_model(&r, be, "unet5_g.safetensors", 0))
        return;
    size_t estimate = generator_plan_bytes(&r, SIDE, SIDE, err, sizeof err);
    image whole = {0}, fit = {0}, small = {0};
    translate_options untiled = {.full_res = 1, .tile = SIDE};
    CHECK(translate_image(&r, in, &untiled, &whole, err, sizeof err) == 0, "%s", err);
    size_t built = generator_current_bytes(&r);
    printf("plan for %dx%d: estimated %.1f MiB, built %.1f MiB\n", SIDE, SIDE,
           estimate / 1048576.0, built / 1048576.0);
    CHECK(fabs((double)estimate - built) <= 0.15 * built, "estimate %zu, plan %zu", estimate,
          built);
    double budget = (double)eng_backend_memory_budget(be);
    CHECK(budget > 0, "no memory budget on %s", eng_backend_name(be));
    translate_options o = {.full_res = 1, .overlap = -1, .stats_passes = 1, .budget_share = 1.0};
    CHECK(translate_image(&r, in, &o, &fit, err, sizeof err) == 0, "%s", err);
    CHECK(fit.pixels && whole.pixels && !memcmp(fit.pixels, whole.pixels, (size_t)SIDE * SIDE * 3),
          "--tile auto with the image fitting differs from the untiled result");
    /* A new generator: auto counts the current plan (the untiled one) as free memory. */
    generator_close(&r);
    if (open_model(&r, be, "unet5_g.safetensors", 0))
        return;
    o.budget_share = 0.25 * built / budget;
    o.verbose = 1;
    o.split_bytes = 1; /* translate_tiled's tiles, which differ from the whole image's */
    CHECK(translate_image(&r, in, &o, &small, err, sizeof err) == 0, "%s", err);
    double d = small.pixels && whole.pixels ? mean_diff(&small, &whole) : 1e9;
    printf("--tile auto in a quarter of the untiled plan's memory: mean difference %.3f\n", d);
    CHECK(d > 0 && d <= 2.0, "tiles in a small budget: difference %.3f", d);
    image_free(&whole);
    image_free(&fit);
    image_free(&small);
    generator_close(&r);
}

/* The progress line of a translate in tiles: every part complete (1024 in exact tiles of 256
 * over the stride-32 U-Net, cut at block 2: 5 x 5 windows of the encoder, the middle once, 5 x 5
 * of the decoder), and nothing of it with --quiet. */
static void check_tile_progress(const image *in)
{
    char dir[] = "/tmp/p2p_tileprog_XXXXXX", path[64], out[64], err[256];
    if (!mkdtemp(dir))
        return;
    snprintf(path, sizeof path, "%s/in.png", dir);
    snprintf(out, sizeof out, "%s/out", dir);
    CHECK(image_save_png(path, in, err, sizeof err) == 0, "%s", err);
    char *args[] = {"translate", "--model", FIXTURE_DIR "/unet5_g.safetensors", "--input", path,
                    "--output", out, "--full-res", "--tile", "256", "--device", "cpu",
                    "--threads", "2", NULL, NULL};
    CHECK(run_captured(cmd_translate, args) == 0, "translate: %s", out_text);
    CHECK(strstr(out_text, "encoder 25/25") && strstr(out_text, "middle 1/1") &&
              strstr(out_text, "tiles 25/25"),
          "no progress over the tiles in: %s", out_text);
    args[14] = "--quiet";
    CHECK(run_captured(cmd_translate, args) == 0, "translate --quiet: %s", out_text);
    CHECK(!strstr(out_text, "tile/s"), "--quiet shows tile progress: %s", out_text);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    CHECK(system(cmd) == 0, "cannot remove %s", dir);
}

int main(void)
{
    check_layout(1024, 256, 32, 32);
    check_layout(1000, 256, 32, 32);
    check_layout(8192, 1024, 32, 256);
    check_layout(700, 64, 32, 4);
    check_layout(300, 256, 32, 256);
    eng_backend *be = eng_cpu_backend_new(2);
    image in;
    make_picture(&in);
    check_seams(be, &in, "unet5_g.safetensors", 1, 1, 0);
    /* This U-Net's output is rough enough that the naive tiling's steps hide in it. */
    check_seams(be, &in, "unet5_g.safetensors", 0, 1, NAIVE_DIFF);
    check_seams(be, &in, "resnet2_g.safetensors", 1, -1, NAIVE_DIFF | NAIVE_SEAMS);
    check_exact(be, &in);
    check_auto(be, &in);
    check_tile_progress(&in);
    image_free(&in);
    eng_backend_free(be);
    return test_result("translate tiles");
}
