#include "app/common/losses.h"

const char *const loss_names[LOSS_COUNT] = {"G_GAN",      "G_L1",  "D_real",    "D_fake",
                                            "G_GAN_Feat", "G_VGG", "D_mismatch"};
