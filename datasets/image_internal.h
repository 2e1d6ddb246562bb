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
int image_decode_jpeg(const uint8_t *data, size_t size, long long max_pixels, image *out,
                      char *err, size_t errlen);
int image_decode_png(const uint8_t *data, size_t size, long long max_pixels, image *out,
                     char *err, size_t errlen);

#endif
