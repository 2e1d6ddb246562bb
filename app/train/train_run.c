/* The training loop: epochs with the reference's linear learning-rate decay, a checkpoint at
 * the end of every epoch (and <epoch>_net_* every save_epoch_freq), and an orderly stop on
 * SIGINT/SIGTERM, --max-steps or --time-limit that saves everything needed to resume. */
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app/common/backend.h"
#include "app/dist/dist.h"
#include "app/dist/dist_device.h"
#include "app/train/exp_lock.h"
#include "app/common/finite.h"
#include "app/common/fsutil.h"
#include "app/common/progress.h"
#include "app/train/train_ckpt.h"
#include "app/train/train_memory.h"
#include "app/train/train_dist.h"
#include "app/train/train_output.h"
#include "app/train/train_report.h"
#include "app/train/train_run.h"
#include "datasets/loader.h"

#define LATEST_SAVE_SECONDS 600.0
#define BUCKET_BYTES ((size_t)25 << 20) /* DistributedDataParallel's bucket_cap_mb */

static volatile sig_atomic_t stop_signal;

static void on_signal(int sig)
{
    stop_signal = sig;
}

void train_config_defaults(train_config *c)
{
    memset(c, 0, sizeof *c);
    c->direction = "AtoB";
    c->name = "experiment";
    c->checkpoints_dir = "./checkpoints";
    c->epochs = 100;
    c->epochs_decay = 100;
    c->batch_size = 1;
    c->lr = 2e-4f;
    c->beta1 = 0.5f;
    c->lambda_l1 = 100.0f;
    c->gan_mode = "vanilla";
    c->netG = "unet_256";
    c->netD = "basic";
    c->n_layers_d = 3;
    c->ngf = 64;
    c->ndf = 64;
    c->norm = "batch";
    c->load_size = 286;
    c->crop_size = 256;
    c->preprocess = "resize_and_crop";
    c->save_epoch_freq = 5;
    c->device = app_default_device();
    c->workers = 2;
    c->display_freq = 400;
    c->input_nc = 3;
    c->output_nc = 3;
    c->check_every = 100;
}

static int parse_preprocess(const char *s, preprocess_mode *m)
{
    static const char *const names[] = {"resize_and_crop", "crop", "scale_width",
                                        "scale_width_and_crop", "none"};
    static const preprocess_mode modes[] = {PREPROCESS_RESIZE_AND_CROP, PREPROCESS_CROP,
                                            PREPROCESS_SCALE_WIDTH,
                                            PREPROCESS_SCALE_WIDTH_AND_CROP, PREPROCESS_NONE};
    for (int i = 0; i < 5; i++)
        if (!strcmp(s, names[i])) {
            *m = modes[i];
            return 0;
        }
    return -1;
}

/* The options that are real numbers, each within its range (the command line already
 * refuses NaN and Inf; the demo and tests fill the config directly). */
static int check_numbers(const train_config *c)
{
    const struct { const char *name; float value, lo, hi; int lo_open, hi_open; } ranges[] = {
        {"--lr", c->lr, 0.0f, 1.0f, 1, 0},
        {"--beta1", c->beta1, 0.0f, 1.0f, 0, 1},
        {"--lambda-l1", c->lambda_l1, 0.0f, 1e6f, 0, 0},
        {"--time-limit", c->time_limit, 0.0f, 1e9f, 0, 0},
    };
    for (size_t i = 0; i < sizeof ranges / sizeof ranges[0]; i++) {
        float v = ranges[i].value;
        int ok = isfinite(v) && (ranges[i].lo_open ? v > ranges[i].lo : v >= ranges[i].lo) &&
                 (ranges[i].hi_open ? v < ranges[i].hi : v <= ranges[i].hi);
        if (!ok) {
            fprintf(stderr, "pix2pix train: %s must be in %c%g, %g%c, not %g\n", ranges[i].name,
                    ranges[i].lo_open ? '(' : '[', (double)ranges[i].lo, (double)ranges[i].hi,
                    ranges[i].hi_open ? ')' : ']', (double)v);
            return -1;
        }
    }
    return 0;
}

/* Checks the options and fills the trainer's and loader's settings. */
static int configure(const train_config *c, trainer_opts *t, pair_loader_opts *l)
{
    memset(t, 0, sizeof *t);
    memset(l, 0, sizeof *l);
    net_norm norm;
    const char *bad = NULL;
    if (gen_name_parse(c->netG, &t->gen))
        bad = "--netG";
    else if (disc_name_parse(c->netD, c->n_layers_d, &t->disc))
        bad = "--netD/--n-layers-d";
    else if (net_norm_parse(c->norm, &norm))
        bad = "--norm";
    else if (strcmp(c->gan_mode, "vanilla") && strcmp(c->gan_mode, "lsgan"))
        bad = "--gan-mode";
    else if (strcmp(c->direction, "AtoB") && strcmp(c->direction, "BtoA"))
        bad = "--direction";
    else if (parse_preprocess(c->preprocess, &l->preprocess))
        bad = "--preprocess";
    else if (c->batch_size < 1 || c->epochs < 0 || c->epochs_decay < 0 ||
             c->epochs + c->epochs_decay < 1)
        bad = "--batch-size/--epochs/--epochs-decay";
    else if (c->ngf < 1 || c->ndf < 1 || (c->input_nc != 1 && c->input_nc != 3) ||
             (c->output_nc != 1 && c->output_nc != 3))
        bad = "--ngf/--ndf/--input-nc/--output-nc";
    else if (c->load_size < 1 || c->crop_size < 1 || c->save_epoch_freq < 1)
        bad = "--load-size/--crop-size/--save-epoch-freq";
    if (bad) {
        fprintf(stderr, "pix2pix train: invalid %s (see --help)\n", bad);
        return -1;
    }
    if (check_numbers(c))
        return -1;
    t->gen.input_nc = c->input_nc;
    t->gen.output_nc = c->output_nc;
    t->gen.ngf = c->ngf;
    t->gen.norm = norm;
    t->gen.use_dropout = !c->no_dropout;
    t->disc.input_nc = c->input_nc + c->output_nc;
    t->disc.ndf = c->ndf;
    t->disc.norm = norm;
    t->batch = c->batch_size;
    t->lr = c->lr;
    t->beta1 = c->beta1;
    t->lambda_l1 = c->lambda_l1;
    t->lsgan = !strcmp(c->gan_mode, "lsgan");
    t->seed = c->seed;
    l->root = c->data;
    l->split = "train";
    l->direction_btoa = !strcmp(c->direction, "BtoA");
    l->load_size = c->load_size;
    l->crop_size = c->crop_size;
    l->no_flip = c->no_flip;
    l->serial = c->serial_batches;
    l->seed = c->seed;
    l->batch_size = c->batch_size;
    l->threads = c->workers > 0 ? c->workers : 1;
    l->input_nc = c->input_nc;
    l->output_nc = c->output_nc;
    return 0;
}

float train_epoch_lr(float lr0, int epochs, int epochs_decay, int epoch)
{
    int over = epoch - epochs;
    return lr0 * (1.0f - (float)(over > 0 ? over : 0) / (float)(epochs_decay + 1));
}

/* Refuses a run that would not fit in memory, naming the options that size it. */
static int check_memory(const trainer_opts *t, const pair_loader_opts *l, eng_backend *be)
{
    char err[1024];
    if (!train_memory_check(t, l, be, err, sizeof err))
        return 0;
    fprintf(stderr, "pix2pix train: %s (see --crop-size/--load-size)\n", err);
    return -1;
}

/* A step whose losses are not numbers has ruined the weights in memory: the run stops
 * without saving them, so the last checkpoint stays good. (Gradients that are not finite
 * with finite losses make the weights NaN, which the next step's losses show, and which a
 * save refuses.) */
static int check_losses(const float losses[LOSS_COUNT], long long step, int epoch, int iter,
                        const char *dir)
{
    long long bad = first_nonfinite(losses, LOSS_COUNT);
    if (bad < 0 || dist_rank() != 0)
        return bad < 0 ? 0 : -1;
    char what[16];
    describe_value(losses[bad], what, sizeof what);
    char opt[4300];
    snprintf(opt, sizeof opt, "%s/latest_opt.safetensors", dir);
    fprintf(stderr, "pix2pix train: step %lld (epoch %d, iteration %d): loss %s is %s; "
            "training stopped without saving this step. %s%s: %s a lower --lr, or check the "
            "data\n", step, epoch, iter, loss_names[bad], what,
            fs_exists(opt) ? "The last checkpoint is intact in " : "No checkpoint was saved in ",
            dir, fs_exists(opt) ? "resume it with --continue and" : "start again with");
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

/* A failure on one rank of a job ends all of them (the others would wait for it forever). */
static int fail(int status)
{
    if (dist_size() > 1)
        dist_abort(status);
    return status;
}

/* The report's fixed parts. */
static void report_init(train_report *r, const train_config *c, const trainer *t,
                        const pair_loader *loader, const eng_backend *be, const char *dir,
                        const train_samples *samples)
{
    memset(r, 0, sizeof *r);
    r->dir = dir;
    r->name = c->name;
    r->options_text = c->options_text;
    char netg[32], netd[32];
    gen_name(&t->opts.gen, netg, sizeof netg);
    disc_name(&t->opts.disc, netd, sizeof netd);
    snprintf(r->model, sizeof r->model, "%s (ngf %d) + %s (ndf %d), %s norm, %.1f M parameters",
             netg, t->opts.gen.ngf, netd, t->opts.disc.ndf, net_norm_name(t->opts.gen.norm),
             (net_param_count(&t->G) + net_param_count(&t->D)) / 1e6);
    snprintf(r->data, sizeof r->data, "%s: %zu pairs, %dx%d crops, batch %d, %s", c->data,
             pair_loader_size(loader), t->opts.width, t->opts.height, t->opts.batch,
             c->direction);
    if (c->threads > 0)
        snprintf(r->device, sizeof r->device, "%s, %d threads", eng_backend_name(be),
                 c->threads);
    else
        snprintf(r->device, sizeof r->device, "%s, all cores", eng_backend_name(be));
    r->samples = samples;
    r->image_width = t->opts.width;
}

/* Rewrites web/index.html (after translating the fixed samples when asked). */
static void report_refresh(train_report *r, train_samples *samples, const trainer *t,
                           int epoch, int iter, long steps, long steps_total, double start,
                           float time_limit, const char *state, int with_samples)
{
    char err[1024], web[4300], images[4400];
    snprintf(web, sizeof web, "%s/web", r->dir);
    snprintf(images, sizeof images, "%s/images", web);
    if (fs_mkdirs(images)) {
        fprintf(stderr, "pix2pix train: %s: cannot create the folder\n", images);
        return;
    }
    if (with_samples && samples && samples->count &&
        train_samples_write(samples, t, web, epoch, err, sizeof err))
        fprintf(stderr, "pix2pix train: samples: %s\n", err);
    double elapsed = now_seconds() - start, rate = elapsed > 0 ? steps / elapsed : 0;
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

/* The run once the experiment folder is locked (by rank 0: only it writes there). */
static int train_locked(const train_config *c, trainer_opts topts, pair_loader_opts lopts,
                        const char *dir)
{
    char err[1024];
    int rank0 = dist_rank() == 0;
    char opt_path[4300];
    snprintf(opt_path, sizeof opt_path, "%s/opt.txt", dir);
    if (rank0 && c->options_text && fs_write_atomic(opt_path, c->options_text))
        fprintf(stderr, "pix2pix train: %s: cannot write\n", opt_path);
    const char *device;
    char device_spec[32];
    int threads;
    dist_device(c->device, c->threads, &device, &threads, device_spec, sizeof device_spec);
    eng_backend *be = app_backend_open(device, threads, c->quiet, err, sizeof err);
    if (!be) {
        fprintf(stderr, "pix2pix train: %s\n", err);
        return fail(1);
    }
    /* The cropping modes fix the size: checked before the loader allocates its buffers. */
    int sized = train_size_from_options(&topts, &lopts);
    if (sized && check_memory(&topts, &lopts, be)) {
        eng_backend_free(be);
        return fail(1);
    }
    pair_loader *loader = pair_loader_open(&lopts, err, sizeof err);
    if (!loader) {
        fprintf(stderr, "pix2pix train: %s\n", err);
        eng_backend_free(be);
        return fail(1);
    }
    pair_loader_item_size(loader, &topts.height, &topts.width);
    int stride, min_side;
    if (!trainer_takes_size(&topts, topts.height, topts.width, &stride, &min_side)) {
        fprintf(stderr, "pix2pix train: training images are %dx%d; %s + %s need sides that "
                "are multiples of %d and at least %d (see --crop-size, --preprocess)\n",
                topts.width, topts.height, c->netG, c->netD, stride, min_side);
        pair_loader_close(loader);
        eng_backend_free(be);
        return fail(2);
    }
    if (!sized && check_memory(&topts, &lopts, be)) {
        pair_loader_close(loader);
        eng_backend_free(be);
        return fail(1);
    }
    trainer t = {0};
    train_samples samples = {0};
    int epoch = 1, iter0 = 0, status = 1;
    float *a = NULL, *b = NULL;
    FILE *log = NULL;
    eng_reducer *reducers[2] = {NULL, NULL};
    if (dist_size() > 1) {
        reducers[0] = dist_reducer_new(BUCKET_BYTES);
        reducers[1] = dist_reducer_new(BUCKET_BYTES);
        topts.reduce_g = reducers[0];
        topts.reduce_d = reducers[1];
    }
    if (dist_size() > 1 && (!reducers[0] || !reducers[1])) {
        fprintf(stderr, "pix2pix train: out of memory\n");
        status = fail(1);
        goto done;
    }
    if (trainer_init(&t, &topts, be, err, sizeof err)) {
        fprintf(stderr, "pix2pix train: %s\n", err);
        status = fail(1);
        goto done;
    }
    /* Rank 0 reads the checkpoints and hands the state to the others. */
    if (rank0 && train_ckpt_restore(c, &t, dir, &epoch, &iter0)) {
        status = fail(1);
        goto done;
    }
    train_dist_share_state(&t, &epoch, &iter0);
    if (rank0 && c->continue_train && loss_log_rewind(dir, epoch, iter0))
        fprintf(stderr, "pix2pix train: %s/loss_log.csv: cannot drop the rows past the "
                "checkpoint\n", dir);
    log = rank0 ? loss_log_open(dir) : NULL;
    a = malloc(sizeof *a * eng_node_numel(t.real_a));
    b = malloc(sizeof *b * eng_node_numel(t.real_b));
    if ((rank0 && !log) || !a || !b) {
        fprintf(stderr, "pix2pix train: %s/loss_log.csv: cannot open (or out of memory)\n", dir);
        status = fail(1);
        goto done;
    }
    if (rank0 && train_samples_open(&samples, &lopts, &t, be, err, sizeof err))
        fprintf(stderr, "pix2pix train: the report will have no fixed samples: %s\n", err);
    train_report report;
    report_init(&report, c, &t, loader, be, dir, samples.count ? &samples : NULL);
    int epochs = c->epochs + c->epochs_decay;
    int iters = (int)pair_loader_batches_per_epoch(loader);
    report.epochs = epochs;
    report.iters = iters;
    long remaining = (long)(epochs - epoch + 1) * iters - iter0;
    if (c->max_steps > 0 && c->max_steps < remaining)
        remaining = c->max_steps;
    if (rank0)
        printf("training %s on %zu pairs of %dx%d: %s + %s, %.1f M parameters, %d epochs of %d "
               "steps%s\n",
               dir, pair_loader_size(loader), topts.width, topts.height, c->netG, c->netD,
               (net_param_count(&t.G) + net_param_count(&t.D)) / 1e6, epochs, iters,
               dist_size() > 1 ? " per rank" : "");
    fflush(stdout);
    stop_signal = 0;
    struct sigaction sa = {0}, old_int, old_term;
    sa.sa_handler = on_signal;
    sigaction(SIGINT, &sa, &old_int);
    sigaction(SIGTERM, &sa, &old_term);
    progress prog;
    progress_init(&prog, "it", remaining, c->quiet || !rank0);
    progress_set_time_limit(&prog, c->time_limit);
    double start = now_seconds(), last_save = start, cpu_start = train_dist_cpu_seconds();
    long steps = 0;
    const char *stopped = NULL;
    status = 0;
    for (; epoch <= epochs && !stopped && !status; epoch++, iter0 = 0) {
        trainer_set_lr(&t, train_epoch_lr(c->lr, c->epochs, c->epochs_decay, epoch));
        int iter;
        for (iter = iter0 + 1; iter <= iters; iter++) {
            float losses[LOSS_COUNT];
            int epoch_done;
            if (pair_loader_next(loader, a, b, NULL, &epoch_done)) {
                fprintf(stderr, "pix2pix train: no image of %s could be read\n", c->data);
                status = fail(1);
                break;
            }
            if (trainer_step(&t, a, b, losses)) {
                fprintf(stderr, "pix2pix train: step failed: %s\n", eng_last_error());
                status = fail(1);
                break;
            }
            int stop = stop_reason(c, steps + 1, start);
            train_dist_step(losses, &stop);
            if (check_losses(losses, eng_adam_steps(t.opt_g), epoch, iter, dir)) {
                status = 1;
                break;
            }
            steps++;
            if (c->check_every > 0 && steps % c->check_every == 0 &&
                train_dist_check_weights(&t, eng_adam_steps(t.opt_g))) {
                status = 1;
                break;
            }
            report.epoch = epoch;
            report.iter = iter;
            if (rank0)
                loss_log_row(log, epoch, iter, losses);
            char label[64], detail[160];
            snprintf(label, sizeof label, "epoch %d/%d", epoch, epochs);
            snprintf(detail, sizeof detail, "G_GAN %.3f G_L1 %.4f D_real %.3f D_fake %.3f",
                     (double)losses[0], (double)losses[1], (double)losses[2],
                     (double)losses[3]);
            progress_add(&prog, 1, label, iter, iters, detail);
            if (rank0 && c->display_freq > 0 && (steps % c->display_freq == 0 || steps == 1)) {
                if (web_save_samples(dir, epoch, &t, a, b, err, sizeof err))
                    fprintf(stderr, "pix2pix train: %s\n", err);
                report_refresh(&report, &samples, &t, epoch, iter, steps, remaining, start,
                               c->time_limit, "running", 1);
            }
            stopped = stop_names[stop];
            if (stopped)
                break;
        }
        if (status)
            break;
        if (rank0 && iter >= iters) /* epoch complete */
            report_refresh(&report, &samples, &t, epoch, iters, steps, remaining, start,
                           c->time_limit, "running", 1);
        if (iter >= iters) {
            /* latest_* at every save_epoch_freq epochs, at the end, when stopping, and at
             * least every LATEST_SAVE_SECONDS (short epochs would otherwise rewrite the files
             * constantly). */
            int numbered = epoch % c->save_epoch_freq == 0;
            if (rank0 && (numbered || stopped || epoch == epochs ||
                          now_seconds() - last_save >= LATEST_SAVE_SECONDS)) {
                status = train_ckpt_save(c, &t, dir, epoch, iters, 1, numbered) ? 1 : 0;
                last_save = now_seconds();
            }
        } else if (rank0 && train_ckpt_save(c, &t, dir, epoch, iter, 0, 0)) {
            status = 1;
        }
        status = train_dist_any(status); /* rank 0's save */
    }
    progress_end(&prog);
    /* Written while a second Ctrl-C is still caught, so it cannot leave a half-written file. */
    if (!status && rank0) {
        char state[128];
        snprintf(state, sizeof state, "%s", stopped ? stopped : "finished");
        /* A run stopped inside an epoch has not translated the samples of that epoch yet. */
        report_refresh(&report, &samples, &t, report.epoch, report.iter, steps, remaining,
                       start, c->time_limit, state, stopped && report.iter < iters);
    }
    sigaction(SIGINT, &old_int, NULL);
    sigaction(SIGTERM, &old_term, NULL);
    train_dist_report((const eng_reducer *const[2]){reducers[0], reducers[1]}, steps,
                      now_seconds() - start, train_dist_cpu_seconds() - cpu_start, topts.batch);
    if (!status && stopped && rank0) {
        printf("%s after %ld steps; saved %s/latest_net_G.safetensors\n", stopped, steps, dir);
        if (c->resume_hint)
            printf("resume with: %s\n", c->resume_hint);
    } else if (!status && rank0) {
        printf("done: %ld steps; generator in %s/latest_net_G.safetensors\n", steps, dir);
    }
done:
    if (log)
        fclose(log);
    free(a);
    free(b);
    train_samples_close(&samples);
    trainer_free(&t);
    dist_reducer_free(reducers[0]);
    dist_reducer_free(reducers[1]);
    eng_backend_free(be);
    pair_loader_close(loader);
    return status;
}

int train_run(const train_config *c)
{
    trainer_opts topts;
    pair_loader_opts lopts;
    if (configure(c, &topts, &lopts))
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
    /* This run owns the folder until it ends; what a killed run left is cleaned up first.
     * Rank 0 alone does both, and alone writes there. */
    int lock = -1;
    if (!status && dist_rank() == 0) {
        if (fs_mkdirs(dir)) {
            perror(dir);
            status = fail(1);
        } else if ((lock = exp_lock_take(dir, err, sizeof err)) < 0) {
            fprintf(stderr, "pix2pix train: %s\n", err);
            status = fail(1);
        } else if (train_ckpt_recover(dir)) {
            status = fail(1);
        }
    }
    if (!status)
        status = train_locked(c, topts, lopts, dir);
    if (lock >= 0)
        exp_lock_release(lock);
    dist_leave();
    return status;
}
