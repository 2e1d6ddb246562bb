/* EXIF orientation: reading the tag from a TIFF block and applying it to pixels (c: bytes per
 * pixel); the decoders hand their pixels over through image_set_decoded, which applies it. */
#include <stdlib.h>
#include <string.h>

#include "image_internal.h"

static unsigned read16(const uint8_t *p, int little)
{
    return little ? (unsigned)p[0] | (unsigned)p[1] << 8 : (unsigned)p[0] << 8 | p[1];
}

static uint32_t read32(const uint8_t *p, int little)
{
    return little ? (uint32_t)read16(p, 1) | (uint32_t)read16(p + 2, 1) << 16
                  : (uint32_t)read16(p, 0) << 16 | read16(p + 2, 0);
}

int image_exif_orientation(const uint8_t *tiff, size_t size)
{
    if (size < 8)
        return 1;
    int little;
    if (tiff[0] == 'I' && tiff[1] == 'I')
        little = 1;
    else if (tiff[0] == 'M' && tiff[1] == 'M')
        little = 0;
    else
        return 1;
    if (read16(tiff + 2, little) != 42)
        return 1;
    uint32_t ifd = read32(tiff + 4, little);
    if (ifd > size - 2)
        return 1;
    unsigned entries = read16(tiff + ifd, little);
    for (unsigned i = 0; i < entries; i++) {
        size_t e = (size_t)ifd + 2 + 12 * (size_t)i;
        if (e + 12 > size)
            break;
        if (read16(tiff + e, little) != 0x0112)
            continue;
        /* SHORT (type 3), count 1: the value sits in the first 2 bytes of the value field. */
        if (read16(tiff + e + 2, little) != 3 || read32(tiff + e + 4, little) != 1)
            return 1;
        unsigned v = read16(tiff + e + 8, little);
        return v >= 1 && v <= 8 ? (int)v : 1;
    }
    return 1;
}

int image_apply_orientation(image *img, int orientation)
{
    if (orientation < 2 || orientation > 8)
        return 0;
    int w = img->width, h = img->height, c = img->channels * image_sample_bytes(img);
    int swap = orientation >= 5; /* 5..8 exchange width and height */
    int ow = swap ? h : w, oh = swap ? w : h;
    uint8_t *dst = malloc((size_t)w * h * c);
    if (!dst)
        return -1;
    for (int y = 0; y < oh; y++)
        for (int x = 0; x < ow; x++) {
            int sx, sy;
            switch (orientation) {
            case 2: sx = w - 1 - x; sy = y; break;              /* mirror left-right */
            case 3: sx = w - 1 - x; sy = h - 1 - y; break;      /* rotate 180 */
            case 4: sx = x; sy = h - 1 - y; break;              /* mirror top-bottom */
            case 5: sx = y; sy = x; break;                      /* transpose */
            case 6: sx = y; sy = h - 1 - x; break;              /* rotate 90 clockwise */
            case 7: sx = w - 1 - y; sy = h - 1 - x; break;      /* transverse */
            default: sx = w - 1 - y; sy = x; break;             /* 8: rotate 90 counter-clockwise */
            }
            memcpy(dst + ((size_t)y * ow + x) * c, img->pixels + ((size_t)sy * w + sx) * c,
                   (size_t)c);
        }
    free(img->pixels);
    img->pixels = dst;
    img->width = ow;
    img->height = oh;
    return 0;
}

int image_set_decoded(image *out, uint8_t *pixels, int width, int height, int channels,
                      int depth, int orientation, char *err, size_t errlen)
{
    out->width = width;
    out->height = height;
    out->channels = channels;
    out->depth = depth;
    out->pixels = pixels;
    if (image_apply_orientation(out, orientation)) {
        image_free(out);
        image_set_err(err, errlen, "out of memory applying the EXIF orientation");
        return -1;
    }
    return 0;
}
