/* --ema-decay: an exponential moving average of the generator's weights (StyleGAN's G_ema),
 * kept by the engine with G's optimizer (eng_adam_set_average: after every G update,
 * ema = decay * ema + (1 - decay) * weights, in fp32) and seen here as a network of G's
 * architecture, G_ema, for saving, loading and translating: G's tensors with each parameter
 * replaced by its average. An average has no BatchNorm running statistics of its own: G_ema's
 * are G's own buffers, so its file carries G's. */
#ifndef APP_TRAIN_EMA_H
#define APP_TRAIN_EMA_H

#include "app/train/train.h"

/* Fills t->G_ema from t->G and the averages of t->opt_g (which must keep them). 0, or -1 out of
 * memory. */
int train_ema_view(trainer *t);
/* Starts the averages at G's weights: a new run, --init-g, or a resumed run without a G_ema
 * file. 0 or -1 (eng_last_error). Nothing without --ema-decay. */
int train_ema_reset(trainer *t);

#endif
