/* The training report CKDIR/NAME/web/index.html, rewritten atomically at every refresh: the
 * run's state and speed, the loss curves of loss_log.csv (inline SVG), the fixed sample pairs
 * translated at each epoch, the reference's per-epoch training images and the options. */
#ifndef APP_TRAIN_REPORT_H
#define APP_TRAIN_REPORT_H

#include <stddef.h>

#include "app/train/train_samples.h"

typedef struct {
    const char *dir;          /* CKDIR/NAME */
    const char *name;
    const char *options_text; /* opt.txt's text (NULL: none) */
    char model[256];          /* "unet_256 + basic, 54.4 M parameters" */
    char data[4400];          /* "DATA: 400 pairs of 256x256, AtoB" */
    char device[256];
    const train_samples *samples; /* NULL: none */
    const char *state;        /* "running", "finished", "stopped: ..." */
    int running;              /* the page reloads itself every minute */
    int epoch, epochs, iter, iters, image_width;
    long steps;               /* in this run */
    double seconds;           /* of this run */
    double seconds_left;      /* estimate (< 0: unknown) */
} train_report;

int train_report_write(const train_report *r, char *err, size_t errlen);

#endif
