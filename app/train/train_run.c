/* A training run: the experiment folder locked, then epochs at the rates of --lr-policy
 * (train_lr.c), a checkpoint at the end of every epoch (train_save.c), and an orderly
 * stop on SIGINT/SIGTERM, --max-steps or --time-limit that saves everything needed to
 * resume. */
#include <stdio.h>

#include "app/common/float_text.h"
#include "app/common/progress.h"
#include "app/parallel/dist.h"
#include "app/train/train_dist.h"
#include "app/train/train_session.h"

/* The last words of a run that did not fail: the report's final state, the line that says
 * where the generator is (and how to resume). */
static void finish(train_session *s)
{
    if (!s->rank0)
        return;
    char state[128];
    snprintf(state, sizeof state, "%s", s->stopped ? s->stopped : "finished");
    /* A run stopped inside an epoch has not translated the samples of that epoch yet. */
    train_session_refresh(s, s->report.epoch, s->report.iter, state,
                          s->stopped && s->report.iter < s->iters);
}

static void say_done(const train_session *s)
{
    if (s->stopped) {
        printf("%s after %ld steps; saved %s/latest_net_G.safetensors\n", s->stopped, s->steps,
               s->dir);
        if (s->c->resume_hint)
            printf("resume with: %s\n", s->c->resume_hint);
    } else {
        printf("done: %ld steps; generator in %s/latest_net_G.safetensors\n", s->steps, s->dir);
    }
    if (eng_plan_fp16(s->t.plan))
        printf("fp16: %lld step%s skipped an update for gradients that were not finite; loss "
               "scale now %g\n", (long long)eng_plan_skipped_runs(s->t.plan),
               eng_plan_skipped_runs(s->t.plan) == 1 ? "" : "s",
               (double)eng_plan_loss_scale(s->t.plan));
}

/* The run once the experiment folder is locked (by rank 0: only it writes there). */
static int train_locked(const train_config *c, trainer_opts topts, pair_loader_opts lopts,
                        const char *dir)
{
    train_session s;
    int status = train_session_open(&s, c, topts, lopts, dir);
    if (status) {
        train_session_close(&s);
        return status;
    }
    char bound[64] = "", seconds[32];
    if (c->time_limit > 0) { /* it ends the run whatever the epochs say */
        float_text(c->time_limit, seconds, sizeof seconds);
        snprintf(bound, sizeof bound, ", at most %s s (--time-limit)", seconds);
    }
    char critics[32];
    net_critics_note(&s.t.opts.disc, critics, sizeof critics);
    if (s.rank0)
        printf("training %s on %zu pairs of %dx%d: %s + %s%s, %.1f M parameters, %d epochs of "
               "%d steps%s%s%s\n",
               dir, pair_loader_size(s.loader), s.t.opts.width, s.t.opts.height, c->netG,
               c->netD, critics, (net_param_count(&s.t.G) + net_param_count(&s.t.D)) / 1e6, s.epochs,
               s.iters, dist_size() > 1 ? " per rank" : "", bound,
               eng_plan_fp16(s.t.plan) ? ", fp16 storage with loss scaling" : "");
    fflush(stdout);
    train_signals_catch();
    progress_init(&s.prog, "it", s.remaining, c->quiet || !s.rank0);
    progress_set_time_limit(&s.prog, c->time_limit);
    s.start = s.last_save = now_seconds();
    double cpu_start = train_dist_cpu_seconds();
    for (; s.epoch <= s.epochs && !s.stopped && !status; s.epoch++, s.iter0 = 0)
        status = train_epoch(&s);
    progress_end(&s.prog);
    /* Written while a second Ctrl-C is still caught, so it cannot leave a half-written file. */
    if (!status)
        finish(&s);
    train_signals_restore();
    train_dist_report((const eng_reducer *const[TRAIN_REDUCERS]){s.reducers[0], s.reducers[1],
                                                                 s.reducers[2]},
                      s.steps,
                      now_seconds() - s.start, train_dist_cpu_seconds() - cpu_start,
                      s.t.opts.batch);
    if (!status && s.rank0)
        say_done(&s);
    train_session_close(&s);
    return status;
}

int train_run(const train_config *c)
{
    trainer_opts topts;
    pair_loader_opts lopts;
    if (train_configure(c, &topts, &lopts))
        return 2;
    char dir[4200], err[1024];
    if (dist_join(err, sizeof err)) {
        fprintf(stderr, "pix2pix train: %s\n", err);
        return 1;
    }
    int status = train_dist_check_options(c) ? 2 : 0;
    lopts.shard_rank = topts.rank = dist_rank();
    lopts.shard_count = dist_size();
    snprintf(dir, sizeof dir, "%s/%s", c->checkpoints_dir, c->name);
    /* The folder is opened and locked by train_session_open, once the data is known usable. */
    if (!status)
        status = train_locked(c, topts, lopts, dir);
    dist_leave();
    return status;
}
