#include "app/translate/pair_half.h"

#include <string.h>

void pair_half_take(image *img, pair_half half)
{
    if (half == PAIR_WHOLE)
        return;
    int width = img->width / 2, x0 = half == PAIR_B ? img->width - width : 0;
    size_t pixel = (size_t)img->channels * image_sample_bytes(img);
    /* Row y moves from y * full + x0 to y * width pixels: never ahead of where it reads. */
    for (int y = 0; y < img->height; y++)
        memmove(img->pixels + (size_t)y * width * pixel,
                img->pixels + ((size_t)y * img->width + x0) * pixel, (size_t)width * pixel);
    img->width = width;
}

int pair_half_looks_aligned(char *const *inputs, int n, long long max_pixels)
{
    int seen = 0, pairs = 0;
    char err[512];
    for (int i = 0; i < n && seen < 8; i++) {
        image img = {0};
        if (image_load(inputs[i], max_pixels, &img, err, sizeof err))
            continue; /* the translation reports it */
        seen++;
        pairs += img.width == 2 * img.height;
        image_free(&img);
    }
    return seen > 0 && pairs == seen;
}
