/* The networks' names and sizes, and the entry points that dispatch to a family's builder
 * (net_unet.c, net_resnet.c) or to the initialisation (net_init.c). The layers they are built
 * from are in net_layers.c, the tensor registry in net_tensors.c. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "app/model/net_init.h"
#include "app/model/networks.h"

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
        c->n_down = 2;
        return 0;
    }
    if (!strcmp(s, "global") || !strcmp(s, "local")) {
        c->family = s[0] == 'g' ? GEN_GLOBAL : GEN_LOCAL;
        c->depth = 9;
        c->n_down = 4;
        c->n_local = s[0] == 'g' ? 0 : 1;
        c->local_blocks = s[0] == 'g' ? 0 : 3;
        return 0;
    }
    return -1;
}

void gen_name(const gen_config *c, char *buf, size_t len)
{
    if (c->family == GEN_GLOBAL || c->family == GEN_LOCAL)
        snprintf(buf, len, c->family == GEN_GLOBAL ? "global" : "local");
    else if (c->family == GEN_RESNET)
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
    if (c->family == GEN_UNET)
        return 1 << c->depth;
    if (c->family == GEN_LOCAL)
        return 1 << (c->n_down + c->n_local);
    return c->family == GEN_GLOBAL ? 1 << c->n_down : 4;
}

int gen_min_side(const gen_config *c)
{
    return c->family == GEN_UNET ? gen_stride(c) : 2 * gen_stride(c);
}

int disc_min_side(const disc_config *c)
{
    /* n stride-2 convolutions halve the side (rounding down), then two 4x4 stride-1
     * convolutions each take one off: the map before the last one needs side >= 2. The
     * pixel discriminator keeps the size. The coarsest critic's side is what counts. */
    int one = c->family == DISC_NLAYERS ? 3 << c->n_layers : 2;
    /* Each downsampling for another critic takes the side to ceil(side / 2). */
    int k = net_critics(c) - 1;
    return k ? ((one - 1) << k) + 1 : one;
}

eng_node *net_generator(net *n, const gen_config *c, eng_node *x)
{
    if (c->family == GEN_LOCAL)
        return net_local(n, c, x);
    return c->family == GEN_UNET ? net_unet(n, c, x) : net_resnet(n, c, x);
}

int net_init_weights(const net *n, eng_plan *p, uint64_t seed)
{
    return net_init_weights_as(n, p, seed, NET_INIT_NORMAL, 0.02f);
}
