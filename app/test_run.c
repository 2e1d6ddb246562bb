#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app/backend.h"
#include "app/fsutil.h"
#include "app/metrics.h"
#include "app/tensor_image.h"
#include "app/test_run.h"
#include "app/translate.h"
#include "datasets/pairs.h"

static int alloc_image(image *img, int w, int h, int c)
{
    img->width = w;
    img->height = h;
    img->channels = c;
    img->pixels = malloc((size_t)w * h * c);
    return img->pixels ? 0 : -1;
}

/* Splits an aligned A|B image into its halves. */
static int split_pair(const image *ab, image *a, image *b)
{
    int w = ab->width / 2, h = ab->height, c = ab->channels;
    if (w < 1 || alloc_image(a, w, h, c) || alloc_image(b, w, h, c))
        return -1;
    for (int y = 0; y < h; y++) {
        const uint8_t *row = ab->pixels + (size_t)y * ab->width * c;
        memcpy(a->pixels + (size_t)y * w * c, row, (size_t)w * c);
        memcpy(b->pixels + (size_t)y * w * c, row + (size_t)w * c, (size_t)w * c);
    }
    return 0;
}

static int save_result(const char *dir, const char *stem, const char *what, const image *img)
{
    char path[4600], err[512];
    snprintf(path, sizeof path, "%s/images/%s_%s.png", dir, stem, what);
    if (image_save_png(path, img, err, sizeof err)) {
        fprintf(stderr, "%s: %s\n", path, err);
        return -1;
    }
    return 0;
}

/* Loads one file; the error names it. */
static int load_named(const char *path, image *img, char *err, size_t errlen)
{
    char why[512];
    if (!image_load(path, 0, img, why, sizeof why))
        return 0;
    snprintf(err, errlen, "%s: %s", path, why);
    return -1;
}

/* The input and target images of a pair (either layout). */
static int load_pair(const pair_entry *e, image *a, image *b, char *err, size_t errlen)
{
    if (e->b_path)
        return load_named(e->a_path, a, err, errlen) || load_named(e->b_path, b, err, errlen)
                   ? -1
                   : 0;
    image ab = {0};
    if (load_named(e->a_path, &ab, err, errlen))
        return -1;
    int rc = ab.width < 2 ? -1 : split_pair(&ab, a, b);
    if (rc)
        snprintf(err, errlen, "%s: not an A|B pair image (%dx%d)", e->a_path, ab.width,
                 ab.height);
    image_free(&ab);
    return rc;
}

/* Translates one pair, scores it, saves its three images and appends its HTML row. */
static int test_one(generator *r, const test_config *c, const pair_entry *e, FILE *rows,
                    double m[3])
{
    char err[1024], stem[1024];
    image a = {0}, b = {0}, out = {0};
    int rc = -1;
    if (load_pair(e, &a, &b, err, sizeof err)) {
        fprintf(stderr, "%s\n", err);
        goto done;
    }
    image *in = !strcmp(c->direction, "BtoA") ? &b : &a, *target = in == &a ? &b : &a;
    if (in->width != target->width || in->height != target->height) {
        fprintf(stderr, "%s: A is %dx%d but B %dx%d\n", e->a_path, a.width, a.height, b.width,
                b.height);
        goto done;
    }
    if (translate_image(r, in, 0, &out, err, sizeof err)) {
        fprintf(stderr, "%s: %s\n", e->a_path, err);
        goto done;
    }
    if (r->cfg.output_nc == 1) { /* score against the grey target the model learnt */
        image gray = {0};
        if (image_luma_rgb(target, &gray)) {
            fprintf(stderr, "%s: out of memory\n", e->a_path);
            goto done;
        }
        image_free(target);
        *target = gray;
    }
    m[0] = metric_l1(&out, target);
    m[1] = metric_psnr(&out, target);
    m[2] = metric_ssim(&out, target);
    fs_stem(e->name, stem, sizeof stem);
    if (save_result(c->results, stem, "real_A", in) || save_result(c->results, stem, "fake_B", &out) ||
        save_result(c->results, stem, "real_B", target))
        goto done;
    fprintf(rows,
            "<tr><td>%s<br>L1 %.2f<br>PSNR %.2f<br>SSIM %.4f</td>"
            "<td><img src=\"images/%s_real_A.png\" width=256></td>"
            "<td><img src=\"images/%s_fake_B.png\" width=256></td>"
            "<td><img src=\"images/%s_real_B.png\" width=256></td></tr>\n",
            stem, m[0], m[1], m[2], stem, stem, stem);
    rc = 0;
done:
    image_free(&a);
    image_free(&b);
    image_free(&out);
    return rc;
}

static int write_page(const test_config *c, const test_scores *s, const char *rows)
{
    size_t len = strlen(rows) + 4096;
    char *html = malloc(len), path[4200];
    if (!html)
        return -1;
    snprintf(html, len,
             "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>pix2pix test</title>"
             "</head><body>\n<h2>%s on %s/%s%s</h2>\n<p>%d pairs: mean L1 %.3f, PSNR %.2f dB, "
             "SSIM %.4f (on 0..255 images)</p>\n<table>\n"
             "<tr><th></th><th>input</th><th>output</th><th>target</th></tr>\n%s</table>\n"
             "</body></html>\n",
             c->model, c->data, c->split, c->eval ? " (--eval)" : "", s->pairs, s->l1, s->psnr,
             s->ssim, rows);
    snprintf(path, sizeof path, "%s/index.html", c->results);
    int rc = fs_write_atomic(path, html);
    free(html);
    return rc;
}

int test_run(const test_config *c, test_scores *scores)
{
    char images[4200], err[1024];
    pair_list pairs;
    if (pair_list_scan(c->data, c->split, 0, &pairs, err, sizeof err)) {
        fprintf(stderr, "pix2pix test: %s\n", err);
        return 1;
    }
    snprintf(images, sizeof images, "%s/images", c->results);
    if (fs_mkdirs(images)) {
        perror(images);
        pair_list_free(&pairs);
        return 1;
    }
    eng_backend *be = app_backend_open(c->device, c->threads, err, sizeof err);
    generator r;
    if (!be || generator_open(&r, c->model, be, c->eval, c->seed, err, sizeof err)) {
        fprintf(stderr, "pix2pix test: %s\n", err);
        if (be)
            eng_backend_free(be);
        pair_list_free(&pairs);
        return 1;
    }
    char *rows = NULL;
    size_t rows_len = 0;
    FILE *rf = open_memstream(&rows, &rows_len);
    test_scores s = {0};
    for (size_t i = 0; rf && i < pairs.count; i++) {
        double m[3];
        if (test_one(&r, c, &pairs.items[i], rf, m)) {
            s.failed++;
            continue;
        }
        s.pairs++;
        s.l1 += m[0];
        s.psnr += isinf(m[1]) ? 100.0 : m[1];
        s.ssim += m[2];
    }
    if (rf)
        fclose(rf);
    if (s.pairs) {
        s.l1 /= s.pairs;
        s.psnr /= s.pairs;
        s.ssim /= s.pairs;
    }
    int status = s.failed || !rows ? 1 : 0;
    if (rows && write_page(c, &s, rows)) {
        fprintf(stderr, "%s/index.html: cannot write\n", c->results);
        status = 1;
    }
    printf("%d pairs of %s (%s): mean L1 %.3f, PSNR %.2f dB, SSIM %.4f%s\nresults: %s/index.html\n",
           s.pairs, c->data, c->split, s.l1, s.psnr, s.ssim, s.failed ? " (some files failed)" : "",
           c->results);
    free(rows);
    generator_close(&r);
    eng_backend_free(be);
    pair_list_free(&pairs);
    if (scores)
        *scores = s;
    return status;
}
