/* Opening a training run: the device, the data (checked against the model's size rules and
 * the memory), the experiment folder, the model restored or initialised, the loss log, the
 * fixed samples and the report; and closing it. */
#include <stdlib.h>
#include <string.h>

#include "app/common/backend.h"
#include "app/parallel/dist.h"
#include "app/parallel/dist_device.h"
#include "app/common/fsutil.h"
#include "app/model/net_tune.h"
#include "app/train/exp_folder.h"
#include "app/train/exp_lock.h"
#include "app/train/train_ckpt.h"
#include "app/train/train_dist.h"
#include "app/train/train_memory.h"
#include "app/train/train_output.h"
#include "app/train/train_preflight.h"
#include "app/train/train_session.h"

#define BUCKET_BYTES ((size_t)25 << 20) /* DistributedDataParallel's bucket_cap_mb */

int train_fail(int status)
{
    if (dist_size() > 1)
        dist_abort(status);
    return status;
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

/* The device and the data, with the size of the training images settled. */
static int open_inputs(train_session *s, trainer_opts *topts, pair_loader_opts *lopts)
{
    const train_config *c = s->c;
    char err[1024], device_spec[32];
    const char *device;
    int threads;
    if (train_preflight(lopts, c->quiet || !s->rank0)) /* before the device's note */
        return train_fail(1);
    if (c->vgg_weights) {
        if (vgg_weights_load(c->vgg_weights, &s->vgg, err, sizeof err)) {
            fprintf(stderr, "pix2pix train: --vgg-weights: %s\n", err);
            return train_fail(1);
        }
        topts->vgg = &s->vgg;
    }
    dist_device(c->device, c->threads, &device, &threads, device_spec, sizeof device_spec);
    s->be = app_backend_open(device, threads, c->quiet);
    if (!s->be) {
        fprintf(stderr, "pix2pix train: %s\n", eng_last_error());
        return train_fail(1);
    }
    /* The cropping modes fix the size: checked before the loader allocates its buffers. */
    int sized = train_size_from_options(topts, lopts);
    if (sized && check_memory(topts, lopts, s->be))
        return train_fail(1);
    s->loader = pair_loader_open(lopts, err, sizeof err);
    if (!s->loader) {
        fprintf(stderr, "pix2pix train: %s\n", err);
        return train_fail(1);
    }
    pair_loader_item_size(s->loader, &topts->height, &topts->width);
    int stride, min_side;
    if (!trainer_takes_size(topts, topts->height, topts->width, &stride, &min_side)) {
        char critics[32]; /* the coarsest critic sets D's smallest side */
        net_critics_note(&topts->disc, critics, sizeof critics);
        fprintf(stderr, "pix2pix train: training images are %dx%d; %s + %s%s%s need sides that "
                "are multiples of %d and at least %d (see --crop-size, --preprocess)\n",
                topts->width, topts->height, c->netG, c->netD, critics,
                topts->lambda_vgg > 0 ? " + the VGG loss" : "", stride, min_side);
        return train_fail(2);
    }
    if (!sized && check_memory(topts, lopts, s->be))
        return train_fail(1);
    if (!strcmp(c->tune, "auto") &&
        net_tune_auto("train", s->be, &topts->gen, &topts->disc, topts->batch, topts->height,
                      topts->width, 1, topts->fp16))
        return train_fail(1);
    return 0;
}

/* The experiment folder, by rank 0 (only it writes there): locked for the whole run, a
 * previous run settled as the options say, what a killed run left cleaned up; then opt.txt. */
static int open_folder(train_session *s)
{
    const train_config *c = s->c;
    exp_mode mode = c->continue_train ? EXP_RESUME : c->overwrite ? EXP_OVERWRITE : EXP_NEW;
    int status;
    if ((s->lock = exp_folder_open(s->dir, mode, &status)) < 0)
        return train_fail(status);
    if (train_ckpt_recover(s->dir))
        return train_fail(1);
    char opt_path[4300];
    snprintf(opt_path, sizeof opt_path, "%s/opt.txt", s->dir);
    if (c->options_text && fs_write_atomic(opt_path, c->options_text))
        fprintf(stderr, "pix2pix train: %s: cannot write\n", opt_path);
    return 0;
}

/* The report's fixed parts. */
static void report_init(train_session *s)
{
    const train_config *c = s->c;
    const trainer *t = &s->t;
    train_report *r = &s->report;
    memset(r, 0, sizeof *r);
    r->dir = s->dir;
    r->name = c->name;
    r->options_text = c->options_text;
    char netg[32], netd[32], critics[32];
    gen_name(&t->opts.gen, netg, sizeof netg);
    disc_name(&t->opts.disc, netd, sizeof netd);
    net_critics_note(&t->opts.disc, critics, sizeof critics);
    snprintf(r->model, sizeof r->model,
             "%s (ngf %d) + %s (ndf %d)%s%s, %s norm, %.1f M parameters%s%s", netg,
             t->opts.gen.ngf, netd, t->opts.disc.ndf, critics,
             t->opts.disc.spectral ? " spectral-normed" : "", net_norm_name(t->opts.gen.norm),
             (net_param_count(&t->G) + net_param_count(&t->D)) / 1e6,
             t->opts.lambda_feat > 0 ? ", feature matching" : "",
             t->opts.lambda_vgg > 0 ? ", VGG loss" : "");
    snprintf(r->data, sizeof r->data, "%s: %zu pairs, %dx%d crops, batch %d, %s", c->data,
             pair_loader_size(s->loader), t->opts.width, t->opts.height, t->opts.batch,
             c->direction);
    const char *precision = eng_plan_fp16(t->plan) ? ", fp16 storage + loss scaling" : "";
    if (c->threads > 0)
        snprintf(r->device, sizeof r->device, "%s, %d threads%s", eng_backend_name(s->be),
                 c->threads, precision);
    else
        snprintf(r->device, sizeof r->device, "%s, all cores%s", eng_backend_name(s->be),
                 precision);
    r->samples = s->samples.count ? &s->samples : NULL;
    r->image_width = t->opts.width;
    r->epochs = s->epochs;
    r->iters = s->iters;
}

/* The model (restored by rank 0 and shared), the loss log, one batch's buffers. */
static int open_model(train_session *s, trainer_opts *topts, const pair_loader_opts *lopts)
{
    const train_config *c = s->c;
    char err[1024];
    if (dist_size() > 1) {
        topts->reduce_g = s->reducers[0] = dist_reducer_new(BUCKET_BYTES);
        topts->reduce_d = s->reducers[1] = dist_reducer_new(BUCKET_BYTES);
        if (c->niter_fix_global > 0)
            topts->reduce_g_fixed = s->reducers[2] = dist_reducer_new(BUCKET_BYTES);
        if (!s->reducers[0] || !s->reducers[1] || (c->niter_fix_global > 0 && !s->reducers[2])) {
            fprintf(stderr, "pix2pix train: out of memory\n");
            return train_fail(1);
        }
    }
    if (trainer_init(&s->t, topts, s->be, err, sizeof err)) {
        fprintf(stderr, "pix2pix train: %s\n", err);
        return train_fail(1);
    }
    vgg_weights_free(&s->vgg); /* the plan holds VGG's weights now */
    s->t.opts.vgg = NULL;
    if (s->rank0 && train_ckpt_restore(c, &s->t, s->dir, &s->epoch, &s->iter0))
        return train_fail(1);
    train_dist_share_state(&s->t, &s->epoch, &s->iter0);
    /* The loader serves its epoch e - 1 (from 0) in training epoch e: a resumed run, or one
     * started at a later --epoch-count, sees the data a whole run would have seen. */
    if ((s->epoch > 1 || s->iter0 > 0) &&
        pair_loader_seek(s->loader, (uint64_t)(s->epoch - 1), (size_t)s->iter0)) {
        fprintf(stderr, "pix2pix train: cannot restart the data loader's threads\n");
        return train_fail(1);
    }
    if (s->rank0 && c->continue_train && loss_log_rewind(s->dir, s->epoch, s->iter0))
        fprintf(stderr, "pix2pix train: %s/loss_log.csv: cannot drop the rows past the "
                "checkpoint\n", s->dir);
    train_lr_open(s);
    s->log = s->rank0 ? loss_log_open(s->dir, trainer_losses(topts)) : NULL;
    s->a = malloc(sizeof *s->a * eng_node_numel(s->t.real_a));
    s->b = malloc(sizeof *s->b * eng_node_numel(s->t.real_b));
    if ((s->rank0 && !s->log) || !s->a || !s->b) {
        fprintf(stderr, "pix2pix train: %s/loss_log.csv: cannot open (or out of memory)\n",
                s->dir);
        return train_fail(1);
    }
    if (s->rank0 && train_samples_open(&s->samples, lopts, &s->t, s->be, err, sizeof err))
        fprintf(stderr, "pix2pix train: the report will have no fixed samples: %s\n", err);
    return 0;
}

int train_session_open(train_session *s, const train_config *c, trainer_opts topts,
                       pair_loader_opts lopts, const char *dir)
{
    memset(s, 0, sizeof *s);
    s->c = c;
    s->dir = dir;
    s->rank0 = dist_rank() == 0;
    s->lock = -1;
    s->epoch = c->epoch_count;
    int status = open_inputs(s, &topts, &lopts);
    if (!status && s->rank0)
        status = open_folder(s);
    if (!status)
        status = open_model(s, &topts, &lopts);
    if (status)
        return status;
    s->epochs = c->epochs + c->epochs_decay;
    s->iters = (int)pair_loader_batches_per_epoch(s->loader);
    s->remaining = (long)(s->epochs - s->epoch + 1) * s->iters - s->iter0;
    if (c->max_steps > 0 && c->max_steps < s->remaining)
        s->remaining = c->max_steps;
    report_init(s);
    return 0;
}

void train_session_close(train_session *s)
{
    if (s->log)
        fclose(s->log);
    free(s->a);
    free(s->b);
    train_samples_close(&s->samples);
    trainer_free(&s->t);
    vgg_weights_free(&s->vgg);
    for (int k = 0; k < TRAIN_REDUCERS; k++)
        dist_reducer_free(s->reducers[k]);
    eng_backend_free(s->be);
    pair_loader_close(s->loader);
    exp_lock_release(s->lock);
}
