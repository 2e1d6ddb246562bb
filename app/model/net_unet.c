/* U-Net generator exactly as the reference's UnetGenerator built from nested
 * UnetSkipConnectionBlocks. Each block keeps its layers in a Sequential named `model`; the
 * nested block sits at index 1 of the outermost block and at index 3 of the others.
 *
 * The reference's LeakyReLU is in place and runs on the block's input before the skip
 * concatenation reads it, so the skip branch carries LeakyReLU(x), not x: reproduced here.
 * With resize-conv upsampling (gen_config.upsample) each ConvTranspose2d's place holds
 * nn.Sequential(Upsample, Conv2d 3x3). */
#include <stdio.h>
#include <string.h>

#include "app/model/networks.h"

/* Channels produced by the down convolution of the block at depth d (1 = outermost). */
static int inner_channels(const gen_config *c, int d)
{
    int mult = d >= 4 ? 8 : 1 << (d - 1);
    return c->ngf * mult;
}

static eng_node *unet_block(net *n, const gen_config *c, const char *prefix, int d, eng_node *x)
{
    eng_graph *g = n->g;
    int use_bias = c->norm == NORM_INSTANCE;
    int inner = inner_channels(c, d);
    int outer = d == 1 ? c->output_nc : inner_channels(c, d - 1);
    char key[ENG_NAME_MAX], sub[ENG_NAME_MAX];

    if (n->part != UNET_ALL && n->part != UNET_MIDDLE && d == n->split) {
        n->cut = x;
        return n->part == UNET_DECODER ? n->mid : NULL;
    }

    if (d == 1) {
        snprintf(key, sizeof key, "%s.0", prefix);
        eng_node *h = net_conv(n, key, x, c->input_nc, inner, 4, 2, 1, use_bias);
        snprintf(sub, sizeof sub, "%s.1.model", prefix);
        eng_node *s = unet_block(n, c, sub, d + 1, h);
        if (!s)
            return NULL;
        eng_node *u = eng_relu(g, s);
        snprintf(key, sizeof key, "%s.3", prefix);
        u = net_upsample(n, c, key, u, 2 * inner, outer, 4, 1, 0, 1);
        return eng_tanh(g, u);
    }

    eng_node *h = eng_leaky_relu(g, x, 0.2f);
    snprintf(key, sizeof key, "%s.1", prefix);
    eng_node *down = net_conv(n, key, h, outer, inner, 4, 2, 1, use_bias);
    eng_node *u;
    if (d == c->depth) {
        u = eng_relu(g, down);
        snprintf(key, sizeof key, "%s.3", prefix);
        u = net_upsample(n, c, key, u, inner, outer, 4, 1, 0, use_bias);
        snprintf(key, sizeof key, "%s.4", prefix);
        u = net_norm_layer(n, key, u, c->norm, outer);
    } else {
        snprintf(key, sizeof key, "%s.2", prefix);
        down = net_norm_layer(n, key, down, c->norm, inner);
        snprintf(sub, sizeof sub, "%s.3.model", prefix);
        eng_node *s = unet_block(n, c, sub, d + 1, down);
        if (!s)
            return NULL;
        u = eng_relu(g, s);
        snprintf(key, sizeof key, "%s.5", prefix);
        u = net_upsample(n, c, key, u, 2 * inner, outer, 4, 1, 0, use_bias);
        snprintf(key, sizeof key, "%s.6", prefix);
        u = net_norm_layer(n, key, u, c->norm, outer);
        /* Dropout(0.5) in the blocks between depth 5 and the innermost (ngf*8 both sides). */
        if (c->use_dropout && d >= 5)
            u = net_dropout(n, u);
    }
    return eng_concat(g, h, u);
}

int unet_block_channels(const gen_config *c, int d)
{
    return inner_channels(c, d - 1);
}

/* With n->part: the encoder's output is the split block's input; the middle starts at the
 * split block, whose key is model.model.1.model then .3.model for each depth below 2. */
eng_node *net_unet(net *n, const gen_config *c, eng_node *x)
{
    if (n->part != UNET_MIDDLE) {
        eng_node *y = unet_block(n, c, "model.model", 1, x);
        return n->part == UNET_ENCODER ? n->cut : y;
    }
    char prefix[ENG_NAME_MAX] = "model.model.1.model";
    for (int d = 3; d <= n->split; d++)
        strcat(prefix, ".3.model");
    return unet_block(n, c, prefix, n->split, x);
}
