/* Helper of the robustness scripts.
 *   robust_tool inputs DIR CORPUS  writes good images and every kind of bad input into DIR
 *                                  (CORPUS: tests/fuzz/corpus_image, for 16-bit and CMYK);
 *   robust_tool decode FILE...     decodes each file, prints "FILE WxH", exit 1 if one fails;
 *   robust_tool same FILE FILE     exit 0 when both files have the same bytes;
 *   robust_tool info FILE          "WxH CHANNELS DEPTH ALPHA FINE" as stored: ALPHA a hash of
 *                                  the alpha samples (- without), FINE how many 16-bit samples
 *                                  are not an 8-bit value times 257;
 *   robust_tool diff A B           "MAX MEAN": the largest and the mean difference of the
 *                                  samples of two images of one layout, in levels of 255;
 *   robust_tool noise FILE SIDE    writes a PNG of random pixels (large for its size);
 *   robust_tool set-value IN OUT TENSOR FIRST LAST VALUE
 *                                  copies the safetensors file IN to OUT (metadata too) with
 *                                  the float32 values FIRST..LAST of TENSOR replaced (VALUE
 *                                  may be nan or inf);
 *   robust_tool pth-zip OUT PICKLE  writes OUT, a torch.save zip archive (deflated) whose
 *                                  archive/data.pkl is the file PICKLE;
 *   robust_tool maxrss CMD ARG...  runs CMD, then prints "STATUS KB SECONDS": its exit status
 *                                  (128 + the signal when killed), its peak resident memory
 *                                  and how long it ran. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <zip.h>

#include "datasets/image.h"
#include "engine/engine.h"
#include "engine/safetensors.h"
#include "test_files.h"

static void die(const char *what)
{
    perror(what);
    exit(2);
}

/* A smooth test picture, so that translated results are ordinary images. */
static void picture(image *img, int w, int h, int channels)
{
    if (image_alloc(img, w, h, channels))
        die("image_alloc");
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++)
            for (int c = 0; c < channels; c++) {
                int v = c == 3 ? 128 + x % 128 : (x * 255 / w + y * 97 / h + 60 * c) % 256;
                img->pixels[((size_t)y * w + x) * channels + c] = (unsigned char)v;
            }
}

static unsigned char *encode(int w, int h, int channels, int jpeg, size_t *size)
{
    image img;
    unsigned char *data;
    char err[256];
    picture(&img, w, h, channels);
    if (jpeg ? image_encode_jpeg(&img, 90, &data, size, err, sizeof err)
             : image_encode_png(&img, &data, size, err, sizeof err)) {
        fprintf(stderr, "encode: %s\n", err);
        exit(2);
    }
    image_free(&img);
    return data;
}

static unsigned long crc32_png(const unsigned char *p, size_t n)
{
    unsigned long c = 0xffffffffUL;
    for (size_t i = 0; i < n; i++) {
        c ^= p[i];
        for (int k = 0; k < 8; k++)
            c = c & 1 ? 0xedb88320UL ^ (c >> 1) : c >> 1;
    }
    return c ^ 0xffffffffUL;
}

static void put_be32(unsigned char *p, unsigned long v)
{
    p[0] = (unsigned char)(v >> 24);
    p[1] = (unsigned char)(v >> 16);
    p[2] = (unsigned char)(v >> 8);
    p[3] = (unsigned char)v;
}

static void copy_corpus(const char *corpus, const char *name, const char *dir, const char *as)
{
    char path[4096];
    size_t n;
    snprintf(path, sizeof path, "%s/%s", corpus, name);
    unsigned char *b = read_whole_file_or_exit(path, &n);
    write_file_in(dir, as, b, n);
    free(b);
}

static int make_inputs(const char *dir, const char *corpus)
{
    size_t n;
    unsigned char *png = encode(40, 30, 3, 0, &n);
    write_file_in(dir, "good_rgb.png", png, n);
    write_file_in(dir, "truncated.png", png, n / 2);
    /* The IHDR chunk's CRC (bytes 29..32) no longer matches its data. */
    png[30] ^= 0x55;
    write_file_in(dir, "bad_crc.png", png, n);
    png[30] ^= 0x55;
    /* IHDR declaring 70000x70000, with a correct CRC: refused from the header. */
    put_be32(png + 16, 70000);
    put_be32(png + 20, 70000);
    put_be32(png + 29, crc32_png(png + 12, 17));
    write_file_in(dir, "huge_70000.png", png, n);
    free(png);
    unsigned char *jpg = encode(40, 30, 3, 1, &n);
    write_file_in(dir, "good_jpeg.jpg", jpg, n);
    write_file_in(dir, "truncated_jpeg.jpg", jpg, n * 2 / 3);
    jpg[0] = 'G';
    write_file_in(dir, "wrong_magic.jpg", jpg, n);
    free(jpg);
    png = encode(1, 1, 3, 0, &n);
    write_file_in(dir, "tiny_1x1.png", png, n);
    free(png);
    png = encode(40, 30, 1, 0, &n);
    write_file_in(dir, "gray.png", png, n);
    free(png);
    png = encode(40, 30, 4, 0, &n);
    write_file_in(dir, "rgba.png", png, n);
    free(png);
    copy_corpus(corpus, "gray16.png", dir, "gray16.png");
    copy_corpus(corpus, "cmyk.jpg", dir, "cmyk.jpg");
    write_file_in(dir, "empty.png", "", 0);
    const char text[] = "this is not a picture\n";
    write_file_in(dir, "text.jpg", text, sizeof text - 1);
    char path[4096];
    snprintf(path, sizeof path, "%s/folder.png", dir);
    if (mkdir(path, 0755))
        die(path);
    snprintf(path, sizeof path, "%s/dangling.png", dir);
    if (symlink("no_such_target.png", path))
        die(path);
    return 0;
}

static int noise(const char *path, int side)
{
    image img;
    char err[256];
    if (image_alloc(&img, side, side, 3))
        die("image_alloc");
    uint32_t x = 12345;
    for (size_t i = 0; i < (size_t)side * side * 3; i++) {
        x = x * 1664525u + 1013904223u;
        img.pixels[i] = (uint8_t)(x >> 24);
    }
    int rc = image_save_png(path, &img, err, sizeof err);
    if (rc)
        fprintf(stderr, "%s: %s\n", path, err);
    image_free(&img);
    return rc ? 2 : 0;
}

static int decode(int n, char **files)
{
    int bad = 0;
    for (int i = 0; i < n; i++) {
        image img;
        char err[256];
        if (image_load(files[i], 0, &img, err, sizeof err)) {
            printf("%s: %s\n", files[i], err);
            bad = 1;
            continue;
        }
        printf("%s %dx%d\n", files[i], img.width, img.height);
        image_free(&img);
    }
    return bad;
}

static int load_kept(const char *path, image *img)
{
    char err[256];
    if (!image_load_as(path, 0, IMAGE_KEEP_GRAY | IMAGE_KEEP_ALPHA | IMAGE_KEEP_16BIT, img, err,
                       sizeof err))
        return 0;
    fprintf(stderr, "%s: %s\n", path, err);
    return -1;
}

/* Sample i in levels of 255. */
static double level(const image *img, size_t i)
{
    return img->depth == 16 ? ((const uint16_t *)img->pixels)[i] / 257.0 : img->pixels[i];
}

static int info(const char *path)
{
    image img;
    if (load_kept(path, &img))
        return 1;
    size_t n = (size_t)img.width * img.height, fine = 0;
    uint32_t hash = 2166136261u;
    for (size_t i = 0; i < n * img.channels; i++) {
        unsigned v = img.depth == 16 ? ((const uint16_t *)img.pixels)[i] : img.pixels[i];
        fine += img.depth == 16 && v % 257;
        if (!(img.channels & 1) && i % img.channels == (size_t)img.channels - 1)
            hash = (hash ^ v) * 16777619u;
    }
    printf("%dx%d %d %d ", img.width, img.height, img.channels, img.depth);
    printf(img.channels & 1 ? "-" : "%08x", hash);
    printf(" %zu\n", fine);
    image_free(&img);
    return 0;
}

static int diff(const char *a, const char *b)
{
    image x, y;
    if (load_kept(a, &x) || load_kept(b, &y))
        return 2;
    if (x.width != y.width || x.height != y.height || x.channels != y.channels) {
        fprintf(stderr, "%s and %s differ in size or channels\n", a, b);
        return 1;
    }
    size_t n = (size_t)x.width * x.height * x.channels;
    double most = 0, sum = 0;
    for (size_t i = 0; i < n; i++) {
        double d = fabs(level(&x, i) - level(&y, i));
        most = d > most ? d : most;
        sum += d;
    }
    printf("%.3f %.4f\n", most, sum / n);
    image_free(&x);
    image_free(&y);
    return 0;
}

static int same(const char *a, const char *b)
{
    size_t na, nb;
    unsigned char *x = read_whole_file_or_exit(a, &na), *y = read_whole_file_or_exit(b, &nb);
    int rc = na == nb && !memcmp(x, y, na) ? 0 : 1;
    free(x);
    free(y);
    return rc;
}

static int set_value(const char *in, const char *out, const char *name, long first, long last,
                     float value)
{
    st_file *f = st_open(in);
    if (!f) {
        fprintf(stderr, "%s\n", eng_last_error());
        return 2;
    }
    st_writer *w = st_writer_new();
    float *changed = NULL;
    int rc = 0;
    for (int i = 0; i < st_count(f) && !rc; i++) {
        const st_tensor *t = st_get(f, i);
        const void *data = t->data;
        if (!strcmp(t->name, name)) {
            if (t->dtype != ST_F32 || first < 0 || first > last || (size_t)last >= t->numel ||
                !(changed = malloc(t->nbytes))) {
                fprintf(stderr, "%s: cannot set %s[%ld..%ld]\n", in, name, first, last);
                rc = 2;
                break;
            }
            memcpy(changed, t->data, t->nbytes);
            for (long i = first; i <= last; i++)
                changed[i] = value;
            data = changed;
        }
        rc = st_writer_add(w, t->name, t->dtype, t->ndim, t->shape, data) ? 2 : 0;
    }
    for (int i = 0; i < st_meta_count(f) && !rc; i++)
        rc = st_writer_meta(w, st_meta_key(f, i), st_meta(f, st_meta_key(f, i))) ? 2 : 0;
    if (!rc && !changed) {
        fprintf(stderr, "%s: no float32 tensor %s\n", in, name);
        rc = 2;
    }
    if (!rc && st_writer_save(w, out)) {
        fprintf(stderr, "%s\n", eng_last_error());
        rc = 2;
    }
    st_writer_free(w);
    free(changed);
    st_close(f);
    return rc;
}

static int pth_zip(const char *out, const char *pickle)
{
    int zerr;
    zip_t *z = zip_open(out, ZIP_CREATE | ZIP_TRUNCATE, &zerr);
    zip_source_t *src = z ? zip_source_file(z, pickle, 0, -1) : NULL;
    if (!src || zip_file_add(z, "archive/data.pkl", src, ZIP_FL_OVERWRITE) < 0 ||
        zip_close(z)) {
        fprintf(stderr, "%s: cannot write the archive of %s\n", out, pickle);
        return 2;
    }
    return 0;
}

static int maxrss(char **cmd)
{
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    pid_t pid = fork();
    if (pid < 0)
        die("fork");
    if (!pid) {
        execvp(cmd[0], cmd);
        perror(cmd[0]);
        _exit(127);
    }
    int status;
    struct rusage ru;
    if (wait4(pid, &status, 0, &ru) != pid)
        die("wait4");
    clock_gettime(CLOCK_MONOTONIC, &t1);
    printf("%d %ld %.2f\n", WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status),
           ru.ru_maxrss, (double)(t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc == 4 && !strcmp(argv[1], "inputs"))
        return make_inputs(argv[2], argv[3]);
    if (argc >= 3 && !strcmp(argv[1], "decode"))
        return decode(argc - 2, argv + 2);
    if (argc == 4 && !strcmp(argv[1], "same"))
        return same(argv[2], argv[3]);
    if (argc == 3 && !strcmp(argv[1], "info"))
        return info(argv[2]);
    if (argc == 4 && !strcmp(argv[1], "diff"))
        return diff(argv[2], argv[3]);
    if (argc == 4 && !strcmp(argv[1], "noise"))
        return noise(argv[2], atoi(argv[3]));
    if (argc == 8 && !strcmp(argv[1], "set-value"))
        return set_value(argv[2], argv[3], argv[4], atol(argv[5]), atol(argv[6]),
                         strtof(argv[7], NULL));
    if (argc == 4 && !strcmp(argv[1], "pth-zip"))
        return pth_zip(argv[2], argv[3]);
    if (argc >= 3 && !strcmp(argv[1], "maxrss"))
        return maxrss(argv + 2);
    fprintf(stderr, "usage: robust_tool inputs DIR CORPUS | decode FILE... | same A B | "
                    "info FILE | diff A B | noise FILE SIDE | "
                    "set-value IN OUT TENSOR FIRST LAST VALUE | pth-zip OUT PICKLE | "
                    "maxrss CMD ARG...\n");
    return 2;
}
