/* Bicubic resize and convert('L') against Pillow's output (tools/make_resize_fixture.py), and
 * the reference's transform sizes, crop, flip and normalisation. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "datasets/preprocess.h"
#include "test_common.h"

static int load(const char *name, image *img)
{
    char path[256], err[256];
    snprintf(path, sizeof path, "tests/datasets/fixtures/%s", name);
    if (image_load(path, 0, img, err, sizeof err)) {
        fprintf(stderr, "%s: %s\n", path, err);
        return -1;
    }
    return 0;
}

static void test_resize_vs_pil(void)
{
    static const int sizes[][2] = {{64, 48}, {17, 11}, {41, 13}, {90, 29}, {7, 5}, {100, 70}};
    image src;
    CHECK(load("resize_src.png", &src) == 0);
    for (size_t i = 0; src.pixels && i < sizeof sizes / sizeof sizes[0]; i++) {
        char name[64];
        image want, got;
        snprintf(name, sizeof name, "resize_%dx%d.png", sizes[i][0], sizes[i][1]);
        CHECK(load(name, &want) == 0);
        CHECK(image_resize_bicubic(&src, sizes[i][0], sizes[i][1], &got) == 0);
        int maxdiff = 0, exact = 0, n = sizes[i][0] * sizes[i][1] * 3;
        for (int k = 0; want.pixels && got.pixels && k < n; k++) {
            int d = abs(want.pixels[k] - got.pixels[k]);
            maxdiff = d > maxdiff ? d : maxdiff;
            exact += d == 0;
        }
        if (maxdiff > 1 || exact < n)
            fprintf(stderr, "%s: max difference %d, %d of %d exact\n", name, maxdiff, exact, n);
        CHECK(maxdiff <= 1);
        image_free(&want);
        image_free(&got);
    }
    image gray_want, gray;
    CHECK(load("resize_gray.png", &gray_want) == 0);
    CHECK(image_to_gray(&src, &gray) == 0);
    int bad = 0;
    for (int k = 0; gray.pixels && gray_want.pixels && k < src.width * src.height; k++)
        bad += gray.pixels[k] != gray_want.pixels[3 * k];
    CHECK(bad == 0);
    image_free(&gray_want);
    image_free(&gray);
    image_free(&src);
}

/* The reference's transform of both halves of an A|B image (Pillow-made fixture). */
static void test_pipeline_vs_reference(void)
{
    image ab, a, b, want_a, want_b, out_a, out_b;
    CHECK(load("pipeline_ab.png", &ab) == 0);
    CHECK(load("pipeline_a_gray.png", &want_a) == 0);
    CHECK(load("pipeline_b.png", &want_b) == 0);
    if (!ab.pixels || !want_a.pixels || !want_b.pixels)
        return;
    CHECK(image_crop(&ab, 0, 0, 30, 30, &a) == 0 && image_crop(&ab, 30, 0, 30, 30, &b) == 0);
    preprocess_opts o = {PREPROCESS_RESIZE_AND_CROP, 40, 32, 0};
    preprocess_params p = {3, 6, 1};
    CHECK(preprocess_apply(&o, &p, &a, 1, &out_a) == 0 && out_a.channels == 1);
    CHECK(preprocess_apply(&o, &p, &b, 0, &out_b) == 0 && out_b.channels == 3);
    int bad = 0;
    for (int i = 0; i < 32 * 32; i++) {
        bad += out_a.pixels[i] != want_a.pixels[3 * i];
        bad += memcmp(out_b.pixels + 3 * i, want_b.pixels + 3 * i, 3) != 0;
    }
    CHECK(bad == 0);
    image_free(&ab), image_free(&a), image_free(&b), image_free(&want_a), image_free(&want_b);
    image_free(&out_a), image_free(&out_b);
}

static void test_output_sizes(void)
{
    int w, h;
    preprocess_opts o = {PREPROCESS_RESIZE_AND_CROP, 286, 256, 0};
    CHECK(preprocess_output_size(&o, 600, 400, &w, &h) == 0 && w == 256 && h == 256);
    o.mode = PREPROCESS_SCALE_WIDTH; /* h = int(max(286 * 400 / 600, 256)) */
    CHECK(preprocess_output_size(&o, 600, 400, &w, &h) == 0 && w == 286 && h == 256);
    CHECK(preprocess_output_size(&o, 300, 600, &w, &h) == 0 && w == 286 && h == 572);
    CHECK(preprocess_output_size(&o, 286, 300, &w, &h) == 0 && w == 286 && h == 300);
    o.mode = PREPROCESS_SCALE_WIDTH_AND_CROP;
    CHECK(preprocess_output_size(&o, 300, 600, &w, &h) == 0 && w == 256 && h == 256);
    o.mode = PREPROCESS_CROP;
    CHECK(preprocess_output_size(&o, 300, 200, &w, &h) == 0 && w == 256 && h == 256);
    CHECK(preprocess_output_size(&o, 200, 100, &w, &h) == 0 && w == 200 && h == 100);
    o.mode = PREPROCESS_NONE; /* Python round(): halves go to the even neighbour */
    CHECK(preprocess_output_size(&o, 250, 254, &w, &h) == 0 && w == 248 && h == 256);
    CHECK(preprocess_output_size(&o, 256, 129, &w, &h) == 0 && w == 256 && h == 128);
    CHECK(preprocess_output_size(&o, 1, 5, &w, &h) == -1);
}

/* Crop positions stay in range and both values of the flip occur. */
static void test_params(void)
{
    preprocess_opts o = {PREPROCESS_RESIZE_AND_CROP, 286, 256, 0};
    int flips = 0, max_x = 0, max_y = 0;
    for (uint64_t s = 0; s < 2000; s++) {
        preprocess_params p;
        preprocess_draw_params(&o, 512, 512, s, &p);
        CHECK(p.crop_x >= 0 && p.crop_x <= 30 && p.crop_y >= 0 && p.crop_y <= 30);
        max_x = p.crop_x > max_x ? p.crop_x : max_x;
        max_y = p.crop_y > max_y ? p.crop_y : max_y;
        flips += p.flip;
    }
    CHECK(max_x == 30 && max_y == 30 && flips > 800 && flips < 1200);
    o.mode = PREPROCESS_SCALE_WIDTH_AND_CROP; /* new_h = 286 * 300 // 600 = 143 < crop: y = 0 */
    preprocess_params p;
    preprocess_draw_params(&o, 600, 300, 7, &p);
    CHECK(p.crop_y == 0 && p.crop_x <= 30);
}

static void test_apply(void)
{
    image src, out;
    CHECK(image_alloc(&src, 40, 30, 3) == 0);
    for (int i = 0; i < 40 * 30 * 3; i++)
        src.pixels[i] = (uint8_t)(i % 251);
    /* crop mode: the crop window's pixels, then mirrored. */
    preprocess_opts o = {PREPROCESS_CROP, 0, 16, 0};
    preprocess_params p = {5, 7, 1};
    CHECK(preprocess_apply(&o, &p, &src, 0, &out) == 0);
    CHECK(out.width == 16 && out.height == 16);
    int bad = 0;
    for (int y = 0; out.pixels && y < 16; y++)
        for (int x = 0; x < 16; x++)
            bad += memcmp(out.pixels + (y * 16 + x) * 3,
                          src.pixels + ((y + 7) * 40 + (5 + 15 - x)) * 3, 3) != 0;
    CHECK(bad == 0);
    image_free(&out);
    /* A window past the edge is black there (PIL crop). */
    CHECK(image_crop(&src, 35, -2, 10, 4, &out) == 0);
    CHECK(out.pixels[0] == 0 && out.pixels[(3 * 10 + 9) * 3] == 0 &&
          !memcmp(out.pixels + (2 * 10) * 3, src.pixels + 35 * 3, 3));
    image_free(&out);
    /* resize_and_crop equals resize then crop; gray has one channel. */
    o = (preprocess_opts){PREPROCESS_RESIZE_AND_CROP, 50, 32, 1};
    p = (preprocess_params){3, 9, 1};
    CHECK(preprocess_apply(&o, &p, &src, 1, &out) == 0);
    image gray, resized, cropped;
    CHECK(image_to_gray(&src, &gray) == 0);
    CHECK(image_resize_bicubic(&gray, 50, 50, &resized) == 0);
    CHECK(image_crop(&resized, 3, 9, 32, 32, &cropped) == 0);
    CHECK(out.channels == 1 && out.width == 32 && !memcmp(out.pixels, cropped.pixels, 32 * 32));
    float f[32 * 32];
    preprocess_to_float(&out, f);
    CHECK(fabsf(f[0] - ((float)out.pixels[0] / 255.0f - 0.5f) / 0.5f) == 0.0f);
    CHECK(f[0] >= -1.0f && f[0] <= 1.0f);
    image_free(&gray);
    image_free(&resized);
    image_free(&cropped);
    image_free(&out);
    image_free(&src);
}

int main(void)
{
    test_resize_vs_pil();
    test_pipeline_vs_reference();
    test_output_sizes();
    test_params();
    test_apply();
    return TEST_RESULT();
}
