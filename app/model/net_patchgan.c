/* Discriminators exactly as the reference: NLayerDiscriminator (PatchGAN; 'basic' is 3 layers,
 * a 70x70 receptive field) and PixelDiscriminator (1x1 PatchGAN). No sigmoid: the losses take
 * logits. Each critic of a multi-scale discriminator (net_multiscale.c) is one of these under
 * its key scope. */
#include <stdio.h>

#include "app/model/networks.h"

/* A critic's conv: spectral-normalized with c->spectral. */
static eng_node *conv(net *n, const disc_config *c, const char *key, eng_node *x, int cin,
                      int cout, int k, int stride, int pad, int bias)
{
    return c->spectral ? net_sn_conv(n, key, x, cin, cout, k, stride, pad, bias)
                       : net_conv(n, key, x, cin, cout, k, stride, pad, bias);
}

/* A LeakyReLU output kept as a feature when asked. */
static eng_node *feature(net_critic_feats *feats, eng_node *h)
{
    if (feats)
        feats->f[feats->n++] = h;
    return h;
}

/* With feats->only, the critic stops at its last feature (no prediction made). */
static eng_node *nlayer(net *n, const disc_config *c, const char *scope, eng_node *x,
                        net_critic_feats *feats)
{
    eng_graph *g = n->g;
    int use_bias = c->norm == NORM_INSTANCE;
    int ndf = c->ndf;
    char key[ENG_NAME_MAX];
    snprintf(key, sizeof key, "%smodel.0", scope);
    eng_node *h = conv(n, c, key, x, c->input_nc, ndf, 4, 2, 1, 1);
    h = feature(feats, eng_leaky_relu(g, h, 0.2f));
    int index = 2, mult = 1, mult_prev;
    for (int layer = 1; layer <= c->n_layers; layer++, index += 3) {
        mult_prev = mult;
        mult = 1 << (layer < 3 ? layer : 3);
        int stride = layer < c->n_layers ? 2 : 1; /* the last of these keeps the size */
        snprintf(key, sizeof key, "%smodel.%d", scope, index);
        h = conv(n, c, key, h, ndf * mult_prev, ndf * mult, 4, stride, 1, use_bias);
        snprintf(key, sizeof key, "%smodel.%d", scope, index + 1);
        h = net_norm_layer(n, key, h, c->norm, ndf * mult);
        h = feature(feats, eng_leaky_relu(g, h, 0.2f));
    }
    if (feats && feats->only)
        return h;
    snprintf(key, sizeof key, "%smodel.%d", scope, index);
    return conv(n, c, key, h, ndf * mult, 1, 4, 1, 1, 1);
}

static eng_node *pixel(net *n, const disc_config *c, const char *scope, eng_node *x,
                       net_critic_feats *feats)
{
    eng_graph *g = n->g;
    int use_bias = c->norm == NORM_INSTANCE;
    char key[ENG_NAME_MAX];
    snprintf(key, sizeof key, "%snet.0", scope);
    eng_node *h = conv(n, c, key, x, c->input_nc, c->ndf, 1, 1, 0, 1);
    h = feature(feats, eng_leaky_relu(g, h, 0.2f));
    snprintf(key, sizeof key, "%snet.2", scope);
    h = conv(n, c, key, h, c->ndf, 2 * c->ndf, 1, 1, 0, use_bias);
    snprintf(key, sizeof key, "%snet.3", scope);
    h = net_norm_layer(n, key, h, c->norm, 2 * c->ndf);
    h = feature(feats, eng_leaky_relu(g, h, 0.2f));
    if (feats && feats->only)
        return h;
    snprintf(key, sizeof key, "%snet.5", scope);
    return conv(n, c, key, h, 2 * c->ndf, 1, 1, 1, 0, use_bias);
}

static eng_node *apply(net *n, const disc_config *c, int i, eng_node *x, net_critic_feats *feats)
{
    char scope[16] = "";
    if (i > 0)
        snprintf(scope, sizeof scope, "down%d.", i);
    if (feats)
        feats->n = 0;
    return c->family == DISC_PIXEL ? pixel(n, c, scope, x, feats)
                                   : nlayer(n, c, scope, x, feats);
}

eng_node *net_critic(net *n, const disc_config *c, int i, eng_node *x, net_critic_feats *feats)
{
    if (feats)
        feats->only = 0;
    return apply(n, c, i, x, feats);
}

void net_critic_features(net *n, const disc_config *c, int i, eng_node *x,
                         net_critic_feats *feats)
{
    feats->only = 1;
    apply(n, c, i, x, feats);
}
