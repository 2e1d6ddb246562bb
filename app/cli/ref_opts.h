/* The options of pytorch-CycleGAN-and-pix2pix's train.py and test.py (its base, train and test
 * options), as pix2pix train and pix2pix test take them (cli_alias.h): so that the reference's
 * documented command lines run unchanged and mean the same. */
#ifndef APP_CLI_REF_OPTS_H
#define APP_CLI_REF_OPTS_H

#include "app/cli/cli_alias.h"

extern const cli_aliases ref_train_aliases;
extern const cli_aliases ref_test_aliases;

/* Why the reference's --model NAME other than pix2pix is refused. */
#define REF_PIX2PIX_ONLY                                                                          \
    "pix2pix-vk trains pix2pix only (the reference's cycle_gan, test, colorization and "          \
    "template models are not here)"

/* Whether s is one of the reference's --model names (pix2pix, cycle_gan, ...). */
int ref_model_name(const char *s);

#endif
