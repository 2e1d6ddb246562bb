/* Bad input never crashes and always yields a one-line reason: empty, non-image, truncated,
 * corrupt, oversized; and the fuzz seed corpus decodes or fails cleanly. */
#include <dirent.h>
#include <png.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "datasets/image.h"
#include "test_common.h"

static uint8_t *good_png(size_t *size)
{
    uint8_t rows[4][6 * 3];
    for (int i = 0; i < 4 * 18; i++)
        rows[i / 18][i % 18] = (uint8_t)(i * 11);
    png_spec s = {.color_type = PNG_COLOR_TYPE_RGB, .bit_depth = 8};
    return png_write_raw(6, 4, &s, &rows[0][0], sizeof rows[0], size);
}

static uint8_t *good_jpeg(size_t *size)
{
    uint8_t px[32 * 32 * 3];
    for (int i = 0; i < 32 * 32 * 3; i++)
        px[i] = (uint8_t)(i * 7);
    jpeg_spec s = {3, 2 /* JCS_RGB */, 0, -1, 90, 0, NULL, 0};
    return jpeg_write_raw(32, 32, &s, px, size);
}

/* Decoding fails with a non-empty single-line reason containing `expect`. */
static void expect_failure(const char *what, const uint8_t *data, size_t size, const char *expect)
{
    image img;
    char err[256] = "";
    int rc = image_decode(data, size, 0, &img, err, sizeof err);
    if (rc != -1 || !strstr(err, expect) || strchr(err, '\n')) {
        fprintf(stderr, "%s: rc %d, reason '%s' (wanted '%s')\n", what, rc, err, expect);
        test_failures++;
    }
    CHECK(rc == -1 ? img.pixels == NULL : 1);
    if (rc == 0)
        image_free(&img);
}

static void test_bad_buffers(void)
{
    size_t np, nj;
    uint8_t *png = good_png(&np), *jpg = good_jpeg(&nj);
    expect_failure("empty", png, 0, "empty");
    expect_failure("text", (const uint8_t *)"hello, world\n", 13, "not a JPEG or PNG");
    expect_failure("png magic only", png, 8, "PNG");
    expect_failure("truncated png", png, np - 20, "PNG");
    expect_failure("truncated jpeg", jpg, nj / 2, "JPEG");
    expect_failure("jpeg header only", jpg, 40, "JPEG");

    /* A flipped byte inside IDAT fails its CRC. */
    uint8_t *copy = malloc(np);
    memcpy(copy, png, np);
    for (size_t i = 8; i + 8 < np; i++)
        if (!memcmp(copy + i, "IDAT", 4)) {
            copy[i + 6] ^= 0x55;
            break;
        }
    expect_failure("png crc", copy, np, "PNG");

    /* IHDR rewritten to 60000 x 60000 with a valid CRC: refused by the pixel limit. */
    memcpy(copy, png, np);
    for (int k = 0; k < 2; k++) {
        copy[16 + 4 * k] = 0;
        copy[17 + 4 * k] = 0;
        copy[18 + 4 * k] = 60000 >> 8;
        copy[19 + 4 * k] = 60000 & 0xFF;
    }
    uint32_t crc = (uint32_t)crc32(0, copy + 12, 17);
    copy[29] = (uint8_t)(crc >> 24);
    copy[30] = (uint8_t)(crc >> 16);
    copy[31] = (uint8_t)(crc >> 8);
    copy[32] = (uint8_t)crc;
    expect_failure("png huge", copy, np, "limit");
    free(copy);

    /* JPEG whose SOF marker is destroyed. */
    copy = malloc(nj);
    memcpy(copy, jpg, nj);
    for (size_t i = 0; i + 1 < nj; i++)
        if (copy[i] == 0xFF && copy[i + 1] == 0xC0) {
            copy[i + 1] = 0xCF; /* an unsupported SOF type */
            break;
        }
    expect_failure("jpeg sof", copy, nj, "JPEG");
    free(copy);
    free(png);
    free(jpg);
}

static void test_bad_files(void)
{
    char dir[64], path[128], err[256];
    image img;
    make_temp_dir(dir);
    snprintf(path, sizeof path, "%s/missing.png", dir);
    CHECK(image_load(path, 0, &img, err, sizeof err) == -1 && strstr(err, "cannot open"));
    CHECK(image_load(dir, 0, &img, err, sizeof err) == -1 && strstr(err, "not a regular file"));
    snprintf(path, sizeof path, "%s/empty.jpg", dir);
    write_whole_file(path, "", 0);
    CHECK(image_load(path, 0, &img, err, sizeof err) == -1 && strstr(err, "empty"));
    /* Content decides, not the extension. */
    size_t np;
    uint8_t *png = good_png(&np);
    snprintf(path, sizeof path, "%s/actually_png.jpg", dir);
    write_whole_file(path, png, np);
    CHECK(image_load(path, 0, &img, err, sizeof err) == 0 && img.width == 6 && img.height == 4);
    image_free(&img);
    free(png);
    remove_tree(dir);
}

/* Every seed of the fuzz corpus decodes or fails with a reason. */
static void test_corpus(void)
{
    const char *dir = "tests/fuzz/corpus_image";
    DIR *d = opendir(dir);
    CHECK(d != NULL);
    int files = 0, decoded = 0;
    struct dirent *e;
    while (d && (e = readdir(d))) {
        if (e->d_name[0] == '.')
            continue;
        char path[512], err[256] = "";
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        image img;
        files++;
        if (image_load(path, 4000000, &img, err, sizeof err) == 0) {
            decoded++;
            CHECK(img.width > 0 && img.height > 0 && img.channels == 3);
            image_free(&img);
        } else {
            CHECK(err[0] != 0);
            CHECK(strstr(e->d_name, "truncated") != NULL);
        }
    }
    if (d)
        closedir(d);
    CHECK(files >= 10 && decoded == files - 1);
}

int main(void)
{
    test_bad_buffers();
    test_bad_files();
    test_corpus();
    return TEST_RESULT();
}
