/* Translation at full resolution in overlapping tiles, blended (app/translate/tiles.h), with the image
 * held as pixels and the output built in a band of tile rows: memory grows with the tile and
 * the image's width, not with its area in floats.
 *
 * A network whose normalisation uses the statistics of its input (batch norm without --eval,
 * instance norm) must not see each tile's own: that gives seams and colour shifts. Every tile
 * is normalised with statistics of the whole image instead, gathered over tiles that do not
 * overlap (each pixel counted once; overlaps counted twice bias them):
 *  1. every tile runs with its own statistics, and what each normalisation layer sees is
 *     combined over all the tiles: exact for the first layer (its input does not depend on
 *     any normalisation), an estimate for the later ones, whose inputs were normalised per
 *     tile upstream;
 *  2. refinement passes (--stats-passes): every tile runs normalised with the current
 *     estimate; after pass k (from 0) the layers up to k + 1 are exact, since everything
 *     upstream of them was, and only those are replaced (replacing all makes the estimate
 *     oscillate); a network of L normalisation layers is exact after L - 1 passes;
 *  3. the overlapping tiles run normalised with the estimate and are blended.
 * "Exact" up to the tiles' borders, where the convolutions see padding instead of the
 * neighbouring pixels. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app/common/progress.h"
#include "app/common/tensor_image.h"
#include "app/translate/tiles.h"
#include "app/translate/translate.h"

typedef struct {
    generator *r;
    const image *in;
    tile_axis ax, ay; /* the overlapping tiles of the output */
    tile_axis gx, gy; /* tiles without overlap, for the statistics */
    int cin, cout;
    float *x, *y;     /* one tile's input and output */
    float *band;      /* cout planes of ay.size rows x the image's width, from a tile row's top */
    progress prog;    /* over every tile of every pass */
    char phase[48];   /* the progress line's label */
} tiler;

static int run_tile(tiler *t, const tile_axis *ax, const tile_axis *ay, int i, int j,
                    const norm_stats *use, norm_stats *seen, char *err, size_t errlen)
{
    image_region_to_tensor(t->in, t->cin, ax->origin[i], ay->origin[j], ax->size, ay->size, t->x);
    int rc = generator_run_stats(t->r, t->x, ay->size, ax->size, use, seen, t->y, err, errlen);
    progress_add(&t->prog, 1, t->phase, (long)j * ax->n + i + 1, (long)ax->n * ay->n, NULL);
    return rc;
}

/* Adds tile (i, j)'s output, weighted, to the band (which starts at the tile's row). */
static void blend(tiler *t, int i, int j)
{
    int tw = t->ax.size, th = t->ay.size, ox = t->ax.origin[i], w = t->in->width;
    int cols = w - ox < tw ? w - ox : tw, rows = t->in->height - t->ay.origin[j];
    rows = rows < th ? rows : th;
    const float *wx = t->ax.weight + (size_t)i * tw, *wy = t->ay.weight + (size_t)j * th;
    for (int c = 0; c < t->cout; c++)
        for (int y = 0; y < rows; y++) {
            const float *src = t->y + ((size_t)c * th + y) * tw;
            float *dst = t->band + ((size_t)c * th + y) * w + ox;
            for (int x = 0; x < cols; x++)
                dst[x] += wy[y] * wx[x] * src[x];
        }
}

/* Writes the band's first `done` rows (no later tile reaches them) to out from row y0, and
 * moves the rest up. */
static void flush_band(tiler *t, int done, int y0, image *out)
{
    int th = t->ay.size, w = t->in->width;
    size_t plane = (size_t)th * w;
    tensor_rows_to_image(t->band, t->cout, plane, w, done, out, y0);
    for (int c = 0; c < t->cout; c++) {
        float *p = t->band + c * plane;
        memmove(p, p + (size_t)done * w, sizeof *p * (plane - (size_t)done * w));
        memset(p + plane - (size_t)done * w, 0, sizeof *p * (size_t)done * w);
    }
}

static int final_pass(tiler *t, const norm_stats *use, image *out, char *err, size_t errlen)
{
    memset(t->band, 0, sizeof *t->band * (size_t)t->cout * t->ay.size * t->in->width);
    snprintf(t->phase, sizeof t->phase, "tiles");
    for (int j = 0; j < t->ay.n; j++) {
        for (int i = 0; i < t->ax.n; i++) {
            if (run_tile(t, &t->ax, &t->ay, i, j, use, NULL, err, errlen))
                return -1;
            blend(t, i, j);
        }
        int next = j + 1 < t->ay.n ? t->ay.origin[j + 1] : t->in->height;
        flush_band(t, next - t->ay.origin[j], t->ay.origin[j], out);
    }
    return 0;
}

/* Every pixel counted once: the tiles without overlap. */
static int gather_pass(tiler *t, const norm_stats *use, norm_stats *seen, char *err,
                       size_t errlen)
{
    for (int j = 0; j < t->gy.n; j++)
        for (int i = 0; i < t->gx.n; i++)
            if (run_tile(t, &t->gx, &t->gy, i, j, use, seen, err, errlen))
                return -1;
    return 0;
}

static int run_with_stats(tiler *t, int passes, image *out, char *err, size_t errlen)
{
    norm_stats est, seen;
    int rc = -1;
    if (generator_stats_init(t->r, &est)) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    if (generator_stats_init(t->r, &seen)) {
        snprintf(err, errlen, "out of memory");
    } else {
        snprintf(t->phase, sizeof t->phase, "statistics 1/%d", passes + 1);
        rc = gather_pass(t, NULL, &est, err, errlen);
        for (int k = 0; k < passes && !rc; k++) {
            snprintf(t->phase, sizeof t->phase, "statistics %d/%d", k + 2, passes + 1);
            norm_stats_clear(&seen);
            rc = gather_pass(t, &est, &seen, err, errlen);
            norm_stats_copy_layers(&est, &seen, k + 2);
        }
        rc = rc || final_pass(t, &est, out, err, errlen);
    }
    norm_stats_free(&est);
    norm_stats_free(&seen);
    return rc ? -1 : 0;
}

int translate_tiled(generator *r, const image *in, const translate_options *o, int tile,
                    image *out, char *err, size_t errlen)
{
    int split = translate_exact_split(r, in->height, in->width, tile, o);
    if (split)
        return translate_exact(r, in, o, tile, split, out, err, errlen);
    int stride = gen_stride(&r->cfg), align = tile_alignment(stride, tile);
    int ov = tile_overlap(o->overlap, tile, align), least = gen_min_side(&r->cfg);
    tiler t = {.r = r, .in = in, .cin = r->cfg.input_nc, .cout = r->cfg.output_nc};
    int rc = -1;
    if (tile_axis_plan(&t.ax, in->width, tile, ov, align, stride, least) ||
        tile_axis_plan(&t.ay, in->height, tile, ov, align, stride, least) ||
        tile_axis_partition(&t.gx, in->width, tile, stride, least) ||
        tile_axis_partition(&t.gy, in->height, tile, stride, least)) {
        snprintf(err, errlen, "out of memory");
        goto done;
    }
    size_t px = (size_t)t.ax.size * t.ay.size;
    t.x = malloc(sizeof *t.x * px * t.cin);
    t.y = malloc(sizeof *t.y * px * t.cout);
    t.band = malloc(sizeof *t.band * (size_t)t.cout * t.ay.size * in->width);
    if (!t.x || !t.y || !t.band) {
        snprintf(err, errlen, "out of memory for %dx%d tiles", t.ax.size, t.ay.size);
        goto done;
    }
    int stats = generator_needs_stats(r);
    if (o->verbose)
        fprintf(stderr, "translate: %dx%d in %dx%d tiles of %dx%d, overlap %d (origins on "
                "multiples of %d)", in->width, in->height, t.ax.n, t.ay.n, t.ax.size, t.ay.size,
                ov, align);
    if (o->verbose && stats)
        fprintf(stderr, "; the whole image's normalisation statistics (%d refinement pass%s)",
                o->stats_passes, o->stats_passes == 1 ? "" : "es");
    if (o->verbose)
        fprintf(stderr, "\n");
    long tiles = (long)t.ax.n * t.ay.n;
    if (stats)
        tiles += (long)(o->stats_passes + 1) * t.gx.n * t.gy.n;
    progress_init(&t.prog, "tile", tiles, !o->tile_progress);
    rc = stats ? run_with_stats(&t, o->stats_passes, out, err, errlen)
               : final_pass(&t, NULL, out, err, errlen);
    progress_end(&t.prog);
done:
    tile_axis_free(&t.ax);
    tile_axis_free(&t.ay);
    tile_axis_free(&t.gx);
    tile_axis_free(&t.gy);
    free(t.x);
    free(t.y);
    free(t.band);
    return rc;
}
