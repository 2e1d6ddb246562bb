#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app/common/backend.h"
#include "app/common/fsutil.h"
#include "app/report/html_page.h"
#include "app/translate/metrics.h"
#include "app/common/progress.h"
#include "app/common/tensor_image.h"
#include "app/translate/test_run.h"
#include "app/translate/translate.h"
#include "base/text_line.h"
#include "datasets/pairs.h"

/* Splits an aligned A|B image into its halves. */
static int split_pair(const image *ab, image *a, image *b)
{
    int w = ab->width / 2, h = ab->height, c = ab->channels;
    if (w < 1 || image_alloc(a, w, h, c) || image_alloc(b, w, h, c))
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
        text_line(stderr, "%s: %s", path, err);
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

typedef struct {
    char stem[1024];
    double l1, psnr, ssim;
} test_result;

/* Translates one pair, scores it and saves its three images. */
static int test_one(generator *r, const test_config *c, const pair_entry *e, test_result *res)
{
    char err[1024], *stem = res->stem;
    image a = {0}, b = {0}, out = {0};
    int rc = -1;
    if (load_pair(e, &a, &b, err, sizeof err)) {
        text_line(stderr, "%s", err);
        goto done;
    }
    image *in = !strcmp(c->direction, "BtoA") ? &b : &a, *target = in == &a ? &b : &a;
    if (in->width != target->width || in->height != target->height) {
        text_line(stderr, "%s: A is %dx%d but B %dx%d", e->a_path, a.width, a.height, b.width,
                  b.height);
        goto done;
    }
    if (translate_image(r, in, &(translate_options){0}, &out, err, sizeof err)) {
        text_line(stderr, "%s: %s", e->a_path, err);
        goto done;
    }
    if (r->cfg.output_nc == 1) { /* score against the grey target the model learnt */
        image gray = {0};
        if (image_luma_rgb(target, &gray)) {
            text_line(stderr, "%s: out of memory", e->a_path);
            goto done;
        }
        image_free(target);
        *target = gray;
    }
    res->l1 = metric_l1(&out, target);
    res->psnr = metric_psnr(&out, target);
    res->ssim = metric_ssim(&out, target);
    fs_stem(e->name, stem, sizeof res->stem);
    if (save_result(c->results, stem, "real_A", in) || save_result(c->results, stem, "fake_B", &out) ||
        save_result(c->results, stem, "real_B", target))
        goto done;
    rc = 0;
done:
    image_free(&a);
    image_free(&b);
    image_free(&out);
    return rc;
}

/* Worst first: the largest L1 (mean absolute error) at the top. */
static int worse_first(const void *x, const void *y)
{
    const test_result *a = x, *b = y;
    return (a->l1 < b->l1) - (a->l1 > b->l1);
}

/* The image file name as an attribute value: %-escaped where a browser would read it as
 * something else than a path (a name may hold '#', '?', '%' or quotes). */
static void url_escape(FILE *f, const char *s)
{
    for (; *s; s++) {
        unsigned char ch = (unsigned char)*s;
        if (ch <= ' ' || ch >= 127 || strchr("\"#%&'<>?", ch))
            fprintf(f, "%%%02X", ch);
        else
            fputc(ch, f);
    }
}

static void result_image(FILE *f, const char *stem, const char *what, int width)
{
    fputs("<td><img src=\"images/", f);
    url_escape(f, stem);
    fprintf(f, "_%s.png\" width=\"%d\" alt=\"%s\"></td>", what, width, what);
}

/* Images show at the model's size, at least 128 and at most 256 pixels wide. */
static int page_image_width(int size)
{
    return size < 128 ? 128 : size > 256 ? 256 : size;
}

static int write_page(const test_config *c, const test_scores *s, test_result *res, int n,
                      int width)
{
    char path[4200];
    FILE *f;
    char *buf;
    size_t len;
    snprintf(path, sizeof path, "%s/index.html", c->results);
    if (html_open(&f, &buf, &len))
        return -1;
    qsort(res, (size_t)n, sizeof *res, worse_first);
    html_begin(f, "pix2pix test", 0);
    fputs("<h1>pix2pix test</h1>\n<table class=\"info\"><tr><td>model</td><td>", f);
    html_escape(f, c->model);
    fputs("</td></tr><tr><td>data</td><td>", f);
    html_escape(f, c->data);
    fputs("/", f);
    html_escape(f, c->split);
    fprintf(f, " (%s)</td></tr><tr><td>mode</td><td>%s</td></tr>\n", c->direction,
            c->eval ? "--eval: BatchNorm running statistics, no dropout"
                    : "BatchNorm statistics of each image, dropout on (the reference's default)");
    fprintf(f, "<tr><td>pairs</td><td>%d scored%s</td></tr>\n", s->pairs,
            s->failed ? ", some files failed (see the messages)" : "");
    fprintf(f, "<tr><td>mean</td><td id=\"means\"><b>L1 %.3f, PSNR %.2f dB, SSIM %.4f</b>"
            "</td></tr></table>\n", s->l1, s->psnr, s->ssim);
    fputs("<p class=\"note\">On 0..255 images over all channels: L1 is the mean absolute "
          "difference (lower is better), PSNR in dB and SSIM (11x11 Gaussian window) higher is "
          "better. Rows are ordered by L1, worst first.</p>\n", f);
    fputs("<table class=\"img\"><tr><th>image</th><th>L1</th><th>PSNR</th><th>SSIM</th>"
          "<th>input</th><th>output</th><th>target</th></tr>\n", f);
    for (int i = 0; i < n; i++) {
        fprintf(f, "<tr data-l1=\"%.6f\"><td>", res[i].l1);
        html_escape(f, res[i].stem);
        fprintf(f, "</td><td>%.2f</td><td>%.2f</td><td>%.4f</td>", res[i].l1,
                isinf(res[i].psnr) ? 100.0 : res[i].psnr, res[i].ssim);
        result_image(f, res[i].stem, "real_A", width);
        result_image(f, res[i].stem, "fake_B", width);
        result_image(f, res[i].stem, "real_B", width);
        fputs("</tr>\n", f);
    }
    fputs("</table>\n", f);
    html_end(f);
    return html_finish(f, &buf, path);
}

/* --direction, else the direction the model file records, else AtoB; says which and why. */
static const char *test_direction(const test_config *c, const generator *r)
{
    /* A literal: the file's metadata goes with the file, once the weights are in a plan. */
    const char *meta = r->file ? st_meta(r->file, "direction") : NULL;
    const char *recorded = !meta                   ? NULL
                           : !strcmp(meta, "AtoB") ? "AtoB"
                           : !strcmp(meta, "BtoA") ? "BtoA"
                                                   : NULL;
    const char *direction = c->direction ? c->direction : recorded ? recorded : "AtoB";
    if (!c->direction)
        text_line(stdout, "direction %s: %s", direction,
                  recorded ? "recorded in the model" : "the model records none (see --direction)");
    else if (recorded && strcmp(recorded, direction))
        text_line(stdout, "direction %s: --direction (the model was trained %s)", direction,
                  recorded);
    else
        text_line(stdout, "direction %s: --direction", direction);
    return direction;
}

int test_run(const test_config *config, test_scores *scores)
{
    test_config run = *config;
    const test_config *c = &run;
    char images[4200], err[1024];
    pair_list pairs;
    if (pair_list_scan(c->data, c->split, 0, &pairs, err, sizeof err)) {
        text_line(stderr, "pix2pix test: %s", err);
        return 1;
    }
    snprintf(images, sizeof images, "%s/images", c->results);
    if (fs_mkdirs(images)) {
        text_line(stderr, "%s: %s", images, strerror(errno));
        pair_list_free(&pairs);
        return 1;
    }
    eng_backend *be = app_backend_open(c->device, c->threads, c->quiet);
    generator r;
    if (!be || generator_open(&r, c->model, be, c->eval, c->seed, err, sizeof err)) {
        text_line(stderr, "pix2pix test: %s", be ? err : eng_last_error());
        if (be)
            eng_backend_free(be);
        pair_list_free(&pairs);
        return 1;
    }
    run.direction = test_direction(config, &r);
    if (run.num_test > 0 && pairs.count > (size_t)run.num_test)
        pair_list_truncate(&pairs, (size_t)run.num_test);
    r.fp16 = c->fp16;
    test_result *res = malloc(sizeof *res * (pairs.count ? pairs.count : 1));
    test_scores s = {0};
    progress prog;
    progress_init(&prog, "img", (long)pairs.count, c->quiet);
    for (size_t i = 0; res && i < pairs.count; i++) {
        test_result *m = &res[s.pairs];
        if (test_one(&r, c, &pairs.items[i], m))
            s.failed++;
        else {
            s.pairs++;
            s.l1 += m->l1;
            s.psnr += isinf(m->psnr) ? 100.0 : m->psnr;
            s.ssim += m->ssim;
        }
        progress_add(&prog, 1, "test", 0, 0, NULL);
    }
    progress_end(&prog);
    if (s.pairs) {
        s.l1 /= s.pairs;
        s.psnr /= s.pairs;
        s.ssim /= s.pairs;
    }
    int status = s.failed || !res ? 1 : 0;
    if (!res)
        fprintf(stderr, "pix2pix test: out of memory\n");
    if (res && write_page(c, &s, res, s.pairs, page_image_width(r.image_size))) {
        text_line(stderr, "%s/index.html: cannot write: %s", c->results, strerror(errno));
        status = 1;
    }
    text_line(stdout, "%d pairs of %s (%s, %s): mean L1 %.3f, PSNR %.2f dB, SSIM %.4f%s",
              s.pairs, c->data, c->split, c->direction, s.l1, s.psnr, s.ssim,
              s.failed ? " (some files failed)" : "");
    text_line(stdout, "results: %s/index.html", c->results);
    free(res);
    generator_close(&r);
    eng_backend_free(be);
    pair_list_free(&pairs);
    if (scores)
        *scores = s;
    return status;
}
