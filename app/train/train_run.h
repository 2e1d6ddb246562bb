/* A whole training run (pix2pix train and the demo): data, model, loop, logs, checkpoints. */
#ifndef APP_TRAIN_RUN_H
#define APP_TRAIN_RUN_H

#include <stdint.h>

typedef struct {
    const char *data, *direction, *name, *checkpoints_dir;
    int epochs, epochs_decay, batch_size;
    float lr, beta1, lambda_l1;
    const char *gan_mode, *netG, *netD;
    int n_layers_d, ngf, ndf;
    const char *norm;
    int no_dropout, load_size, crop_size;
    const char *preprocess;
    int no_flip, serial_batches;
    uint64_t seed;
    int save_epoch_freq, continue_train;
    int overwrite;       /* move a run already in CKDIR/NAME aside instead of refusing it */
    const char *init_g, *init_d, *device, *precision;
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
/* The reference's linear policy: lr0 at the start of epochs 1..epochs, then
 * lr0 * (1 - (epoch - epochs) / (epochs_decay + 1)). */
float train_epoch_lr(float lr0, int epochs, int epochs_decay, int epoch);
/* Returns the process exit status (0 also when stopped by a signal or a limit after
 * saving). */
int train_run(const train_config *c);

#endif
