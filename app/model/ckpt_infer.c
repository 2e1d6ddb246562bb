/* The architecture stored in a model file: its metadata, or for files converted from the
 * reference (no metadata) the reference's key layout and shapes. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app/model/checkpoint.h"

static const st_tensor *find4(const st_file *f, const char *key)
{
    const st_tensor *t = st_find(f, key);
    return t && t->ndim == 4 ? t : NULL;
}

static int has(const st_file *f, const char *key)
{
    return st_find(f, key) != NULL;
}

static int meta_int(const st_file *f, const char *key, int *out)
{
    const char *v = st_meta(f, key);
    char *end;
    if (!v)
        return -1;
    long x = strtol(v, &end, 10);
    if (*end || end == v || x < 0 || x > 1 << 20)
        return -1;
    *out = (int)x;
    return 0;
}

static int gen_from_meta(const st_file *f, gen_config *c, char *err, size_t errlen)
{
    const char *norm = st_meta(f, "norm");
    if (gen_name_parse(st_meta(f, "netG"), c) ||
        (c->family >= GEN_GLOBAL && (meta_int(f, "n_downsample_global", &c->n_down) ||
                                     meta_int(f, "n_blocks_global", &c->depth))) ||
        (c->family == GEN_LOCAL && (meta_int(f, "n_local_enhancers", &c->n_local) ||
                                    meta_int(f, "n_blocks_local", &c->local_blocks))) ||
        meta_int(f, "input_nc", &c->input_nc) ||
        meta_int(f, "output_nc", &c->output_nc) || meta_int(f, "ngf", &c->ngf) || !norm ||
        net_norm_parse(norm, &c->norm) || meta_int(f, "use_dropout", &c->use_dropout) ||
        (st_meta(f, "upsample") && gen_upsample_parse(st_meta(f, "upsample"), &c->upsample))) {
        snprintf(err, errlen, "generator metadata incomplete or invalid (netG=%s)",
                 st_meta(f, "netG"));
        return -1;
    }
    return 0;
}

/* Reference keys: model.model.0 (outermost down conv), nested blocks at .1.model then .3.model;
 * the outermost up conv at model.model.3, or with resize-conv upsampling its Conv2d at
 * model.model.3.1 (weights [out, in, 3, 3], not [in, out, 4, 4]). */
static int unet_from_keys(const st_file *f, gen_config *c)
{
    const st_tensor *first = find4(f, "model.model.0.weight");
    const st_tensor *last = find4(f, "model.model.3.weight");
    const st_tensor *resize = find4(f, "model.model.3.1.weight");
    if (!first || (!last && !resize))
        return -1;
    c->family = GEN_UNET;
    c->ngf = (int)first->shape[0];
    c->input_nc = (int)first->shape[1];
    c->upsample = last ? GEN_UP_TRANSPOSED : GEN_UP_RESIZE_CONV;
    c->output_nc = (int)(last ? last->shape[1] : resize->shape[0]);
    char prefix[ENG_NAME_MAX * 2] = "model.model.1.model", key[ENG_NAME_MAX * 2 + 16];
    int depth = 1;
    for (;;) {
        snprintf(key, sizeof key, "%s.1.weight", prefix);
        if (!find4(f, key) || strlen(prefix) + 16 >= sizeof prefix)
            break;
        depth++;
        strcat(prefix, ".3.model");
    }
    c->depth = depth;
    c->norm = has(f, "model.model.1.model.2.weight")  ? NORM_BATCH
              : has(f, "model.model.1.model.1.bias") ? NORM_INSTANCE
                                                      : NORM_NONE;
    c->use_dropout = 1; /* not visible in the keys; the reference trains pix2pix with it */
    return depth >= 5 ? 0 : -1;
}

/* ResnetGenerator's and pix2pixHD GlobalGenerator's keys: the 7x7 stem conv at model.1, then
 * (conv, norm, relu) per downsampling from model.4 to the first ResnetBlock
 * (model.<4 + 3 n_down>.conv_block), one index per block, (up, norm, relu) per upsampling; the
 * index after them in *next. Two downsamplings with biases only under instance norm are the
 * reference's ResNet; any other count, or biases in front of batch norm, pix2pixHD's global
 * generator. */
static int resnet_body_from_keys(const st_file *f, gen_config *c, int *next)
{
    const st_tensor *first = find4(f, "model.1.weight");
    if (!first || first->shape[2] != 7)
        return -1;
    char key[64];
    int start = 4;
    for (; start <= 4 + 3 * GEN_GLOBAL_MAX_DOWN; start += 3) {
        snprintf(key, sizeof key, "model.%d.conv_block.1.weight", start);
        if (find4(f, key))
            break;
    }
    if (start > 4 + 3 * GEN_GLOBAL_MAX_DOWN)
        return -1;
    c->n_down = (start - 4) / 3;
    c->ngf = (int)first->shape[0];
    c->input_nc = (int)first->shape[1];
    int blocks = 0;
    for (;; blocks++) {
        snprintf(key, sizeof key, "model.%d.conv_block.1.weight", start + blocks);
        if (!find4(f, key))
            break;
    }
    c->depth = blocks;
    snprintf(key, sizeof key, "model.%d.1.weight", start + blocks);
    c->upsample = find4(f, key) ? GEN_UP_RESIZE_CONV : GEN_UP_TRANSPOSED;
    snprintf(key, sizeof key, "model.%d.conv_block.6.weight", start);
    c->use_dropout = find4(f, key) != NULL;
    int bias = has(f, "model.1.bias");
    c->norm = has(f, "model.2.weight") ? NORM_BATCH : bias ? NORM_INSTANCE : NORM_NONE;
    c->family = c->n_down == 2 && bias == (c->norm == NORM_INSTANCE) ? GEN_RESNET : GEN_GLOBAL;
    *next = start + blocks + 3 * c->n_down;
    return 0;
}

static int resnet_from_keys(const st_file *f, gen_config *c)
{
    char key[64];
    int next;
    if (resnet_body_from_keys(f, c, &next))
        return -1;
    snprintf(key, sizeof key, "model.%d.weight", next + 1);
    const st_tensor *last = find4(f, key);
    if (!last)
        return -1;
    c->output_nc = (int)last->shape[0];
    return 0;
}

/* pix2pixHD LocalEnhancer's keys: the global generator's without its last conv, and
 * model<k>_1 / model<k>_2 for each enhancer k; the last one's output conv at
 * model<K>_2.<blocks + 4>. */
static int local_from_keys(const st_file *f, gen_config *c)
{
    char key[64];
    int levels = 0, next;
    for (; levels <= GEN_LOCAL_MAX; levels++) {
        snprintf(key, sizeof key, "model%d_1.1.weight", levels + 1);
        if (!find4(f, key))
            break;
    }
    if (!levels || resnet_body_from_keys(f, c, &next))
        return -1;
    snprintf(key, sizeof key, "model%d_1.1.weight", levels);
    const st_tensor *finest = find4(f, key);
    int blocks = 0;
    for (;; blocks++) {
        snprintf(key, sizeof key, "model1_2.%d.conv_block.1.weight", blocks);
        if (!find4(f, key))
            break;
    }
    snprintf(key, sizeof key, "model%d_2.%d.weight", levels, blocks + 4);
    const st_tensor *last = find4(f, key);
    if (!last || finest->shape[0] << levels != c->ngf)
        return -1;
    c->family = GEN_LOCAL;
    c->n_local = levels;
    c->local_blocks = blocks;
    c->ngf = (int)finest->shape[0];
    c->output_nc = (int)last->shape[0];
    return 0;
}

/* A file decides the network that gets built: sizes the networks cannot take (no filters, a
 * stride that overflows) are refused here. */
static int gen_config_valid(const gen_config *c, char *err, size_t errlen)
{
    if (c->family == GEN_LOCAL && (c->n_local < 1 || c->n_local > GEN_LOCAL_MAX ||
                                   c->local_blocks > GEN_GLOBAL_MAX_BLOCKS)) {
        snprintf(err, errlen, "unsupported local enhancer: %d enhancers (1 to %d), %d blocks "
                 "(0 to %d)", c->n_local, GEN_LOCAL_MAX, c->local_blocks,
                 GEN_GLOBAL_MAX_BLOCKS);
        return -1;
    }
    if (c->family >= GEN_GLOBAL && (c->n_down < 1 || c->n_down > GEN_GLOBAL_MAX_DOWN ||
                                    c->depth > GEN_GLOBAL_MAX_BLOCKS)) {
        snprintf(err, errlen, "unsupported global generator: %d downsamplings (1 to %d), %d "
                 "blocks (0 to %d)", c->n_down, GEN_GLOBAL_MAX_DOWN, c->depth,
                 GEN_GLOBAL_MAX_BLOCKS);
        return -1;
    }
    int depth_ok = c->family == GEN_UNET     ? c->depth >= 5 && c->depth <= 10
                   : c->family == GEN_RESNET ? c->depth >= 1 && c->depth <= 64
                                             : c->depth >= 0;
    /* The widest maps of the global generator: ngf * 2^(n_down + n_local) at most 2^16. */
    int widest = c->family >= GEN_GLOBAL ? c->n_down + c->n_local : 0;
    if (!depth_ok || c->ngf < 1 || c->ngf > 1 << (16 - widest) || c->input_nc < 1 ||
        c->input_nc > 64 || c->output_nc < 1 || c->output_nc > 64) {
        snprintf(err, errlen, "unsupported generator: depth %d, ngf %d, %d input and %d output "
                 "channels", c->depth, c->ngf, c->input_nc, c->output_nc);
        return -1;
    }
    return 0;
}

int ckpt_gen_config_keys(const st_file *f, gen_config *c, char *err, size_t errlen)
{
    memset(c, 0, sizeof *c);
    if (unet_from_keys(f, c) && local_from_keys(f, c) && resnet_from_keys(f, c)) {
        snprintf(err, errlen, "not a generator: neither U-Net nor ResNet keys%s",
                 has(f, "model.0.weight") ? " (a discriminator?)" : "");
        return -1;
    }
    int dropout;
    if (c->family == GEN_UNET && !meta_int(f, "use_dropout", &dropout))
        c->use_dropout = dropout != 0;
    /* A global generator of 2 downsamplings under instance norm has the ResNet's keys. */
    const char *netg = st_meta(f, "netG");
    if (c->family == GEN_RESNET && netg && !strcmp(netg, "global"))
        c->family = GEN_GLOBAL;
    return gen_config_valid(c, err, errlen);
}

int ckpt_gen_config(const st_file *f, gen_config *c, char *err, size_t errlen)
{
    memset(c, 0, sizeof *c);
    if (st_meta(f, "netG"))
        return gen_from_meta(f, c, err, errlen) ? -1 : gen_config_valid(c, err, errlen);
    return ckpt_gen_config_keys(f, c, err, errlen);
}

int ckpt_disc_config(const st_file *f, disc_config *c, char *err, size_t errlen)
{
    memset(c, 0, sizeof *c);
    /* spectral_norm'ed convs keep their weight as "weight_orig" (networks.h, net_sn_conv) */
    c->spectral = has(f, "net.0.weight_orig") || has(f, "model.0.weight_orig");
    const char *weight = c->spectral ? "weight_orig" : "weight";
    char key[64], patch_key[64];
    snprintf(key, sizeof key, "net.0.%s", weight);
    snprintf(patch_key, sizeof patch_key, "model.0.%s", weight);
    const st_tensor *first = find4(f, key);
    if (first) {
        c->family = DISC_PIXEL;
        c->norm = has(f, "net.3.weight") ? NORM_BATCH : has(f, "net.2.bias") ? NORM_INSTANCE
                                                                             : NORM_NONE;
    } else if ((first = find4(f, patch_key)) != NULL && first->shape[2] == 4) {
        c->family = DISC_NLAYERS;
        int layers = 0;
        for (;; layers++) {
            snprintf(key, sizeof key, "model.%d.%s", 2 + 3 * layers, weight);
            const st_tensor *t = find4(f, key);
            if (!t || t->shape[0] == 1)
                break;
        }
        c->n_layers = layers;
        c->norm = has(f, "model.3.weight") ? NORM_BATCH : has(f, "model.2.bias") ? NORM_INSTANCE
                                                                                 : NORM_NONE;
    } else {
        snprintf(err, errlen, "not a discriminator: no PatchGAN or pixel keys");
        return -1;
    }
    c->ndf = (int)first->shape[0];
    c->input_nc = (int)first->shape[1];
    do /* the critics of a multi-scale discriminator: down1., down2., ... */
        snprintf(key, sizeof key, "down%d.%s.%s", ++c->num_d,
                 c->family == DISC_PIXEL ? "net.0" : "model.0", weight);
    while (c->num_d < NET_MAX_CRITICS && has(f, key));
    if (c->family == DISC_NLAYERS && (c->n_layers < 1 || c->n_layers > 8)) {
        snprintf(err, errlen, "not a discriminator: PatchGAN with %d layers (1 to 8)",
                 c->n_layers);
        return -1;
    }
    if (c->ndf < 1 || c->ndf > 1 << 16 || c->input_nc < 1 || c->input_nc > 6) {
        snprintf(err, errlen, "unsupported discriminator: ndf %d, %d input channels", c->ndf,
                 c->input_nc);
        return -1;
    }
    return 0;
}
