#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "app/common/fsutil.h"
#include "app/report/html_page.h"
#include "app/report/loss_plot.h"
#include "app/common/progress.h"
#include "app/train/train_report.h"

#define PLOT_WIDTH 560
#define PLOT_HEIGHT 250
#define EXPANDED_EPOCHS 1 /* epochs whose images show without a click (the newest) */

static void info_row(FILE *f, const char *key, const char *value)
{
    fprintf(f, "<tr><td>%s</td><td>", key);
    html_escape(f, value);
    fputs("</td></tr>\n", f);
}

static void summary(FILE *f, const train_report *r)
{
    char line[512], t1[32], t2[32], when[64];
    time_t now = time(NULL);
    struct tm tm;
    strftime(when, sizeof when, "%Y-%m-%d %H:%M:%S", localtime_r(&now, &tm));
    fputs("<table class=\"info\">\n", f);
    snprintf(line, sizeof line, "%s: epoch %d of %d, step %d of %d (updated %s)",
             r->state, r->epoch, r->epochs, r->iter, r->iters, when);
    info_row(f, "state", line);
    double rate = r->seconds > 0 ? r->steps / r->seconds : 0;
    format_duration(r->seconds, t1, sizeof t1);
    if (rate > 0) {
        format_duration(r->iters / rate, t2, sizeof t2);
        snprintf(line, sizeof line, "%.2f steps/s, %s per epoch (%ld steps in %s)", rate, t2,
                 r->steps, t1);
    } else {
        snprintf(line, sizeof line, "no step yet");
    }
    info_row(f, "speed", line);
    if (r->running && r->seconds_left >= 0) {
        format_duration(r->seconds_left, t2, sizeof t2);
        info_row(f, "time left", t2);
    }
    info_row(f, "device", r->device);
    info_row(f, "model", r->model);
    info_row(f, "data", r->data);
    fputs("</table>\n", f);
}

static void plots(FILE *f, const train_report *r)
{
    char path[4400];
    snprintf(path, sizeof path, "%s/loss_log.csv", r->dir);
    loss_row *rows;
    size_t n;
    if (loss_log_read(path, &rows, &n))
        n = 0;
    fprintf(f, "<h2>Losses</h2>\n<p class=\"note\">%zu steps of loss_log.csv. Faint: every "
            "step (per pixel column its minimum and maximum); bold: centred moving average "
            "over %d steps. G_L1 before lambda, G_GAN_Feat before lambda_feat, G_VGG before "
            "lambda_vgg, D_mismatch before lambda_mismatch; D_real, D_fake and D_mismatch "
            "before the 0.5. Dashed lines: epoch starts.</p>\n<div class=\"plots\">\n",
            n, loss_plot_window(n));
    for (int k = 0; k < LOSS_COUNT; k++)
        if (loss_logged(rows, n, k))
            loss_plot_svg(f, rows, n, k, PLOT_WIDTH, PLOT_HEIGHT);
    fputs("</div>\n", f);
    free(rows);
}

static int epoch_file(const train_report *r, int epoch, const char *what)
{
    char path[4400];
    snprintf(path, sizeof path, "%s/web/images/epoch%03d_%s.png", r->dir, epoch, what);
    return fs_exists(path);
}

static void img(FILE *f, const char *src, int width, int lazy)
{
    fprintf(f, "<img src=\"images/%s\" width=\"%d\" alt=\"%s\"%s>", src, width, src,
            lazy ? " loading=\"lazy\"" : "");
}

/* Opens an epoch's block: expanded for the newest, a <details> (images loaded when opened)
 * for the others. Returns whether the images are lazy. */
static int epoch_block(FILE *f, int epoch, int shown)
{
    if (shown < EXPANDED_EPOCHS) {
        fprintf(f, "<h3>epoch %d</h3>\n", epoch);
        return 0;
    }
    fprintf(f, "<details><summary>epoch %d</summary>\n", epoch);
    return 1;
}

/* An epoch's rows of images, width pixels wide, loaded lazily or not. */
typedef void (*epoch_rows_fn)(FILE *f, const train_report *r, int epoch, int width, int lazy);

/* For each epoch, newest first, that wrote images/epochNNN_<marker>.png: its block holding a
 * table of the header row (the markup after <table>) and rows(). */
static void epoch_tables(FILE *f, const train_report *r, const char *marker, const char *header,
                         epoch_rows_fn rows)
{
    int width = r->image_width < 256 ? (r->image_width < 128 ? 128 : r->image_width) : 256;
    for (int e = r->epoch, shown = 0; e >= 1; e--) {
        if (!epoch_file(r, e, marker))
            continue;
        int lazy = epoch_block(f, e, shown++);
        fprintf(f, "<table class=\"img\">%s", header);
        rows(f, r, e, width, lazy);
        fputs(lazy ? "</table></details>\n" : "</table>\n", f);
    }
}

/* One row per fixed sample: its name, input, the epoch's output and its target. */
static void sample_rows(FILE *f, const train_report *r, int epoch, int width, int lazy)
{
    const train_samples *s = r->samples;
    for (int k = 1; k <= s->count; k++) {
        char name[64];
        fputs("<tr><td>", f);
        html_escape(f, s->names[k - 1]);
        fputs("</td><td>", f);
        snprintf(name, sizeof name, "sample%d_input.png", k);
        img(f, name, width, lazy);
        fputs("</td><td>", f);
        snprintf(name, sizeof name, "epoch%03d_sample%d.png", epoch, k);
        img(f, name, width, lazy);
        fputs("</td><td>", f);
        snprintf(name, sizeof name, "sample%d_target.png", k);
        img(f, name, width, lazy);
        fputs("</td></tr>\n", f);
    }
}

static void samples(FILE *f, const train_report *r)
{
    fprintf(f, "<h2>Fixed samples</h2>\n<p class=\"note\">The first %d usable pairs of the "
            "%s split, translated by G at the end of each epoch (and at each display while "
            "it runs) as <code>pix2pix test</code> does without --eval.</p>\n",
            r->samples->count, r->samples->split);
    epoch_tables(f, r, "sample1",
                 "<tr><th></th><th>input</th><th>output</th><th>target</th></tr>\n",
                 sample_rows);
}

/* The epoch's real_A, fake_B and real_B in one row. */
static void training_row(FILE *f, const train_report *r, int epoch, int width, int lazy)
{
    (void)r;
    const char *parts[3] = {"real_A", "fake_B", "real_B"};
    fputs("<tr>", f);
    for (int k = 0; k < 3; k++) {
        char name[64];
        snprintf(name, sizeof name, "epoch%03d_%s.png", epoch, parts[k]);
        fputs("<td>", f);
        img(f, name, width, lazy);
        fputs("</td>", f);
    }
    fputs("</tr>", f);
}

/* The reference's images/epochNNN_{real_A,fake_B,real_B}.png: the training batch's first
 * pair at the last display of each epoch. */
static void training_images(FILE *f, const train_report *r)
{
    fputs("<h2>Training images</h2>\n<p class=\"note\">The first pair of the training batch at "
          "the last display of each epoch (G in training mode, as the step computed it).</p>\n",
          f);
    epoch_tables(f, r, "fake_B", "<tr><th>real_A</th><th>fake_B</th><th>real_B</th></tr>",
                 training_row);
}

int train_report_write(const train_report *r, char *err, size_t errlen)
{
    FILE *f;
    char *buf, path[4400], title[512];
    size_t len;
    snprintf(path, sizeof path, "%s/web/index.html", r->dir);
    snprintf(title, sizeof title, "pix2pix training: %s", r->name);
    if (html_open(&f, &buf, &len)) {
        snprintf(err, errlen, "%s: out of memory", path);
        return -1;
    }
    html_begin(f, title, r->running ? 60 : 0);
    fputs("<h1>", f);
    html_escape(f, title);
    fputs("</h1>\n", f);
    summary(f, r);
    plots(f, r);
    if (r->samples)
        samples(f, r);
    training_images(f, r);
    if (r->options_text) {
        fputs("<h2>Options</h2>\n<pre>", f);
        html_escape(f, r->options_text);
        fputs("</pre>\n", f);
    }
    html_end(f);
    if (html_finish(f, &buf, path)) {
        snprintf(err, errlen, "%s: cannot write", path);
        return -1;
    }
    return 0;
}
