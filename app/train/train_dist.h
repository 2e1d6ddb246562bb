/* Data-parallel training (mpirun -np N pix2pix train): what a training run does with more
 * than one rank, on dist.h. As PyTorch's DistributedDataParallel with each network wrapped:
 * rank 0's state is copied to every rank at the start, each rank trains on its shard of the
 * data (datasets/loader.h) with its own BatchNorm statistics, and the gradients of G and of D
 * are averaged across the ranks (the reducers) before each optimizer's update, so that the
 * weights stay identical: a checksum compares them every --check-every steps. The ranks agree
 * after every step on the losses (their mean is logged) and on stopping, so they stop at the
 * same step; rank 0 alone takes the experiment's lock and writes checkpoints, the loss log and
 * the report. With one rank every function here does nothing. */
#ifndef APP_TRAIN_DIST_H
#define APP_TRAIN_DIST_H

#include "app/train/train.h"
#include "app/train/train_run.h"

/* Every rank must be given rank 0's options; only --device, --threads, --workers and --quiet
 * may differ. 0, or -1 on every rank once each rank that differs has named an option. */
int train_dist_check_options(const train_config *c);
/* Whether any rank failed (every rank calls it at the same point). */
int train_dist_any(int failed);
/* Rank 0's weights, running statistics, optimizer moments and steps, and its position in
 * training, on every rank. */
void train_dist_share_state(trainer *t, int *epoch, int *iter);
/* After each step: the losses become their mean over the ranks, *stop the largest of the
 * ranks' stop reasons. */
void train_dist_step(float losses[LOSS_COUNT], int *stop);
/* Compares a checksum of the weights across the ranks. 0, or -1 (rank 0 names the ranks
 * whose weights differ from its own). */
int train_dist_check_weights(const trainer *t, long long step);
/* The CPU time this process has used (all its threads), in seconds. */
double train_dist_cpu_seconds(void);
/* Under an MPI launcher, rank 0 prints the steps and pairs per second (batch pairs per rank
 * and step), its CPU time per step (what a step costs on a machine shared with other work)
 * and the reducers' figures. */
/* reducers: G's, D's, and G's fixed part's (NULL where none). */
void train_dist_report(const eng_reducer *const reducers[TRAIN_REDUCERS], long steps, double seconds,
                       double cpu_seconds, int batch);

#endif
