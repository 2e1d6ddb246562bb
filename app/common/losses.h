/* The losses of a training step, in the order of loss_log.csv's columns: the vocabulary the
 * trainer writes and the reports read. */
#ifndef APP_COMMON_LOSSES_H
#define APP_COMMON_LOSSES_H

enum { LOSS_G_GAN, LOSS_G_L1, LOSS_D_REAL, LOSS_D_FAKE, LOSS_COUNT };
extern const char *const loss_names[LOSS_COUNT];

#endif
