/* What training writes besides checkpoints: loss_log.csv, the web/ page of sample images, and
 * the progress display (a bar on a terminal, plain periodic lines otherwise). */
#ifndef APP_TRAIN_OUTPUT_H
#define APP_TRAIN_OUTPUT_H

#include <stdio.h>

#include "app/train.h"

/* Opens DIR/loss_log.csv for appending (header written when new). NULL on error. */
FILE *loss_log_open(const char *dir);
void loss_log_row(FILE *f, int epoch, int iter, const float losses[LOSS_COUNT]);

/* Writes DIR/web/images/epochNNN_{real_A,fake_B,real_B}.png from the first item of the batch
 * and rewrites DIR/web/index.html (newest epoch first). Returns 0 or -1 with err. */
int web_save_samples(const char *dir, int epoch, const trainer *t, const float *a,
                     const float *b, char *err, size_t errlen);

typedef struct {
    int tty;
    double start, last_print;
    long steps_done;        /* in this run */
    long steps_total;       /* in this run, for the ETA (0: unknown) */
    double time_limit;      /* seconds (0: none), also bounds the ETA */
} progress;

void progress_init(progress *p, long steps_total, double time_limit);
void progress_step(progress *p, int epoch, int epochs, int iter, int iters,
                   const float losses[LOSS_COUNT]);
/* Ends the bar's line on a terminal. */
void progress_end(progress *p);
double now_seconds(void);

#endif
