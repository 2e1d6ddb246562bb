/* Input derivations for `dataset make`: edge map, grayscale, Gaussian blur. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "datasets/dataset_tools.h"

/* One pass of the separable blur with kernel k (2 * radius + 1 taps): along rows, or along
 * columns when vertical; edges clamped. */
static void blur_pass(const float *src, float *dst, int w, int h, int vertical, const float *k,
                      int radius)
{
    int len = vertical ? h : w;
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++) {
            int at = vertical ? y : x;
            float acc = 0;
            for (int i = -radius; i <= radius; i++) {
                int q = at + i < 0 ? 0 : at + i >= len ? len - 1 : at + i;
                acc += k[i + radius] * src[vertical ? (size_t)q * w + x : (size_t)y * w + q];
            }
            dst[(size_t)y * w + x] = acc;
        }
}

/* Separable Gaussian on planar floats, edges clamped. */
static int blur_plane(float *p, int w, int h, double sigma)
{
    int radius = (int)ceil(3 * sigma);
    if (radius < 1)
        return 0;
    float *k = malloc(sizeof(float) * (2 * radius + 1));
    float *tmp = malloc(sizeof(float) * (size_t)w * h);
    if (!k || !tmp) {
        free(k);
        free(tmp);
        return -1;
    }
    double sum = 0;
    for (int i = -radius; i <= radius; i++)
        sum += k[i + radius] = (float)exp(-0.5 * i * i / (sigma * sigma));
    for (int i = 0; i <= 2 * radius; i++)
        k[i] = (float)(k[i] / sum);
    blur_pass(p, tmp, w, h, 0, k, radius);
    blur_pass(tmp, p, w, h, 1, k, radius);
    free(k);
    free(tmp);
    return 0;
}

int make_gaussian_blur(const image *src, double sigma, image *dst)
{
    int w = src->width, h = src->height, c = src->channels;
    size_t n = (size_t)w * h;
    float *plane = malloc(sizeof(float) * n);
    if (!plane || image_alloc(dst, w, h, c)) {
        free(plane);
        return -1;
    }
    for (int k = 0; k < c; k++) {
        for (size_t i = 0; i < n; i++)
            plane[i] = src->pixels[i * c + k];
        if (blur_plane(plane, w, h, sigma)) {
            free(plane);
            image_free(dst);
            return -1;
        }
        for (size_t i = 0; i < n; i++)
            dst->pixels[i * c + k] = (uint8_t)(plane[i] < 0 ? 0 : plane[i] > 255 ? 255 : plane[i] + 0.5f);
    }
    free(plane);
    return 0;
}

int make_gray_rgb(const image *src, image *dst)
{
    image g;
    if (image_to_gray(src, &g))
        return -1;
    if (image_alloc(dst, src->width, src->height, 3)) {
        image_free(&g);
        return -1;
    }
    for (size_t i = 0; i < (size_t)src->width * src->height; i++)
        memset(dst->pixels + 3 * i, g.pixels[i], 3);
    image_free(&g);
    return 0;
}

static int compare_floats(const void *a, const void *b)
{
    float x = *(const float *)a, y = *(const float *)b;
    return (x > y) - (x < y);
}

/* Sobel magnitude kept only where it is a maximum across the edge (non-maximum suppression). */
static void gradient_nms(const float *g, int w, int h, float *mag, float *thin)
{
    for (int y = 1; y < h - 1; y++)
        for (int x = 1; x < w - 1; x++) {
#define G(dx, dy) g[(size_t)(y + (dy)) * w + x + (dx)]
            float gx = G(1, -1) + 2 * G(1, 0) + G(1, 1) - G(-1, -1) - 2 * G(-1, 0) - G(-1, 1);
            float gy = G(-1, 1) + 2 * G(0, 1) + G(1, 1) - G(-1, -1) - 2 * G(0, -1) - G(1, -1);
#undef G
            mag[(size_t)y * w + x] = sqrtf(gx * gx + gy * gy);
        }
    for (int y = 1; y < h - 1; y++)
        for (int x = 1; x < w - 1; x++) {
            size_t i = (size_t)y * w + x;
            /* Neighbours along the gradient direction, quantised to 4 directions. */
            float dx = g[i + 1] - g[i - 1], dy = g[i + w] - g[i - w];
            double angle = atan2(dy, dx) * 180.0 / M_PI;
            if (angle < 0)
                angle += 180;
            size_t step = angle < 22.5 || angle >= 157.5 ? 1
                          : angle < 67.5                ? (size_t)w + 1
                          : angle < 112.5               ? (size_t)w
                                                        : (size_t)w - 1;
            thin[i] = mag[i] >= mag[i - step] && mag[i] >= mag[i + step] ? mag[i] : 0;
        }
}

int make_edge_map(const image *src, image *dst)
{
    int w = src->width, h = src->height;
    size_t n = (size_t)w * h;
    image gray;
    if (image_to_gray(src, &gray))
        return -1;
    float *g = malloc(sizeof(float) * n), *mag = calloc(n, sizeof(float));
    float *thin = calloc(n, sizeof(float)), *sorted = malloc(sizeof(float) * n);
    size_t *stack = malloc(sizeof(size_t) * n);
    uint8_t *edge = calloc(n, 1);
    int rc = -1;
    if (!g || !mag || !thin || !sorted || !stack || !edge || image_alloc(dst, w, h, 3))
        goto done;
    for (size_t i = 0; i < n; i++)
        g[i] = gray.pixels[i];
    if (blur_plane(g, w, h, 1.4))
        goto done;
    gradient_nms(g, w, h, mag, thin);
    /* Thresholds from the image itself: high at the 70th percentile of the surviving
     * maxima (at least 24, so flat images stay blank), low at 40% of it. */
    size_t m = 0;
    for (size_t i = 0; i < n; i++)
        if (thin[i] > 0)
            sorted[m++] = thin[i];
    qsort(sorted, m, sizeof *sorted, compare_floats);
    float high = m ? sorted[m * 7 / 10] : 0;
    if (high < 24)
        high = 24;
    float low = 0.4f * high;
    size_t top = 0;
    for (size_t i = 0; i < n; i++)
        if (thin[i] >= high) {
            edge[i] = 1;
            stack[top++] = i;
        }
    while (top) { /* hysteresis: weak maxima joined to strong ones are edges too */
        size_t i = stack[--top];
        int x = (int)(i % w), y = (int)(i / w);
        for (int dy = -1; dy <= 1; dy++)
            for (int dx = -1; dx <= 1; dx++) {
                int xx = x + dx, yy = y + dy;
                if (xx < 0 || yy < 0 || xx >= w || yy >= h)
                    continue;
                size_t j = (size_t)yy * w + xx;
                if (!edge[j] && thin[j] >= low) {
                    edge[j] = 1;
                    stack[top++] = j;
                }
            }
    }
    for (size_t i = 0; i < n; i++)
        memset(dst->pixels + 3 * i, edge[i] ? 0 : 255, 3);
    rc = 0;
done:
    if (rc)
        image_free(dst);
    image_free(&gray);
    free(g);
    free(mag);
    free(thin);
    free(sorted);
    free(stack);
    free(edge);
    return rc;
}
