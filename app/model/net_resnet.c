/* ResNet generator exactly as the reference's ResnetGenerator (reflection padding, two
 * stride-2 downsamplings, n ResnetBlocks at ngf*4, two transposed-conv upsamplings, or with
 * resize-conv upsampling nn.Sequential(Upsample, Conv2d 3x3) in their places). */
#include <stdio.h>

#include "app/model/networks.h"

/* ResnetBlock: x + [pad, conv3, norm, relu, (dropout), pad, conv3, norm](x). */
static eng_node *resnet_block(net *n, const gen_config *c, int index, int dim, eng_node *x)
{
    eng_graph *g = n->g;
    int use_bias = c->norm == NORM_INSTANCE;
    int shift = c->use_dropout ? 1 : 0; /* Dropout takes index 4 when present */
    char key[ENG_NAME_MAX];
    eng_node *h = eng_reflection_pad2d(g, x, 1);
    snprintf(key, sizeof key, "model.%d.conv_block.1", index);
    h = net_conv(n, key, h, dim, dim, 3, 1, 0, use_bias);
    snprintf(key, sizeof key, "model.%d.conv_block.2", index);
    h = net_norm_layer(n, key, h, c->norm, dim);
    h = eng_relu(g, h);
    if (c->use_dropout)
        h = net_dropout(n, h);
    h = eng_reflection_pad2d(g, h, 1);
    snprintf(key, sizeof key, "model.%d.conv_block.%d", index, 5 + shift);
    h = net_conv(n, key, h, dim, dim, 3, 1, 0, use_bias);
    snprintf(key, sizeof key, "model.%d.conv_block.%d", index, 6 + shift);
    h = net_norm_layer(n, key, h, c->norm, dim);
    return eng_add(g, x, h);
}

eng_node *net_resnet(net *n, const gen_config *c, eng_node *x)
{
    eng_graph *g = n->g;
    int use_bias = c->norm == NORM_INSTANCE;
    int ngf = c->ngf;
    char key[ENG_NAME_MAX];
    eng_node *h = eng_reflection_pad2d(g, x, 3);
    h = net_conv(n, "model.1", h, c->input_nc, ngf, 7, 1, 0, use_bias);
    h = net_norm_layer(n, "model.2", h, c->norm, ngf);
    h = eng_relu(g, h);
    int index = 4;
    for (int i = 0; i < 2; i++, index += 3) {
        int mult = 1 << i;
        snprintf(key, sizeof key, "model.%d", index);
        h = net_conv(n, key, h, ngf * mult, ngf * mult * 2, 3, 2, 1, use_bias);
        snprintf(key, sizeof key, "model.%d", index + 1);
        h = net_norm_layer(n, key, h, c->norm, ngf * mult * 2);
        h = eng_relu(g, h);
    }
    for (int b = 0; b < c->depth; b++, index++)
        h = resnet_block(n, c, index, ngf * 4, h);
    for (int i = 0; i < 2; i++, index += 3) {
        int mult = 1 << (2 - i);
        snprintf(key, sizeof key, "model.%d", index);
        h = net_upsample(n, c, key, h, ngf * mult, ngf * mult / 2, 3, 1, 1, use_bias);
        snprintf(key, sizeof key, "model.%d", index + 1);
        h = net_norm_layer(n, key, h, c->norm, ngf * mult / 2);
        h = eng_relu(g, h);
    }
    h = eng_reflection_pad2d(g, h, 3);
    snprintf(key, sizeof key, "model.%d", index + 1);
    h = net_conv(n, key, h, ngf, c->output_nc, 7, 1, 0, 1);
    return eng_tanh(g, h);
}
