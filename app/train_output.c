#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "app/fsutil.h"
#include "app/tensor_image.h"
#include "app/train_output.h"

FILE *loss_log_open(const char *dir)
{
    char path[4200];
    snprintf(path, sizeof path, "%s/loss_log.csv", dir);
    int is_new = !fs_exists(path);
    FILE *f = fopen(path, "a");
    if (f && is_new)
        fprintf(f, "epoch,iter,G_GAN,G_L1,D_real,D_fake\n");
    return f;
}

void loss_log_row(FILE *f, int epoch, int iter, const float losses[LOSS_COUNT])
{
    fprintf(f, "%d,%d,%.6g,%.6g,%.6g,%.6g\n", epoch, iter, (double)losses[0], (double)losses[1],
            (double)losses[2], (double)losses[3]);
    fflush(f);
}

static int save_tensor_png(const char *path, const float *x, int c, int h, int w, char *err,
                           size_t errlen)
{
    image img;
    if (tensor_to_image(x, c, h, w, &img)) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    int rc = image_save_png(path, &img, err, errlen);
    image_free(&img);
    return rc;
}

static int write_index(const char *dir, int newest_epoch)
{
    size_t cap = 4096, len = 0;
    char *html = malloc(cap);
    if (!html)
        return -1;
    len += (size_t)snprintf(html, cap,
                            "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\">"
                            "<meta http-equiv=\"refresh\" content=\"60\">"
                            "<title>pix2pix training</title></head><body>\n");
    for (int e = newest_epoch; e >= 1; e--) {
        char probe[4200];
        snprintf(probe, sizeof probe, "%s/web/images/epoch%03d_fake_B.png", dir, e);
        if (!fs_exists(probe))
            continue;
        if (cap - len < 1024) {
            cap *= 2;
            char *nh = realloc(html, cap);
            if (!nh) {
                free(html);
                return -1;
            }
            html = nh;
        }
        len += (size_t)snprintf(html + len, cap - len,
                                "<h3>epoch %d</h3><table><tr>"
                                "<td>real_A<br><img src=\"images/epoch%03d_real_A.png\" width=256></td>"
                                "<td>fake_B<br><img src=\"images/epoch%03d_fake_B.png\" width=256></td>"
                                "<td>real_B<br><img src=\"images/epoch%03d_real_B.png\" width=256></td>"
                                "</tr></table>\n",
                                e, e, e, e);
    }
    snprintf(html + len, cap - len, "</body></html>\n");
    char path[4200];
    snprintf(path, sizeof path, "%s/web/index.html", dir);
    int rc = fs_write_atomic(path, html);
    free(html);
    return rc;
}

int web_save_samples(const char *dir, int epoch, const trainer *t, const float *a,
                     const float *b, char *err, size_t errlen)
{
    const trainer_opts *o = &t->opts;
    int h = o->height, w = o->width, cin = o->gen.input_nc, cout = o->gen.output_nc;
    char images[4200], path[4400];
    snprintf(images, sizeof images, "%s/web/images", dir);
    if (fs_mkdirs(images)) {
        snprintf(err, errlen, "%s: cannot create the folder", images);
        return -1;
    }
    float *fake = malloc(sizeof *fake * t->fake_b->numel);
    if (!fake || eng_plan_read(t->plan, t->fake_b, fake)) {
        free(fake);
        snprintf(err, errlen, "cannot read the generated image");
        return -1;
    }
    const struct { const char *name; const float *x; int c; } items[3] = {
        {"real_A", a, cin}, {"fake_B", fake, cout}, {"real_B", b, cout}};
    int rc = 0;
    for (int i = 0; i < 3 && !rc; i++) {
        snprintf(path, sizeof path, "%s/epoch%03d_%s.png", images, epoch, items[i].name);
        rc = save_tensor_png(path, items[i].x, items[i].c, h, w, err, errlen);
    }
    free(fake);
    if (!rc && write_index(dir, epoch)) {
        snprintf(err, errlen, "%s/web/index.html: cannot write", dir);
        rc = -1;
    }
    return rc;
}

double now_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

void progress_init(progress *p, long steps_total, double time_limit)
{
    memset(p, 0, sizeof *p);
    p->tty = isatty(STDERR_FILENO);
    p->start = p->last_print = now_seconds();
    p->steps_total = steps_total;
    p->time_limit = time_limit;
}

static void format_eta(double s, char *buf, size_t len)
{
    long t = (long)(s + 0.5);
    if (t >= 3600)
        snprintf(buf, len, "%ldh%02ldm", t / 3600, t / 60 % 60);
    else
        snprintf(buf, len, "%ldm%02lds", t / 60, t % 60);
}

void progress_step(progress *p, int epoch, int epochs, int iter, int iters,
                   const float losses[LOSS_COUNT])
{
    p->steps_done++;
    double now = now_seconds(), elapsed = now - p->start;
    int last = iter == iters;
    /* A terminal is redrawn up to 10 times a second; a log gets a line every 30 s and at
     * the end of each epoch. */
    if (now - p->last_print < (p->tty ? 0.1 : 30.0) && !last && p->steps_done > 1)
        return;
    p->last_print = now;
    double rate = elapsed > 0 ? p->steps_done / elapsed : 0;
    char eta[32] = "?";
    if (p->steps_total > 0 && rate > 0) {
        double left = (double)(p->steps_total - p->steps_done) / rate;
        if (p->time_limit > 0 && p->time_limit - elapsed < left)
            left = p->time_limit - elapsed > 0 ? p->time_limit - elapsed : 0;
        format_eta(left, eta, sizeof eta);
    }
    char stats[160];
    snprintf(stats, sizeof stats, "%.2f it/s ETA %s  G_GAN %.3f G_L1 %.4f D_real %.3f D_fake %.3f",
             rate, eta, (double)losses[0], (double)losses[1], (double)losses[2],
             (double)losses[3]);
    if (p->tty) {
        int width = 20, filled = iters > 0 ? width * iter / iters : 0;
        char bar[32];
        for (int i = 0; i < width; i++)
            bar[i] = i < filled ? '#' : '.';
        bar[width] = '\0';
        fprintf(stderr, "\r\033[Kepoch %d/%d [%s] %d/%d %s", epoch, epochs, bar, iter, iters,
                stats);
    } else {
        fprintf(stderr, "epoch %d/%d iter %d/%d %s\n", epoch, epochs, iter, iters, stats);
    }
    fflush(stderr);
}

void progress_end(progress *p)
{
    if (p->tty && p->steps_done)
        fputc('\n', stderr);
}
