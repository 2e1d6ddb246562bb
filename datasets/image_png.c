/* PNG decoding (every colour type and depth to RGB, alpha over white, eXIf orientation, or
 * less converted: image_decode_as) and encoding (8 or 16 bits) with libpng. Errors longjmp
 * back to the caller instead of aborting. */
#include <png.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "image_internal.h"

typedef struct {
    const uint8_t *data;
    size_t size, pos;
} png_source;

typedef struct {
    uint8_t *data;
    size_t size, cap;
} png_sink;

static void png_fail(png_structp png, png_const_charp msg)
{
    char *buf = png_get_error_ptr(png);
    snprintf(buf, 200, "%s", msg);
    png_longjmp(png, 1);
}

static void png_warn(png_structp png, png_const_charp msg)
{
    (void)png;
    (void)msg;
}

static void png_read_source(png_structp png, png_bytep out, size_t len)
{
    png_source *s = png_get_io_ptr(png);
    if (len > s->size - s->pos)
        png_error(png, "file is truncated");
    memcpy(out, s->data + s->pos, len);
    s->pos += len;
}

static void png_write_sink(png_structp png, png_bytep in, size_t len)
{
    png_sink *s = png_get_io_ptr(png);
    if (len > s->cap - s->size) {
        size_t cap = s->cap ? s->cap : 65536;
        while (len > cap - s->size)
            cap *= 2;
        uint8_t *p = realloc(s->data, cap);
        if (!p)
            png_error(png, "out of memory");
        s->data = p;
        s->cap = cap;
    }
    memcpy(s->data + s->size, in, len);
    s->size += len;
}

static void png_flush_sink(png_structp png)
{
    (void)png;
}

/* Colour + alpha -> colour over a white background, in place (each pixel loses its last
 * sample): c' = (c*a + max*(max-a)) / max, rounded, max = 255 or 65535. */
static void composite_on_white(uint8_t *px, size_t npixels, int channels, int depth)
{
    int colours = channels - 1;
    if (depth == 16) {
        uint16_t *p = (uint16_t *)px;
        for (size_t i = 0; i < npixels; i++) {
            uint64_t a = p[channels * i + colours];
            for (int c = 0; c < colours; c++)
                p[colours * i + c] = (uint16_t)((p[channels * i + c] * a +
                                                 65535u * (65535u - a) + 32767u) / 65535u);
        }
        return;
    }
    for (size_t i = 0; i < npixels; i++) {
        unsigned a = px[channels * i + colours];
        for (int c = 0; c < colours; c++)
            px[colours * i + c] =
                (uint8_t)((px[channels * i + c] * a + 255u * (255u - a) + 127u) / 255u);
    }
}

/* PNG stores 16-bit samples big-endian; images hold them in the host's order. */
static int host_is_little_endian(void)
{
    const uint16_t one = 1;
    return *(const uint8_t *)&one == 1;
}

static int png_orientation(png_structp png, png_infop info)
{
#ifdef PNG_eXIf_SUPPORTED
    png_bytep exif = NULL;
    png_uint_32 n = 0;
    if (png_get_eXIf_1(png, info, &n, &exif) && exif)
        return image_exif_orientation(exif, n);
#else
    (void)png;
    (void)info;
#endif
    return 1;
}

int image_decode_png(const uint8_t *data, size_t size, long long max_pixels, int keep,
                     image *out, char *err, size_t errlen)
{
    char msg[200] = "";
    png_source src = {data, size, 0};
    uint8_t *volatile pixels = NULL;
    png_bytep *volatile rows = NULL;
    out->pixels = NULL;
    png_structp png = png_create_read_struct(PNG_LIBPNG_VER_STRING, msg, png_fail, png_warn);
    png_infop info = png ? png_create_info_struct(png) : NULL;
    if (!info) {
        png_destroy_read_struct(&png, NULL, NULL);
        image_set_err(err, errlen, "out of memory creating the PNG decoder");
        return -1;
    }
    if (setjmp(png_jmpbuf(png))) {
        png_destroy_read_struct(&png, &info, NULL);
        free(pixels);
        free(rows);
        image_set_err(err, errlen, "corrupt PNG: %s", msg);
        return -1;
    }
    png_set_read_fn(png, &src, png_read_source);
    png_read_info(png, info);
    png_uint_32 w = png_get_image_width(png, info), h = png_get_image_height(png, info);
    if (image_check_pixels(w, h, max_pixels, err, errlen)) {
        png_destroy_read_struct(&png, &info, NULL);
        return -1;
    }
    int color = png_get_color_type(png, info);
    int depth = (keep & IMAGE_KEEP_16BIT) && png_get_bit_depth(png, info) == 16 ? 16 : 8;
    png_set_expand(png); /* palette -> RGB, gray < 8 bits -> 8 bits, tRNS -> alpha */
    if (depth == 8)
        png_set_strip_16(png);
    else if (host_is_little_endian())
        png_set_swap(png);
    if (!(color & PNG_COLOR_MASK_COLOR) && !(keep & IMAGE_KEEP_GRAY))
        png_set_gray_to_rgb(png);
    png_set_interlace_handling(png);
    png_read_update_info(png, info);
    int channels = png_get_channels(png, info);
    size_t pixel_bytes = (size_t)channels * (depth / 8);
    if (png_get_rowbytes(png, info) != (size_t)w * pixel_bytes)
        png_error(png, "unexpected layout after conversion");
    pixels = malloc((size_t)w * h * pixel_bytes);
    rows = malloc(sizeof(png_bytep) * h);
    if (!pixels || !rows)
        png_error(png, "out of memory");
    for (png_uint_32 y = 0; y < h; y++)
        rows[y] = pixels + (size_t)y * w * pixel_bytes;
    png_read_image(png, rows);
    png_read_end(png, info);
    int orientation = png_orientation(png, info);
    png_destroy_read_struct(&png, &info, NULL);
    free(rows);
    if (!(channels & 1) && !(keep & IMAGE_KEEP_ALPHA)) /* 2 and 4 channels carry alpha */
        composite_on_white(pixels, (size_t)w * h, channels--, depth);
    return image_set_decoded(out, pixels, (int)w, (int)h, channels, depth, orientation, err,
                             errlen);
}

int image_encode_png(const image *img, uint8_t **data, size_t *size, char *err, size_t errlen)
{
    return image_encode_png_level(img, -1, data, size, err, errlen);
}

int image_encode_png_level(const image *img, int zlib_level, uint8_t **data, size_t *size,
                           char *err, size_t errlen)
{
    static const int color_types[5] = {0, PNG_COLOR_TYPE_GRAY, PNG_COLOR_TYPE_GRAY_ALPHA,
                                       PNG_COLOR_TYPE_RGB, PNG_COLOR_TYPE_RGB_ALPHA};
    char msg[200] = "";
    png_sink sink = {NULL, 0, 0};
    png_sink *volatile sinkp = &sink;
    *data = NULL;
    *size = 0;
    if (img->channels < 1 || img->channels > 4) {
        image_set_err(err, errlen, "PNG takes 1 to 4 channels, not %d", img->channels);
        return -1;
    }
    png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, msg, png_fail, png_warn);
    png_infop info = png ? png_create_info_struct(png) : NULL;
    if (!info) {
        png_destroy_write_struct(&png, NULL);
        image_set_err(err, errlen, "out of memory creating the PNG encoder");
        return -1;
    }
    if (setjmp(png_jmpbuf(png))) {
        png_destroy_write_struct(&png, &info);
        free(sinkp->data);
        image_set_err(err, errlen, "PNG encoding failed: %s", msg);
        return -1;
    }
    png_set_write_fn(png, &sink, png_write_sink, png_flush_sink);
    if (zlib_level >= 1 && zlib_level <= 9)
        png_set_compression_level(png, zlib_level);
    int depth = img->depth == 16 ? 16 : 8;
    png_set_IHDR(png, info, (png_uint_32)img->width, (png_uint_32)img->height, depth,
                 color_types[img->channels], PNG_INTERLACE_NONE, PNG_COMPRESSION_TYPE_DEFAULT,
                 PNG_FILTER_TYPE_DEFAULT);
    png_write_info(png, info);
    if (depth == 16 && host_is_little_endian())
        png_set_swap(png);
    size_t row_bytes = (size_t)img->width * img->channels * (depth / 8);
    for (int y = 0; y < img->height; y++)
        png_write_row(png, img->pixels + (size_t)y * row_bytes);
    png_write_end(png, info);
    png_destroy_write_struct(&png, &info);
    *data = sink.data;
    *size = sink.size;
    return 0;
}
