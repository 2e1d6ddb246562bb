/* The GAN losses of the trainer, as engine graphs on a critic's predictions:
 *   vanilla  BCE with logits against 1 (real) or 0 (fake); the generator's against 1
 *   lsgan    MSE against 1 or 0; the generator's against 1
 *   hinge    SAGAN/SPADE: the critic's mean(relu(1 - D(real))) and mean(relu(1 + D(fake))),
 *            the generator's -mean(D(fake))
 * Each is a one-element node (mean reduction). */
#ifndef APP_TRAIN_GAN_LOSS_H
#define APP_TRAIN_GAN_LOSS_H

#include "engine/engine.h"

typedef enum { GAN_VANILLA, GAN_LSGAN, GAN_HINGE } gan_mode;

/* 0 and *m set for "vanilla", "lsgan" or "hinge"; else -1. */
int gan_mode_parse(const char *name, gan_mode *m);
/* The critic's loss on pred for real (1) or fake (0) pairs. */
eng_node *gan_loss_critic(eng_graph *g, gan_mode m, eng_node *pred, int real);
/* The generator's adversarial loss on the critic's pred of its fake pairs. */
eng_node *gan_loss_generator(eng_graph *g, gan_mode m, eng_node *pred);

#endif
