/* The reference's get_params/get_transform (data/base_dataset.py) on 8-bit images. */
#ifndef DATASETS_PREPROCESS_H
#define DATASETS_PREPROCESS_H

#include <stdint.h>

#include "datasets/image.h"
#include "datasets/loader.h"

typedef struct {
    preprocess_mode mode;
    int load_size, crop_size, no_flip;
} preprocess_opts;

typedef struct {
    int crop_x, crop_y; /* crop_pos of get_params */
    int flip;
} preprocess_params;

/* The size an image of w x h has after the transform; -1 when it cannot be transformed
 * (e.g. 'none' rounding a side to 0). */
int preprocess_output_size(const preprocess_opts *o, int w, int h, int *out_w, int *out_h);
/* get_params for an image of w x h: crop position uniform in [0, max(0, new - crop)] and a
 * coin flip, both drawn from rng_state. */
void preprocess_draw_params(const preprocess_opts *o, int w, int h, uint64_t rng_state,
                            preprocess_params *p);
/* get_transform without ToTensor: grayscale (gray != 0, PIL convert('L')), resize or
 * scale_width (bicubic), crop (PIL crop: outside the image is black), make_power_2 with base 4
 * ('none'), horizontal flip. dst is allocated. */
int preprocess_apply(const preprocess_opts *o, const preprocess_params *p, const image *src,
                     int gray, image *dst);
/* ToTensor + Normalize(0.5, 0.5): planar CHW floats (x / 255 - 0.5) / 0.5. */
void preprocess_to_float(const image *img, float *out);
/* Copies a rectangle; the parts outside src are black (zero). */
int image_crop(const image *src, int x, int y, int w, int h, image *dst);

#endif
