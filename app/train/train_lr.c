/* The learning rate of a run (--lr-policy, lr_policy.h): set at the start of each epoch; the
 * plateau policy fed each epoch's mean G_L1 (the L1 loss before lambda: the reference's
 * pix2pix gives its scheduler a constant 0, which only lowers the rate every 6 epochs), and on
 * --continue the means of the epochs in loss_log.csv replayed to the state it had. */
#include <stdio.h>
#include <stdlib.h>

#include "app/parallel/dist.h"
#include "app/report/loss_plot.h"
#include "app/train/train_session.h"

/* The mean G_L1 of the epoch summed so far to the schedule. */
static void feed_epoch(train_session *s)
{
    if (s->lr_rows > 0)
        lr_schedule_metric(&s->lr, s->lr_sum / (double)s->lr_rows);
    s->lr_sum = 0;
    s->lr_rows = 0;
}

/* The rows of the log, which ends at the checkpoint resumed from (loss_log_rewind): the
 * epochs before s->epoch fed to the schedule, the rows of s->epoch summed. */
static void replay(train_session *s)
{
    char path[4200];
    loss_row *rows;
    size_t count;
    snprintf(path, sizeof path, "%s/loss_log.csv", s->dir);
    if (loss_log_read(path, &rows, &count))
        fprintf(stderr, "pix2pix train: %s: out of memory reading it; the plateau policy "
                "starts again from this epoch\n", path);
    s->lr_epoch = 0;
    for (size_t i = 0; i < count; i++) {
        if (rows[i].epoch != s->lr_epoch) {
            feed_epoch(s);
            s->lr_epoch = rows[i].epoch;
        }
        train_lr_step(s, rows[i].v);
    }
    free(rows);
    if (s->lr_epoch != s->epoch) { /* the log ends with the epoch before */
        feed_epoch(s);
        s->lr_epoch = s->epoch;
    }
}

void train_lr_open(train_session *s)
{
    const train_config *c = s->c;
    lr_policy_kind kind = LR_LINEAR;
    lr_policy_parse(c->lr_policy, &kind); /* checked by train_configure */
    lr_schedule_init(&s->lr, kind, c->lr, c->epochs, c->epochs_decay, c->epoch_count,
                     c->lr_decay_iters);
    s->lr_epoch = s->epoch;
    s->lr_sum = 0;
    s->lr_rows = 0;
    s->lr_rate = 0;
    if (kind == LR_PLATEAU && c->continue_train) {
        if (s->rank0)
            replay(s);
        dist_broadcast(&s->lr, sizeof s->lr);
        dist_broadcast(&s->lr_sum, sizeof s->lr_sum); /* the ranks log the same losses */
        dist_broadcast(&s->lr_rows, sizeof s->lr_rows);
    }
    if (c->continue_train && s->rank0)
        fprintf(stderr, "resuming at learning rate %g (--lr-policy %s%s)\n",
                (double)lr_schedule_rate(&s->lr, s->epoch), c->lr_policy,
                kind == LR_PLATEAU ? ", its state replayed from loss_log.csv" : "");
}

void train_lr_epoch_start(train_session *s)
{
    float rate = lr_schedule_rate(&s->lr, s->epoch);
    /* The reference's line, where its --print_freq lines go. */
    if (s->rank0 && s->c->print_freq > 0 && s->lr_rate > 0 && rate != s->lr_rate)
        printf("learning rate %.7f -> %.7f\n", (double)s->lr_rate, (double)rate);
    s->lr_rate = rate;
    trainer_set_lr(&s->t, rate);
    if (s->t.opt_g_fixed) { /* pix2pixHD's --niter_fix_global: epochs 1 to N */
        int fixed = s->epoch <= s->c->niter_fix_global;
        if (s->rank0 && s->t.global_fixed && !fixed)
            printf("epoch %d: the global generator trains too from now on (--niter-fix-global "
                   "%d)\n", s->epoch, s->c->niter_fix_global);
        trainer_fix_global(&s->t, fixed);
    }
}

void train_lr_step(train_session *s, const float losses[LOSS_COUNT])
{
    s->lr_sum += losses[LOSS_G_L1];
    s->lr_rows++;
}

void train_lr_epoch_end(train_session *s)
{
    feed_epoch(s);
    s->lr_epoch = s->epoch + 1;
}
