/* The dataset tools as functions: synthetic generator, combine, make (edges, colorize,
 * deblur). */
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "datasets/dataset_tools.h"
#include "datasets/loader.h"
#include "datasets/synthetic.h"
#include "test_common.h"

static void save(const char *path, int w, int h, int seed)
{
    image img;
    char err[256];
    image_alloc(&img, w, h, 3);
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++) {
            uint8_t *p = img.pixels + (y * w + x) * 3;
            int inside = (x - w / 2) * (x - w / 2) + (y - h / 2) * (y - h / 2) < h * h / 9;
            p[0] = (uint8_t)(inside ? 220 : 30 + x * 2 + seed * 10);
            p[1] = (uint8_t)(inside ? 60 : 90 + y);
            p[2] = (uint8_t)(inside ? 40 : 200 - seed * 5);
        }
    CHECK(image_save_png(path, &img, err, sizeof err) == 0);
    image_free(&img);
}

static int load(const char *path, image *img)
{
    char err[256];
    int rc = image_load(path, 0, img, err, sizeof err);
    if (rc)
        fprintf(stderr, "%s: %s\n", path, err);
    return rc;
}

static void test_synth(const char *tmp)
{
    image a1, b1, a2, b2, a3, b3;
    CHECK(synth_render_pair(7, 3, 64, &a1, &b1) == 0);
    CHECK(synth_render_pair(7, 3, 64, &a2, &b2) == 0);
    CHECK(synth_render_pair(7, 4, 64, &a3, &b3) == 0);
    size_t n = 64 * 64 * 3;
    CHECK(!memcmp(a1.pixels, a2.pixels, n) && !memcmp(b1.pixels, b2.pixels, n));
    CHECK(memcmp(a1.pixels, a3.pixels, n) != 0);
    /* A uses only the label palette and has at least one shape; B is not A. */
    static const uint8_t labels[4][3] = {SYNTH_LABEL_BACKGROUND, SYNTH_LABEL_CIRCLE,
                                         SYNTH_LABEL_RECTANGLE, SYNTH_LABEL_TRIANGLE};
    int off_palette = 0, shape_pixels = 0;
    for (size_t i = 0; i < 64 * 64; i++) {
        int k = -1;
        for (int c = 0; c < 4; c++)
            if (!memcmp(a1.pixels + 3 * i, labels[c], 3))
                k = c;
        off_palette += k < 0;
        shape_pixels += k > 0;
    }
    CHECK(off_palette == 0 && shape_pixels > 64 * 64 / 50);
    CHECK(memcmp(a1.pixels, b1.pixels, n) != 0);
    image_free(&a1), image_free(&b1), image_free(&a2), image_free(&b2);
    image_free(&a3), image_free(&b3);

    char out[256], err[512];
    snprintf(out, sizeof out, "%s/synth", tmp);
    synth_opts o = {out, 20, 32, 5, 0.1, 0.1, 0};
    CHECK(synth_write_dataset(&o, err, sizeof err) == 0);
    const char *splits[3] = {"train", "val", "test"};
    int counts[3] = {16, 2, 2};
    for (int s = 0; s < 3; s++) {
        pair_loader_opts lo = {0};
        lo.root = out;
        lo.split = splits[s];
        lo.preprocess = PREPROCESS_NONE;
        lo.batch_size = 1;
        lo.input_nc = lo.output_nc = 3;
        lo.serial = 1;
        pair_loader *l = pair_loader_open(&lo, err, sizeof err);
        CHECK(l && pair_loader_size(l) == (size_t)counts[s] && pair_loader_skipped(l) == 0);
        if (l) {
            int h, w;
            pair_loader_item_size(l, &h, &w);
            CHECK(h == 32 && w == 32);
            pair_loader_close(l);
        }
    }
    o.count = 2;
    o.val_fraction = 0.9; /* nothing left for train */
    CHECK(synth_write_dataset(&o, err, sizeof err) == -1 && strstr(err, "train"));
}

static void test_combine(const char *tmp)
{
    char a[256], b[256], out[256], path[512], err[512];
    snprintf(a, sizeof a, "%s/ca", tmp);
    snprintf(b, sizeof b, "%s/cb", tmp);
    snprintf(out, sizeof out, "%s/cout", tmp);
    mkdir(a, 0755);
    mkdir(b, 0755);
    const char *a_names[] = {"1.png", "2.png", "3.png", "10.png"};
    const char *b_names[] = {"1.png", "2.png", "4.png", "10.png"};
    for (int i = 0; i < 4; i++) {
        snprintf(path, sizeof path, "%s/%s", a, a_names[i]);
        save(path, 20, 16, i);
        snprintf(path, sizeof path, "%s/%s", b, b_names[i]);
        save(path, i == 3 ? 24 : 20, i == 3 ? 18 : 16, i + 5); /* 10.png: heights differ */
    }
    combine_result r;
    CHECK(dataset_combine(a, b, out, 0, &r, err, sizeof err) == 0);
    CHECK(r.written == 2 && r.unpartnered == 2 && r.failed == 1);
    image ab, pa, pb;
    snprintf(path, sizeof path, "%s/2.png", out);
    CHECK(load(path, &ab) == 0);
    snprintf(path, sizeof path, "%s/2.png", a);
    CHECK(load(path, &pa) == 0);
    snprintf(path, sizeof path, "%s/2.png", b);
    CHECK(load(path, &pb) == 0);
    CHECK(ab.width == 40 && ab.height == 16);
    int bad = 0;
    for (int y = 0; ab.pixels && y < 16; y++) {
        bad += memcmp(ab.pixels + y * 40 * 3, pa.pixels + y * 20 * 3, 60) != 0;
        bad += memcmp(ab.pixels + (y * 40 + 20) * 3, pb.pixels + y * 20 * 3, 60) != 0;
    }
    CHECK(bad == 0);
    image_free(&ab), image_free(&pa), image_free(&pb);

    /* Split subfolders are combined one by one. */
    char sa[300], sb[300], so[300];
    snprintf(sa, sizeof sa, "%s/sa", tmp);
    snprintf(sb, sizeof sb, "%s/sb", tmp);
    snprintf(so, sizeof so, "%s/sout", tmp);
    mkdir(sa, 0755), mkdir(sb, 0755);
    snprintf(path, sizeof path, "%s/val", sa);
    mkdir(path, 0755);
    snprintf(path, sizeof path, "%s/val", sb);
    mkdir(path, 0755);
    snprintf(path, sizeof path, "%s/val/x.jpg", sa);
    save(path, 8, 8, 1);
    snprintf(path, sizeof path, "%s/val/x.jpg", sb);
    save(path, 8, 8, 2);
    CHECK(dataset_combine(sa, sb, so, 90, &r, err, sizeof err) == 0 && r.written == 1);
    snprintf(path, sizeof path, "%s/val/x.jpg", so);
    CHECK(load(path, &ab) == 0 && ab.width == 16);
    image_free(&ab);

    /* No matching names: an error, not silence. */
    snprintf(path, sizeof path, "%s/1.png", a);
    snprintf(sa, sizeof sa, "%s/lonely_a", tmp);
    snprintf(sb, sizeof sb, "%s/lonely_b", tmp);
    mkdir(sa, 0755), mkdir(sb, 0755);
    snprintf(path, sizeof path, "%s/p.png", sa);
    save(path, 8, 8, 1);
    snprintf(path, sizeof path, "%s/q.png", sb);
    save(path, 8, 8, 1);
    CHECK(dataset_combine(sa, sb, so, 0, &r, err, sizeof err) == -1 && strstr(err, "no pair"));
    CHECK(r.unpartnered == 2);
}

static void test_make(const char *tmp)
{
    char photos[256], out[256], path[512], err[512];
    snprintf(photos, sizeof photos, "%s/photos", tmp);
    mkdir(photos, 0755);
    for (int i = 0; i < 5; i++) {
        snprintf(path, sizeof path, "%s/photo%d.png", photos, i);
        save(path, 60 + i, 40, i);
    }
    snprintf(path, sizeof path, "%s/notes.txt", photos);
    write_whole_file(path, "hello", 5);
    const make_task tasks[3] = {MAKE_EDGES, MAKE_COLORIZE, MAKE_DEBLUR};
    for (int t = 0; t < 3; t++) {
        snprintf(out, sizeof out, "%s/make%d", tmp, t);
        make_opts o = {tasks[t], photos, out, 32, 0, 0.2, 0.2, 3, 0, 0};
        make_result r;
        CHECK(dataset_make(&o, &r, err, sizeof err) == 0);
        CHECK(r.train + r.val + r.test == 5 && r.failed == 1);
        image ab;
        snprintf(path, sizeof path, "%s/train/1.png", out);
        CHECK(load(path, &ab) == 0 && ab.width == 64 && ab.height == 32);
        if (!ab.pixels)
            continue;
        int gray_left = 1, colour_right = 0, binary_left = 1, black = 0;
        long tv_left = 0, tv_right = 0;
        for (int y = 0; y < 32; y++)
            for (int x = 0; x < 32; x++) {
                const uint8_t *l = ab.pixels + (y * 64 + x) * 3, *r2 = l + 32 * 3;
                gray_left &= l[0] == l[1] && l[1] == l[2];
                colour_right |= r2[0] != r2[1];
                binary_left &= l[0] == 0 || l[0] == 255;
                black += l[0] == 0;
                if (x) {
                    tv_left += (l[0] - l[-3]) * (l[0] - l[-3]); /* gradient energy */
                    tv_right += (r2[0] - r2[-3]) * (r2[0] - r2[-3]);
                }
            }
        CHECK(colour_right);
        if (tasks[t] == MAKE_EDGES)
            CHECK(binary_left && gray_left && black > 10 && black < 32 * 32 / 2);
        if (tasks[t] == MAKE_COLORIZE)
            CHECK(gray_left);
        if (tasks[t] == MAKE_DEBLUR)
            CHECK(!gray_left && tv_left < tv_right / 2);
        image_free(&ab);
    }
    /* --width: 48x16 halves centre-cropped from 60x40 photos (a 3:1 frame of 60x20) */
    snprintf(out, sizeof out, "%s/make_wide", tmp);
    make_opts wide = {MAKE_COLORIZE, photos, out, 16, 48, 0.2, 0.2, 3, 0, 0};
    make_result r;
    CHECK(dataset_make(&wide, &r, err, sizeof err) == 0 && r.train + r.val + r.test == 5);
    image ab;
    snprintf(path, sizeof path, "%s/train/1.png", out);
    CHECK(load(path, &ab) == 0 && ab.width == 96 && ab.height == 16);
    if (ab.pixels) { /* the photo's red centre disk at the centre of B */
        const uint8_t *centre = ab.pixels + (8 * 96 + 48 + 24) * 3;
        CHECK(centre[0] > 150 && centre[1] < 120);
        image_free(&ab);
    }
    wide.width = 8;
    CHECK(dataset_make(&wide, &r, err, sizeof err) == -1 && strstr(err, "width 8 is below 16"));
    make_opts o = {MAKE_EDGES, out, photos, 32, 0, 0.5, 0.5, 3, 0, 0};
    CHECK(dataset_make(&o, &r, err, sizeof err) == -1);
}

int main(void)
{
    char tmp[64];
    make_temp_dir(tmp);
    test_synth(tmp);
    test_combine(tmp);
    test_make(tmp);
    remove_tree(tmp);
    return TEST_RESULT();
}
