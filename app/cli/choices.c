/* The shared enumerated options' values (choices.h). */
#include "app/cli/choices.h"
#include "app/model/networks.h"

/* unet_N and resnet_Nblocks beyond the listed names: whatever the networks can build. */
static int netg_accepts(const char *value)
{
    gen_config c;
    return !gen_name_parse(value, &c);
}

static const char *const netg_names[] = {"unet_256", "unet_128", "resnet_9blocks",
                                         "resnet_6blocks", "global", "local", NULL};
const cli_choices cli_netg_choices = {
    netg_names, netg_accepts,
    "unet_N (N downsamplings, 5 to 10), resnet_Nblocks (N residual blocks, 1 to 64); global "
    "and local are pix2pixHD's GlobalGenerator and LocalEnhancer"};

static const char *const upsample_names[] = {"transposed", "resize-conv", NULL};
const cli_choices cli_upsample_choices = {upsample_names, NULL, NULL};

static const char *const netd_names[] = {"basic", "n_layers", "pixel", NULL};
const cli_choices cli_netd_choices = {netd_names, NULL, NULL};

static const char *const norm_names[] = {"batch", "instance", "none", NULL};
const cli_choices cli_norm_choices = {norm_names, NULL, NULL};

static const char *const gan_mode_names[] = {"vanilla", "lsgan", "hinge", NULL};
const cli_choices cli_gan_mode_choices = {gan_mode_names, NULL, NULL};

static const char *const direction_names[] = {"AtoB", "BtoA", NULL};
const cli_choices cli_direction_choices = {direction_names, NULL, NULL};

static const char *const preprocess_names[] = {"resize_and_crop", "crop", "scale_width",
                                               "scale_width_and_crop", "none", NULL};
const cli_choices cli_preprocess_choices = {preprocess_names, NULL, NULL};

static const char *const precision_names[] = {"fp32", "fp16", NULL};
const cli_choices cli_precision_choices = {precision_names, NULL, NULL};

static const char *const tune_names[] = {"off", "auto", NULL};
const cli_choices cli_tune_choices = {tune_names, NULL, NULL};
