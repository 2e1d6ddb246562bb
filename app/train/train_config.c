/* The options of a training run: their defaults, and their checks into the trainer's and
 * the loader's settings. */
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "app/common/backend.h"
#include "app/common/name_list.h"
#include "app/common/precision.h"
#include "app/model/net_tune.h"
#include "app/train/lr_policy.h"
#include "app/train/train_session.h"

void train_config_defaults(train_config *c)
{
    memset(c, 0, sizeof *c);
    c->split = "train";
    c->direction = "AtoB";
    c->epoch_count = 1;
    c->lr_policy = "linear";
    c->lr_decay_iters = 50;
    c->init_type = "normal";
    c->init_gain = 0.02f;
    c->name = "experiment";
    c->checkpoints_dir = "./checkpoints";
    c->epochs = 100;
    c->epochs_decay = 100;
    c->batch_size = 1;
    c->lr = 2e-4f;
    c->beta1 = 0.5f;
    c->lambda_l1 = 100.0f;
    c->gan_mode = "vanilla";
    c->d_steps = 1;
    c->num_d = 1;
    c->netG = "unet_256";
    c->upsample = "transposed";
    c->netD = "basic";
    c->n_layers_d = 3;
    c->ngf = 64;
    c->n_downsample_global = 4;
    c->n_blocks_global = 9;
    c->n_local_enhancers = 1;
    c->n_blocks_local = 3;
    c->ndf = 64;
    c->norm = "batch";
    c->load_size = 286;
    c->crop_size = 256;
    c->preprocess = "resize_and_crop";
    c->save_epoch_freq = 5;
    c->device = app_default_device();
    c->precision = "fp32";
    c->tune = NET_TUNE_DEFAULT;
    c->workers = 2;
    c->display_freq = 400;
    c->input_nc = 3;
    c->output_nc = 3;
    c->check_every = 100;
}

static int parse_preprocess(const char *s, preprocess_mode *m)
{
    static const char *const names[] = {"resize_and_crop", "crop", "scale_width",
                                        "scale_width_and_crop", "none", NULL};
    static const preprocess_mode modes[] = {PREPROCESS_RESIZE_AND_CROP, PREPROCESS_CROP,
                                            PREPROCESS_SCALE_WIDTH,
                                            PREPROCESS_SCALE_WIDTH_AND_CROP, PREPROCESS_NONE};
    int i = name_index(names, s);
    if (i >= 0)
        *m = modes[i];
    return i >= 0 ? 0 : -1;
}

/* The counts that need 1 or more, or have a bound (the command line refuses negative counts
 * already): checked before the experiment folder is written. */
static int check_counts(const train_config *c)
{
    const struct { const char *name; int value, lo, hi; } ranges[] = {
        {"--batch-size", c->batch_size, 1, TRAIN_MAX_BATCH},
        {"--ngf", c->ngf, 1, INT_MAX},
        {"--ndf", c->ndf, 1, INT_MAX},
        {"--load-size", c->load_size, 1, INT_MAX},
        {"--crop-size", c->crop_size, 1, INT_MAX},
        {"--save-epoch-freq", c->save_epoch_freq, 1, INT_MAX},
        {"--lr-decay-iters", c->lr_decay_iters, 1, INT_MAX},
        {"--d-steps", c->d_steps, 1, TRAIN_MAX_D_STEPS},
        {"--num-d", c->num_d, 1, NET_MAX_CRITICS},
        {"--n-downsample-global", c->n_downsample_global, 1, GEN_GLOBAL_MAX_DOWN},
        {"--n-blocks-global", c->n_blocks_global, 0, GEN_GLOBAL_MAX_BLOCKS},
        {"--n-local-enhancers", c->n_local_enhancers, 1, GEN_LOCAL_MAX},
        {"--n-blocks-local", c->n_blocks_local, 0, GEN_GLOBAL_MAX_BLOCKS},
        {"--niter-fix-global", c->niter_fix_global, 0, c->epochs + c->epochs_decay},
        {"--epoch-count", c->epoch_count, 1, c->epochs + c->epochs_decay},
    };
    for (size_t i = 0; i < sizeof ranges / sizeof ranges[0]; i++) {
        int v = ranges[i].value;
        if (v >= ranges[i].lo && v <= ranges[i].hi)
            continue;
        if (ranges[i].hi == INT_MAX)
            fprintf(stderr, "pix2pix train: %s must be %d or more, not %d\n", ranges[i].name,
                    ranges[i].lo, v);
        else
            fprintf(stderr, "pix2pix train: %s must be %d to %d, not %d\n", ranges[i].name,
                    ranges[i].lo, ranges[i].hi, v);
        return -1;
    }
    return 0;
}

/* The options that are real numbers, each within its range (the command line already
 * refuses NaN and Inf; the demo and tests fill the config directly). */
static int check_numbers(const train_config *c)
{
    const struct { const char *name; float value, lo, hi; int lo_open, hi_open; } ranges[] = {
        {"--lr", c->lr, 0.0f, 1.0f, 1, 0},
        {"--beta1", c->beta1, 0.0f, 1.0f, 0, 1},
        {"--lambda-l1", c->lambda_l1, 0.0f, 1e6f, 0, 0},
        {"--lambda-feat", c->lambda_feat, 0.0f, 1e6f, 0, 0},
        {"--lambda-vgg", c->lambda_vgg, 0.0f, 1e6f, 0, 0},
        {"--time-limit", c->time_limit, 0.0f, 1e9f, 0, 0},
        {"--init-gain", c->init_gain, 0.0f, 100.0f, 1, 0},
        {"--ema-decay", c->ema_decay, 0.0f, 1.0f, 0, 1},
        {"--lambda-mismatch", c->lambda_mismatch, 0.0f, 1e6f, 0, 0},
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

/* The experiment folder CKDIR/NAME stays inside CKDIR: an empty --checkpoints-dir would put it
 * at the root of the file system, and a NAME with '/' or "..", or "." itself, elsewhere. */
static int check_folders(const train_config *c)
{
    if (!c->checkpoints_dir[0]) {
        fprintf(stderr, "pix2pix train: --checkpoints-dir must not be empty (use . for the "
                "current folder)\n");
        return -1;
    }
    const char *n = c->name;
    if (!n[0] || !strcmp(n, ".") || !strcmp(n, "..") || strchr(n, '/')) {
        fprintf(stderr, "pix2pix train: --name '%s' must be a folder name inside "
                "--checkpoints-dir: not empty, '.' or '..', without '/'\n", n);
        return -1;
    }
    return 0;
}

/* Checks the options and fills the trainer's and loader's settings. */
int train_configure(const train_config *c, trainer_opts *t, pair_loader_opts *l)
{
    memset(t, 0, sizeof *t);
    memset(l, 0, sizeof *l);
    net_norm norm;
    lr_policy_kind kind;
    const char *bad = NULL, *value = NULL; /* the option refused, and its value */
    char layers[48];
    snprintf(layers, sizeof layers, "%s, %d", c->netD, c->n_layers_d);
    if (gen_name_parse(c->netG, &t->gen))
        bad = "--netG", value = c->netG;
    else if (gen_upsample_parse(c->upsample, &t->gen.upsample))
        bad = "--upsample", value = c->upsample;
    else if (disc_name_parse(c->netD, c->n_layers_d, &t->disc))
        bad = "--netD/--n-layers-d", value = layers;
    else if (net_norm_parse(c->norm, &norm))
        bad = "--norm", value = c->norm;
    else if (gan_mode_parse(c->gan_mode, &t->gan))
        bad = "--gan-mode", value = c->gan_mode;
    else if (strcmp(c->direction, "AtoB") && strcmp(c->direction, "BtoA"))
        bad = "--direction", value = c->direction;
    else if (parse_preprocess(c->preprocess, &l->preprocess))
        bad = "--preprocess", value = c->preprocess;
    else if (lr_policy_parse(c->lr_policy, &kind))
        bad = "--lr-policy", value = c->lr_policy;
    else if (net_init_type_parse(c->init_type, &t->init_type))
        bad = "--init-type", value = c->init_type;
    else if (!c->split[0] || strchr(c->split, '/'))
        bad = "--split (a folder name of the dataset)", value = c->split;
    else if ((c->input_nc != 1 && c->input_nc != 3) || (c->output_nc != 1 && c->output_nc != 3))
        bad = "--input-nc/--output-nc (1 or 3)";
    else if (c->niter_fix_global > 0 && strcmp(c->netG, "local"))
        bad = "--niter-fix-global (it fixes the global generator of --netG local)";
    else if (c->niter_fix_global > 0 && c->ema_decay > 0)
        bad = "--niter-fix-global with --ema-decay (G's average follows one optimizer of G)";
    else if (c->continue_train && c->overwrite)
        bad = "--continue with --overwrite (resume, or start over: not both)";
    else if ((long)c->epochs + c->epochs_decay < 1 || (long)c->epochs + c->epochs_decay > INT_MAX)
        bad = "--epochs + --epochs-decay (1 to 2147483647)";
    if (bad) {
        fprintf(stderr, "pix2pix train: invalid %s%s%s%s (see --help)\n", bad, value ? " '" : "",
                value ? value : "", value ? "'" : "");
        return -1;
    }
    if (check_counts(c) || check_numbers(c) || check_folders(c))
        return -1;
    if ((c->lambda_vgg > 0) != (c->vgg_weights != NULL)) {
        fprintf(stderr, "pix2pix train: %s\n", c->lambda_vgg > 0
                ? "--lambda-vgg needs --vgg-weights FILE, a torchvision vgg19 state_dict (.pth): "
                  "nothing is downloaded"
                : "--vgg-weights is only read with --lambda-vgg above 0");
        return -1;
    }
    if (c->lambda_vgg > 0 && c->output_nc != 3) {
        fprintf(stderr, "pix2pix train: --lambda-vgg needs --output-nc 3: VGG19 takes RGB "
                "images\n");
        return -1;
    }
    if (c->lambda_mismatch > 0 && c->batch_size < 2) {
        fprintf(stderr, "pix2pix train: --lambda-mismatch needs --batch-size 2 or more: the "
                "mismatched pairs are each A of the batch with the next pair's B\n");
        return -1;
    }
    t->fp16 = app_precision_parse("train", c->precision);
    if (t->fp16 < 0)
        return -1;
    t->gen.input_nc = c->input_nc;
    t->gen.output_nc = c->output_nc;
    t->gen.ngf = c->ngf;
    t->gen.norm = norm;
    t->gen.use_dropout = !c->no_dropout;
    if (t->gen.family >= GEN_GLOBAL) { /* pix2pixHD's generators have no dropout */
        t->gen.n_down = c->n_downsample_global;
        t->gen.depth = c->n_blocks_global;
        t->gen.use_dropout = 0;
    }
    if (t->gen.family == GEN_LOCAL) {
        t->gen.n_local = c->n_local_enhancers;
        t->gen.local_blocks = c->n_blocks_local;
        t->fix_global = c->niter_fix_global > 0;
    }
    t->disc.input_nc = c->input_nc + c->output_nc;
    t->disc.ndf = c->ndf;
    t->disc.norm = norm;
    t->disc.num_d = c->num_d;
    t->disc.spectral = c->spectral_norm;
    t->lambda_feat = c->lambda_feat;
    t->lambda_vgg = c->lambda_vgg;
    t->batch = c->batch_size;
    t->lr = c->lr;
    t->beta1 = c->beta1;
    t->lambda_l1 = c->lambda_l1;
    t->d_steps = c->d_steps;
    t->lambda_mismatch = c->lambda_mismatch;
    t->ema_decay = c->ema_decay;
    t->seed = c->seed;
    t->init_gain = c->init_gain;
    l->root = c->data;
    l->split = c->split;
    l->max_pairs = (size_t)c->max_dataset_size;
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
