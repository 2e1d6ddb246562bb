/* Image quality measures on 8-bit images of the same size, over all channels (values 0..255):
 * mean absolute error, PSNR and SSIM (Wang et al. 2004: 11x11 Gaussian window, sigma 1.5,
 * K1 0.01, K2 0.03, population covariances; as skimage's structural_similarity with
 * gaussian_weights=True, use_sample_covariance=False, data_range=255: reflect-mode filtering,
 * the mean taken over the interior 5 pixels away from the borders, averaged over channels). */
#ifndef APP_METRICS_H
#define APP_METRICS_H

#include "datasets/image.h"

double metric_l1(const image *a, const image *b);
/* INFINITY for identical images. */
double metric_psnr(const image *a, const image *b);
/* Needs both sides >= 11; returns NAN otherwise or when out of memory. */
double metric_ssim(const image *a, const image *b);

#endif
