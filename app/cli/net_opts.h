/* The network options that bench and tune share: which generator and discriminator, their
 * widths and their normalization, as command-line options and as network configurations. */
#ifndef APP_CLI_NET_OPTS_H
#define APP_CLI_NET_OPTS_H

#include "app/cli/choices.h"
#include "app/cli/cli.h"
#include "app/model/networks.h"

typedef struct {
    const char *netG, *upsample, *netD, *norm;
    int ngf, ndf, n_layers_d;
    int num_d; /* the discriminator's critics (pix2pixHD's multi-scale D) */
    int spectral_norm; /* spectral normalization on the critics' convs */
    /* --netG global and local: the sizes of pix2pixHD's generators, as train's options */
    int n_downsample_global, n_blocks_global, n_local_enhancers, n_blocks_local;
} cli_net_opts;

#define CLI_NET_DEFAULTS                                                                         \
    {.netG = "unet_256", .upsample = "transposed", .netD = "basic", .norm = "batch", .ngf = 64,   \
     .ndf = 64, .n_layers_d = 3, .num_d = 1, .n_downsample_global = 4, .n_blocks_global = 9,    \
     .n_local_enhancers = 1, .n_blocks_local = 3}

/* The cli_opt entries of a cli_net_opts n. */
#define CLI_NET_OPTIONS(n)                                                                       \
    {"netG", CLI_CHOICE, CLI_CHOICE_OF((n).netG, cli_netg_choices), "generator"},                \
    {"upsample", CLI_CHOICE, CLI_CHOICE_OF((n).upsample, cli_upsample_choices),                  \
     "the generator's upsampling: transposed conv, or nearest 2x + 3x3 conv"},                  \
    {"netD", CLI_CHOICE, CLI_CHOICE_OF((n).netD, cli_netd_choices),                              \
     "discriminator: basic (70x70 PatchGAN), n_layers (--n-layers-d), pixel (1x1)"},            \
    {"n-layers-d", CLI_INT, &(n).n_layers_d, "layers of netD n_layers, 1 to 8"},                 \
    {"num-d", CLI_INT, &(n).num_d,                                                               \
     "critics of the discriminator, 1 to 8 (pix2pixHD's multi-scale D, as train --num-d)"},      \
    {"spectral-norm", CLI_FLAG, &(n).spectral_norm,                                              \
     "spectral normalization on the critics' convs (as train --spectral-norm)"},                \
    {"norm", CLI_CHOICE, CLI_CHOICE_OF((n).norm, cli_norm_choices), "normalization layers"},     \
    {"ngf", CLI_INT, &(n).ngf, "generator filters in the first conv layer"},                     \
    {"n-downsample-global", CLI_INT, &(n).n_downsample_global,                                   \
     "--netG global/local: the global generator's downsamplings, 1 to 8"},                      \
    {"n-blocks-global", CLI_INT, &(n).n_blocks_global,                                           \
     "--netG global/local: the global generator's residual blocks, 0 to 64"},                   \
    {"n-local-enhancers", CLI_INT, &(n).n_local_enhancers, "--netG local: enhancers, 1 to 3"},   \
    {"n-blocks-local", CLI_INT, &(n).n_blocks_local,                                             \
     "--netG local: residual blocks of each enhancer, 0 to 64"},                                \
    {"ndf", CLI_INT, &(n).ndf, "discriminator filters in the first conv layer"}

/* The configurations of a G and D for 3-channel images (gc->use_dropout is kept as the caller
 * set it); 2 after printing "pix2pix CMD: " and the option that is wrong, else 0. */
int cli_net_configs(const char *cmd, const cli_net_opts *n, gen_config *gc, disc_config *dc);

#endif
