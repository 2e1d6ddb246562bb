/* The memory of a training run, checked before its large buffers exist: the training plan,
 * the loader's prefetched items and decoded images, the loop's batch and the report's pairs.
 * Without it, an oversized --crop-size or --load-size allocates (overcommitted) memory that the
 * process is killed for when it is touched. */
#ifndef APP_TRAIN_MEMORY_H
#define APP_TRAIN_MEMORY_H

#include <stddef.h>

#include "app/train/train.h"
#include "datasets/loader.h"

/* Sets t's height and width when the options fix them (the cropping modes, with a crop size
 * the networks take) and returns 1; 0 when the images decide (ask the opened loader). */
int train_size_from_options(trainer_opts *t, const pair_loader_opts *l);
/* 0 when a run of t (at t->height x t->width) with the loader l fits in the memory this
 * process may use, else -1 with "training at WxH needs about X GiB of memory; this process
 * may use Y GiB" in err. */
int train_memory_check(const trainer_opts *t, const pair_loader_opts *l, eng_backend *be,
                       char *err, size_t errlen);

#endif
