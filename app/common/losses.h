/* The losses of a training step, in the order of loss_log.csv's columns: the vocabulary the
 * trainer writes and the reports read. */
#ifndef APP_COMMON_LOSSES_H
#define APP_COMMON_LOSSES_H

enum {
    LOSS_G_GAN,
    LOSS_G_L1,
    LOSS_D_REAL,
    LOSS_D_FAKE,
    LOSS_G_FEAT,
    LOSS_G_VGG,
    LOSS_D_MISMATCH,
    LOSS_COUNT
};
/* G_GAN_Feat (--lambda-feat), G_VGG (--lambda-vgg) and D_mismatch (--lambda-mismatch) come
 * last, in this order, logged only by the runs that have them: the columns of the others are
 * those of the logs before them. A set of losses is a mask of LOSS_BIT(k); every run has
 * LOSS_ALWAYS. */
#define LOSS_COUNT_NO_FEAT LOSS_G_FEAT
#define LOSS_BIT(k) (1u << (k))
#define LOSS_ALWAYS (LOSS_BIT(LOSS_COUNT_NO_FEAT) - 1u)
extern const char *const loss_names[LOSS_COUNT];

#endif
