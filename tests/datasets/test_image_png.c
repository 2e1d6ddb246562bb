/* PNG decoding of every colour type / depth (files written with libpng directly) and the
 * PNG encoder's round trip. */
#include <png.h>
#include <stdlib.h>
#include <string.h>

#include "datasets/image.h"
#include "test_common.h"

#define W 7
#define H 5

static uint8_t sample(int x, int y, int c)
{
    return (uint8_t)(x * 37 + y * 53 + c * 91 + 11);
}

static uint8_t over_white(unsigned c, unsigned a)
{
    return (uint8_t)((c * a + 255u * (255u - a) + 127u) / 255u);
}

static int decode(const uint8_t *png, size_t size, image *img)
{
    char err[256] = "";
    int rc = image_decode(png, size, 0, img, err, sizeof err);
    if (rc)
        fprintf(stderr, "decode failed: %s\n", err);
    return rc;
}

/* Decodes a PNG made from rows and checks every pixel against expect(x, y, c). */
static void check_png(const char *what, const png_spec *spec, const uint8_t *rows, size_t rowbytes,
                      uint8_t (*expect)(int, int, int))
{
    size_t size;
    uint8_t *png = png_write_raw(W, H, spec, rows, rowbytes, &size);
    image img;
    int bad = 0;
    CHECK(decode(png, size, &img) == 0);
    if (img.pixels) {
        CHECK(img.width == W && img.height == H && img.channels == 3);
        for (int y = 0; y < H; y++)
            for (int x = 0; x < W; x++)
                for (int c = 0; c < 3; c++)
                    bad += img.pixels[(y * W + x) * 3 + c] != expect(x, y, c);
    }
    if (bad)
        fprintf(stderr, "%s: %d samples differ\n", what, bad);
    CHECK(bad == 0);
    image_free(&img);
    free(png);
}

static uint8_t expect_rgb(int x, int y, int c) { return sample(x, y, c); }
static uint8_t expect_gray(int x, int y, int c) { (void)c; return sample(x, y, 0); }
static uint8_t expect_gray1(int x, int y, int c) { (void)c; return (x + y) % 2 ? 255 : 0; }
static uint8_t expect_rgba(int x, int y, int c) { return over_white(sample(x, y, c), sample(x, y, 3)); }
static uint8_t expect_gray_alpha(int x, int y, int c)
{
    (void)c;
    return over_white(sample(x, y, 0), sample(x, y, 1));
}
static const uint8_t palette[4 * 3] = {255, 0, 0, 0, 255, 0, 0, 0, 255, 10, 20, 30};
static const uint8_t palette_alpha[4] = {255, 128, 0, 200};
static uint8_t expect_palette(int x, int y, int c)
{
    int i = (x + 2 * y) % 4;
    return over_white(palette[3 * i + c], palette_alpha[i]);
}

/* rows of pixels of `channels` samples sample(x, y, c): 8-bit, or 16-bit (big-endian) with
 * the sample as the high byte and noise as the low byte. */
static void fill_samples(uint8_t rows[H][W * 8], int channels, int bit_depth)
{
    for (int y = 0; y < H; y++)
        for (int x = 0; x < W; x++)
            for (int c = 0; c < channels; c++) {
                int i = x * channels + c;
                if (bit_depth == 16) {
                    rows[y][2 * i] = sample(x, y, c);
                    rows[y][2 * i + 1] = (uint8_t)(x * 7 + c);
                } else {
                    rows[y][i] = sample(x, y, c);
                }
            }
}

static void test_color_types(void)
{
    uint8_t rows[H][W * 8];
    png_spec s = {0};

    /* The types whose samples are whole bytes. */
    static const struct {
        const char *what;
        int color_type, channels, bit_depth, interlace;
        uint8_t (*expect)(int x, int y, int c);
    } sampled[] = {
        {"rgb8", PNG_COLOR_TYPE_RGB, 3, 8, 0, expect_rgb},
        {"rgb8 interlaced", PNG_COLOR_TYPE_RGB, 3, 8, 1, expect_rgb},
        {"rgb16", PNG_COLOR_TYPE_RGB, 3, 16, 0, expect_rgb},
        {"rgba8", PNG_COLOR_TYPE_RGB_ALPHA, 4, 8, 0, expect_rgba},
        {"gray8", PNG_COLOR_TYPE_GRAY, 1, 8, 0, expect_gray},
        {"gray16", PNG_COLOR_TYPE_GRAY, 1, 16, 0, expect_gray},
        {"gray+alpha", PNG_COLOR_TYPE_GRAY_ALPHA, 2, 8, 0, expect_gray_alpha},
    };
    for (size_t i = 0; i < sizeof sampled / sizeof *sampled; i++) {
        fill_samples(rows, sampled[i].channels, sampled[i].bit_depth);
        s = (png_spec){.color_type = sampled[i].color_type, .bit_depth = sampled[i].bit_depth,
                       .interlace = sampled[i].interlace};
        check_png(sampled[i].what, &s, &rows[0][0], sizeof rows[0], sampled[i].expect);
    }

    memset(rows, 0, sizeof rows);
    for (int y = 0; y < H; y++)
        for (int x = 0; x < W; x++)
            if ((x + y) % 2)
                rows[y][x / 8] |= (uint8_t)(0x80 >> (x % 8));
    s = (png_spec){.color_type = PNG_COLOR_TYPE_GRAY, .bit_depth = 1};
    check_png("gray1", &s, &rows[0][0], sizeof rows[0], expect_gray1);

    for (int y = 0; y < H; y++)
        for (int x = 0; x < W; x++)
            rows[y][x] = (uint8_t)((x + 2 * y) % 4);
    s = (png_spec){.color_type = PNG_COLOR_TYPE_PALETTE, .bit_depth = 8, .palette = palette,
                   .npalette = 4, .trns = palette_alpha, .ntrns = 4};
    check_png("palette8+tRNS", &s, &rows[0][0], sizeof rows[0], expect_palette);

    memset(rows, 0, sizeof rows);
    for (int y = 0; y < H; y++)
        for (int x = 0; x < W; x++)
            rows[y][x / 2] |= (uint8_t)(((x + 2 * y) % 4) << (x % 2 ? 0 : 4));
    s.bit_depth = 4;
    check_png("palette4+tRNS", &s, &rows[0][0], sizeof rows[0], expect_palette);
}

/* eXIf orientation 6 (rotate 90 clockwise): output W' = H, out(x, y) = in(y, H - 1 - x). */
static void test_exif_chunk(void)
{
    uint8_t rows[H][W * 3], app1[64];
    for (int y = 0; y < H; y++)
        for (int x = 0; x < W; x++)
            for (int c = 0; c < 3; c++)
                rows[y][x * 3 + c] = sample(x, y, c);
    size_t n = exif_app1(app1, 6, 0);
    png_spec s = {.color_type = PNG_COLOR_TYPE_RGB, .bit_depth = 8, .exif = app1 + 6,
                  .exif_len = (int)n - 6};
    size_t size;
    uint8_t *png = png_write_raw(W, H, &s, &rows[0][0], sizeof rows[0], &size);
    image img;
    CHECK(decode(png, size, &img) == 0);
    CHECK(img.width == H && img.height == W);
    int bad = 0;
    for (int y = 0; img.pixels && y < W; y++)
        for (int x = 0; x < H; x++)
            for (int c = 0; c < 3; c++)
                bad += img.pixels[(y * H + x) * 3 + c] != sample(y, H - 1 - x, c);
    CHECK(bad == 0);
    image_free(&img);
    free(png);
}

/* ch channels encoded at zlib_level decode to the same pixels (alpha composited on white). */
static void check_encoder_round_trip(int ch, int zlib_level)
{
    image src, back;
    CHECK(image_alloc(&src, W, H, ch) == 0);
    for (int i = 0; i < W * H * ch; i++)
        src.pixels[i] = (uint8_t)(i * 29 + 3);
    uint8_t *data;
    size_t size;
    char err[256];
    CHECK(image_encode_png_level(&src, zlib_level, &data, &size, err, sizeof err) == 0);
    CHECK(decode(data, size, &back) == 0);
    int bad = 0;
    for (int i = 0; back.pixels && i < W * H; i++)
        for (int c = 0; c < 3; c++) {
            const uint8_t *p = src.pixels + i * ch;
            uint8_t want = ch == 1 ? p[0] : ch == 2 ? over_white(p[0], p[1])
                           : ch == 3 ? p[c] : over_white(p[c], p[3]);
            bad += back.pixels[i * 3 + c] != want;
        }
    CHECK(bad == 0);
    free(data);
    image_free(&src);
    image_free(&back);
}

static void test_encoder_round_trip(void)
{
    static const int zlib_levels[] = {-1, 1, 9}; /* zlib's default, fastest, smallest */
    for (int ch = 1; ch <= 4; ch++)
        for (size_t k = 0; k < sizeof zlib_levels / sizeof *zlib_levels; k++)
            check_encoder_round_trip(ch, zlib_levels[k]);
    /* Through a file: image_save_png writes atomically and image_load reads it back. */
    char dir[64], path[128], err[256];
    make_temp_dir(dir);
    snprintf(path, sizeof path, "%s/out.png", dir);
    image src, back;
    CHECK(image_alloc(&src, W, H, 3) == 0);
    for (int i = 0; i < W * H * 3; i++)
        src.pixels[i] = (uint8_t)(i * 13);
    CHECK(image_save_png(path, &src, err, sizeof err) == 0);
    CHECK(image_load(path, 0, &back, err, sizeof err) == 0);
    CHECK(back.pixels && !memcmp(back.pixels, src.pixels, W * H * 3));
    image_free(&src);
    image_free(&back);
    remove_tree(dir);
}

int main(void)
{
    test_color_types();
    test_exif_chunk();
    test_encoder_round_trip();
    return TEST_RESULT();
}
