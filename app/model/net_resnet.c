/* ResNet generator exactly as the reference's ResnetGenerator (reflection padding, two
 * stride-2 downsamplings, n ResnetBlocks at ngf*4, two transposed-conv upsamplings, or with
 * resize-conv upsampling nn.Sequential(Upsample, Conv2d 3x3) in their places), and
 * pix2pixHD's GlobalGenerator, the same layers with n_down downsamplings and upsamplings,
 * blocks at ngf*2^n_down and a bias on every conv (pix2pixHD's convs keep theirs under batch
 * norm). Both are one nn.Sequential, "model.<index>" keys: the 7x7 stem conv at 1, its norm at
 * 2, then (conv, norm, relu) per downsampling, one index per block, (up, norm, relu) per
 * upsampling, then pad, conv, tanh. */
#include <stdio.h>

#include "app/model/networks.h"

/* The reference's ResnetGenerator drops the conv biases in front of a batch norm; pix2pixHD
 * keeps them. */
static int conv_bias(const gen_config *c)
{
    return c->family == GEN_GLOBAL || c->family == GEN_LOCAL || c->norm == NORM_INSTANCE;
}

eng_node *net_resnet_block(net *n, const gen_config *c, const char *prefix, int dim,
                           eng_node *x)
{
    eng_graph *g = n->g;
    int use_bias = conv_bias(c);
    int shift = c->use_dropout ? 1 : 0; /* Dropout takes index 4 when present */
    char key[ENG_NAME_MAX];
    eng_node *h = eng_reflection_pad2d(g, x, 1);
    snprintf(key, sizeof key, "%.90s.conv_block.1", prefix);
    h = net_conv(n, key, h, dim, dim, 3, 1, 0, use_bias);
    snprintf(key, sizeof key, "%.90s.conv_block.2", prefix);
    h = net_norm_layer(n, key, h, c->norm, dim);
    h = eng_relu(g, h);
    if (c->use_dropout)
        h = net_dropout(n, h);
    h = eng_reflection_pad2d(g, h, 1);
    snprintf(key, sizeof key, "%.90s.conv_block.%d", prefix, 5 + shift);
    h = net_conv(n, key, h, dim, dim, 3, 1, 0, use_bias);
    snprintf(key, sizeof key, "%.90s.conv_block.%d", prefix, 6 + shift);
    h = net_norm_layer(n, key, h, c->norm, dim);
    return eng_add(g, x, h);
}

eng_node *net_resnet_body(net *n, const gen_config *c, eng_node *x, int *next)
{
    eng_graph *g = n->g;
    int use_bias = conv_bias(c);
    int ngf = c->ngf, n_down = c->family == GEN_RESNET ? 2 : c->n_down;
    char key[ENG_NAME_MAX];
    eng_node *h = eng_reflection_pad2d(g, x, 3);
    h = net_conv(n, "model.1", h, c->input_nc, ngf, 7, 1, 0, use_bias);
    h = net_norm_layer(n, "model.2", h, c->norm, ngf);
    h = eng_relu(g, h);
    int index = 4;
    for (int i = 0; i < n_down; i++, index += 3) {
        int mult = 1 << i;
        snprintf(key, sizeof key, "model.%d", index);
        h = net_conv(n, key, h, ngf * mult, ngf * mult * 2, 3, 2, 1, use_bias);
        snprintf(key, sizeof key, "model.%d", index + 1);
        h = net_norm_layer(n, key, h, c->norm, ngf * mult * 2);
        h = eng_relu(g, h);
    }
    for (int b = 0; b < c->depth; b++, index++) {
        snprintf(key, sizeof key, "model.%d", index);
        h = net_resnet_block(n, c, key, ngf << n_down, h);
    }
    for (int i = 0; i < n_down; i++, index += 3) {
        int mult = 1 << (n_down - i);
        snprintf(key, sizeof key, "model.%d", index);
        h = net_upsample(n, c, key, h, ngf * mult, ngf * mult / 2, 3, 1, 1, use_bias);
        snprintf(key, sizeof key, "model.%d", index + 1);
        h = net_norm_layer(n, key, h, c->norm, ngf * mult / 2);
        h = eng_relu(g, h);
    }
    *next = index;
    return h;
}

eng_node *net_resnet(net *n, const gen_config *c, eng_node *x)
{
    int index;
    eng_node *h = net_resnet_body(n, c, x, &index);
    h = eng_reflection_pad2d(n->g, h, 3);
    char key[ENG_NAME_MAX];
    snprintf(key, sizeof key, "model.%d", index + 1);
    h = net_conv(n, key, h, c->ngf, c->output_nc, 7, 1, 0, 1);
    return eng_tanh(n->g, h);
}
