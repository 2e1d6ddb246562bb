/* A whole training run (pix2pix train and the demo): data, model, loop, logs, checkpoints. */
#ifndef APP_TRAIN_RUN_H
#define APP_TRAIN_RUN_H

#include <stdint.h>

typedef struct {
    const char *data, *split, *direction, *name, *checkpoints_dir;
    int epochs, epochs_decay, batch_size;
    int epoch_count;          /* number of the first epoch of a new run */
    const char *lr_policy;    /* linear | step | plateau | cosine (lr_policy.h) */
    int lr_decay_iters;       /* step: epochs between two x0.1 */
    const char *init_type;    /* normal | xavier | kaiming | orthogonal (net_init.h) */
    float init_gain;
    int max_dataset_size;     /* the first N pairs (0: all) */
    int save_latest_freq;     /* also save latest_* every N steps (0: not by steps) */
    int save_by_iter;         /* and keep iter_<step>_net_* at those saves */
    int save_pth;             /* also write G and D as the reference's .pth files */
    int print_freq;           /* a line of losses every N steps (0: none) */
    float lr, beta1, lambda_l1;
    const char *gan_mode, *netG, *netD;
    int d_steps;              /* D updates per step, 1 to TRAIN_MAX_D_STEPS */
    float lambda_mismatch;    /* weight of D on (A_i, B_i+1) as fake (0: off; batch >= 2) */
    float ema_decay;          /* G's weight average saved as *_net_G_ema (0: off) */
    int num_d;                /* D's critics (multi-scale), 1 to NET_MAX_CRITICS */
    float lambda_feat;        /* feature matching's weight (0: none) */
    int spectral_norm;        /* spectral normalization on D's convs */
    float lambda_vgg;         /* pix2pixHD's VGG loss's weight (0: none) */
    const char *vgg_weights;  /* its torchvision vgg19 state_dict (needed with lambda_vgg) */
    const char *upsample;     /* the generator's: "transposed" or "resize-conv" */
    int n_layers_d, ngf, ndf;
    int n_downsample_global;  /* --netG global and local: the global generator's */
    int n_blocks_global;      /* downsamplings and residual blocks */
    int n_local_enhancers;    /* --netG local: enhancers, and residual blocks of each */
    int n_blocks_local;
    int niter_fix_global;     /* --netG local: epochs training the enhancers alone */
    const char *norm;
    int no_dropout, load_size, crop_size;
    const char *preprocess;
    int no_flip, serial_batches;
    uint64_t seed;
    int save_epoch_freq, continue_train;
    int overwrite;       /* move a run already in CKDIR/NAME aside instead of refusing it */
    const char *init_g, *init_d, *device, *precision;
    const char *tune;    /* "auto": tune the network's conv kernels first (net_tune.h) */
    int threads, workers, display_freq, input_nc, output_nc;
    int max_steps;       /* stop after this many steps (0: no limit) */
    float time_limit;    /* stop after this many seconds (0: no limit) */
    const char *options_json; /* recorded in the checkpoints' metadata */
    const char *options_text; /* written to CKDIR/NAME/opt.txt (NULL: none) */
    const char *resume_hint;  /* command line printed when stopped early */
    int quiet;                /* no progress display */
    int check_every;          /* several ranks: compare the weights every N steps (0: never) */
} train_config;

void train_config_defaults(train_config *c);
/* Returns the process exit status (0 also when stopped by a signal or a limit after
 * saving). */
int train_run(const train_config *c);

#endif
