/* The fixed pairs shown on the training report: the first few usable pairs of the val split
 * (of train when there is none), preprocessed as training does but without flip or random
 * crop, translated by the current G at every refresh. G runs in its own plan (batch 1, as
 * `pix2pix test` runs it without --eval: each image's BatchNorm statistics, dropout on) whose
 * tensors are copied from the training plan first, so training is not disturbed: its running
 * statistics, dropout counters and activations stay as they are. */
#ifndef APP_TRAIN_SAMPLES_H
#define APP_TRAIN_SAMPLES_H

#include <stddef.h>

#include "app/train/train.h"
#include "datasets/loader.h"

#define TRAIN_SAMPLES_MAX 4

typedef struct {
    int count, height, width, input_nc, output_nc;
    char split[8];
    char names[TRAIN_SAMPLES_MAX][256];
    float *a, *b;       /* count inputs [input_nc, H, W] and targets [output_nc, H, W] */
    eng_graph *g;
    eng_plan *plan;
    net G;
    eng_node *in, *out;
} train_samples;

/* Picks the pairs (loader options as for training; sizes must match the trainer's) and
 * builds the plan on be. -1 with a reason when there is no usable pair or no memory. */
int train_samples_open(train_samples *s, const pair_loader_opts *lo, const trainer *t,
                       eng_backend *be, char *err, size_t errlen);
/* Copies G from the trainer, translates the pairs and writes web_dir/images/
 * epochNNN_sampleK.png (and sampleK_input.png / sampleK_target.png when missing). */
int train_samples_write(train_samples *s, const trainer *t, const char *web_dir, int epoch,
                        char *err, size_t errlen);
void train_samples_close(train_samples *s);

#endif
