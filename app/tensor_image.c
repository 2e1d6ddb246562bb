#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "app/tensor_image.h"

void image_to_tensor(const image *img, int channels, float *dst)
{
    size_t plane = (size_t)img->width * img->height;
    for (size_t i = 0; i < plane; i++) {
        const uint8_t *px = img->pixels + i * (size_t)img->channels;
        if (channels == 1) {
            unsigned luma = img->channels >= 3
                                ? (px[0] * 19595u + px[1] * 38470u + px[2] * 7471u + 0x8000u) >> 16
                                : px[0];
            dst[i] = ((float)luma / 255.0f - 0.5f) / 0.5f;
        } else {
            for (int c = 0; c < 3; c++) {
                uint8_t v = img->channels >= 3 ? px[c] : px[0];
                dst[(size_t)c * plane + i] = ((float)v / 255.0f - 0.5f) / 0.5f;
            }
        }
    }
}

static uint8_t to_byte(float x)
{
    float v = (x + 1.0f) * 0.5f * 255.0f;
    if (!(v > 0.0f)) /* also NaN */
        return 0;
    if (v >= 255.0f)
        return 255;
    return (uint8_t)lrintf(v);
}

int tensor_to_image(const float *src, int channels, int height, int width, image *out)
{
    size_t plane = (size_t)width * height;
    out->width = width;
    out->height = height;
    out->channels = 3;
    out->pixels = malloc(plane * 3);
    if (!out->pixels)
        return -1;
    for (size_t i = 0; i < plane; i++)
        for (int c = 0; c < 3; c++)
            out->pixels[i * 3 + c] = to_byte(src[(size_t)(channels == 1 ? 0 : c) * plane + i]);
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
    dst->pixels = malloc(plane * 3);
    if (dst->pixels)
        for (size_t i = 0; i < plane; i++)
            dst->pixels[3 * i] = dst->pixels[3 * i + 1] = dst->pixels[3 * i + 2] = gray.pixels[i];
    image_free(&gray);
    return dst->pixels ? 0 : -1;
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

void tensor_reflect_pad(const float *src, int channels, int h, int w, float *dst, int H, int W)
{
    for (int c = 0; c < channels; c++)
        for (int y = 0; y < H; y++) {
            const float *row = src + ((size_t)c * h + mirror(y, h)) * w;
            float *out = dst + ((size_t)c * H + y) * W;
            for (int x = 0; x < W; x++)
                out[x] = row[mirror(x, w)];
        }
}

void tensor_crop(const float *src, int channels, int H, int W, float *dst, int h, int w)
{
    for (int c = 0; c < channels; c++)
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++)
                dst[((size_t)c * h + y) * w + x] = src[((size_t)c * H + y) * W + x];
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
