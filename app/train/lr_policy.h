/* The learning rate by epoch: the reference's --lr_policy (its networks.get_scheduler, a
 * PyTorch scheduler stepped once per epoch). The rate of epoch e is the scheduler's after
 * k = e - epoch_count steps: the first epoch of a run at k = 0, as the reference stepped its
 * schedulers at the end of each epoch until 2020 (it now steps at the start, which runs every
 * epoch one step further and the last one of the linear policy at rate 0). */
#ifndef APP_TRAIN_LR_POLICY_H
#define APP_TRAIN_LR_POLICY_H

typedef enum { LR_LINEAR, LR_STEP, LR_PLATEAU, LR_COSINE } lr_policy_kind;

typedef struct {
    lr_policy_kind kind;
    float lr0;
    int epochs, epochs_decay, epoch_count; /* the reference's n_epochs, n_epochs_decay, ... */
    int decay_iters;                       /* step: the reference's lr_decay_iters */
    /* plateau: ReduceLROnPlateau(mode min, factor 0.2, threshold 0.01 relative, patience 5) */
    float lr;                              /* the rate now */
    double best;                           /* the lowest metric so far */
    int bad;                               /* epochs since it was lowered by 1% */
} lr_schedule;

/* The names of the policies, in lr_policy_kind's order, NULL-terminated. */
extern const char *const lr_policy_names[];
/* "linear" | "step" | "plateau" | "cosine" into *kind; -1 for another name. */
int lr_policy_parse(const char *name, lr_policy_kind *kind);
void lr_schedule_init(lr_schedule *s, lr_policy_kind kind, float lr0, int epochs,
                      int epochs_decay, int epoch_count, int decay_iters);
/* The rate of epoch (epoch_count for the first): linear, step and cosine by formula; plateau
 * the rate its metrics have led to so far. */
float lr_schedule_rate(const lr_schedule *s, int epoch);
/* plateau: the metric of an epoch just finished (the others ignore it). */
void lr_schedule_metric(lr_schedule *s, double metric);

#endif
