/* One training run as its parts see it: the options checked (train_config.c), the run opened
 * (train_setup.c), its epochs (train_epoch.c) and the save policy (train_save.c), tied
 * together by train_run.c. Private to app/train. */
#ifndef APP_TRAIN_TRAIN_SESSION_H
#define APP_TRAIN_TRAIN_SESSION_H

#include <stdio.h>

#include "app/common/progress.h"
#include "app/train/lr_policy.h"
#include "app/train/train.h"
#include "app/train/train_report.h"
#include "app/train/train_run.h"
#include "app/train/train_samples.h"
#include "datasets/loader.h"

typedef struct {
    const train_config *c;
    const char *dir;          /* the experiment folder */
    int rank0;                /* this process writes the folder */
    int lock;                 /* the folder's lock (rank 0), or -1 */
    eng_backend *be;
    pair_loader *loader;
    trainer t;
    vgg_weights vgg;          /* --vgg-weights, read before anything is written, until the
                               * plan holds them */
    train_samples samples;
    train_report report;
    FILE *log;                /* loss_log.csv (rank 0) */
    float *a, *b;             /* one batch */
    eng_reducer *reducers[TRAIN_REDUCERS]; /* with several ranks: G's, D's, and with
                                            * --niter-fix-global that of G's fixed part */
    int epoch, iter0;         /* where the run goes on from */
    int epochs, iters;        /* epochs in all, steps per epoch */
    long remaining;           /* steps this run takes at most */
    long steps;               /* steps taken */
    double start, last_save;  /* now_seconds() */
    progress prog;
    const char *stopped;      /* why the run stopped early, or NULL */
    lr_schedule lr;           /* train_lr.c */
    float lr_rate;            /* the rate set (0: none yet) */
    int lr_epoch;             /* the epoch whose G_L1 lr_sum adds up */
    double lr_sum;
    long lr_rows;
} train_session;

/* The largest --batch-size: far more than fits in memory at the smallest image size, and small
 * enough that no count of the graph's elements comes near overflowing. */
#define TRAIN_MAX_BATCH 65536
/* D's updates and G's are at most 32 per step: the updates' finiteness flags are 32 bits. */
#define TRAIN_MAX_D_STEPS 16

/* Checks the options and fills the trainer's and loader's settings (-1: message printed). */
int train_configure(const train_config *c, trainer_opts *t, pair_loader_opts *l);
/* Opens the device and the data (checked against the model's size rules and the memory), then
 * the experiment folder (rank 0: created, locked, a previous run refused or moved aside, an
 * interrupted save recovered), so that a run refused by then has written nothing; then the model
 * (resumed from the checkpoints with --continue), the loss log and the report. Returns 0 or the
 * exit status; close s in any case. */
int train_session_open(train_session *s, const train_config *c, trainer_opts topts,
                       pair_loader_opts lopts, const char *dir);
void train_session_close(train_session *s);
/* A failure on one rank of a job ends all of them (the others would wait for it forever). */
int train_fail(int status);

/* SIGINT and SIGTERM stop the run after the current step (train_signals_restore undoes it). */
void train_signals_catch(void);
void train_signals_restore(void);
/* Runs the steps of epoch s->epoch from s->iter0 + 1, then saves as the policy says. Returns
 * 0 (s->stopped says whether the run stops) or the exit status. */
int train_epoch(train_session *s);
/* Rewrites the report page (after translating the fixed samples when asked). */
void train_session_refresh(train_session *s, int epoch, int iter, const char *state,
                           int with_samples);
/* The learning rate (train_lr.c): the schedule of the options, replayed from loss_log.csv
 * when a plateau run resumes (after the model is restored); the rate of s->epoch set on the
 * trainer; each step's losses; the end of an epoch. */
void train_lr_open(train_session *s);
void train_lr_epoch_start(train_session *s);
void train_lr_step(train_session *s, const float losses[LOSS_COUNT]);
void train_lr_epoch_end(train_session *s);
/* The save policy after the last step of an epoch (iter == iters) or of a stop inside one:
 * returns 0 or -1 (a save failed, message printed). */
int train_save(train_session *s, int iter);
/* --save-latest-freq: latest_* after iteration iter (iter_<step>_net_* too with
 * --save-by-iter). 0 or -1 (reported). */
int train_save_latest(train_session *s, int iter);

#endif
