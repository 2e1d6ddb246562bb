/* The pix2pix networks, built into an engine graph with the reference's layer structure:
 * U-Net (UnetSkipConnectionBlock), ResNet (ResnetGenerator), PatchGAN (NLayerDiscriminator)
 * and PixelDiscriminator. Every tensor carries its reference state_dict key, so checkpoints
 * converted from PyTorch load as they are. */
#ifndef APP_NETWORKS_H
#define APP_NETWORKS_H

#include <stddef.h>
#include <stdint.h>

#include "engine/engine.h"

typedef enum { NORM_BATCH, NORM_INSTANCE, NORM_NONE } net_norm;

/* GEN_GLOBAL: pix2pixHD's GlobalGenerator, a ResNet generator with n_down downsamplings
 * (pix2pixHD's n_downsample_global), depth blocks (n_blocks_global), a bias on every conv and
 * no dropout; with n_down 2 and instance norm it is the reference's ResnetGenerator.
 * GEN_LOCAL: pix2pixHD's LocalEnhancer, that global generator (of ngf * 2^n_local filters,
 * without its last conv) on the input downsampled n_local times, then n_local enhancers of
 * local_blocks blocks, each doubling the resolution. */
typedef enum { GEN_UNET, GEN_RESNET, GEN_GLOBAL, GEN_LOCAL } gen_family;
/* How the generator doubles its maps on the way up: the reference's transposed convolution,
 * or nearest 2x upsampling then a 3x3 stride-1 convolution (resize-convolution, free of
 * checkerboard artefacts), kept as PyTorch's nn.Sequential(nn.Upsample(scale_factor=2,
 * mode='nearest'), nn.Conv2d(in, out, 3, 1, 1)) in the transposed convolution's place: its
 * conv's keys are "<layer>.1.weight" and "<layer>.1.bias". */
typedef enum { GEN_UP_TRANSPOSED, GEN_UP_RESIZE_CONV } gen_upsample;
typedef struct {
    gen_family family;
    int depth;        /* U-Net: downsamplings (unet_256: 8, unet_128: 7); ResNet, global,
                       * local: the (global generator's) blocks */
    int input_nc, output_nc, ngf;
    net_norm norm;
    int use_dropout;
    gen_upsample upsample;
    int n_down;       /* global, local: the global generator's downsamplings (ResNet: 2) */
    int n_local;      /* local: enhancers (pix2pixHD's n_local_enhancers) */
    int local_blocks; /* local: blocks of each enhancer (n_blocks_local) */
} gen_config;

typedef enum { DISC_NLAYERS, DISC_PIXEL } disc_family;
typedef struct {
    disc_family family;
    int n_layers;     /* basic: 3 */
    int input_nc, ndf;
    net_norm norm;
    int num_d;        /* critics (pix2pixHD's multi-scale discriminator); 0 or 1: one */
    int spectral;     /* spectral normalization on every conv of every critic (net_sn_conv) */
} disc_config;
/* The most critics a discriminator has, and the most intermediate activations one gives (a
 * PatchGAN of n_layers, 8 at most, gives n_layers + 1). */
#define NET_MAX_CRITICS 8
#define NET_MAX_CRITIC_FEATS 10

/* "batch" | "instance" | "none"; returns 0 or -1. */
int net_norm_parse(const char *s, net_norm *out);
const char *net_norm_name(net_norm n);
/* "unet_256" | "unet_128" | "unet_<d>" (d downsamplings, d >= 5) | "resnet_9blocks" |
 * "resnet_6blocks" | "resnet_<n>blocks" | "global" (pix2pixHD's defaults: 4 downsamplings, 9
 * blocks) | "local" (pix2pixHD's: 1 enhancer of 3 blocks on that global generator). Sets
 * family, depth, n_down, n_local and local_blocks only. */
int gen_name_parse(const char *s, gen_config *c);
/* Canonical name of the architecture (inverse of gen_name_parse). */
void gen_name(const gen_config *c, char *buf, size_t len);
/* "transposed" | "resize-conv"; returns 0 or -1. */
int gen_upsample_parse(const char *s, gen_upsample *out);
const char *gen_upsample_name(gen_upsample u);
/* "basic" | "n_layers" (uses n_layers) | "pixel". Sets family and n_layers (basic: 3). */
int disc_name_parse(const char *s, int n_layers, disc_config *c);
void disc_name(const disc_config *c, char *buf, size_t len);
/* Limits of the global generator's sizes (the checks of the options and of model files). */
#define GEN_GLOBAL_MAX_DOWN 8
#define GEN_GLOBAL_MAX_BLOCKS 64
#define GEN_LOCAL_MAX 3 /* enhancers: the input side is a multiple of 2^(n_down + n_local) */
/* Input side length must be a multiple of this (U-Net: 2^depth, ResNet: 4, global:
 * 2^n_down, local: 2^(n_down + n_local)). */
int gen_stride(const gen_config *c);
/* Smallest input sides: normalisation needs more than one value per channel at the coarsest
 * level (the ResNet's 1/4 map, the PatchGAN's last two layers), and no map may vanish. */
int gen_min_side(const gen_config *c);
int disc_min_side(const disc_config *c);

/* How a tensor is initialised (reference init_weights 'normal', gain 0.02). */
/* INIT_UNIT: normal draws scaled to unit length (spectral norm's u and v, as PyTorch draws
 * them). */
typedef enum { INIT_NORMAL, INIT_NORM_WEIGHT, INIT_ZERO, INIT_ONE, INIT_UNIT } net_init;

typedef struct {
    char key[ENG_NAME_MAX]; /* state_dict key, e.g. model.model.1.model.2.running_mean */
    eng_node *node;
    int trainable;          /* parameter (else buffer) */
    int is_counter;         /* num_batches_tracked: an int64 scalar in files */
    net_init init;
} net_tensor;

/* One network inside a graph: its tensors (created on the first application, found again on
 * the next ones) and how it runs. */
/* Normalisation with statistics from outside the run (net.stats), so that the tiles of one
 * image can share the whole image's statistics. Each normalisation layer (batch or instance)
 * measures the per-channel mean and variance of its input over the run into seen_mean and
 * seen_var, through a side batch norm of momentum 1 whose output feeds only a sum (its memory
 * is reused at once); with NET_STATS_FIXED it normalises with the states mean and var instead
 * of the run's own statistics (as an eval-mode batch norm). */
typedef enum { NET_STATS_OFF, NET_STATS_MEASURE, NET_STATS_FIXED } net_stats_mode;
/* A U-Net cut at the block of depth net.split (exact tiles, app/translate/translate_exact.c):
 * the encoder runs the down path of the blocks above it and gives the split block's input; the
 * middle is the split block (and all inside it) on that input; the decoder runs the blocks
 * above it with the middle's output (net.mid) in the split block's place. */
typedef enum { UNET_ALL, UNET_ENCODER, UNET_MIDDLE, UNET_DECODER } unet_part;
typedef struct {
    eng_node *mean, *var;           /* NET_STATS_FIXED: what the layer normalises with */
    eng_node *seen_mean, *seen_var; /* after a run: its input's mean and unbiased variance */
    int channels;
    double count;                   /* values per channel in one run */
} net_norm_site;

typedef struct {
    eng_graph *g;
    char prefix[16];        /* graph node names are prefix + key, so G and D share a graph */
    net_tensor *t;
    int n, cap;
    int training;           /* BatchNorm: batch statistics (and running-stat updates) */
    int dropout;            /* Dropout layers active */
    uint32_t dropout_seed;
    int ndropout;           /* dropout layers created so far (each gets its own seed) */
    net_stats_mode stats;   /* set before applying the network; OFF after net_init_struct */
    net_norm_site *sites;   /* with stats: one per normalisation layer, in network order */
    int nsites, cap_sites;
    unet_part part;         /* set before applying a U-Net; UNET_ALL after net_init_struct */
    int split;              /* with part: the depth of the split block (2 or more) */
    eng_node *mid;          /* UNET_DECODER: the middle's output, given */
    eng_node *cut;          /* UNET_ENCODER: the split block's input, found */
} net;

void net_init_struct(net *n, eng_graph *g, const char *prefix, int training, int dropout,
                     uint32_t dropout_seed);
void net_release(net *n);
const net_tensor *net_find_key(const net *n, const char *key);
/* Number of trainable values. */
long long net_param_count(const net *n);
/* The trainable nodes, in state_dict order (caller frees). */
eng_node **net_params(const net *n, int *count);

/* Apply the network to x; the output node. With several critics (c->num_d > 1) the
 * discriminator applies all of them (every tensor exists) and returns critic 0's output. */
eng_node *net_generator(net *n, const gen_config *c, eng_node *x);
eng_node *net_discriminator(net *n, const disc_config *c, eng_node *x);

/* pix2pixHD's MultiscaleDiscriminator (net_multiscale.c): critic i, of the single critic's
 * architecture, judges the pair downsampled i times by avg_pool2d(3, stride 2, padding 1,
 * count_include_pad=False). Critic 0's keys are the single critic's ("model.0.weight"), so
 * that one critic's files are as before; critic i > 0's are prefixed "down<i>."
 * ("down1.model.0.weight"). pix2pixHD numbers its scales the other way round. */
int net_critics(const disc_config *c);
/* " (N critics)" after a discriminator's name in messages, or "" for one. */
void net_critics_note(const disc_config *c, char *buf, size_t len);
/* levels[0] = x, levels[i] = levels[i - 1] downsampled, for each critic. */
void net_critic_inputs(eng_graph *g, const disc_config *c, eng_node *x, eng_node **levels);
/* The outputs of a critic's LeakyReLUs, pix2pixHD's GANFeat features: n_layers + 1 of a
 * PatchGAN, 2 of the pixel discriminator. */
typedef struct {
    eng_node *f[NET_MAX_CRITIC_FEATS];
    int n;
    int only; /* internal: no prediction made */
} net_critic_feats;
/* Critic i applied to x (its level); its prediction. feats, when not NULL, gets its
 * features. */
eng_node *net_critic(net *n, const disc_config *c, int i, eng_node *x, net_critic_feats *feats);
/* Critic i's features of x alone: the layers after its last feature are not applied. */
void net_critic_features(net *n, const disc_config *c, int i, eng_node *x,
                         net_critic_feats *feats);

/* Writes initial values into a plan: N(0, 0.02) weights, N(1, 0.02) norm weights, zero
 * biases and means, unit variances, from a seeded generator. Returns 0 or an engine status
 * (eng_last_error() says why); out of memory ends the process (net_out_of_memory). */
int net_init_weights(const net *n, eng_plan *p, uint64_t seed);

/* ---- used by the network files ---------------------------------------------------------- */
/* Building a network has no way back from a failed allocation (nor has the engine building
 * its graph): says so on stderr and ends the process with status 1. */
_Noreturn void net_out_of_memory(void);
eng_node *net_tensor_get(net *n, const char *key, int ndim, const int *shape, int trainable,
                         net_init init);
/* Conv2d / ConvTranspose2d with kernel k; key is the layer prefix ("model.0"). */
eng_node *net_conv(net *n, const char *key, eng_node *x, int cin, int cout, int k, int stride,
                   int pad, int bias);
/* net_conv under torch.nn.utils.spectral_norm (eps 1e-12, one power iteration): the tensors of
 * a spectral_norm'ed Conv2d's state_dict, "<key>.bias" (when bias), "<key>.weight_orig" and
 * the buffers "<key>.weight_u" [cout] and "<key>.weight_v" [cin * k * k]; each application
 * of the layer does one power iteration, as each forward of PyTorch's module does. */
eng_node *net_sn_conv(net *n, const char *key, eng_node *x, int cin, int cout, int k, int stride,
                      int pad, int bias);
eng_node *net_conv_t(net *n, const char *key, eng_node *x, int cin, int cout, int k, int stride,
                     int pad, int out_pad, int bias);
/* A generator's 2x upsampling at key from cin to cout channels: with GEN_UP_TRANSPOSED the
 * transposed conv of kernel k, padding pad and output padding out_pad; with
 * GEN_UP_RESIZE_CONV nearest 2x then a 3x3 conv (padding 1) at "<key>.1". */
eng_node *net_upsample(net *n, const gen_config *c, const char *key, eng_node *x, int cin,
                       int cout, int k, int pad, int out_pad, int bias);
/* The norm layer at key (a pass-through for NORM_NONE). */
eng_node *net_norm_layer(net *n, const char *key, eng_node *x, net_norm norm, int channels);
/* net_norm_layer with n->stats set (net_norm_sites.c); w, b, count: the batch norm's weight,
 * bias and counter (NULL for instance norm). */
eng_node *net_norm_site_layer(net *n, eng_node *x, net_norm norm, eng_node *w, eng_node *b,
                              eng_node *mean, eng_node *var, eng_node *count);
eng_node *net_dropout(net *n, eng_node *x);
eng_node *net_unet(net *n, const gen_config *c, eng_node *x);
/* Channels of the input of the U-Net block at depth d >= 2 (those the block above produces). */
int unet_block_channels(const gen_config *c, int d);
/* The ResNet and the global generator (both ResnetGenerator's layout of keys). */
eng_node *net_resnet(net *n, const gen_config *c, eng_node *x);
/* The global generator of c (family GEN_GLOBAL) up to its last upsampling's ReLU: its
 * ngf-channel maps at x's size; *next gets the index of the layer after it. */
eng_node *net_resnet_body(net *n, const gen_config *c, eng_node *x, int *next);
/* ResnetBlock "<prefix>" of dim channels: x + [pad, conv3, norm, relu, (dropout), pad, conv3,
 * norm](x), keys <prefix>.conv_block.<i>. */
eng_node *net_resnet_block(net *n, const gen_config *c, const char *prefix, int dim,
                           eng_node *x);
eng_node *net_local(net *n, const gen_config *c, eng_node *x);

#endif
