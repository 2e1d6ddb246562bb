/* JPEG decoding (RGB, gray, CMYK/YCCK with and without Adobe inversion, progressive, EXIF
 * orientations 1-8) from files written with libjpeg directly, the encoder, the pixel limit. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jpeglib.h>

#include "datasets/image.h"
#include "test_common.h"

#define B 16 /* block side: flat 16x16 blocks survive chroma subsampling */
#define GW 4
#define GH 2

static const uint8_t colours[GW * GH][3] = {
    {200, 30, 30}, {30, 200, 30}, {30, 30, 200}, {220, 220, 40},
    {40, 210, 210}, {210, 40, 210}, {128, 128, 128}, {250, 250, 250}};

/* A GW x GH grid of flat blocks of the colours above. */
static void fill_blocks(uint8_t *px, int channels)
{
    for (int y = 0; y < GH * B; y++)
        for (int x = 0; x < GW * B; x++)
            memcpy(px + ((size_t)y * GW * B + x) * channels, colours[(y / B) * GW + x / B],
                   (size_t)channels);
}

static int near(const uint8_t *p, const uint8_t *want, int tol)
{
    for (int c = 0; c < 3; c++)
        if (abs(p[c] - want[c]) > tol)
            return 0;
    return 1;
}

/* Every block centre of img (a grid of gw x gh blocks) is near want(row, col). */
static int blocks_match(const image *img, int gw, int gh, const uint8_t (*want)[3], int tol)
{
    if (!img->pixels || img->width != gw * B || img->height != gh * B || img->channels != 3)
        return 0;
    for (int r = 0; r < gh; r++)
        for (int c = 0; c < gw; c++) {
            const uint8_t *p = img->pixels + ((size_t)(r * B + B / 2) * img->width + c * B + B / 2) * 3;
            if (!near(p, want[r * gw + c], tol)) {
                fprintf(stderr, "block %d,%d: %d %d %d, want %d %d %d\n", r, c, p[0], p[1], p[2],
                        want[r * gw + c][0], want[r * gw + c][1], want[r * gw + c][2]);
                return 0;
            }
        }
    return 1;
}

static int decode(const uint8_t *data, size_t size, long long limit, image *img, char *err)
{
    return image_decode(data, size, limit, img, err, 256);
}

static void test_rgb_gray_progressive(void)
{
    uint8_t px[GW * B * GH * B * 3];
    char err[256];
    image img;
    size_t size;
    fill_blocks(px, 3);
    for (int progressive = 0; progressive <= 1; progressive++) {
        jpeg_spec s = {3, JCS_RGB, 0, -1, 95, progressive, NULL, 0};
        uint8_t *jpg = jpeg_write_raw(GW * B, GH * B, &s, px, &size);
        CHECK(decode(jpg, size, 0, &img, err) == 0);
        CHECK(blocks_match(&img, GW, GH, colours, 6));
        image_free(&img);
        free(jpg);
    }
    uint8_t gray[GW * B * GH * B], want[GW * GH][3];
    for (int i = 0; i < GW * B * GH * B; i++)
        gray[i] = px[3 * i + 1];
    for (int i = 0; i < GW * GH; i++)
        memset(want[i], colours[i][1], 3);
    jpeg_spec s = {1, JCS_GRAYSCALE, 0, -1, 95, 0, NULL, 0};
    uint8_t *jpg = jpeg_write_raw(GW * B, GH * B, &s, gray, &size);
    CHECK(decode(jpg, size, 0, &img, err) == 0);
    CHECK(blocks_match(&img, GW, GH, (const uint8_t(*)[3])want, 3));
    image_free(&img);
    free(jpg);
}

/* CMYK ink amounts per block, written raw (Adobe: inverted, as Photoshop stores them). */
static void test_cmyk(void)
{
    static const uint8_t ink[GW * GH][4] = {
        {0, 255, 255, 0}, {255, 0, 255, 0}, {255, 255, 0, 0}, {0, 0, 0, 0},
        {0, 0, 0, 255}, {0, 0, 0, 128}, {64, 128, 192, 32}, {200, 100, 0, 60}};
    uint8_t want[GW * GH][3];
    for (int i = 0; i < GW * GH; i++)
        for (int c = 0; c < 3; c++)
            want[i][c] = (uint8_t)((255 - ink[i][c]) * (255 - ink[i][3]) / 255);
    for (int variant = 0; variant < 3; variant++) {
        /* 0: CMYK with Adobe marker (inverted), 1: YCCK (Adobe, inverted), 2: plain CMYK */
        int adobe = variant < 2;
        uint8_t raw[GW * B * GH * B * 4];
        for (int y = 0; y < GH * B; y++)
            for (int x = 0; x < GW * B; x++)
                for (int c = 0; c < 4; c++) {
                    uint8_t v = ink[(y / B) * GW + x / B][c];
                    raw[((size_t)y * GW * B + x) * 4 + c] = adobe ? (uint8_t)(255 - v) : v;
                }
        jpeg_spec s = {4, JCS_CMYK, variant == 1 ? JCS_YCCK : JCS_CMYK, adobe, 100, 0, NULL, 0};
        size_t size;
        uint8_t *jpg = jpeg_write_raw(GW * B, GH * B, &s, raw, &size);
        image img;
        char err[256];
        CHECK(decode(jpg, size, 0, &img, err) == 0);
        if (!blocks_match(&img, GW, GH, (const uint8_t(*)[3])want, 6)) {
            fprintf(stderr, "CMYK variant %d wrong\n", variant);
            test_failures++;
        }
        image_free(&img);
        free(jpg);
    }
}

/* PIL's exif_transpose of the GW x GH block grid G, as block colour indices. */
static int oriented_index(int o, int r, int c)
{
    switch (o) {
    case 1: return r * GW + c;
    case 2: return r * GW + (GW - 1 - c);
    case 3: return (GH - 1 - r) * GW + (GW - 1 - c);
    case 4: return (GH - 1 - r) * GW + c;
    case 5: return c * GW + r;                       /* transpose */
    case 6: return (GH - 1 - c) * GW + r;            /* rotate 90 clockwise */
    case 7: return (GH - 1 - c) * GW + (GW - 1 - r); /* transverse */
    default: return c * GW + (GW - 1 - r);           /* 8: rotate 90 counter-clockwise */
    }
}

static void test_exif_orientation(void)
{
    uint8_t px[GW * B * GH * B * 3], app1[64];
    fill_blocks(px, 3);
    for (int big = 0; big <= 1; big++)
        for (int o = 1; o <= 8; o++) {
            size_t n = exif_app1(app1, o, big), size;
            jpeg_spec s = {3, JCS_RGB, 0, -1, 95, 0, app1, n};
            uint8_t *jpg = jpeg_write_raw(GW * B, GH * B, &s, px, &size);
            image img;
            char err[256];
            CHECK(decode(jpg, size, 0, &img, err) == 0);
            int gw = o >= 5 ? GH : GW, gh = o >= 5 ? GW : GH;
            uint8_t want[GW * GH][3];
            for (int r = 0; r < gh; r++)
                for (int c = 0; c < gw; c++)
                    memcpy(want[r * gw + c], colours[oriented_index(o, r, c)], 3);
            if (!blocks_match(&img, gw, gh, (const uint8_t(*)[3])want, 6)) {
                fprintf(stderr, "orientation %d (%s) wrong\n", o, big ? "MM" : "II");
                test_failures++;
            }
            image_free(&img);
            free(jpg);
        }
}

static void test_encoder_and_limit(void)
{
    image src, back;
    char err[256];
    uint8_t *data;
    size_t size;
    CHECK(image_alloc(&src, GW * B, GH * B, 3) == 0);
    fill_blocks(src.pixels, 3);
    CHECK(image_encode_jpeg(&src, 90, &data, &size, err, sizeof err) == 0);
    CHECK(decode(data, size, 0, &back, err) == 0);
    CHECK(blocks_match(&back, GW, GH, colours, 8));
    image_free(&back);
    /* A higher quality gives a bigger file. */
    uint8_t *data2;
    size_t size2;
    CHECK(image_encode_jpeg(&src, 20, &data2, &size2, err, sizeof err) == 0);
    CHECK(size2 < size);
    free(data2);
    CHECK(image_encode_jpeg(&src, 0, &data2, &size2, err, sizeof err) == -1);

    /* The limit is configurable and applies to the declared size. */
    CHECK(decode(data, size, GW * B * GH * B - 1, &back, err) == -1);
    CHECK(strstr(err, "limit") != NULL);
    CHECK(decode(data, size, GW * B * GH * B, &back, err) == 0);
    image_free(&back);
    /* A header declaring 30000 x 30000 is refused before any pixel buffer is made. */
    for (size_t i = 0; i + 9 < size; i++)
        if (data[i] == 0xFF && data[i + 1] == 0xC0) { /* SOF0: len(2) P(1) Y(2) X(2) */
            data[i + 5] = data[i + 7] = 30000 >> 8;
            data[i + 6] = data[i + 8] = 30000 & 0xFF;
            break;
        }
    CHECK(decode(data, size, 0, &back, err) == -1);
    CHECK(strstr(err, "900000000") != NULL);
    free(data);

    /* Grayscale images encode as 1-component JPEG. */
    image gray;
    CHECK(image_to_gray(&src, &gray) == 0);
    CHECK(image_encode_jpeg(&gray, 95, &data, &size, err, sizeof err) == 0);
    CHECK(decode(data, size, 0, &back, err) == 0);
    CHECK(back.pixels && abs(back.pixels[0] - gray.pixels[0]) <= 3 && back.pixels[0] == back.pixels[2]);
    free(data);
    image_free(&back);
    image_free(&gray);
    image_free(&src);
}

int main(void)
{
    test_rgb_gray_progressive();
    test_cmyk();
    test_exif_orientation();
    test_encoder_and_limit();
    return TEST_RESULT();
}
