/* get_params / get_transform of the reference (pytorch-CycleGAN-and-pix2pix base_dataset.py). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "datasets/preprocess.h"
#include "rng.h"

static int has_resize(preprocess_mode m)
{
    return m == PREPROCESS_RESIZE_AND_CROP;
}

static int has_scale_width(preprocess_mode m)
{
    return m == PREPROCESS_SCALE_WIDTH || m == PREPROCESS_SCALE_WIDTH_AND_CROP;
}

static int has_crop(preprocess_mode m)
{
    return m == PREPROCESS_RESIZE_AND_CROP || m == PREPROCESS_CROP ||
           m == PREPROCESS_SCALE_WIDTH_AND_CROP;
}

/* __scale_width: width to load_size, height int(max(load * h / w, crop)), unless the width
 * already matches and the height is at least crop_size. */
static void scale_width_size(const preprocess_opts *o, int *w, int *h)
{
    if (*w == o->load_size && *h >= o->crop_size)
        return;
    double q = (double)o->load_size * *h / *w;
    *h = (int)(q > o->crop_size ? q : o->crop_size);
    *w = o->load_size;
}

/* __make_power_2 with base 4: Python's round() (half to even) of the side / 4, times 4. */
static int round_to_4(int v)
{
    return (int)rint(v / 4.0) * 4;
}

int preprocess_output_size(const preprocess_opts *o, int w, int h, int *out_w, int *out_h)
{
    if (w <= 0 || h <= 0)
        return -1;
    if (has_resize(o->mode))
        w = h = o->load_size;
    else if (has_scale_width(o->mode))
        scale_width_size(o, &w, &h);
    if (has_crop(o->mode) && (w > o->crop_size || h > o->crop_size))
        w = h = o->crop_size;
    if (o->mode == PREPROCESS_NONE) {
        w = round_to_4(w);
        h = round_to_4(h);
    }
    if (w <= 0 || h <= 0)
        return -1;
    *out_w = w;
    *out_h = h;
    return 0;
}

void preprocess_draw_params(const preprocess_opts *o, int w, int h, uint64_t rng_state,
                            preprocess_params *p)
{
    int new_w = w, new_h = h;
    if (o->mode == PREPROCESS_RESIZE_AND_CROP) {
        new_w = new_h = o->load_size;
    } else if (o->mode == PREPROCESS_SCALE_WIDTH_AND_CROP) {
        new_w = o->load_size;
        new_h = (int)((long long)o->load_size * h / w);
    }
    int range_x = new_w - o->crop_size > 0 ? new_w - o->crop_size : 0;
    int range_y = new_h - o->crop_size > 0 ? new_h - o->crop_size : 0;
    p->crop_x = (int)rng_below(&rng_state, (uint64_t)range_x + 1);
    p->crop_y = (int)rng_below(&rng_state, (uint64_t)range_y + 1);
    p->flip = rng_unit(&rng_state) > 0.5;
}

int image_crop(const image *src, int x, int y, int w, int h, image *dst)
{
    if (image_alloc(dst, w, h, src->channels))
        return -1;
    int c = src->channels;
    memset(dst->pixels, 0, (size_t)w * h * c);
    int x0 = x < 0 ? 0 : x, x1 = x + w < src->width ? x + w : src->width;
    for (int yy = 0; yy < h; yy++) {
        int sy = y + yy;
        if (sy < 0 || sy >= src->height || x1 <= x0)
            continue;
        memcpy(dst->pixels + ((size_t)yy * w + (x0 - x)) * c,
               src->pixels + ((size_t)sy * src->width + x0) * c, (size_t)(x1 - x0) * c);
    }
    return 0;
}

static void flip_horizontal(image *img)
{
    int c = img->channels;
    for (int y = 0; y < img->height; y++) {
        uint8_t *row = img->pixels + (size_t)y * img->width * c;
        for (int a = 0, b = img->width - 1; a < b; a++, b--)
            for (int k = 0; k < c; k++) {
                uint8_t t = row[a * c + k];
                row[a * c + k] = row[b * c + k];
                row[b * c + k] = t;
            }
    }
}

/* Replaces *cur by next, freeing the previous one unless it is the caller's source. */
static void advance(image *cur, image *next, const image *src)
{
    if (cur->pixels != src->pixels)
        image_free(cur);
    *cur = *next;
}

int preprocess_apply(const preprocess_opts *o, const preprocess_params *p, const image *src,
                     int gray, image *dst)
{
    image cur = *src, next;
    if (gray) {
        if (image_to_gray(&cur, &next))
            goto fail;
        advance(&cur, &next, src);
    }
    int w = cur.width, h = cur.height;
    if (has_resize(o->mode))
        w = h = o->load_size;
    else if (has_scale_width(o->mode))
        scale_width_size(o, &w, &h);
    if (o->mode == PREPROCESS_NONE) {
        w = round_to_4(w);
        h = round_to_4(h);
    }
    if (w <= 0 || h <= 0)
        goto fail;
    if (w != cur.width || h != cur.height) {
        if (image_resize_bicubic(&cur, w, h, &next))
            goto fail;
        advance(&cur, &next, src);
    }
    if (has_crop(o->mode) && (cur.width > o->crop_size || cur.height > o->crop_size)) {
        if (image_crop(&cur, p->crop_x, p->crop_y, o->crop_size, o->crop_size, &next))
            goto fail;
        advance(&cur, &next, src);
    }
    if (cur.pixels == src->pixels) {
        if (image_alloc(&next, cur.width, cur.height, cur.channels))
            goto fail;
        memcpy(next.pixels, cur.pixels, (size_t)cur.width * cur.height * cur.channels);
        cur = next;
    }
    if (!o->no_flip && p->flip)
        flip_horizontal(&cur);
    *dst = cur;
    return 0;
fail:
    if (cur.pixels != src->pixels)
        image_free(&cur);
    dst->pixels = NULL;
    return -1;
}

void preprocess_to_float(const image *img, float *out)
{
    size_t n = (size_t)img->width * img->height;
    int c = img->channels;
    for (int k = 0; k < c; k++)
        for (size_t i = 0; i < n; i++)
            out[k * n + i] = ((float)img->pixels[i * c + k] / 255.0f - 0.5f) / 0.5f;
}
