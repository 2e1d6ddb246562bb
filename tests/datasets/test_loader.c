/* The pair loader: identical crop/flip for A and B, determinism under a seed whatever the
 * thread count, epochs and batches, both layouts, BtoA, grayscale, and bad files. */
#include <fcntl.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "datasets/image.h"
#include "datasets/loader.h"
#include "test_common.h"

#define W 48
#define H 40

/* Side `side` (0 = A, 1 = B) of pair i: red and green depend on position and i only, so the
 * same transform gives A and B identical red and green planes; blue tells the sides apart. */
static void pattern(int i, int side, int x, int y, uint8_t *rgb)
{
    rgb[0] = (uint8_t)(x * 5 + i * 17);
    rgb[1] = (uint8_t)(y * 6 + (x * y) % 7 * 9);
    rgb[2] = side ? 200 : 10;
}

/* Pair i as a PNG width pixels wide: its side 0 (A) or 1 (B) alone, or (side -1) the aligned
 * pair A|B. */
static void write_pattern(const char *path, int i, int width, int side)
{
    image img;
    char err[256];
    image_alloc(&img, width, H, 3);
    int half = side < 0 ? width / 2 : width;
    for (int y = 0; y < H; y++)
        for (int x = 0; x < width; x++)
            pattern(i, side < 0 ? x >= half : side, x % half, y, img.pixels + (y * width + x) * 3);
    CHECK(image_save_png(path, &img, err, sizeof err) == 0);
    image_free(&img);
}

/* The loader options of these tests, batches of batch pairs. */
static pair_loader_opts base_opts(const char *root, int batch)
{
    pair_loader_opts o = {0};
    o.root = root;
    o.split = "train";
    o.preprocess = PREPROCESS_RESIZE_AND_CROP;
    o.load_size = 56;
    o.crop_size = 32;
    o.seed = 42;
    o.batch_size = batch;
    o.threads = 2;
    o.input_nc = o.output_nc = 3;
    o.quiet = 1;
    return o;
}

typedef struct {
    float *a, *b;
    char (*names)[256];
    int *done;
    size_t batches, per;
} stream;

/* The loader for o, or NULL with a failed check that prints why. */
static pair_loader *open_loader(const pair_loader_opts *o)
{
    char err[512];
    pair_loader *l = pair_loader_open(o, err, sizeof err);
    if (!l) {
        fprintf(stderr, "open: %s\n", err);
        test_failures++;
    }
    return l;
}

/* Reads `batches` batches into memory, after pair_loader_seek(epoch, skip) where either is
 * not 0. */
static stream read_stream_from(const pair_loader_opts *o, uint64_t epoch, size_t skip,
                               size_t batches)
{
    stream s = {0};
    pair_loader *l = open_loader(o);
    if (!l)
        return s;
    if (epoch || skip)
        CHECK(pair_loader_seek(l, epoch, skip) == 0);
    int h, w;
    pair_loader_item_size(l, &h, &w);
    s.per = (size_t)3 * h * w;
    s.batches = batches;
    s.a = malloc(sizeof(float) * s.per * o->batch_size * batches);
    s.b = malloc(sizeof(float) * s.per * o->batch_size * batches);
    s.names = calloc((size_t)o->batch_size * batches, 256);
    s.done = malloc(sizeof(int) * batches);
    for (size_t i = 0; i < batches; i++)
        CHECK(pair_loader_next(l, s.a + i * s.per * o->batch_size, s.b + i * s.per * o->batch_size,
                               s.names + i * o->batch_size, &s.done[i]) == 0);
    pair_loader_close(l);
    return s;
}

static stream read_stream(const pair_loader_opts *o, size_t batches)
{
    return read_stream_from(o, 0, 0, batches);
}

static void free_stream(stream *s)
{
    free(s->a);
    free(s->b);
    free(s->names);
    free(s->done);
}

static int same_stream(const stream *x, const stream *y, int batch)
{
    size_t n = x->per * batch * x->batches;
    return x->a && y->a && !memcmp(x->a, y->a, n * sizeof(float)) &&
           !memcmp(x->b, y->b, n * sizeof(float)) &&
           !memcmp(x->names, y->names, 256 * (size_t)batch * x->batches);
}

/* Batches k.. of a stream, as a stream of its own (no copy: free only the original). */
static stream tail_of(const stream *s, size_t k, int batch)
{
    stream t = *s;
    t.a += k * s->per * batch;
    t.b += k * s->per * batch;
    t.names += k * batch;
    t.batches -= k;
    return t;
}

/* pair_loader_seek: a loader sent to batch k of the stream (3 batches an epoch) serves what a
 * loader that served k batches serves next, its crops and flips included, with decode threads
 * or without; seek(1, 1) is seek(0, 4). */
static void test_seek(const char *root)
{
    pair_loader_opts o = base_opts(root, 3);
    stream whole = read_stream(&o, 9);
    static const size_t skips[] = {1, 3, 5, 7};
    for (int threads = 0; threads <= 2; threads += 2)
        for (size_t i = 0; i < sizeof skips / sizeof *skips; i++) {
            o.threads = threads;
            stream t = read_stream_from(&o, 0, skips[i], 9 - skips[i]);
            stream want = tail_of(&whole, skips[i], 3);
            CHECK(same_stream(&want, &t, 3));
            free_stream(&t);
        }
    stream t = read_stream_from(&o, 1, 1, 5);
    stream want = tail_of(&whole, 4, 3);
    CHECK(same_stream(&want, &t, 3));
    free_stream(&t);
    free_stream(&whole);
}

static void test_aligned(const char *root)
{
    pair_loader_opts o = base_opts(root, 3);
    char err[512];
    pair_loader *l = pair_loader_open(&o, err, sizeof err);
    CHECK(l && pair_loader_size(l) == 10 && pair_loader_batches_per_epoch(l) == 3);
    int h, w;
    if (l) {
        pair_loader_item_size(l, &h, &w);
        CHECK(h == 32 && w == 32);
        pair_loader_close(l);
    }
    stream s = read_stream(&o, 9);
    size_t plane = 32 * 32;
    int mismatched = 0, distinct_crops = 0;
    for (size_t k = 0; s.a && k < 27; k++) {
        const float *a = s.a + k * s.per, *b = s.b + k * s.per;
        mismatched += memcmp(a, b, 2 * plane * sizeof(float)) != 0; /* red + green */
        CHECK(fabsf(b[2 * plane] - (200 / 255.0f - 0.5f) / 0.5f) < 0.02f);
        CHECK(fabsf(a[2 * plane] - (10 / 255.0f - 0.5f) / 0.5f) < 0.02f);
        if (k && memcmp(a, s.a + (k - 1) * s.per, plane * sizeof(float)))
            distinct_crops++;
    }
    CHECK(mismatched == 0);
    CHECK(distinct_crops > 20);
    for (size_t i = 0; s.done && i < 9; i++)
        CHECK(s.done[i] == (i % 3 == 2));
    /* Within an epoch (9 of the 10 pairs) no name repeats. */
    for (int e = 0; s.names && e < 3; e++)
        for (int i = 0; i < 9; i++)
            for (int j = 0; j < i; j++)
                CHECK(strcmp(s.names[e * 9 + i], s.names[e * 9 + j]) != 0);
    /* Same seed: same stream with 0, 1 or 2 threads. Another seed: another stream. */
    for (int threads = 0; threads <= 1; threads++) {
        o.threads = threads;
        stream t = read_stream(&o, 9);
        CHECK(same_stream(&s, &t, 3));
        free_stream(&t);
    }
    o.threads = 2;
    o.seed = 43;
    stream t = read_stream(&o, 9);
    CHECK(!same_stream(&s, &t, 3));
    free_stream(&t);
    free_stream(&s);

    /* Serial, no flip, 'none': natural name order, untouched pixels. */
    o = base_opts(root, 1);
    o.serial = 1;
    o.no_flip = 1;
    o.preprocess = PREPROCESS_NONE;
    o.input_nc = 1; /* grayscale input: PIL convert('L') */
    s = read_stream(&o, 10);
    for (int i = 0; s.names && i < 10; i++) {
        char want[16];
        snprintf(want, sizeof want, "%d.png", i + 1);
        CHECK(!strcmp(s.names[i], want));
    }
    if (s.a) {
        /* Batch 3 is 4.png = pattern(3); the input has 1 channel. */
        uint8_t rgb[3];
        pattern(3, 0, 13, 21, rgb);
        int lum = (rgb[0] * 19595 + rgb[1] * 38470 + rgb[2] * 7471 + 0x8000) >> 16;
        float want = ((float)lum / 255.0f - 0.5f) / 0.5f;
        CHECK(s.a[3 * s.per + 21 * W + 13] == want);
        pattern(3, 1, 13, 21, rgb);
        CHECK(s.b[3 * s.per + (size_t)2 * W * H + 21 * W + 13] == ((float)rgb[2] / 255.0f - 0.5f) / 0.5f);
    }
    free_stream(&s);
}

/* Shards (DistributedSampler): 10 pairs in 3 shards of ceil(10 / 3) = 4, item k of shard r
 * being item (r + 3 k) mod 10 of the unsharded epoch, names and pixels (crops, flips), over
 * two epochs. */
static void test_shards(const char *root)
{
    pair_loader_opts o = base_opts(root, 1);
    stream all = read_stream(&o, 20); /* two epochs */
    int covered[10] = {0};
    for (int r = 0; r < 3; r++) {
        o.shard_rank = r;
        o.shard_count = 3;
        char err[512];
        pair_loader *l = pair_loader_open(&o, err, sizeof err);
        CHECK(l && pair_loader_batches_per_epoch(l) == 4);
        pair_loader_close(l);
        stream s = read_stream(&o, 8);
        for (int k = 0; s.names && all.names && k < 8; k++) {
            int q = (r + 3 * (k % 4)) % 10 + 10 * (k / 4);
            CHECK(!strcmp(s.names[k], all.names[q]));
            CHECK(!memcmp(s.a + k * s.per, all.a + q * all.per, s.per * sizeof(float)));
            CHECK(s.done[k] == (k % 4 == 3));
            covered[q % 10] = 1;
        }
        free_stream(&s);
    }
    for (int q = 0; q < 10; q++)
        CHECK(covered[q]);
    /* Serial: natural order, padded by wrapping. */
    o.serial = 1;
    o.shard_rank = 1;
    stream s = read_stream(&o, 4);
    const char *want[] = {"2.png", "5.png", "8.png", "1.png"};
    for (int k = 0; s.names && k < 4; k++)
        CHECK(!strcmp(s.names[k], want[k]));
    free_stream(&s);
    free_stream(&all);
    o.shard_rank = 3;
    char err[512];
    CHECK(pair_loader_open(&o, err, sizeof err) == NULL && strstr(err, "shard 3 of 3"));
}

static void test_separate_btoa(const char *root)
{
    pair_loader_opts o = base_opts(root, 2);
    o.direction_btoa = 1;
    pair_loader *l = open_loader(&o);
    if (!l)
        return;
    CHECK(pair_loader_size(l) == 4);
    CHECK(pair_loader_skipped(l) == 1); /* A/train/extra.png has no partner */
    float a[2 * 3 * 32 * 32], b[2 * 3 * 32 * 32];
    CHECK(pair_loader_next(l, a, b, NULL, NULL) == 0);
    size_t plane = 32 * 32;
    CHECK(fabsf(a[2 * plane] - (200 / 255.0f - 0.5f) / 0.5f) < 0.02f); /* input is B */
    CHECK(!memcmp(a, b, 2 * plane * sizeof(float)));
    pair_loader_close(l);
}

/* Runs fn with stderr going to a file; returns what was written. */
static char *capture_stderr(void (*fn)(const char *), const char *arg)
{
    char path[] = "/tmp/pix2pix_stderr_XXXXXX";
    int fd = mkstemp(path);
    fflush(stderr);
    int saved = dup(2);
    dup2(fd, 2);
    fn(arg);
    fflush(stderr);
    dup2(saved, 2);
    close(saved);
    close(fd);
    size_t n;
    char *text = (char *)read_whole_file(path, &n);
    unlink(path);
    return text;
}

static void run_bad_dataset(const char *root)
{
    pair_loader_opts o = base_opts(root, 2);
    o.quiet = 0;
    pair_loader *l = open_loader(&o);
    if (!l)
        return;
    float a[2 * 3 * 32 * 32], b[2 * 3 * 32 * 32];
    char names[2][256];
    int epochs = 0, done;
    for (int i = 0; i < 30; i++) {
        CHECK(pair_loader_next(l, a, b, names, &done) == 0);
        epochs += done;
        CHECK(names[0][0] == 'g' && names[1][0] == 'g'); /* only good pairs fill batches */
    }
    CHECK(epochs >= 3);
    CHECK(pair_loader_skipped(l) == 5);
    pair_loader_close(l);
}

static void test_bad_files(const char *root)
{
    char *log = capture_stderr(run_bad_dataset, root);
    static const char *bad[] = {"bad_empty.png", "bad_text.jpg", "bad_truncated.jpg",
                                "bad_odd.png", "bad_crc.png"};
    for (int i = 0; i < 5; i++) {
        int count = 0;
        for (const char *p = log; (p = strstr(p, bad[i])); p++)
            count++;
        if (count != 1)
            fprintf(stderr, "%s reported %d times in:\n%s", bad[i], count, log);
        CHECK(count == 1);
    }
    CHECK(strstr(log, "odd width") && strstr(log, "empty"));
    free(log);
}

static void make_bad_dataset(const char *root)
{
    char dir[256], path[300], err[256];
    snprintf(dir, sizeof dir, "%s/train", root);
    mkdir(root, 0755);
    mkdir(dir, 0755);
    for (int i = 0; i < 6; i++) {
        snprintf(path, sizeof path, "%s/good%d.png", dir, i);
        write_pattern(path, i, 2 * W, -1);
    }
    write_file_in(dir, "bad_empty.png", "", 0);
    write_text_in(dir, "bad_text.jpg", "not an image\n");
    snprintf(path, sizeof path, "%s/bad_odd.png", dir);
    write_pattern(path, 0, 2 * W + 1, -1);
    image img;
    image_alloc(&img, 2 * W, H, 3);
    memset(img.pixels, 90, 2 * W * H * 3);
    uint8_t *data;
    size_t size;
    CHECK(image_encode_jpeg(&img, 90, &data, &size, err, sizeof err) == 0);
    snprintf(path, sizeof path, "%s/bad_truncated.jpg", dir);
    write_whole_file(path, data, size / 2);
    free(data);
    CHECK(image_encode_png(&img, &data, &size, err, sizeof err) == 0);
    data[size - 20] ^= 0xFF; /* inside the last IDAT: CRC mismatch */
    snprintf(path, sizeof path, "%s/bad_crc.png", dir);
    write_whole_file(path, data, size);
    free(data);
    image_free(&img);
}

static void test_unusable(const char *tmp)
{
    char root[256], dir[300], path[350], err[512];
    snprintf(root, sizeof root, "%s/allbad", tmp);
    snprintf(dir, sizeof dir, "%s/train", root);
    mkdir(root, 0755);
    mkdir(dir, 0755);
    snprintf(path, sizeof path, "%s/x.png", dir);
    write_whole_file(path, "junk", 4);
    pair_loader_opts o = base_opts(root, 3);
    CHECK(pair_loader_open(&o, err, sizeof err) == NULL && strstr(err, "no usable pair"));
    o.root = tmp; /* no train folder at all */
    o.split = "nosuchsplit";
    CHECK(pair_loader_open(&o, err, sizeof err) == NULL && strstr(err, "found neither"));
    o = base_opts(root, 3);
    o.load_size = 16; /* smaller than the crop */
    CHECK(pair_loader_open(&o, err, sizeof err) == NULL && strstr(err, "smaller than the crop"));
}

int main(void)
{
    char tmp[64], root[128], path[256];
    make_temp_dir(tmp);
    snprintf(root, sizeof root, "%s/aligned", tmp);
    snprintf(path, sizeof path, "%s/train", root);
    mkdir(root, 0755);
    mkdir(path, 0755);
    for (int i = 0; i < 10; i++) {
        snprintf(path, sizeof path, "%s/train/%d.png", root, i + 1);
        write_pattern(path, i, 2 * W, -1);
    }
    test_aligned(root);
    test_seek(root);
    test_shards(root);

    snprintf(root, sizeof root, "%s/separate", tmp);
    const char *dirs[] = {"", "/A", "/B", "/A/train", "/B/train"};
    for (int i = 0; i < 5; i++) {
        snprintf(path, sizeof path, "%s%s", root, dirs[i]);
        mkdir(path, 0755);
    }
    for (int i = 0; i < 4; i++)
        for (int side = 0; side < 2; side++) {
            snprintf(path, sizeof path, "%s/%c/train/p%d.png", root, side ? 'B' : 'A', i);
            write_pattern(path, i, W, side);
        }
    snprintf(path, sizeof path, "%s/A/train/extra.png", root);
    write_pattern(path, 9, W, 0);
    test_separate_btoa(root);

    snprintf(root, sizeof root, "%s/bad", tmp);
    make_bad_dataset(root);
    test_bad_files(root);
    test_unusable(tmp);
    remove_tree(tmp);
    return TEST_RESULT();
}
