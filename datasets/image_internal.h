/* Shared between the image codec files; not part of the public API. */
#ifndef DATASETS_IMAGE_INTERNAL_H
#define DATASETS_IMAGE_INTERNAL_H

#include <stdarg.h>

#include "datasets/image.h"

void image_set_err(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* -1 with a reason when width x height exceeds max_pixels (<= 0: the default). */
int image_check_pixels(long long width, long long height, long long max_pixels, char *err,
                       size_t errlen);
/* keep: the IMAGE_KEEP_* flags of image_decode_as. */
int image_decode_jpeg(const uint8_t *data, size_t size, long long max_pixels, int keep,
                      image *out, char *err, size_t errlen);
int image_decode_png(const uint8_t *data, size_t size, long long max_pixels, int keep,
                     image *out, char *err, size_t errlen);
/* The decoders' last step: pixels (malloc'ed, width x height x channels samples of depth bits)
 * become out's, turned upright by the EXIF orientation. 0, or -1 with the reason (out freed). */
int image_set_decoded(image *out, uint8_t *pixels, int width, int height, int channels,
                      int depth, int orientation, char *err, size_t errlen);
/* PIL's bicubic weights for resampling in_size samples to out_size: per output sample the
 * first source index and count in bounds (2 ints), then ksize weights (summing to 1) in
 * weights. 0, or -1 when out of memory (nothing to free then). */
typedef struct {
    int ksize;
    int *bounds;
    double *weights;
} image_bicubic_coeffs;
int image_bicubic_coeffs_new(int in_size, int out_size, image_bicubic_coeffs *c);
void image_bicubic_coeffs_free(image_bicubic_coeffs *c);

#endif
