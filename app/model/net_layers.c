/* The layers the networks are built from, each with its tensors under the reference's
 * state_dict keys: convolutions, transposed convolutions (or resize-convs in their place),
 * normalisation (through a measured site when the network's statistics come from outside,
 * net_norm_sites.c), dropout. */
#include <stdio.h>

#include "app/model/networks.h"
#include "app/common/rng.h"

/* "<key>.weight" of the given shape and, when bias, "<key>.bias" [cout] (else NULL). */
static eng_node *conv_weights(net *n, const char *key, const int wshape[4], int cout, int bias,
                              eng_node **b)
{
    char name[ENG_NAME_MAX];
    snprintf(name, sizeof name, "%s.weight", key);
    eng_node *w = net_tensor_get(n, name, 4, wshape, 1, INIT_NORMAL);
    *b = NULL;
    if (bias) {
        snprintf(name, sizeof name, "%s.bias", key);
        *b = net_tensor_get(n, name, 1, &cout, 1, INIT_ZERO);
    }
    return w;
}

eng_node *net_conv(net *n, const char *key, eng_node *x, int cin, int cout, int k, int stride,
                   int pad, int bias)
{
    eng_node *b;
    eng_node *w = conv_weights(n, key, (const int[]){cout, cin, k, k}, cout, bias, &b);
    return eng_conv2d(n->g, x, w, b, stride, pad);
}

eng_node *net_sn_conv(net *n, const char *key, eng_node *x, int cin, int cout, int k, int stride,
                      int pad, int bias)
{
    char name[ENG_NAME_MAX];
    eng_node *b = NULL;
    if (bias) {
        snprintf(name, sizeof name, "%s.bias", key);
        b = net_tensor_get(n, name, 1, &cout, 1, INIT_ZERO);
    }
    snprintf(name, sizeof name, "%s.weight_orig", key);
    eng_node *w = net_tensor_get(n, name, 4, (const int[]){cout, cin, k, k}, 1, INIT_NORMAL);
    int cols = cin * k * k;
    snprintf(name, sizeof name, "%s.weight_u", key);
    eng_node *u = net_tensor_get(n, name, 1, &cout, 0, INIT_UNIT);
    snprintf(name, sizeof name, "%s.weight_v", key);
    eng_node *v = net_tensor_get(n, name, 1, &cols, 0, INIT_UNIT);
    return eng_conv2d(n->g, x, eng_spectral_norm(n->g, w, u, v, 1e-12f), b, stride, pad);
}

eng_node *net_conv_t(net *n, const char *key, eng_node *x, int cin, int cout, int k, int stride,
                     int pad, int out_pad, int bias)
{
    eng_node *b;
    eng_node *w = conv_weights(n, key, (const int[]){cin, cout, k, k}, cout, bias, &b);
    return eng_conv_transpose2d(n->g, x, w, b, stride, pad, out_pad);
}

eng_node *net_upsample(net *n, const gen_config *c, const char *key, eng_node *x, int cin,
                       int cout, int k, int pad, int out_pad, int bias)
{
    if (c->upsample == GEN_UP_TRANSPOSED)
        return net_conv_t(n, key, x, cin, cout, k, 2, pad, out_pad, bias);
    char conv[ENG_NAME_MAX - 8]; /* leaves room for the ".weight" that net_conv appends */
    snprintf(conv, sizeof conv, "%s.1", key);
    return net_conv(n, conv, eng_upsample_nearest2d(n->g, x, 2), cin, cout, 3, 1, 1, bias);
}

eng_node *net_norm_layer(net *n, const char *key, eng_node *x, net_norm norm, int channels)
{
    if (norm == NORM_NONE)
        return x;
    if (norm == NORM_INSTANCE) /* affine=False, no running statistics: no tensors */
        return n->stats ? net_norm_site_layer(n, x, norm, NULL, NULL, NULL, NULL, NULL)
                        : eng_instance_norm2d(n->g, x, NULL, NULL, 1e-5f);
    char name[ENG_NAME_MAX];
    int one = 1;
    snprintf(name, sizeof name, "%s.weight", key);
    eng_node *w = net_tensor_get(n, name, 1, &channels, 1, INIT_NORM_WEIGHT);
    snprintf(name, sizeof name, "%s.bias", key);
    eng_node *b = net_tensor_get(n, name, 1, &channels, 1, INIT_ZERO);
    snprintf(name, sizeof name, "%s.running_mean", key);
    eng_node *mean = net_tensor_get(n, name, 1, &channels, 0, INIT_ZERO);
    snprintf(name, sizeof name, "%s.running_var", key);
    eng_node *var = net_tensor_get(n, name, 1, &channels, 0, INIT_ONE);
    snprintf(name, sizeof name, "%s.num_batches_tracked", key);
    eng_node *count = net_tensor_get(n, name, 1, &one, 0, INIT_ZERO);
    if (n->stats)
        return net_norm_site_layer(n, x, norm, w, b, mean, var, count);
    return eng_batch_norm2d(n->g, x, w, b, mean, var, count, n->training, 0.1f, 1e-5f);
}

eng_node *net_dropout(net *n, eng_node *x)
{
    uint32_t layer = (uint32_t)n->ndropout++;
    if (!n->dropout)
        return x;
    return eng_dropout(n->g, x, 0.5f, rng_hash_seed(n->dropout_seed, layer));
}
