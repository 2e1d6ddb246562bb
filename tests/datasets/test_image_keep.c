/* image_load_as / image_decode_as: what each IMAGE_KEEP_* flag keeps (grey, alpha and 16-bit
 * PNG samples, grey JPEG), the EXIF orientation applied to 16-bit pixels, the 16-bit PNG
 * encoder's round trip, and the float bicubic resize against the 8-bit (PIL-exact) one. */
#include <math.h>
#include <png.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jpeglib.h>

#include "datasets/image.h"
#include "test_common.h"

#define W 7
#define H 5
#define ALL (IMAGE_KEEP_GRAY | IMAGE_KEEP_ALPHA | IMAGE_KEEP_16BIT)

static uint16_t sample16(int x, int y, int c)
{
    return (uint16_t)(x * 9337 + y * 4111 + c * 20011 + 17);
}

/* A 16-bit PNG of `channels` samples per pixel (libpng colour type color), big-endian rows. */
static uint8_t *png16(int color, int channels, const uint8_t *exif, int exif_len, size_t *size)
{
    uint8_t rows[H * W * 8];
    for (int y = 0; y < H; y++)
        for (int x = 0; x < W; x++)
            for (int c = 0; c < channels; c++) {
                uint16_t v = sample16(x, y, c);
                rows[((y * W + x) * channels + c) * 2] = (uint8_t)(v >> 8);
                rows[((y * W + x) * channels + c) * 2 + 1] = (uint8_t)v;
            }
    png_spec s = {.color_type = color, .bit_depth = 16, .exif = exif, .exif_len = exif_len};
    return png_write_raw(W, H, &s, rows, (size_t)W * channels * 2, size);
}

static uint16_t at16(const image *img, int x, int y, int c)
{
    return ((const uint16_t *)img->pixels)[((size_t)y * img->width + x) * img->channels + c];
}

static void test_keep_16bit(void)
{
    size_t size;
    char err[256];
    uint8_t *data = png16(PNG_COLOR_TYPE_RGB_ALPHA, 4, NULL, 0, &size);
    image kept = {0}, plain = {0}, colour = {0};
    CHECK(image_decode_as(data, size, 0, ALL, &kept, err, sizeof err) == 0);
    CHECK(kept.channels == 4 && kept.depth == 16);
    int bad = 0;
    for (int y = 0; y < H && kept.pixels; y++)
        for (int x = 0; x < W; x++)
            for (int c = 0; c < 4; c++)
                bad += at16(&kept, x, y, c) != sample16(x, y, c);
    CHECK(bad == 0);
    /* Without the flags: 8-bit RGB over white, as before. */
    CHECK(image_decode(data, size, 0, &plain, err, sizeof err) == 0);
    CHECK(plain.channels == 3 && plain.depth == 8);
    /* 16 bits kept, alpha not: composited on white at 16 bits. */
    CHECK(image_decode_as(data, size, 0, IMAGE_KEEP_16BIT, &colour, err, sizeof err) == 0);
    CHECK(colour.channels == 3 && colour.depth == 16);
    bad = 0;
    for (int y = 0; y < H && colour.pixels; y++)
        for (int x = 0; x < W; x++)
            for (int c = 0; c < 3; c++) {
                uint64_t v = sample16(x, y, c), a = sample16(x, y, 3);
                bad += at16(&colour, x, y, c) != (v * a + 65535u * (65535u - a) + 32767u) / 65535u;
            }
    CHECK(bad == 0);
    /* The encoder writes 16 bits back unchanged. */
    uint8_t *again;
    size_t again_size;
    image round = {0};
    CHECK(image_encode_png(&kept, &again, &again_size, err, sizeof err) == 0);
    CHECK(image_decode_as(again, again_size, 0, ALL, &round, err, sizeof err) == 0);
    CHECK(round.depth == 16 && round.channels == 4 &&
          !memcmp(round.pixels, kept.pixels, (size_t)W * H * 4 * 2));
    free(again);
    free(data);
    image_free(&kept);
    image_free(&plain);
    image_free(&colour);
    image_free(&round);
}

static void test_keep_grey_alpha(void)
{
    uint8_t rows[H * W * 2];
    for (int i = 0; i < H * W; i++)
        rows[2 * i] = (uint8_t)(i * 7), rows[2 * i + 1] = (uint8_t)(255 - i * 5);
    png_spec s = {.color_type = PNG_COLOR_TYPE_GRAY_ALPHA, .bit_depth = 8};
    size_t size;
    char err[256];
    uint8_t *data = png_write_raw(W, H, &s, rows, W * 2, &size);
    image ga = {0}, g = {0}, rgba = {0};
    CHECK(image_decode_as(data, size, 0, ALL, &ga, err, sizeof err) == 0);
    CHECK(ga.channels == 2 && ga.depth == 8 && !memcmp(ga.pixels, rows, sizeof rows));
    CHECK(image_decode_as(data, size, 0, IMAGE_KEEP_GRAY, &g, err, sizeof err) == 0);
    CHECK(g.channels == 1 && g.pixels[1] == (7u * (255u - 5u) + 255u * 5u + 127u) / 255u);
    CHECK(image_decode_as(data, size, 0, IMAGE_KEEP_ALPHA, &rgba, err, sizeof err) == 0);
    CHECK(rgba.channels == 4 && rgba.pixels[4] == 7 && rgba.pixels[7] == 250);
    free(data);
    image_free(&ga);
    image_free(&g);
    image_free(&rgba);

    /* A grey JPEG stays one channel. */
    uint8_t grey[W * H];
    for (int i = 0; i < W * H; i++)
        grey[i] = (uint8_t)(40 + i);
    jpeg_spec js = {.components = 1, .in_space = JCS_GRAYSCALE, .adobe_marker = -1, .quality = 95};
    data = jpeg_write_raw(W, H, &js, grey, &size);
    image j1 = {0}, j3 = {0};
    CHECK(image_decode_as(data, size, 0, IMAGE_KEEP_GRAY, &j1, err, sizeof err) == 0);
    CHECK(image_decode(data, size, 0, &j3, err, sizeof err) == 0);
    CHECK(j1.channels == 1 && j3.channels == 3 && j1.pixels[3] == j3.pixels[9]);
    free(data);
    image_free(&j1);
    image_free(&j3);
}

/* Orientation 6 (rotate 90 clockwise) on 16-bit grey: (x, y) of the result is (y, H-1-x). */
static void test_orientation_16bit(void)
{
    uint8_t app1[64];
    size_t n = exif_app1(app1, 6, 1);
    size_t size;
    char err[256];
    uint8_t *data = png16(PNG_COLOR_TYPE_GRAY, 1, app1 + 6, (int)(n - 6), &size);
    image img = {0};
    CHECK(image_decode_as(data, size, 0, ALL, &img, err, sizeof err) == 0);
    CHECK(img.width == H && img.height == W && img.channels == 1 && img.depth == 16);
    int bad = 0;
    for (int y = 0; y < W && img.pixels; y++)
        for (int x = 0; x < H; x++)
            bad += at16(&img, x, y, 0) != sample16(y, H - 1 - x, 0);
    CHECK(bad == 0);
    free(data);
    image_free(&img);
}

/* The float resize follows the PIL-exact 8-bit one within its rounding (two roundings to
 * 8 bits there: at most about a level), and keeps a constant plane constant. */
static void test_resize_f32(void)
{
    image src = {0}, small = {0};
    int w = 41, h = 13, ow = 17, oh = 29;
    image_alloc(&src, w, h, 1);
    float *f = malloc(sizeof *f * w * h), *g = malloc(sizeof *g * ow * oh);
    for (int i = 0; i < w * h; i++) {
        src.pixels[i] = (uint8_t)((i * 37) % 251);
        f[i] = src.pixels[i];
    }
    CHECK(image_resize_bicubic(&src, ow, oh, &small) == 0);
    CHECK(image_resize_bicubic_f32(f, 1, w, h, g, ow, oh) == 0);
    double worst = 0;
    for (int i = 0; i < ow * oh; i++) {
        double v = g[i] < 0 ? 0 : g[i] > 255 ? 255 : g[i];
        worst = fmax(worst, fabs(v - small.pixels[i]));
    }
    printf("float bicubic against PIL's 8-bit: at most %.3f levels\n", worst);
    CHECK(worst <= 1.5);
    for (int i = 0; i < w * h; i++)
        f[i] = 0.25f;
    CHECK(image_resize_bicubic_f32(f, 1, w, h, g, ow, oh) == 0);
    worst = 0;
    for (int i = 0; i < ow * oh; i++)
        worst = fmax(worst, fabs(g[i] - 0.25));
    CHECK(worst < 1e-6);
    free(f);
    free(g);
    image_free(&src);
    image_free(&small);
}

int main(void)
{
    test_keep_16bit();
    test_keep_grey_alpha();
    test_orientation_16bit();
    test_resize_f32();
    return TEST_RESULT();
}
