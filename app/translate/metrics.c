#include <math.h>
#include <stdlib.h>

#include "app/translate/metrics.h"

#define SSIM_RADIUS 5

double metric_l1(const image *a, const image *b)
{
    size_t n = (size_t)a->width * a->height * a->channels;
    double sum = 0;
    for (size_t i = 0; i < n; i++)
        sum += abs((int)a->pixels[i] - (int)b->pixels[i]);
    return n ? sum / (double)n : 0;
}

double metric_psnr(const image *a, const image *b)
{
    size_t n = (size_t)a->width * a->height * a->channels;
    double sum = 0;
    for (size_t i = 0; i < n; i++) {
        double d = (double)a->pixels[i] - (double)b->pixels[i];
        sum += d * d;
    }
    double mse = n ? sum / (double)n : 0;
    return mse > 0 ? 10.0 * log10(255.0 * 255.0 / mse) : INFINITY;
}

/* scipy.ndimage 'reflect' (half-sample symmetric) index. */
static int reflect(int i, int n)
{
    int period = 2 * n;
    i %= period;
    if (i < 0)
        i += period;
    return i < n ? i : period - 1 - i;
}

/* Separable Gaussian filter of an h x w plane (tmp: scratch of the same size). */
static void gauss(const double *src, double *tmp, double *dst, int h, int w, const double *k)
{
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++) {
            double s = 0;
            for (int j = -SSIM_RADIUS; j <= SSIM_RADIUS; j++)
                s += k[j + SSIM_RADIUS] * src[(size_t)y * w + reflect(x + j, w)];
            tmp[(size_t)y * w + x] = s;
        }
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++) {
            double s = 0;
            for (int j = -SSIM_RADIUS; j <= SSIM_RADIUS; j++)
                s += k[j + SSIM_RADIUS] * tmp[(size_t)reflect(y + j, h) * w + x];
            dst[(size_t)y * w + x] = s;
        }
}

double metric_ssim(const image *a, const image *b)
{
    int w = a->width, h = a->height, ch = a->channels;
    if (w < 2 * SSIM_RADIUS + 1 || h < 2 * SSIM_RADIUS + 1)
        return NAN;
    double k[2 * SSIM_RADIUS + 1], ksum = 0;
    for (int j = -SSIM_RADIUS; j <= SSIM_RADIUS; j++)
        ksum += k[j + SSIM_RADIUS] = exp(-(double)(j * j) / (2 * 1.5 * 1.5));
    for (int j = 0; j < 2 * SSIM_RADIUS + 1; j++)
        k[j] /= ksum;
    size_t n = (size_t)w * h;
    double *buf = malloc(sizeof *buf * n * 12);
    if (!buf)
        return NAN;
    double *x = buf, *y = x + n, *xx = y + n, *yy = xx + n, *xy = yy + n, *tmp = xy + n;
    double *mx = tmp + n, *my = mx + n, *mxx = my + n, *myy = mxx + n, *mxy = myy + n;
    const double c1 = (0.01 * 255) * (0.01 * 255), c2 = (0.03 * 255) * (0.03 * 255);
    double total = 0;
    for (int c = 0; c < ch; c++) {
        for (size_t i = 0; i < n; i++) {
            x[i] = a->pixels[i * ch + c];
            y[i] = b->pixels[i * ch + c];
            xx[i] = x[i] * x[i];
            yy[i] = y[i] * y[i];
            xy[i] = x[i] * y[i];
        }
        gauss(x, tmp, mx, h, w, k);
        gauss(y, tmp, my, h, w, k);
        gauss(xx, tmp, mxx, h, w, k);
        gauss(yy, tmp, myy, h, w, k);
        gauss(xy, tmp, mxy, h, w, k);
        double sum = 0;
        for (int r = SSIM_RADIUS; r < h - SSIM_RADIUS; r++)
            for (int q = SSIM_RADIUS; q < w - SSIM_RADIUS; q++) {
                size_t i = (size_t)r * w + q;
                double vx = mxx[i] - mx[i] * mx[i], vy = myy[i] - my[i] * my[i];
                double cxy = mxy[i] - mx[i] * my[i];
                sum += (2 * mx[i] * my[i] + c1) * (2 * cxy + c2) /
                       ((mx[i] * mx[i] + my[i] * my[i] + c1) * (vx + vy + c2));
            }
        total += sum / ((double)(h - 2 * SSIM_RADIUS) * (w - 2 * SSIM_RADIUS));
    }
    free(buf);
    return total / ch;
}
