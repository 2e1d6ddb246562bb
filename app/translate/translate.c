#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app/common/tensor_image.h"
#include "app/translate/translate.h"
#include "app/translate/translate_budget.h"
#include "engine/engine.h"

/* --tile auto never picks larger tiles: beyond, the overlap saves little (its share of a
 * 1024 tile is a few percent on most networks) and memory grows with the square. */
#define AUTO_TILE_MAX 1024

static int round_up(int v, int m)
{
    return (v + m - 1) / m * m;
}

/* The network on the w x h region at the image's origin (mirror-padded past its edges); the
 * rows and columns inside the image go to out. */
static int run_whole(generator *r, const image *in, int h, int w, image *out, char *err,
                     size_t errlen)
{
    int cin = r->cfg.input_nc, cout = r->cfg.output_nc;
    size_t plane = (size_t)h * w;
    /* The network first: its memory check counts these buffers. */
    if (generator_prepare(r, h, w, sizeof(float) * (size_t)(cin + cout) * plane, err, errlen))
        return -1;
    float *x = malloc(sizeof *x * plane * cin), *y = malloc(sizeof *y * plane * cout);
    int rc = -1;
    if (!x || !y) {
        snprintf(err, errlen, "out of memory for a %dx%d image", w, h);
    } else {
        image_region_to_tensor(in, cin, 0, 0, w, h, x);
        rc = generator_run(r, x, h, w, y, err, errlen);
        if (!rc)
            tensor_rows_to_image(y, cout, plane, w, in->height, out, 0);
    }
    free(x);
    free(y);
    return rc;
}

/* The colours of an RGB image into out (one channel: the first of three equal ones). */
static void copy_colours(const image *rgb, image *out)
{
    size_t n = (size_t)rgb->width * rgb->height;
    int colours = out->channels >= 3 ? 3 : 1;
    for (size_t i = 0; i < n; i++)
        memcpy(out->pixels + i * out->channels, rgb->pixels + 3 * i, (size_t)colours);
}

/* Resized to the model's size and back, 8 bits, PIL's rounding after every resize (as the
 * reference: these are its results). */
static int run_resized8(generator *r, const image *in, image *out, char *err, size_t errlen)
{
    int s = r->image_size, rc = -1;
    image flat = {0}, small = {0}, result = {0}, back = {0};
    if (image_flatten_rgb8(in, &flat) || image_resize_bicubic(&flat, s, s, &small)) {
        snprintf(err, errlen, "cannot resize to %dx%d", s, s);
    } else if (image_alloc(&result, s, s, 3)) {
        snprintf(err, errlen, "out of memory");
    } else if (!run_whole(r, &small, s, s, &result, err, errlen)) {
        if (image_resize_bicubic(&result, in->width, in->height, &back)) {
            snprintf(err, errlen, "cannot resize back to %dx%d", in->width, in->height);
        } else {
            copy_colours(&back, out);
            rc = 0;
        }
    }
    image_free(&flat);
    image_free(&small);
    image_free(&result);
    image_free(&back);
    return rc;
}

/* The same in floats, for 16-bit inputs or results. */
static int run_resized_f32(generator *r, const image *in, image *out, char *err,
                           size_t errlen)
{
    int s = r->image_size, w = in->width, h = in->height;
    int cin = r->cfg.input_nc, cout = r->cfg.output_nc, rc = -1;
    size_t big = (size_t)w * h * (cin > cout ? cin : cout), small = (size_t)s * s * 3;
    float *whole = malloc(sizeof *whole * big), *x = malloc(sizeof *x * small);
    float *y = malloc(sizeof *y * small);
    if (!whole || !x || !y) {
        snprintf(err, errlen, "out of memory for a %dx%d image", w, h);
    } else {
        image_region_to_tensor(in, cin, 0, 0, w, h, whole);
        if (image_resize_bicubic_f32(whole, cin, w, h, x, s, s) ||
            generator_run(r, x, s, s, y, err, errlen) ||
            image_resize_bicubic_f32(y, cout, s, s, whole, w, h)) {
            if (!err[0])
                snprintf(err, errlen, "out of memory resizing %dx%d", w, h);
        } else {
            tensor_rows_to_image(whole, cout, (size_t)w * h, w, h, out, 0);
            rc = 0;
        }
    }
    free(whole);
    free(x);
    free(y);
    return rc;
}

/* What a plan of h x w and its host buffers (input and output floats) would take. */
static double footprint(generator *r, int h, int w, char *err, size_t errlen)
{
    size_t plan = generator_plan_bytes(r, h, w, err, errlen);
    size_t host = sizeof(float) * (size_t)h * w * (r->cfg.input_nc + r->cfg.output_nc);
    return plan ? TRANSLATE_BUDGET_MARGIN * (double)(plan + host) : 0;
}

/* 0 when the padded h x w image fits the memory budget; else the side of the largest square
 * tile (a multiple of the stride, at most AUTO_TILE_MAX) that does; -1 with a reason when not
 * even the smallest does. */
static int auto_tile(generator *r, int h, int w, double share, char *err, size_t errlen)
{
    double need = footprint(r, h, w, err, errlen), avail = translate_memory_available(r, share);
    if (need <= 0)
        return -1;
    if (need <= avail)
        return 0;
    int stride = gen_stride(&r->cfg), least = round_up(gen_min_side(&r->cfg), stride);
    int side = h > w ? h : w, t = (side < AUTO_TILE_MAX ? side : AUTO_TILE_MAX) / stride * stride;
    for (; t >= least; t -= stride)
        if ((need = footprint(r, t, t, err, errlen)) <= avail)
            return t;
    snprintf(err, errlen, "not enough memory for even a %dx%d tile: about %.0f MiB needed, "
             "%.0f MiB available", least, least, need / 1048576.0, avail / 1048576.0);
    return -1;
}

static int run_full_res(generator *r, const image *in, const translate_options *o, image *out,
                        char *err, size_t errlen)
{
    int stride = gen_stride(&r->cfg), least = gen_min_side(&r->cfg);
    int h = round_up(in->height, stride), w = round_up(in->width, stride);
    h = h < least ? least : h;
    w = w < least ? least : w;
    int tile = o->tile > 0 ? round_up(o->tile < least ? least : o->tile, stride)
                           : auto_tile(r, h, w, o->budget_share, err, errlen);
    if (tile < 0)
        return -1;
    if (tile && (h > tile || w > tile))
        return translate_tiled(r, in, o, tile, out, err, errlen);
    return run_whole(r, in, h, w, out, err, errlen);
}

int translate_image(generator *r, const image *in, const translate_options *o, image *out,
                    char *err, size_t errlen)
{
    int alpha = o->keep && !(in->channels & 1), deep = o->depth == 16;
    int colours = o->keep ? r->cfg.output_nc : 3;
    err[0] = '\0';
    if (image_alloc_depth(out, in->width, in->height, colours + alpha, deep ? 16 : 8)) {
        snprintf(err, errlen, "out of memory for a %dx%d result", in->width, in->height);
        return -1;
    }
    int rc = o->full_res ? run_full_res(r, in, o, out, err, errlen)
             : deep || in->depth == 16 ? run_resized_f32(r, in, out, err, errlen)
                                       : run_resized8(r, in, out, err, errlen);
    if (rc)
        image_free(out);
    else if (alpha)
        image_copy_alpha(in, out);
    return rc;
}
