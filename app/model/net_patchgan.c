/* Discriminators exactly as the reference: NLayerDiscriminator (PatchGAN; 'basic' is 3 layers,
 * a 70x70 receptive field) and PixelDiscriminator (1x1 PatchGAN). No sigmoid: the losses take
 * logits. */
#include <stdio.h>

#include "app/model/networks.h"

static eng_node *nlayer(net *n, const disc_config *c, eng_node *x)
{
    eng_graph *g = n->g;
    int use_bias = c->norm == NORM_INSTANCE;
    int ndf = c->ndf;
    char key[ENG_NAME_MAX];
    eng_node *h = net_conv(n, "model.0", x, c->input_nc, ndf, 4, 2, 1, 1);
    h = eng_leaky_relu(g, h, 0.2f);
    int index = 2, mult = 1, mult_prev;
    for (int layer = 1; layer <= c->n_layers; layer++, index += 3) {
        mult_prev = mult;
        mult = 1 << (layer < 3 ? layer : 3);
        int stride = layer < c->n_layers ? 2 : 1; /* the last of these keeps the size */
        snprintf(key, sizeof key, "model.%d", index);
        h = net_conv(n, key, h, ndf * mult_prev, ndf * mult, 4, stride, 1, use_bias);
        snprintf(key, sizeof key, "model.%d", index + 1);
        h = net_norm_layer(n, key, h, c->norm, ndf * mult);
        h = eng_leaky_relu(g, h, 0.2f);
    }
    snprintf(key, sizeof key, "model.%d", index);
    return net_conv(n, key, h, ndf * mult, 1, 4, 1, 1, 1);
}

static eng_node *pixel(net *n, const disc_config *c, eng_node *x)
{
    eng_graph *g = n->g;
    int use_bias = c->norm == NORM_INSTANCE;
    eng_node *h = net_conv(n, "net.0", x, c->input_nc, c->ndf, 1, 1, 0, 1);
    h = eng_leaky_relu(g, h, 0.2f);
    h = net_conv(n, "net.2", h, c->ndf, 2 * c->ndf, 1, 1, 0, use_bias);
    h = net_norm_layer(n, "net.3", h, c->norm, 2 * c->ndf);
    h = eng_leaky_relu(g, h, 0.2f);
    return net_conv(n, "net.5", h, 2 * c->ndf, 1, 1, 1, 0, use_bias);
}

eng_node *net_discriminator(net *n, const disc_config *c, eng_node *x)
{
    return c->family == DISC_PIXEL ? pixel(n, c, x) : nlayer(n, c, x);
}
