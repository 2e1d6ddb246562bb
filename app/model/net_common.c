/* Shared pieces of the networks: names, the tensor registry, layer helpers, initialisation. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app/model/net_init.h"
#include "app/model/networks.h"
#include "app/common/rng.h"

int net_norm_parse(const char *s, net_norm *out)
{
    if (!strcmp(s, "batch"))
        *out = NORM_BATCH;
    else if (!strcmp(s, "instance"))
        *out = NORM_INSTANCE;
    else if (!strcmp(s, "none"))
        *out = NORM_NONE;
    else
        return -1;
    return 0;
}

const char *net_norm_name(net_norm n)
{
    return n == NORM_BATCH ? "batch" : n == NORM_INSTANCE ? "instance" : "none";
}

int gen_name_parse(const char *s, gen_config *c)
{
    int v = 0;
    char tail[16] = "";
    if (sscanf(s, "unet_%d%15s", &v, tail) == 1) {
        /* unet_256 and unet_128 name the image size; unet_<d> with d < 32 the depth. */
        int depth = v == 256 ? 8 : v == 128 ? 7 : v;
        if (depth < 5 || depth > 10)
            return -1;
        c->family = GEN_UNET;
        c->depth = depth;
        return 0;
    }
    if (sscanf(s, "resnet_%dblocks%15s", &v, tail) == 1 && v >= 1 && v <= 64) {
        c->family = GEN_RESNET;
        c->depth = v;
        return 0;
    }
    return -1;
}

void gen_name(const gen_config *c, char *buf, size_t len)
{
    if (c->family == GEN_RESNET)
        snprintf(buf, len, "resnet_%dblocks", c->depth);
    else if (c->depth == 8 || c->depth == 7)
        snprintf(buf, len, "unet_%d", 1 << c->depth);
    else
        snprintf(buf, len, "unet_%d", c->depth);
}

int gen_upsample_parse(const char *s, gen_upsample *out)
{
    if (s && !strcmp(s, "transposed"))
        *out = GEN_UP_TRANSPOSED;
    else if (s && !strcmp(s, "resize-conv"))
        *out = GEN_UP_RESIZE_CONV;
    else
        return -1;
    return 0;
}

const char *gen_upsample_name(gen_upsample u)
{
    return u == GEN_UP_RESIZE_CONV ? "resize-conv" : "transposed";
}

int disc_name_parse(const char *s, int n_layers, disc_config *c)
{
    if (!strcmp(s, "basic")) {
        c->family = DISC_NLAYERS;
        c->n_layers = 3;
    } else if (!strcmp(s, "n_layers")) {
        if (n_layers < 1 || n_layers > 8)
            return -1;
        c->family = DISC_NLAYERS;
        c->n_layers = n_layers;
    } else if (!strcmp(s, "pixel")) {
        c->family = DISC_PIXEL;
        c->n_layers = 0;
    } else {
        return -1;
    }
    return 0;
}

void disc_name(const disc_config *c, char *buf, size_t len)
{
    if (c->family == DISC_PIXEL)
        snprintf(buf, len, "pixel");
    else if (c->n_layers == 3)
        snprintf(buf, len, "basic");
    else
        snprintf(buf, len, "n_layers");
}

int gen_stride(const gen_config *c)
{
    return c->family == GEN_UNET ? 1 << c->depth : 4;
}

int gen_min_side(const gen_config *c)
{
    return c->family == GEN_UNET ? gen_stride(c) : 2 * gen_stride(c);
}

int disc_min_side(const disc_config *c)
{
    /* n stride-2 convolutions halve the side (rounding down), then two 4x4 stride-1
     * convolutions each take one off: the map before the last one needs side >= 2. The
     * pixel discriminator keeps the size. */
    return c->family == DISC_NLAYERS ? 3 << c->n_layers : 2;
}

void net_init_struct(net *n, eng_graph *g, const char *prefix, int training, int dropout,
                     uint32_t dropout_seed)
{
    memset(n, 0, sizeof *n);
    n->g = g;
    snprintf(n->prefix, sizeof n->prefix, "%s", prefix);
    n->training = training;
    n->dropout = dropout;
    n->dropout_seed = dropout_seed;
}

void net_release(net *n)
{
    free(n->t);
    free(n->sites);
    n->t = NULL;
    n->sites = NULL;
    n->n = n->cap = n->nsites = n->cap_sites = 0;
}

const net_tensor *net_find_key(const net *n, const char *key)
{
    for (int i = 0; i < n->n; i++)
        if (!strcmp(n->t[i].key, key))
            return &n->t[i];
    return NULL;
}

long long net_param_count(const net *n)
{
    long long total = 0;
    for (int i = 0; i < n->n; i++)
        if (n->t[i].trainable)
            total += (long long)eng_node_numel(n->t[i].node);
    return total;
}

_Noreturn void net_out_of_memory(void)
{
    fprintf(stderr, "pix2pix: out of memory\n");
    exit(1);
}

/* A network file that applies a tensor with two shapes is wrong: a programming error. */
static _Noreturn void net_bad_reuse(const net *n, const char *key)
{
    fprintf(stderr, "pix2pix: network %s: tensor %s reused with another shape\n", n->prefix, key);
    abort();
}

eng_node **net_params(const net *n, int *count)
{
    eng_node **out = malloc(sizeof *out * (size_t)(n->n ? n->n : 1));
    if (!out)
        net_out_of_memory();
    int k = 0;
    for (int i = 0; i < n->n; i++)
        if (n->t[i].trainable)
            out[k++] = n->t[i].node;
    *count = k;
    return out;
}

eng_node *net_tensor_get(net *n, const char *key, int ndim, const int *shape, int trainable,
                         net_init init)
{
    const net_tensor *found = net_find_key(n, key);
    if (found) {
        /* A later application of the same network: same tensor, same shape. */
        for (int d = 0; d < ndim; d++)
            if (eng_node_ndim(found->node) != ndim ||
                eng_node_shape(found->node)[d] != shape[d])
                net_bad_reuse(n, key);
        return found->node;
    }
    if (n->n == n->cap) {
        n->cap = n->cap ? 2 * n->cap : 64;
        n->t = realloc(n->t, sizeof *n->t * (size_t)n->cap);
        if (!n->t)
            net_out_of_memory();
    }
    net_tensor *t = &n->t[n->n++];
    memset(t, 0, sizeof *t);
    snprintf(t->key, sizeof t->key, "%s", key);
    char name[ENG_NAME_MAX + 16];
    snprintf(name, sizeof name, "%s%s", n->prefix, key);
    t->node = trainable ? eng_param(n->g, name, ndim, shape) : eng_state(n->g, name, ndim, shape);
    t->trainable = trainable;
    t->is_counter = !trainable && strstr(key, "num_batches_tracked") != NULL;
    t->init = init;
    return t->node;
}

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
    char conv[ENG_NAME_MAX];
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

eng_node *net_generator(net *n, const gen_config *c, eng_node *x)
{
    return c->family == GEN_UNET ? net_unet(n, c, x) : net_resnet(n, c, x);
}

int net_init_weights(const net *n, eng_plan *p, uint64_t seed)
{
    return net_init_weights_as(n, p, seed, NET_INIT_NORMAL, 0.02f);
}
