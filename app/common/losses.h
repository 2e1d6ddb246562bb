/* The losses of a training step, in the order of loss_log.csv's columns: the vocabulary the
 * trainer writes and the reports read. */
#ifndef APP_COMMON_LOSSES_H
#define APP_COMMON_LOSSES_H

enum { LOSS_G_GAN, LOSS_G_L1, LOSS_D_REAL, LOSS_D_FAKE, LOSS_G_FEAT, LOSS_COUNT };
/* G_GAN_Feat (--lambda-feat) comes last, logged only by the runs that have it: the columns of
 * the others are those of the logs before it. */
#define LOSS_COUNT_NO_FEAT LOSS_G_FEAT
extern const char *const loss_names[LOSS_COUNT];

#endif
