/* The epochs of a run: steps with their checks (losses that are numbers, the ranks in step,
 * a stop asked by a signal or a limit), the loss log, the progress line and the report. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app/common/finite.h"
#include "app/common/fsutil.h"
#include "app/parallel/dist.h"
#include "app/train/train_dist.h"
#include "app/train/train_output.h"
#include "app/train/train_session.h"

static volatile sig_atomic_t stop_signal;
static struct sigaction old_int, old_term;

static void on_signal(int sig)
{
    stop_signal = sig;
}

void train_signals_catch(void)
{
    stop_signal = 0;
    struct sigaction sa = {0};
    sa.sa_handler = on_signal;
    sigaction(SIGINT, &sa, &old_int);
    sigaction(SIGTERM, &sa, &old_term);
}

void train_signals_restore(void)
{
    sigaction(SIGINT, &old_int, NULL);
    sigaction(SIGTERM, &old_term, NULL);
}

/* A step whose losses, gradients or optimizer state are not numbers has ruined the weights in
 * memory: the run stops without saving them, so the last checkpoint stays good. (With fp16 loss
 * scaling gradients that are not finite are expected now and then: that update is skipped and
 * the scale lowered.) A finite gradient can overflow the state: its square in exp_avg_sq. */
static void report_diverged(long long step, int epoch, int iter, const char *what,
                            const char *dir)
{
    char opt[4300];
    snprintf(opt, sizeof opt, "%s/latest_opt.safetensors", dir);
    fprintf(stderr, "pix2pix train: step %lld (epoch %d, iteration %d): %s; training stopped "
            "without saving this step. %s%s: %s a lower --lr, or check the data\n", step, epoch,
            iter, what,
            fs_exists(opt) ? "The last checkpoint is intact in " : "No checkpoint was saved in ",
            dir, fs_exists(opt) ? "resume it with --continue and" : "start again with");
}

/* Names the first parameter of opt whose weights or moments hold a value that is not finite;
 * returns whether there is one. */
static int find_nonfinite_state(eng_plan *p, const eng_adam *opt, char *out, size_t len)
{
    static const char *const parts[3] = {"its weights", "exp_avg", "exp_avg_sq"};
    int found = 0;
    for (int i = 0; i < eng_adam_nparams(opt) && !found; i++) {
        const eng_node *nodes[3] = {eng_adam_param(opt, i), eng_adam_exp_avg(opt, i),
                                    eng_adam_exp_avg_sq(opt, i)};
        size_t n = eng_node_numel(nodes[0]);
        float *v = malloc(n * sizeof *v);
        for (int k = 0; k < 3 && v && !found; k++) {
            long long at = eng_plan_read(p, nodes[k], v) ? -1 : first_nonfinite(v, n);
            char value[16];
            if ((found = at >= 0)) {
                describe_value(v[at], value, sizeof value);
                snprintf(out, len, "; parameter %s: %s hold%s %s at index %lld",
                         eng_node_name(nodes[0]), parts[k], k ? "s" : "", value, at);
            }
        }
        free(v);
    }
    return found;
}

static int check_step(const trainer *t, const float losses[LOSS_COUNT], long long step,
                      int epoch, int iter, const char *dir)
{
    long long bad = first_nonfinite(losses, LOSS_COUNT);
    int bad_grads = !eng_plan_fp16(t->plan) && eng_plan_nonfinite_grads(t->plan);
    int bad_state = eng_plan_nonfinite_state(t->plan);
    if ((bad < 0 && !bad_grads && !bad_state) || dist_rank() != 0)
        return bad < 0 && !bad_grads && !bad_state ? 0 : -1;
    char what[640], value[16], where[512] = "";
    if (bad >= 0) {
        describe_value(losses[bad], value, sizeof value);
        snprintf(what, sizeof what, "loss %s is %s", loss_names[bad], value);
    } else {
        if (!find_nonfinite_state(t->plan, t->opt_g, where, sizeof where) &&
            !(t->opt_g_fixed && find_nonfinite_state(t->plan, t->opt_g_fixed, where,
                                                     sizeof where)))
            find_nonfinite_state(t->plan, t->opt_d, where, sizeof where);
        snprintf(what, sizeof what, "%s (the losses are finite)%s", bad_grads ?
                 "gradients hold infinities or NaNs" : "the optimizer's state overflowed", where);
    }
    report_diverged(step, epoch, iter, what, dir);
    return -1;
}

/* Why a run stops after a step; the ranks of a job stop for the largest of theirs. */
enum { STOP_NONE, STOP_MAX_STEPS, STOP_TIME_LIMIT, STOP_TERM, STOP_INT };
static const char *const stop_names[] = {NULL, "--max-steps reached", "--time-limit reached",
                                         "terminated", "interrupted"};

static int stop_reason(const train_config *c, long steps, double start)
{
    if (stop_signal)
        return stop_signal == SIGINT ? STOP_INT : STOP_TERM;
    if (c->max_steps > 0 && steps >= c->max_steps)
        return STOP_MAX_STEPS;
    if (c->time_limit > 0 && now_seconds() - start >= c->time_limit)
        return STOP_TIME_LIMIT;
    return STOP_NONE;
}

/* web/index.html */
void train_session_refresh(train_session *s, int epoch, int iter, const char *state,
                           int with_samples)
{
    train_report *r = &s->report;
    train_samples *samples = &s->samples;
    long steps = s->steps, steps_total = s->remaining;
    float time_limit = s->c->time_limit;
    char err[1024], web[4300], images[4400];
    snprintf(web, sizeof web, "%s/web", r->dir);
    snprintf(images, sizeof images, "%s/images", web);
    if (fs_mkdirs(images)) {
        fprintf(stderr, "pix2pix train: %s: cannot create the folder\n", images);
        return;
    }
    if (with_samples && samples && samples->count &&
        train_samples_write(samples, &s->t, web, epoch, err, sizeof err))
        fprintf(stderr, "pix2pix train: samples: %s\n", err);
    double elapsed = now_seconds() - s->start, rate = elapsed > 0 ? steps / elapsed : 0;
    r->epoch = epoch;
    r->iter = iter;
    r->steps = steps;
    r->seconds = elapsed;
    r->seconds_left = rate > 0 ? (steps_total - steps) / rate : -1;
    if (time_limit > 0 && r->seconds_left > time_limit - elapsed)
        r->seconds_left = time_limit - elapsed;
    r->state = state;
    r->running = !strcmp(state, "running");
    if (train_report_write(r, err, sizeof err))
        fprintf(stderr, "pix2pix train: %s\n", err);
}

/* The reference's --print_freq line. */
static void print_losses(train_session *s, int iter, const float losses[LOSS_COUNT])
{
    progress_end(&s->prog); /* the line comes below the progress display */
    printf("(epoch: %d, iters: %d, step: %ld, time: %.3f) G_GAN: %.3f G_L1: %.3f D_real: %.3f "
           "D_fake: %.3f", s->epoch, iter, s->steps, now_seconds() - s->start,
           (double)losses[LOSS_G_GAN], (double)losses[LOSS_G_L1], (double)losses[LOSS_D_REAL],
           (double)losses[LOSS_D_FAKE]);
    unsigned logged = trainer_losses(&s->t.opts);
    for (int k = LOSS_G_FEAT; k < LOSS_COUNT; k++) /* pix2pixHD's names; before their lambda */
        if (logged & LOSS_BIT(k))
            printf(" %s: %.3f", loss_names[k], (double)losses[k]);
    putchar('\n');
    fflush(stdout);
}

/* One step: a batch, the update, the checks every rank agrees on, the log and the display.
 * Returns 0 or the exit status; *stop is why the run stops after it (STOP_NONE: it goes on). */
static int step(train_session *s, int iter, int *stop)
{
    const train_config *c = s->c;
    float losses[LOSS_COUNT];
    char err[1024];
    int epoch_done;
    if (pair_loader_next(s->loader, s->a, s->b, NULL, &epoch_done)) {
        fprintf(stderr, "pix2pix train: no image of %s could be read\n", c->data);
        return train_fail(1);
    }
    if (trainer_step(&s->t, s->a, s->b, losses)) {
        fprintf(stderr, "pix2pix train: step failed: %s\n", eng_last_error());
        return train_fail(1);
    }
    *stop = stop_reason(c, s->steps + 1, s->start);
    train_dist_step(losses, stop);
    if (check_step(&s->t, losses, eng_adam_steps(s->t.opt_g), s->epoch, iter, s->dir))
        return 1;
    s->steps++;
    if (c->check_every > 0 && s->steps % c->check_every == 0 &&
        train_dist_check_weights(&s->t, eng_adam_steps(s->t.opt_g)))
        return 1;
    s->report.epoch = s->epoch;
    s->report.iter = iter;
    if (s->rank0)
        loss_log_row(s->log, s->epoch, iter, losses, trainer_losses(&s->t.opts));
    train_lr_step(s, losses);
    if (s->rank0 && c->print_freq > 0 && s->steps % c->print_freq == 0)
        print_losses(s, iter, losses);
    char label[64], detail[160];
    if (c->time_limit > 0) /* the time limit bounds the run, not the epoch count */
        snprintf(label, sizeof label, "epoch %d", s->epoch);
    else
        snprintf(label, sizeof label, "epoch %d/%d", s->epoch, s->epochs);
    int n = snprintf(detail, sizeof detail, "G_GAN %.3f G_L1 %.4f D_real %.3f D_fake %.3f",
                     (double)losses[0], (double)losses[1], (double)losses[2],
                     (double)losses[3]);
    for (int k = LOSS_G_FEAT; k < LOSS_COUNT; k++)
        if ((trainer_losses(&s->t.opts) & LOSS_BIT(k)) && n > 0 && (size_t)n < sizeof detail)
            n += snprintf(detail + n, sizeof detail - (size_t)n, " %s %.3f", loss_names[k],
                          (double)losses[k]);
    progress_add(&s->prog, 1, label, iter, s->iters, detail);
    if (c->save_latest_freq > 0 && s->steps % c->save_latest_freq == 0 &&
        train_dist_any(s->rank0 && train_save_latest(s, iter)))
        return 1;
    if (s->rank0 && c->display_freq > 0 && (s->steps % c->display_freq == 0 || s->steps == 1)) {
        if (web_save_samples(s->dir, s->epoch, &s->t, s->a, s->b, err, sizeof err))
            fprintf(stderr, "pix2pix train: %s\n", err);
        train_session_refresh(s, s->epoch, iter, "running", 1);
    }
    return 0;
}

int train_epoch(train_session *s)
{
    train_lr_epoch_start(s);
    int iter;
    for (iter = s->iter0 + 1; iter <= s->iters; iter++) {
        int stop = STOP_NONE, status = step(s, iter, &stop);
        if (status)
            return status;
        s->stopped = stop_names[stop];
        if (s->stopped)
            break;
    }
    if (iter >= s->iters) /* epoch complete */
        train_lr_epoch_end(s);
    if (s->rank0 && iter >= s->iters)
        train_session_refresh(s, s->epoch, s->iters, "running", 1);
    int status = s->rank0 && train_save(s, iter) ? 1 : 0;
    return train_dist_any(status); /* rank 0's save */
}
