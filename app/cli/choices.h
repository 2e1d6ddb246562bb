/* The accepted values of the enumerated options that several commands share (cli_choices:
 * listed by --help, named by the error for any other value). */
#ifndef APP_CLI_CHOICES_H
#define APP_CLI_CHOICES_H

#include "app/cli/cli.h"

extern const cli_choices cli_netg_choices;       /* unet_256, ..., unet_N, resnet_Nblocks */
extern const cli_choices cli_upsample_choices;   /* transposed, resize-conv */
extern const cli_choices cli_netd_choices;       /* basic, n_layers, pixel */
extern const cli_choices cli_norm_choices;       /* batch, instance, none */
extern const cli_choices cli_gan_mode_choices;   /* vanilla, lsgan, hinge */
extern const cli_choices cli_direction_choices;  /* AtoB, BtoA */
extern const cli_choices cli_preprocess_choices; /* resize_and_crop, crop, ... */
extern const cli_choices cli_precision_choices;  /* fp32, fp16 (app_precision_parse's) */
extern const cli_choices cli_tune_choices;       /* off, auto (net_tune.h) */

#endif
