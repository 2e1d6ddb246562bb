/* What every image file shares: the image's pixels (allocated and freed), the codecs' checks
 * of a declared size against the pixel limit, and their one-line messages. */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "image_internal.h"

void image_set_err(char *err, size_t errlen, const char *fmt, ...)
{
    if (!err || !errlen)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
    /* One line: decoder messages never span lines in a report. */
    for (char *p = err; *p; p++)
        if (*p == '\n' || *p == '\r')
            *p = ' ';
}

int image_check_pixels(long long width, long long height, long long max_pixels, char *err,
                       size_t errlen)
{
    if (max_pixels <= 0)
        max_pixels = IMAGE_DEFAULT_MAX_PIXELS;
    if (width <= 0 || height <= 0) {
        image_set_err(err, errlen, "image declares an empty size %lldx%lld", width, height);
        return -1;
    }
    if (width * height > max_pixels) {
        image_set_err(err, errlen, "image declares %lldx%lld = %lld pixels, above the limit of %lld",
                      width, height, width * height, max_pixels);
        return -1;
    }
    return 0;
}

int image_alloc_depth(image *img, int width, int height, int channels, int depth)
{
    img->pixels = NULL;
    img->width = width;
    img->height = height;
    img->channels = channels;
    img->depth = depth;
    size_t sample = depth == 16 ? 2 : 1;
    if (width <= 0 || height <= 0 || channels <= 0 || (depth != 8 && depth != 16) ||
        (size_t)width > SIZE_MAX / (size_t)height / (size_t)channels / sample)
        return -1;
    img->pixels = malloc((size_t)width * height * channels * sample);
    return img->pixels ? 0 : -1;
}

int image_alloc(image *img, int width, int height, int channels)
{
    return image_alloc_depth(img, width, height, channels, 8);
}

void image_free(image *img)
{
    if (!img)
        return;
    free(img->pixels);
    img->pixels = NULL;
    img->width = img->height = img->channels = img->depth = 0;
}
