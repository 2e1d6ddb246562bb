/* What training writes besides checkpoints and the report: loss_log.csv and the reference's
 * per-epoch images. */
#ifndef APP_TRAIN_OUTPUT_H
#define APP_TRAIN_OUTPUT_H

#include <stdio.h>

#include "app/train/train.h"

/* Opens DIR/loss_log.csv for appending (header written when new: epoch, iter and the names of
 * the losses of logged, a LOSS_BIT mask (trainer_losses), in their order). NULL on error. */
FILE *loss_log_open(const char *dir, unsigned logged);
/* Drops the rows of DIR/loss_log.csv past iteration iter of epoch (steps of a killed run that
 * the checkpoint it resumes from does not hold, and that will be run again). 0 or -1. */
int loss_log_rewind(const char *dir, int epoch, int iter);
/* A row of the losses of logged. */
void loss_log_row(FILE *f, int epoch, int iter, const float losses[LOSS_COUNT],
                  unsigned logged);

/* Writes DIR/web/images/epochNNN_{real_A,fake_B,real_B}.png from the first item of the
 * batch. Returns 0 or -1 with err. */
int web_save_samples(const char *dir, int epoch, const trainer *t, const float *a,
                     const float *b, char *err, size_t errlen);

#endif
