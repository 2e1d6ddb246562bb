/* translate --pairs A|B: a folder of aligned A|B pairs (each image A on the left, B on the
 * right, as the datasets store them) translated from one half. */
#ifndef APP_TRANSLATE_PAIR_HALF_H
#define APP_TRANSLATE_PAIR_HALF_H

#include "datasets/image.h"

typedef enum { PAIR_WHOLE, PAIR_A, PAIR_B } pair_half;

/* Keeps the half of img (left: A, right: B; the pixels stay in its buffer). */
void pair_half_take(image *img, pair_half half);
/* 1 when the first images of inputs (up to 8 that decode) are all twice as wide as high,
 * as aligned pairs are. */
int pair_half_looks_aligned(char *const *inputs, int n, long long max_pixels);

#endif
