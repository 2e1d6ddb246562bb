/* The checkpoints of a training run: saving G, D and the optimizer state of one step as one
 * set (ckpt_set.h), and restoring a run from it (--continue) or from --init-g/--init-d. */
#ifndef APP_TRAIN_CKPT_H
#define APP_TRAIN_CKPT_H

#include "app/train/train.h"
#include "app/train/train_run.h"

/* Finishes or discards the checkpoint sets an interrupted save left in dir, and removes
 * stale temporary files, saying what it did. 0 or -1 (reported). */
int train_ckpt_recover(const char *dir);
/* Saves latest_{net_G,net_D,opt} as one set, then <copy_tag>_net_{G,D} as another unless
 * copy_tag is NULL (an epoch number, or iter_<step>). The optimizer records the position to
 * resume from: the next epoch after a complete one, else iteration epoch_iter of the same
 * epoch. 0 or -1 (reported; the previous set is intact). */
int train_ckpt_save(const train_config *c, trainer *t, const char *dir, int epoch,
                    int epoch_iter, int complete, const char *copy_tag);
/* Weights at the start: --continue (the latest set, refused when its files are not of one
 * step), --init-g/--init-d, or the fresh initialisation. Sets the epoch and the iterations
 * already done in it. 0 or -1 (reported). */
int train_ckpt_restore(const train_config *c, trainer *t, const char *dir, int *epoch,
                       int *iter);

#endif
