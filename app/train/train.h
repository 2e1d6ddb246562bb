/* One pix2pix training step as a single engine graph, exactly the reference's
 * optimize_parameters: fake = G(A); D update on (A, detach(fake)) -> 0 and (A, B) -> 1 with
 * loss 0.5 * (fake + real); then, with the updated D, G update on GAN(D(A, fake), 1) +
 * lambda * L1(fake, B). The GAN loss may be another than the reference's (gan_loss.h), and D
 * may be updated d_steps times (on the same pairs) before G's update. D may be pix2pixHD's
 * multi-scale discriminator, and G's loss may add pix2pixHD's feature matching (train.c) and
 * its VGG loss on (fake, B) (vgg_loss.h). With
 * lambda_mismatch, D's loss is 0.5 * (fake + real + lambda_mismatch * mismatched), the
 * mismatched pairs (A_i, B_{i+1 mod batch}) judged as fake (the matching-aware critic of the
 * conditional GAN); with ema_decay, G's optimizer keeps an average of G's weights
 * (train_ema.h). */
#ifndef APP_TRAIN_H
#define APP_TRAIN_H

#include <stddef.h>
#include <stdint.h>

#include "app/common/losses.h"
#include "app/model/net_init.h"
#include "app/model/networks.h"
#include "app/train/gan_loss.h"
#include "app/train/vgg_loss.h"

#define TRAIN_REDUCERS 3 /* a run's gradient reducers: G's, D's, G's fixed part's */

typedef struct {
    gen_config gen;
    disc_config disc;
    int batch, height, width;
    float lr, beta1, lambda_l1;
    gan_mode gan;       /* the GAN loss (gan_loss.h), summed over D's critics (disc.num_d) */
    float lambda_feat;  /* weight of pix2pixHD's feature-matching loss (0: none) */
    float lambda_vgg;   /* weight of pix2pixHD's VGG loss (0: none) */
    const vgg_weights *vgg; /* its network's weights (with lambda_vgg; not needed to size) */
    int d_steps;        /* D updates per step, on the step's batch (0 or 1: one) */
    float lambda_mismatch; /* weight of D's loss on mismatched pairs (0: none; batch >= 2) */
    float ema_decay;    /* G's weight average, ema = decay * ema + (1 - decay) * w (0: none) */
    /* --netG local with --niter-fix-global: G's layers outside the finest enhancer (keys not
     * "model<K>_...", as pix2pixHD's fixed parameters) get an optimizer of their own, whose
     * rate trainer_fix_global can hold at zero. */
    int fix_global;
    int fp16;           /* --precision fp16: mixed precision with loss scaling */
    uint64_t seed;      /* weight initialisation and dropout masks */
    net_init_type init_type;
    float init_gain;    /* 0: the reference's 0.02 */
    /* Data-parallel training (app/train/train_dist.h): the rank draws its own dropout masks, and
     * the gradients of G and D go through these reducers before their updates (NULL: none). */
    int rank;
    const eng_reducer *reduce_g, *reduce_d, *reduce_g_fixed; /* reduce_g_fixed: opt_g_fixed's */
} trainer_opts;


typedef struct {
    trainer_opts opts;
    eng_graph *g;
    eng_plan *plan;
    net G, D;
    vgg_net vgg;             /* with lambda_vgg: frozen, in no optimizer and no checkpoint */
    eng_node *real_a, *real_b, *fake_b;
    /* Unscaled: G_L1 is the mean |fake - B| before lambda (the reference logs lambda times
     * it), G_GAN_Feat, G_VGG and D_mismatch before their lambdas (NULL without them); D_real,
     * D_fake and D_mismatch come before the 0.5. With several critics G_GAN, D_real, D_fake
     * and D_mismatch are sums over them. */
    eng_node *loss[LOSS_COUNT];
    eng_adam *opt_g, *opt_d;
    net G_ema;               /* with ema_decay: G with its averaged weights (train_ema.h) */
    /* With lambda_mismatch: B rolled by one sample (written from the host buffer; D's loss
     * on (A, rolled B) as fake is loss[LOSS_D_MISMATCH]); else NULL. */
    eng_node *real_b_mismatched;
    float *mismatched;
    eng_adam *opt_g_fixed; /* with opts.fix_global: the global layers' (else NULL) */
    float lr;              /* the rate of the optimizers */
    int global_fixed;      /* opt_g_fixed's rate held at zero */
} trainer;

/* 1 when G and D (and the VGG loss) take h x w images: sides multiples of *stride, at least
 * *min_side (both set). */
int trainer_takes_size(const trainer_opts *o, int h, int w, int *stride, int *min_side);
/* 0 when the plan trainer_init would make on be, plus extra bytes of the caller's, fits in the
 * memory this process may use; else -1 with "WHAT needs about ..." in err. Allocates no plan. */
int trainer_memory_check(const trainer_opts *o, eng_backend *be, size_t extra, const char *what,
                         char *err, size_t errlen);
/* The losses a run of these options has (and logs): LOSS_ALWAYS, G_GAN_Feat with
 * lambda_feat, G_VGG with lambda_vgg, D_mismatch with lambda_mismatch (LOSS_BIT masks,
 * losses.h). */
unsigned trainer_losses(const trainer_opts *o);
/* Builds the graph and its plan on be, with freshly initialised weights. Returns 0 or -1. */
int trainer_init(trainer *t, const trainer_opts *o, eng_backend *be, char *err, size_t errlen);
void trainer_free(trainer *t);
/* One step on a batch (a: [batch, input_nc, H, W], b: [batch, output_nc, H, W], in [-1, 1]). */
int trainer_step(trainer *t, const float *a, const float *b, float losses[LOSS_COUNT]);
void trainer_set_lr(trainer *t, float lr);
/* With opts.fix_global: whether the global layers stay as they are (their optimizer's rate
 * zero: pix2pixHD's --niter_fix_global epochs) or train at the rate of the others. Their Adam
 * moments are kept up to date either way, so that they start warm when released (pix2pixHD
 * starts a new optimizer for all of G instead). */
void trainer_fix_global(trainer *t, int fixed);

#endif
