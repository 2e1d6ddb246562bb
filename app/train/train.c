#include <stdlib.h>
#include <stdio.h>
#include <string.h>

#include "app/common/resources.h"
#include "app/common/precision.h"
#include "app/train/train.h"
#include "app/train/gan_loss.h"
#include "app/train/train_ema.h"

/* The GAN loss of D's critics on the levels of a pair, summed over them as pix2pixHD sums
 * it: the critic's loss on real (1) or fake (0) pairs, or with real < 0 the generator's.
 * feats, when not NULL, gets each critic's features. */
static eng_node *critics_loss(trainer *t, eng_node *const *levels, int real,
                              net_critic_feats *feats)
{
    const trainer_opts *o = &t->opts;
    eng_node *sum = NULL;
    for (int i = 0; i < net_critics(&o->disc); i++) {
        eng_node *pred = net_critic(&t->D, &o->disc, i, levels[i], feats ? &feats[i] : NULL);
        eng_node *loss = real < 0 ? gan_loss_generator(t->g, o->gan, pred)
                                  : gan_loss_critic(t->g, o->gan, pred, real);
        sum = sum ? eng_add(t->g, sum, loss) : loss;
    }
    return sum;
}

/* pix2pixHD's GANFeat loss before lambda_feat: the sum over critics i and their features j of
 * 1/num_D * 4/(n_layers + 1) * L1(fake_ij, real_ij) (4 over the count of features: n_layers
 * + 1 of a PatchGAN). The real features come from the critics G's loss sees (after D's
 * updates) and carry no gradient: the L1 loss differentiates its first argument only. */
static eng_node *feature_matching(trainer *t, eng_node *const *real_levels,
                                  const net_critic_feats *fake)
{
    const trainer_opts *o = &t->opts;
    int critics = net_critics(&o->disc);
    eng_node *sum = NULL;
    for (int i = 0; i < critics; i++) {
        net_critic_feats real;
        net_critic_features(&t->D, &o->disc, i, real_levels[i], &real);
        for (int j = 0; j < real.n; j++) {
            float weight = 1.0f / (float)critics * (4.0f / (float)real.n);
            eng_node *l1 = eng_scale(t->g, eng_l1_loss(t->g, fake[i].f[j], real.f[j]), weight);
            sum = sum ? eng_add(t->g, sum, l1) : l1;
        }
    }
    return sum;
}

/* Reorders params (G's trainable tensors, in the order of G's tensors) with those outside
 * the finest enhancer (keys not "model<K>_") first, each group in its order; their count. */
static int split_fixed(const net *G, eng_node **params, int n, int levels)
{
    char finest[16];
    snprintf(finest, sizeof finest, "model%d_", levels);
    int fixed = 0, k = 0;
    for (int pass = 0; pass < 2; pass++)
        for (int i = 0; i < G->n && k < n; i++) {
            if (!G->t[i].trainable)
                continue;
            int is_fixed = strncmp(G->t[i].key, finest, strlen(finest)) != 0;
            if (is_fixed == !pass)
                params[k++] = G->t[i].node;
            fixed += pass == 0 && is_fixed;
        }
    return fixed;
}

static void build(trainer *t)
{
    const trainer_opts *o = &t->opts;
    eng_graph *g = t->g;
    t->real_a = eng_input4(g, "real_A", o->batch, o->gen.input_nc, o->height, o->width);
    t->real_b = eng_input4(g, "real_B", o->batch, o->gen.output_nc, o->height, o->width);
    if (o->lambda_mismatch > 0)
        t->real_b_mismatched = eng_input4(g, "real_B_mismatched", o->batch, o->gen.output_nc,
                                          o->height, o->width);
    net_init_struct(&t->G, g, "G.", 1, 1,
                    (uint32_t)(o->seed * 2654435761u) ^ (uint32_t)o->rank * 0x9E3779B9u);
    net_init_struct(&t->D, g, "D.", 1, 1, 0);
    t->fake_b = net_generator(&t->G, &o->gen, t->real_a);
    eng_forward(g, t->fake_b);

    /* D: fake pairs (G not reached: detached) and real pairs, each with its downsamplings for
     * the other critics, updated d_steps times on the same pairs (G does not change in
     * between); the losses kept are the last update's. */
    int nd = 0, ng;
    eng_node **d_params = NULL, *fake_lv[NET_MAX_CRITICS], *real_lv[NET_MAX_CRITICS] = {NULL};
    eng_node *wrong_lv[NET_MAX_CRITICS] = {NULL}; /* (A, rolled B) with lambda_mismatch */
    net_critic_inputs(g, &o->disc, eng_concat(g, t->real_a, eng_detach(g, t->fake_b)), fake_lv);
    for (int k = 0; k < (o->d_steps > 1 ? o->d_steps : 1); k++) {
        t->loss[LOSS_D_FAKE] = critics_loss(t, fake_lv, 0, NULL);
        if (!real_lv[0])
            net_critic_inputs(g, &o->disc, eng_concat(g, t->real_a, t->real_b), real_lv);
        t->loss[LOSS_D_REAL] = critics_loss(t, real_lv, 1, NULL);
        eng_node *loss_d = eng_add(g, t->loss[LOSS_D_FAKE], t->loss[LOSS_D_REAL]);
        if (t->real_b_mismatched) {
            if (!wrong_lv[0])
                net_critic_inputs(g, &o->disc, eng_concat(g, t->real_a, t->real_b_mismatched),
                                  wrong_lv);
            t->loss[LOSS_D_MISMATCH] = critics_loss(t, wrong_lv, 0, NULL);
            loss_d = eng_add(g, loss_d,
                             eng_scale(g, t->loss[LOSS_D_MISMATCH], o->lambda_mismatch));
        }
        loss_d = eng_scale(g, loss_d, 0.5f);
        if (!d_params) /* D's params exist once it has been applied */
            d_params = net_params(&t->D, &nd);
        eng_forward(g, loss_d);
        eng_backward(g, loss_d, d_params, nd);
        if (!t->opt_d) {
            t->opt_d = eng_adam_new(g, d_params, nd, o->lr, o->beta1, 0.999f, 1e-8f);
            if (o->reduce_d)
                eng_adam_set_reducer(t->opt_d, o->reduce_d);
        }
        eng_adam_step(g, t->opt_d);
    }

    /* G: another application of D, recorded after D's updates. */
    eng_node **g_params = net_params(&t->G, &ng), *g_lv[NET_MAX_CRITICS];
    net_critic_feats feats[NET_MAX_CRITICS];
    int matching = o->lambda_feat > 0;
    net_critic_inputs(g, &o->disc, eng_concat(g, t->real_a, t->fake_b), g_lv);
    t->loss[LOSS_G_GAN] = critics_loss(t, g_lv, -1, matching ? feats : NULL);
    t->loss[LOSS_G_L1] = eng_l1_loss(g, t->fake_b, t->real_b);
    eng_node *loss_g =
        eng_add(g, t->loss[LOSS_G_GAN], eng_scale(g, t->loss[LOSS_G_L1], o->lambda_l1));
    if (matching) {
        t->loss[LOSS_G_FEAT] = feature_matching(t, real_lv, feats);
        loss_g = eng_add(g, loss_g, eng_scale(g, t->loss[LOSS_G_FEAT], o->lambda_feat));
    }
    if (o->lambda_vgg > 0) {
        vgg_net_init(&t->vgg, g);
        t->loss[LOSS_G_VGG] = vgg_loss(g, &t->vgg, t->fake_b, t->real_b);
        loss_g = eng_add(g, loss_g, eng_scale(g, t->loss[LOSS_G_VGG], o->lambda_vgg));
    }
    eng_forward(g, loss_g);
    eng_backward(g, loss_g, g_params, ng);
    int nfixed = o->fix_global ? split_fixed(&t->G, g_params, ng, o->gen.n_local) : 0;
    t->opt_g = eng_adam_new(g, g_params + nfixed, ng - nfixed, o->lr, o->beta1, 0.999f, 1e-8f);
    if (o->reduce_g)
        eng_adam_set_reducer(t->opt_g, o->reduce_g);
    if (o->ema_decay > 0)
        eng_adam_set_average(g, t->opt_g, o->ema_decay);
    eng_adam_step(g, t->opt_g);
    if (nfixed) {
        t->opt_g_fixed = eng_adam_new(g, g_params, nfixed, o->lr, o->beta1, 0.999f, 1e-8f);
        if (o->reduce_g_fixed)
            eng_adam_set_reducer(t->opt_g_fixed, o->reduce_g_fixed);
        eng_adam_step(g, t->opt_g_fixed);
    }
    free(d_params);
    free(g_params);
    /* Activations share memory by liveness; the host reads the losses and the fake images. */
    eng_reuse_values(g);
    app_precision_apply(g, o->fp16);
    eng_keep_value(t->fake_b);
    for (int i = 0; i < LOSS_COUNT; i++)
        if (t->loss[i])
            eng_keep_value(t->loss[i]);
}

int trainer_takes_size(const trainer_opts *o, int h, int w, int *stride, int *min_side)
{
    *stride = gen_stride(&o->gen);
    *min_side = gen_min_side(&o->gen);
    if (disc_min_side(&o->disc) > *min_side)
        *min_side = disc_min_side(&o->disc);
    if (o->lambda_vgg > 0 && VGG_MIN_SIDE > *min_side)
        *min_side = VGG_MIN_SIDE;
    return h % *stride == 0 && w % *stride == 0 && h >= *min_side && w >= *min_side;
}

unsigned trainer_losses(const trainer_opts *o)
{
    return LOSS_ALWAYS | (o->lambda_feat > 0 ? LOSS_BIT(LOSS_G_FEAT) : 0u) |
           (o->lambda_vgg > 0 ? LOSS_BIT(LOSS_G_VGG) : 0u) |
           (o->lambda_mismatch > 0 ? LOSS_BIT(LOSS_D_MISMATCH) : 0u);
}

int trainer_memory_check(const trainer_opts *o, eng_backend *be, size_t extra, const char *what,
                         char *err, size_t errlen)
{
    trainer t = {.opts = *o, .g = eng_graph_new()};
    build(&t);
    int rc = -1;
    if (eng_graph_status(t.g) != ENG_OK) /* a size the engine refuses */
        snprintf(err, errlen, "%s: %s", what, eng_last_error());
    else
        rc = app_plan_check(t.g, be, extra, what, err, errlen);
    trainer_free(&t);
    return rc;
}

int trainer_init(trainer *t, const trainer_opts *o, eng_backend *be, char *err, size_t errlen)
{
    memset(t, 0, sizeof *t);
    t->opts = *o;
    t->lr = o->lr;
    t->g = eng_graph_new();
    build(t);
    t->plan = eng_plan_new(t->g, be);
    app_precision_note(t->plan, be, o->fp16, 0);
    if (!t->plan) {
        snprintf(err, errlen, "cannot allocate the training graph: %s", eng_last_error());
        return -1;
    }
    if (o->lambda_vgg > 0 && (!o->vgg || vgg_net_write(&t->vgg, t->plan, o->vgg))) {
        snprintf(err, errlen, "cannot set the VGG loss's weights: %s",
                 o->vgg ? eng_last_error() : "none given");
        return -1;
    }
    float gain = o->init_gain > 0 ? o->init_gain : 0.02f;
    if (net_init_weights_as(&t->G, t->plan, o->seed, o->init_type, gain) ||
        net_init_weights_as(&t->D, t->plan, o->seed ^ 0x5eed0d15c0ffeeULL, o->init_type, gain)) {
        snprintf(err, errlen, "cannot initialise the weights: %s", eng_last_error());
        return -1;
    }
    size_t pairs = eng_node_numel(t->real_b);
    if ((t->real_b_mismatched && !(t->mismatched = malloc(pairs * sizeof *t->mismatched))) ||
        (o->ema_decay > 0 && train_ema_view(t))) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    if (train_ema_reset(t)) {
        snprintf(err, errlen, "cannot start G's average: %s", eng_last_error());
        return -1;
    }
    return 0;
}

void trainer_free(trainer *t)
{
    if (t->plan)
        eng_plan_free(t->plan);
    net_release(&t->G);
    net_release(&t->D);
    net_release(&t->G_ema);
    free(t->mismatched);
    if (t->g)
        eng_graph_free(t->g);
    memset(t, 0, sizeof *t);
}

int trainer_step(trainer *t, const float *a, const float *b, float losses[LOSS_COUNT])
{
    if (t->real_b_mismatched) { /* sample i gets sample i + 1's B, the last the first's */
        size_t sample = eng_node_numel(t->real_b) / (size_t)t->opts.batch;
        size_t rest = sample * (size_t)(t->opts.batch - 1);
        memcpy(t->mismatched, b + sample, rest * sizeof *b);
        memcpy(t->mismatched + rest, b, sample * sizeof *b);
        if (eng_plan_write(t->plan, t->real_b_mismatched, t->mismatched))
            return -1;
    }
    if (eng_plan_write(t->plan, t->real_a, a) || eng_plan_write(t->plan, t->real_b, b) ||
        eng_plan_run(t->plan))
        return -1;
    for (int i = 0; i < LOSS_COUNT; i++) {
        losses[i] = 0;
        if (t->loss[i] && eng_plan_read(t->plan, t->loss[i], &losses[i]))
            return -1;
    }
    return 0;
}

void trainer_set_lr(trainer *t, float lr)
{
    t->lr = lr;
    eng_adam_set_lr(t->opt_g, lr);
    eng_adam_set_lr(t->opt_d, lr);
    if (t->opt_g_fixed)
        eng_adam_set_lr(t->opt_g_fixed, t->global_fixed ? 0.0f : lr);
}

void trainer_fix_global(trainer *t, int fixed)
{
    t->global_fixed = fixed;
    trainer_set_lr(t, t->lr);
}
