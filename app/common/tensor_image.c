#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app/common/tensor_image.h"

static unsigned sample(const image *img, size_t i)
{
    return img->depth == 16 ? ((const uint16_t *)img->pixels)[i] : img->pixels[i];
}

/* The colour of pixel i as image_load would give it (alpha composited on white with the
 * decoder's rounding, grey replicated), in samples of 0..max. */
static void pixel_rgb(const image *img, size_t i, unsigned max, unsigned rgb[3])
{
    int colours = img->channels >= 3 ? 3 : 1, alpha = !(img->channels & 1);
    size_t at = i * (size_t)img->channels;
    uint64_t a = alpha ? sample(img, at + (size_t)colours) : max;
    for (int c = 0; c < 3; c++) {
        uint64_t s = sample(img, at + (size_t)(c < colours ? c : 0));
        rgb[c] = alpha ? (unsigned)((s * a + (uint64_t)max * (max - a) + max / 2) / max)
                       : (unsigned)s;
    }
}

/* Pixel i as network values: luma (channels 1) or RGB, in [-1, 1]. */
static void pixel_values(const image *img, size_t i, int channels, float *v)
{
    unsigned max = img->depth == 16 ? 65535u : 255u, rgb[3];
    pixel_rgb(img, i, max, rgb);
    if (channels == 1) {
        uint64_t luma = img->channels >= 3
                            ? ((uint64_t)rgb[0] * 19595u + (uint64_t)rgb[1] * 38470u +
                               (uint64_t)rgb[2] * 7471u + 0x8000u) >> 16
                            : rgb[0];
        v[0] = ((float)luma / (float)max - 0.5f) / 0.5f;
        return;
    }
    for (int c = 0; c < 3; c++)
        v[c] = ((float)rgb[c] / (float)max - 0.5f) / 0.5f;
}

int image_flatten_rgb8(const image *img, image *rgb)
{
    if (img->depth == 16 || image_alloc(rgb, img->width, img->height, 3))
        return -1;
    size_t n = (size_t)img->width * img->height;
    unsigned v[3];
    for (size_t i = 0; i < n; i++) {
        pixel_rgb(img, i, 255u, v);
        for (int c = 0; c < 3; c++)
            rgb->pixels[3 * i + c] = (uint8_t)v[c];
    }
    return 0;
}

/* Index of a mirror reflection (edge not repeated) for any i >= 0. */
static int mirror(int i, int n)
{
    if (n == 1)
        return 0;
    int period = 2 * (n - 1);
    i %= period;
    return i < n ? i : period - i;
}

void image_region_to_tensor(const image *img, int channels, int x0, int y0, int w, int h,
                            float *dst)
{
    size_t plane = (size_t)w * h;
    float v[3];
    for (int y = 0; y < h; y++) {
        size_t row = (size_t)mirror(y0 + y, img->height) * img->width;
        for (int x = 0; x < w; x++) {
            pixel_values(img, row + (size_t)mirror(x0 + x, img->width), channels, v);
            for (int c = 0; c < channels; c++)
                dst[(size_t)c * plane + (size_t)y * w + x] = v[c];
        }
    }
}

/* A network value in [-1, 1] as a sample of 0..max, rounded and clipped (NaN gives 0). */
static unsigned to_sample(float x, unsigned max)
{
    float v = (x + 1.0f) * 0.5f * (float)max;
    if (!(v > 0.0f))
        return 0;
    if (v >= (float)max)
        return max;
    return (unsigned)lrintf(v);
}

void tensor_rows_to_image(const float *src, int channels, size_t plane, int stride, int rows,
                          image *out, int y0)
{
    int colours = out->channels >= 3 ? 3 : 1, deep = out->depth == 16;
    unsigned max = deep ? 65535u : 255u;
    for (int y = 0; y < rows; y++)
        for (int x = 0; x < out->width; x++) {
            size_t at = ((size_t)(y0 + y) * out->width + x) * out->channels;
            for (int c = 0; c < colours; c++) {
                unsigned v = to_sample(src[(size_t)(channels == 1 ? 0 : c) * plane +
                                           (size_t)y * stride + x], max);
                if (deep)
                    ((uint16_t *)out->pixels)[at + c] = (uint16_t)v;
                else
                    out->pixels[at + c] = (uint8_t)v;
            }
        }
}

void image_copy_alpha(const image *src, image *out)
{
    size_t n = (size_t)src->width * src->height;
    int from = src->channels - 1, to = out->channels - 1;
    for (size_t i = 0; i < n; i++) {
        unsigned a = sample(src, i * src->channels + from);
        if (src->depth == 16 && out->depth != 16)
            out->pixels[i * out->channels + to] = (uint8_t)((a * 255u + 32767u) / 65535u);
        else if (src->depth != 16 && out->depth == 16)
            ((uint16_t *)out->pixels)[i * out->channels + to] = (uint16_t)(a * 257u);
        else if (out->depth == 16)
            ((uint16_t *)out->pixels)[i * out->channels + to] = (uint16_t)a;
        else
            out->pixels[i * out->channels + to] = (uint8_t)a;
    }
}

int tensor_to_image(const float *src, int channels, int height, int width, image *out)
{
    if (image_alloc(out, width, height, 3))
        return -1;
    tensor_rows_to_image(src, channels, (size_t)width * height, width, height, out, 0);
    return 0;
}

int image_luma_rgb(const image *src, image *dst)
{
    image gray = {0};
    if (image_to_gray(src, &gray))
        return -1;
    size_t plane = (size_t)src->width * src->height;
    dst->width = src->width;
    dst->height = src->height;
    dst->channels = 3;
    dst->depth = 8;
    dst->pixels = malloc(plane * 3);
    if (dst->pixels)
        for (size_t i = 0; i < plane; i++)
            dst->pixels[3 * i] = dst->pixels[3 * i + 1] = dst->pixels[3 * i + 2] = gray.pixels[i];
    image_free(&gray);
    return dst->pixels ? 0 : -1;
}

int tensor_save_png(const char *path, const float *src, int channels, int height, int width,
                    char *err, size_t errlen)
{
    image img;
    if (tensor_to_image(src, channels, height, width, &img)) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    int rc = image_save_png(path, &img, err, errlen);
    image_free(&img);
    return rc;
}
