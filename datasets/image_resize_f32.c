/* PIL's bicubic filter on float planes, for samples finer than 8 bits: the weights of
 * image_resize.c, no rounding between or after the passes. */
#include <stdlib.h>
#include <string.h>

#include "image_internal.h"

/* One plane's rows [0, rows) of width w resampled along x to width out_w. */
static void horizontal(const float *src, int w, int rows, int out_w, const image_bicubic_coeffs *c,
                       float *dst)
{
    for (int y = 0; y < rows; y++) {
        const float *in = src + (size_t)y * w;
        for (int xx = 0; xx < out_w; xx++) {
            const double *k = c->weights + (size_t)xx * c->ksize;
            const float *p = in + c->bounds[2 * xx];
            double s = 0.0;
            for (int x = 0; x < c->bounds[2 * xx + 1]; x++)
                s += p[x] * k[x];
            dst[(size_t)y * out_w + xx] = (float)s;
        }
    }
}

static void vertical(const float *src, int w, int out_h, const image_bicubic_coeffs *c,
                     double *acc, float *dst)
{
    for (int yy = 0; yy < out_h; yy++) {
        const double *k = c->weights + (size_t)yy * c->ksize;
        memset(acc, 0, sizeof *acc * (size_t)w);
        for (int y = 0; y < c->bounds[2 * yy + 1]; y++) {
            const float *row = src + (size_t)(c->bounds[2 * yy] + y) * w;
            for (int x = 0; x < w; x++)
                acc[x] += row[x] * k[y];
        }
        for (int x = 0; x < w; x++)
            dst[(size_t)yy * w + x] = (float)acc[x];
    }
}

int image_resize_bicubic_f32(const float *src, int channels, int w, int h, float *dst,
                             int width, int height)
{
    image_bicubic_coeffs ch = {0}, cv = {0};
    float *tmp = malloc(sizeof *tmp * (size_t)width * h);
    double *acc = malloc(sizeof *acc * (size_t)width);
    int rc = -1;
    if (tmp && acc && !image_bicubic_coeffs_new(w, width, &ch) &&
        !image_bicubic_coeffs_new(h, height, &cv)) {
        for (int c = 0; c < channels; c++) {
            horizontal(src + (size_t)c * w * h, w, h, width, &ch, tmp);
            vertical(tmp, width, height, &cv, acc, dst + (size_t)c * width * height);
        }
        rc = 0;
    }
    free(tmp);
    free(acc);
    image_bicubic_coeffs_free(&ch);
    image_bicubic_coeffs_free(&cv);
    return rc;
}
