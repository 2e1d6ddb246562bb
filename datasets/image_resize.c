/* PIL-exact bicubic resize (Pillow's Resample.c, 8-bit path) and convert('L').
 * Separable: a horizontal pass over the source rows the vertical pass needs, then a vertical
 * pass; each output sample is a fixed-point (22 fraction bits) sum, rounded and clipped to 8
 * bits after each pass. The filter support grows with the scale when downsampling. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "image_internal.h"

#define PRECISION_BITS (32 - 8 - 2)

typedef struct {
    int ksize;
    int *bounds;  /* per output sample: first source index, count */
    int32_t *k;   /* per output sample: ksize fixed-point weights */
} resample_coeffs;

static double bicubic_filter(double x)
{
    const double a = -0.5;
    if (x < 0.0)
        x = -x;
    if (x < 1.0)
        return ((a + 2.0) * x - (a + 3.0)) * x * x + 1;
    if (x < 2.0)
        return (((x - 5) * x + 8) * x - 4) * a;
    return 0.0;
}

int image_bicubic_coeffs_new(int in_size, int out_size, image_bicubic_coeffs *c)
{
    double scale = (double)in_size / out_size;
    double filterscale = scale < 1.0 ? 1.0 : scale;
    double support = 2.0 * filterscale;
    int ksize = (int)ceil(support) * 2 + 1;
    c->ksize = ksize;
    c->weights = malloc(sizeof(double) * (size_t)out_size * ksize);
    c->bounds = malloc(sizeof(int) * 2 * (size_t)out_size);
    if (!c->weights || !c->bounds) {
        image_bicubic_coeffs_free(c);
        return -1;
    }
    for (int xx = 0; xx < out_size; xx++) {
        double center = (xx + 0.5) * scale;
        double ww = 0.0, ss = 1.0 / filterscale;
        int xmin = (int)(center - support + 0.5);
        if (xmin < 0)
            xmin = 0;
        int xmax = (int)(center + support + 0.5);
        if (xmax > in_size)
            xmax = in_size;
        xmax -= xmin;
        double *k = c->weights + (size_t)xx * ksize;
        int x;
        for (x = 0; x < xmax; x++) {
            double w = bicubic_filter((x + xmin - center + 0.5) * ss);
            k[x] = w;
            ww += w;
        }
        for (x = 0; x < xmax; x++)
            if (ww != 0.0)
                k[x] /= ww;
        for (; x < ksize; x++)
            k[x] = 0;
        c->bounds[2 * xx] = xmin;
        c->bounds[2 * xx + 1] = xmax;
    }
    return 0;
}

void image_bicubic_coeffs_free(image_bicubic_coeffs *c)
{
    free(c->bounds);
    free(c->weights);
    c->bounds = NULL;
    c->weights = NULL;
}

static int precompute_coeffs(int in_size, int out_size, resample_coeffs *c)
{
    image_bicubic_coeffs d;
    if (image_bicubic_coeffs_new(in_size, out_size, &d))
        return -1;
    size_t n = (size_t)out_size * d.ksize;
    c->ksize = d.ksize;
    c->bounds = d.bounds;
    c->k = malloc(sizeof(int32_t) * n);
    if (c->k)
        for (size_t i = 0; i < n; i++)
            c->k[i] = (int32_t)(d.weights[i] < 0 ? -0.5 + d.weights[i] * (1 << PRECISION_BITS)
                                                 : 0.5 + d.weights[i] * (1 << PRECISION_BITS));
    free(d.weights);
    return c->k ? 0 : -1;
}

static void free_coeffs(resample_coeffs *c)
{
    free(c->bounds);
    free(c->k);
}

static uint8_t clip8(int32_t v)
{
    if (v >= 1 << PRECISION_BITS << 8)
        return 255;
    if (v <= 0)
        return 0;
    return (uint8_t)(v >> PRECISION_BITS);
}

/* dst (out_w x rows) from src rows [row0, row0 + rows). Sums are 32-bit as in PIL, whose
 * normalised weights keep them in range. */
static void resample_horizontal(const image *src, int row0, int rows, int out_w,
                                const resample_coeffs *c, uint8_t *dst)
{
    int ch = src->channels;
    for (int y = 0; y < rows; y++) {
        const uint8_t *in = src->pixels + (size_t)(y + row0) * src->width * ch;
        uint8_t *o = dst + (size_t)y * out_w * ch;
        for (int xx = 0; xx < out_w; xx++) {
            int xmin = c->bounds[2 * xx], xmax = c->bounds[2 * xx + 1];
            const int32_t *k = c->k + (size_t)xx * c->ksize;
            const uint8_t *p = in + (size_t)xmin * ch;
            if (ch == 3) {
                int32_t s0 = 1 << (PRECISION_BITS - 1), s1 = s0, s2 = s0;
                for (int x = 0; x < xmax; x++, p += 3) {
                    s0 += p[0] * k[x];
                    s1 += p[1] * k[x];
                    s2 += p[2] * k[x];
                }
                o[3 * xx] = clip8(s0);
                o[3 * xx + 1] = clip8(s1);
                o[3 * xx + 2] = clip8(s2);
                continue;
            }
            for (int b = 0; b < ch; b++) {
                int32_t ss = 1 << (PRECISION_BITS - 1);
                for (int x = 0; x < xmax; x++)
                    ss += p[x * ch + b] * k[x];
                o[xx * ch + b] = clip8(ss);
            }
        }
    }
}

/* Row by row with a row of accumulators, so the inner loop runs along memory. */
static void resample_vertical(const uint8_t *src, int width, int ch, int row_offset, int out_h,
                              const resample_coeffs *c, int32_t *acc, uint8_t *dst)
{
    size_t stride = (size_t)width * ch;
    for (int yy = 0; yy < out_h; yy++) {
        int ymin = c->bounds[2 * yy] - row_offset, ymax = c->bounds[2 * yy + 1];
        const int32_t *k = c->k + (size_t)yy * c->ksize;
        for (size_t i = 0; i < stride; i++)
            acc[i] = 1 << (PRECISION_BITS - 1);
        for (int y = 0; y < ymax; y++) {
            const uint8_t *row = src + (size_t)(y + ymin) * stride;
            int32_t ky = k[y];
            for (size_t i = 0; i < stride; i++)
                acc[i] += row[i] * ky;
        }
        for (size_t i = 0; i < stride; i++)
            dst[(size_t)yy * stride + i] = clip8(acc[i]);
    }
}

int image_resize_bicubic(const image *src, int width, int height, image *dst)
{
    if (src->depth == 16 || image_alloc(dst, width, height, src->channels))
        return -1;
    int need_h = width != src->width, need_v = height != src->height;
    if (!need_h && !need_v) {
        memcpy(dst->pixels, src->pixels, (size_t)width * height * src->channels);
        return 0;
    }
    resample_coeffs ch = {0}, cv = {0};
    uint8_t *tmp = NULL;
    int32_t *acc = malloc(sizeof(int32_t) * (size_t)width * src->channels);
    int rc = -1;
    if (!acc || precompute_coeffs(src->width, width, &ch) ||
        precompute_coeffs(src->height, height, &cv))
        goto done;
    if (!need_v) {
        resample_horizontal(src, 0, height, width, &ch, dst->pixels);
    } else if (!need_h) {
        resample_vertical(src->pixels, width, src->channels, 0, height, &cv, acc, dst->pixels);
    } else {
        /* Only the source rows the vertical pass reads go through the horizontal pass. */
        int first = cv.bounds[0];
        int last = cv.bounds[2 * height - 2] + cv.bounds[2 * height - 1];
        tmp = malloc((size_t)width * (last - first) * src->channels);
        if (!tmp)
            goto done;
        resample_horizontal(src, first, last - first, width, &ch, tmp);
        resample_vertical(tmp, width, src->channels, first, height, &cv, acc, dst->pixels);
    }
    rc = 0;
done:
    free(acc);
    free(tmp);
    free_coeffs(&ch);
    free_coeffs(&cv);
    if (rc)
        image_free(dst);
    return rc;
}

int image_to_gray(const image *src, image *dst)
{
    if (src->channels != 3 || src->depth == 16 || image_alloc(dst, src->width, src->height, 1))
        return -1;
    size_t n = (size_t)src->width * src->height;
    for (size_t i = 0; i < n; i++) {
        const uint8_t *p = src->pixels + 3 * i;
        dst->pixels[i] = (uint8_t)((p[0] * 19595u + p[1] * 38470u + p[2] * 7471u + 0x8000u) >> 16);
    }
    return 0;
}
