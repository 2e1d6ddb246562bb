/* pix2pixHD's LocalEnhancer (models/networks.py), with its state_dict keys: the global
 * generator ("model.<i>", ngf * 2^K filters, its last pad, conv and tanh dropped) on the input
 * averaged down K times (AvgPool2d(3, stride 2, padding 1, count_include_pad=False)); then
 * for enhancer k = 1..K, on the input at 1/2^(K-k), model<k>_1 (pad, 7x7 conv, norm, relu,
 * stride-2 3x3 conv, norm, relu) whose maps are added to the coarser output, and model<k>_2
 * (local_blocks ResnetBlocks, transposed conv, norm, relu; the last enhancer also pad, 7x7
 * conv, tanh). Every conv has a bias, there is no dropout. */
#include <stdio.h>

#include "app/model/networks.h"

/* model<k>_1: the enhancer's own view of its input, at half its size with 2 * ngf maps. */
static eng_node *enhancer_down(net *n, const gen_config *c, int k, int ngf, eng_node *x)
{
    eng_graph *g = n->g;
    char key[ENG_NAME_MAX];
    eng_node *h = eng_reflection_pad2d(g, x, 3);
    snprintf(key, sizeof key, "model%d_1.1", k);
    h = net_conv(n, key, h, c->input_nc, ngf, 7, 1, 0, 1);
    snprintf(key, sizeof key, "model%d_1.2", k);
    h = eng_relu(g, net_norm_layer(n, key, h, c->norm, ngf));
    snprintf(key, sizeof key, "model%d_1.4", k);
    h = net_conv(n, key, h, ngf, ngf * 2, 3, 2, 1, 1);
    snprintf(key, sizeof key, "model%d_1.5", k);
    return eng_relu(g, net_norm_layer(n, key, h, c->norm, ngf * 2));
}

/* model<k>_2: blocks at 2 * ngf maps, then up to ngf maps at twice the size; the last
 * enhancer ends with the output layer. */
static eng_node *enhancer_up(net *n, const gen_config *c, int k, int ngf, eng_node *x)
{
    eng_graph *g = n->g;
    char key[ENG_NAME_MAX];
    int b = c->local_blocks;
    for (int i = 0; i < b; i++) {
        snprintf(key, sizeof key, "model%d_2.%d", k, i);
        x = net_resnet_block(n, c, key, ngf * 2, x);
    }
    snprintf(key, sizeof key, "model%d_2.%d", k, b);
    eng_node *h = net_upsample(n, c, key, x, ngf * 2, ngf, 3, 1, 1, 1);
    snprintf(key, sizeof key, "model%d_2.%d", k, b + 1);
    h = eng_relu(g, net_norm_layer(n, key, h, c->norm, ngf));
    if (k < c->n_local)
        return h;
    h = eng_reflection_pad2d(g, h, 3);
    snprintf(key, sizeof key, "model%d_2.%d", k, b + 4);
    return eng_tanh(g, net_conv(n, key, h, ngf, c->output_nc, 7, 1, 0, 1));
}

eng_node *net_local(net *n, const gen_config *c, eng_node *x)
{
    int levels = c->n_local;
    eng_node *pyramid[GEN_LOCAL_MAX + 1];
    pyramid[0] = x;
    for (int i = 0; i < levels; i++)
        pyramid[i + 1] = eng_avg_pool2d(n->g, pyramid[i], 3, 2, 1);
    gen_config global = *c;
    global.family = GEN_GLOBAL;
    global.ngf = c->ngf << levels;
    int next;
    eng_node *h = net_resnet_body(n, &global, pyramid[levels], &next);
    for (int k = 1; k <= levels; k++) {
        int ngf = c->ngf << (levels - k);
        eng_node *down = enhancer_down(n, c, k, ngf, pyramid[levels - k]);
        h = enhancer_up(n, c, k, ngf, eng_add(n->g, down, h));
    }
    return h;
}
