/* Image decoding and encoding: JPEG (libjpeg-turbo) and PNG (libpng), detected by content. */
#ifndef DATASETS_IMAGE_H
#define DATASETS_IMAGE_H

#include <stddef.h>
#include <stdint.h>

/* 8-bit interleaved pixels, row-major, channels 3 (RGB) unless stated. */
typedef struct {
    int width, height, channels;
    uint8_t *pixels;
} image;

#define IMAGE_DEFAULT_MAX_PIXELS 100000000LL

/* Decodes a JPEG or PNG file to 8-bit RGB (grayscale expanded, alpha composited on white,
 * 16-bit reduced, palette expanded, CMYK converted, EXIF orientation applied).
 * max_pixels <= 0 means IMAGE_DEFAULT_MAX_PIXELS. Returns 0, or -1 with a one-line reason
 * in err (without the path; callers prefix it). */
int image_load(const char *path, long long max_pixels, image *out, char *err, size_t errlen);
int image_decode(const uint8_t *data, size_t size, long long max_pixels, image *out, char *err,
                 size_t errlen);
/* Writes atomically (temporary file in the same folder, fsync, rename). quality 1..100. */
int image_save_png(const char *path, const image *img, char *err, size_t errlen);
int image_save_jpeg(const char *path, const image *img, int quality, char *err, size_t errlen);
void image_free(image *img);

/* Bicubic resize as PIL's Image.resize(BICUBIC) (the reference's transform). */
int image_resize_bicubic(const image *src, int width, int height, image *dst);

#endif
