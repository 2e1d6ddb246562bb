/* --continue against the run it resumes: the architecture options recorded in the latest
 * checkpoint's G and D metadata, compared with this run's, so that a different one is named
 * ("--netG unet_256 here, unet_6 in the checkpoint") instead of failing on a missing tensor. */
#ifndef APP_TRAIN_CKPT_OPTIONS_H
#define APP_TRAIN_CKPT_OPTIONS_H

#include "app/train/train.h"

/* 0 when the metadata of DIR/latest_net_G and _D (what they record of it; an unreadable file
 * is left to the loading to report) agrees with o, else -1 after naming each option that
 * differs on stderr. */
int ckpt_options_check(const char *dir, const trainer_opts *o);

#endif
