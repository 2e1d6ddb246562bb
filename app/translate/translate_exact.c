/* Exact tiles for a U-Net normalised with its input's statistics (batch norm without --eval,
 * instance norm). Blocks deep in a U-Net see much of the image (the innermost one all of a
 * tile), so tiles with whole-image statistics still differ from the untiled run there. The
 * network is cut at the block of depth k (networks.h, unet_part) where the image's map, at
 * 1/2^(k-1) of its side, can be held whole, with all the network inside it (middle_fits):
 *  1. the encoder (the down path above block k) runs on tiles; its normalisation layers take
 *     the whole image's statistics, gathered over tiles without overlap as in
 *     translate_tiled.c (each pass makes one more layer exact);
 *  2. the encoder runs on windows: each an interior with a halo of context around it (none
 *     at the padded image's edges, which the windows never pass), and the interior of its
 *     output is put into the whole image's map at block k's input;
 *  3. the middle (block k and all inside it) runs once on that map: its layers normalise with
 *     the map's own statistics, exactly as the untiled run, and its dropout masks are those
 *     of the untiled run (same shapes, same layers);
 *  4. the decoder (the blocks above k, whose skips it recomputes from the image) gathers the
 *     statistics of its up path's layers over tiles without overlap, one more exact each pass,
 *     with the middle's output in block k's place; then it runs on the windows and the
 *     interior of each is the output.
 * Exact up to the statistics' tile borders (where the convolutions of step 1 and 4 see
 * padding) and rounding. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app/common/progress.h"
#include "app/common/tensor_image.h"
#include "app/translate/tiles.h"
#include "app/translate/translate.h"
#include "app/translate/translate_budget.h"

#define HALO_CELLS 4 /* the halo, in pixels of block k's input */
/* Exact tiles take no more memory than this image untiled, as --tile auto's largest tiles
 * (1024) bound the others': about 2.3 GB with a unet_256. Larger images get the other tiles. */
#define EXACT_MAX_SIDE 2048

/* Windows of side size over a padded length, with interiors [lo, hi) that partition it. */
typedef struct {
    int n, size;
    int *origin, *lo, *hi;
} window_axis;

typedef struct {
    generator *r;
    const image *in;
    int k, a;            /* split depth; a = 2^(k-1), the side of one pixel of block k's map */
    int hp, wp;          /* the padded image */
    int cin, cout, cmid; /* channels of the image, the output, block k's input */
    window_axis wx, wy;
    window_axis gx, gy;  /* tiles without overlap, for the statistics */
    float *x, *y;        /* one tile's input and output (the largest of both kinds) */
    float *mid_in;       /* block k's input, whole: cmid x hp/a x wp/a */
    float *mid_out;      /* the middle's output, whole: 2 cmid x hp/a x wp/a */
    float *crop;         /* the middle's output at one tile */
    progress prog;       /* over every run of every part */
    char phase[48];      /* the progress line's label */
    long done, count;    /* runs of the phase */
} exact;

static int round_up(int v, int m)
{
    return (v + m - 1) / m * m;
}

static void window_axis_free(window_axis *a)
{
    free(a->origin);
    free(a->lo);
    free(a->hi);
    memset(a, 0, sizeof *a);
}

/* Room for most windows. 0 or -1 (out of memory). */
static int window_axis_alloc(window_axis *a, int most)
{
    memset(a, 0, sizeof *a);
    a->origin = malloc(sizeof *a->origin * (size_t)most);
    a->lo = malloc(sizeof *a->lo * (size_t)most);
    a->hi = malloc(sizeof *a->hi * (size_t)most);
    if (a->origin && a->lo && a->hi)
        return 0;
    window_axis_free(a);
    return -1;
}

/* Windows of side tile (or one of the whole length) whose interiors keep halo from every
 * window edge that is not the length's. 0, or -1 (out of memory). */
static int window_axis_plan(window_axis *a, int length, int tile, int halo)
{
    if (window_axis_alloc(a, length / (tile - 2 * halo) + 2))
        return -1;
    a->size = tile < length ? tile : length;
    a->origin[0] = a->lo[0] = 0;
    a->hi[0] = tile < length ? tile - halo : length;
    for (a->n = 1; a->hi[a->n - 1] < length; a->n++) {
        int at = a->hi[a->n - 1], last = at + tile - halo >= length;
        a->origin[a->n] = last ? length - tile : at - halo;
        a->lo[a->n] = at;
        a->hi[a->n] = last ? length : at + tile - 2 * halo;
    }
    return 0;
}

/* Tiles without overlap of the largest side at most tile that divides length and is a
 * multiple of stride (both lengths are): each position counted once, none past the length. */
static int window_axis_partition(window_axis *a, int length, int tile, int stride)
{
    int side = tile < length ? tile / stride * stride : length;
    while (length % side)
        side -= stride;
    if (window_axis_alloc(a, length / side))
        return -1;
    a->size = side;
    for (a->n = 0; a->n * side < length; a->n++) {
        a->origin[a->n] = a->lo[a->n] = a->n * side;
        a->hi[a->n] = a->lo[a->n] + side;
    }
    return 0;
}

/* Copies a c-plane box of w x h at (x0, y0) of src (planes of sw x sh) to dst at (x1, y1)
 * (planes of dw x dh). */
static void copy_box(const float *src, int sw, int sh, int x0, int y0, float *dst, int dw,
                     int dh, int x1, int y1, int c, int w, int h)
{
    for (int p = 0; p < c; p++)
        for (int y = 0; y < h; y++)
            memcpy(dst + ((size_t)p * dh + y1 + y) * dw + x1,
                   src + ((size_t)p * sh + y0 + y) * sw + x0, sizeof *dst * (size_t)w);
}

static void phase(exact *e, long count, const char *label)
{
    snprintf(e->phase, sizeof e->phase, "%s", label);
    e->done = 0;
    e->count = count;
}

/* One part on the tile of w x h at (x0, y0): the decoder with the middle's output there. */
static int run_part(exact *e, unet_part part, int x0, int y0, int w, int h,
                    const norm_stats *use, norm_stats *seen, char *err, size_t errlen)
{
    int a = e->a;
    image_region_to_tensor(e->in, e->cin, x0, y0, w, h, e->x);
    if (part == UNET_DECODER)
        copy_box(e->mid_out, e->wp / a, e->hp / a, x0 / a, y0 / a, e->crop, w / a, h / a, 0, 0,
                 2 * e->cmid, w / a, h / a);
    int rc = generator_run_part(e->r, part, e->x, h, w, e->crop, use, seen, e->y, err, errlen);
    progress_add(&e->prog, 1, e->phase, ++e->done, e->count, NULL);
    return rc;
}

/* Statistics of layers [done, nlayers) of a part, one more exact each pass over the tiles
 * without overlap (from est, whose layers before done are exact already); measure: the first
 * pass with the run's own statistics (no layer before done). */
static int gather(exact *e, unet_part part, norm_stats *est, int done, int measure, char *err,
                  size_t errlen)
{
    norm_stats seen;
    if (generator_part_stats_init(e->r, part, &seen)) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    int rc = 0;
    for (int l = done; l < est->nlayers && !rc; l++) {
        char label[48];
        snprintf(label, sizeof label, "%s statistics %d/%d",
                 part == UNET_ENCODER ? "encoder" : "decoder", l - done + 1, est->nlayers - done);
        phase(e, (long)e->gx.n * e->gy.n, label);
        norm_stats_clear(&seen);
        const norm_stats *use = measure && l == done ? NULL : est;
        for (int j = 0; j < e->gy.n && !rc; j++)
            for (int i = 0; i < e->gx.n && !rc; i++)
                rc = run_part(e, part, e->gx.origin[i], e->gy.origin[j], e->gx.size, e->gy.size,
                              use, &seen, err, errlen);
        norm_stats_copy_layers(est, &seen, l + 1);
    }
    norm_stats_free(&seen);
    return rc;
}

/* Steps 1 and 2: block k's input for the whole image, into e->mid_in. */
static int encode(exact *e, norm_stats *enc, char *err, size_t errlen)
{
    int a = e->a, mw = e->wp / a, mh = e->hp / a, tw = e->wx.size / a, th = e->wy.size / a;
    if (gather(e, UNET_ENCODER, enc, 0, 1, err, errlen))
        return -1;
    const norm_stats *use = enc->nlayers ? enc : NULL;
    phase(e, (long)e->wx.n * e->wy.n, "encoder");
    for (int j = 0; j < e->wy.n; j++)
        for (int i = 0; i < e->wx.n; i++) {
            int ox = e->wx.origin[i], oy = e->wy.origin[j];
            if (run_part(e, UNET_ENCODER, ox, oy, e->wx.size, e->wy.size, use, NULL, err,
                         errlen))
                return -1;
            copy_box(e->y, tw, th, (e->wx.lo[i] - ox) / a, (e->wy.lo[j] - oy) / a, e->mid_in,
                     mw, mh, e->wx.lo[i] / a, e->wy.lo[j] / a, e->cmid,
                     (e->wx.hi[i] - e->wx.lo[i]) / a, (e->wy.hi[j] - e->wy.lo[j]) / a);
        }
    return 0;
}

/* Step 4: the output, a row of windows at a time through a band of the image's width. */
static int decode(exact *e, norm_stats *dec, int nenc, image *out, char *err, size_t errlen)
{
    if (gather(e, UNET_DECODER, dec, nenc, 0, err, errlen))
        return -1;
    int w = e->in->width, rows = e->wy.size;
    float *band = malloc(sizeof *band * (size_t)e->cout * rows * w);
    if (!band) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    int rc = 0;
    phase(e, (long)e->wx.n * e->wy.n, "tiles");
    for (int j = 0; j < e->wy.n && !rc && e->wy.lo[j] < e->in->height; j++) {
        int oy = e->wy.origin[j], lo = e->wy.lo[j], hi = e->wy.hi[j];
        hi = hi < e->in->height ? hi : e->in->height;
        for (int i = 0; i < e->wx.n && !rc && e->wx.lo[i] < w; i++) {
            int ox = e->wx.origin[i], xl = e->wx.lo[i], xh = e->wx.hi[i] < w ? e->wx.hi[i] : w;
            rc = run_part(e, UNET_DECODER, ox, oy, e->wx.size, e->wy.size, dec, NULL, err,
                          errlen);
            if (!rc)
                copy_box(e->y, e->wx.size, e->wy.size, xl - ox, lo - oy, band, w, rows, xl, 0,
                         e->cout, xh - xl, hi - lo);
        }
        if (!rc)
            tensor_rows_to_image(band, e->cout, (size_t)rows * w, w, hi - lo, out, lo);
    }
    free(band);
    return rc;
}

/* The floats of one window's input and output, and of the middle's output at one window. */
static void window_floats(const gen_config *c, int k, size_t px, size_t *x, size_t *y,
                          size_t *crop)
{
    size_t cells = px >> (2 * (k - 1)), cmid = (size_t)unet_block_channels(c, k);
    size_t out = px * (size_t)c->output_nc, enc = cells * cmid; /* the decoder's, the encoder's */
    *x = px * (size_t)c->input_nc;
    *y = out > enc ? out : enc;
    *crop = cells * 2 * cmid;
}

/* What the cuts must fit in: the memory budget, and no more than the image, or one of
 * EXACT_MAX_SIDE, would take untiled; and the plan of one window's network (0: unknown). */
static double exact_limit(generator *r, int hp, int wp, int tile, const translate_options *o,
                          size_t *window)
{
    char err[256];
    int sh = hp < EXACT_MAX_SIDE ? hp : EXACT_MAX_SIDE;
    int sw = wp < EXACT_MAX_SIDE ? wp : EXACT_MAX_SIDE;
    *window = generator_plan_bytes(r, tile < hp ? tile : hp, tile < wp ? tile : wp, err,
                                   sizeof err);
    double untiled = (double)generator_plan_bytes(r, sh, sw, err, sizeof err);
    double budget = translate_memory_available(r, o->budget_share) / TRANSLATE_BUDGET_MARGIN;
    return untiled < budget ? untiled : budget;
}

/* Whether the cut at block k fits limit (exact_limit): the larger plan of the middle and of
 * one window's network, beside the whole map in and out and a window's buffers
 * (translate_exact); with o->split_bytes (tests), whether the map in is within it. */
static int middle_fits(generator *r, int k, int hp, int wp, int tile, const translate_options *o,
                       size_t window, double limit)
{
    int a = 1 << (k - 1), th = tile < hp ? tile : hp, tw = tile < wp ? tile : wp;
    double map = 4.0 * (hp / a) * (wp / a) * unet_block_channels(&r->cfg, k);
    if (o->split_bytes > 0)
        return map <= (double)o->split_bytes;
    size_t middle = generator_middle_bytes(r, k, hp, wp), x, y, crop;
    window_floats(&r->cfg, k, (size_t)th * tw, &x, &y, &crop);
    double plans = (double)(middle > window ? middle : window);
    return middle && window && plans + 3 * map + 4.0 * (double)(x + y + crop) <= limit;
}

int translate_exact_split(generator *r, int h, int w, int tile, const translate_options *o)
{
    const gen_config *c = &r->cfg;
    int stride = gen_stride(c), hp = round_up(h, stride), wp = round_up(w, stride);
    if (c->family != GEN_UNET || !generator_needs_stats(r))
        return 0;
    size_t window = 0;
    double limit = o->split_bytes > 0 ? 0 : exact_limit(r, hp, wp, tile, o, &window);
    /* Dropout (blocks 5 and deeper) stays in the middle: its masks follow the map's shape. */
    for (int k = 2; k <= c->depth && k <= 5; k++) {
        int a = 1 << (k - 1);
        if (middle_fits(r, k, hp, wp, tile, o, window, limit)) /* windows need some interior */
            return tile >= 2 * HALO_CELLS * a + a ? k : 0;
    }
    return 0;
}

int translate_exact(generator *r, const image *in, const translate_options *o, int tile, int k,
                    image *out, char *err, size_t errlen)
{
    int stride = gen_stride(&r->cfg);
    exact e = {.r = r, .in = in, .k = k, .a = 1 << (k - 1), .cin = r->cfg.input_nc,
               .cout = r->cfg.output_nc, .cmid = unet_block_channels(&r->cfg, k)};
    e.hp = round_up(in->height, stride);
    e.wp = round_up(in->width, stride);
    norm_stats enc = {0}, dec = {0};
    int rc = -1, halo = HALO_CELLS * e.a;
    r->split = k;
    if (window_axis_plan(&e.wx, e.wp, tile, halo) || window_axis_plan(&e.wy, e.hp, tile, halo) ||
        window_axis_partition(&e.gx, e.wp, tile, stride) ||
        window_axis_partition(&e.gy, e.hp, tile, stride) ||
        generator_part_stats_init(r, UNET_ENCODER, &enc) ||
        generator_part_stats_init(r, UNET_DECODER, &dec)) {
        snprintf(err, errlen, "out of memory");
        goto done;
    }
    int tx = e.wx.size > e.gx.size ? e.wx.size : e.gx.size;
    int ty = e.wy.size > e.gy.size ? e.wy.size : e.gy.size;
    size_t map = (size_t)(e.hp / e.a) * (e.wp / e.a), x, y, crop;
    window_floats(&r->cfg, k, (size_t)tx * ty, &x, &y, &crop);
    e.x = malloc(sizeof *e.x * x);
    e.y = malloc(sizeof *e.y * y);
    e.crop = malloc(sizeof *e.crop * crop);
    e.mid_in = malloc(sizeof *e.mid_in * map * e.cmid);
    e.mid_out = malloc(sizeof *e.mid_out * map * 2 * e.cmid);
    if (!e.x || !e.y || !e.crop || !e.mid_in || !e.mid_out) {
        snprintf(err, errlen, "out of memory for %dx%d tiles", tx, ty);
        goto done;
    }
    if (o->verbose)
        fprintf(stderr, "translate: %dx%d exactly in %dx%d windows of %dx%d (halo %d), the "
                "U-Net cut at block %d (its %dx%d input whole)\n", in->width, in->height,
                e.wx.n, e.wy.n, e.wx.size, e.wy.size, halo, k, e.wp / e.a, e.hp / e.a);
    long windows = (long)e.wx.n * e.wy.n, tiles = (long)e.gx.n * e.gy.n;
    progress_init(&e.prog, "tile", 2 * windows + 1 + (dec.nlayers) * tiles, !o->tile_progress);
    rc = encode(&e, &enc, err, errlen) ||
         generator_run_part(r, UNET_MIDDLE, e.mid_in, e.hp / e.a, e.wp / e.a, NULL, NULL, NULL,
                            e.mid_out, err, errlen);
    if (!rc) {
        progress_add(&e.prog, 1, "middle", 1, 1, NULL);
        norm_stats_copy_layers(&dec, &enc, enc.nlayers);
        rc = decode(&e, &dec, enc.nlayers, out, err, errlen);
    }
    progress_end(&e.prog);
done:
    r->split = 0;
    window_axis_free(&e.wx);
    window_axis_free(&e.wy);
    window_axis_free(&e.gx);
    window_axis_free(&e.gy);
    norm_stats_free(&enc);
    norm_stats_free(&dec);
    free(e.x);
    free(e.y);
    free(e.crop);
    free(e.mid_in);
    free(e.mid_out);
    return rc ? -1 : 0;
}
