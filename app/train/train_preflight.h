/* What training checks before it opens its device (whose choice may print a note of its own):
 * the data, so that a wrong --data gets only its error; and whether --load-size enlarges the
 * images, said once. */
#ifndef APP_TRAIN_PREFLIGHT_H
#define APP_TRAIN_PREFLIGHT_H

#include "datasets/loader.h"

/* 0 when the split of l has pairs (with the upscaling note on stderr unless quiet), else -1
 * after "pix2pix train: <why>" on stderr. */
int train_preflight(const pair_loader_opts *l, int quiet);

#endif
