/* The network options of bench and tune (net_opts.h). Their names were checked by the
 * parser (choices.h); these checks hold for options filled otherwise. */
#include <stdio.h>

#include "app/cli/net_opts.h"

static int unknown(const char *cmd, const char *option, const char *value)
{
    fprintf(stderr, "pix2pix %s: unknown %s '%s' (see --help)\n", cmd, option, value);
    return 2;
}

/* The sizes of pix2pixHD's generators into gc (global, local); 0, or 2 after saying which. */
static int hd_sizes(const char *cmd, const cli_net_opts *n, gen_config *gc)
{
    if (gc->family != GEN_GLOBAL && gc->family != GEN_LOCAL)
        return 0;
    const struct { const char *name; int value, lo, hi; } sizes[] = {
        {"--n-downsample-global", n->n_downsample_global, 1, GEN_GLOBAL_MAX_DOWN},
        {"--n-blocks-global", n->n_blocks_global, 0, GEN_GLOBAL_MAX_BLOCKS},
        {"--n-local-enhancers", n->n_local_enhancers, 1, GEN_LOCAL_MAX},
        {"--n-blocks-local", n->n_blocks_local, 0, GEN_GLOBAL_MAX_BLOCKS},
    };
    for (int i = 0; i < (gc->family == GEN_LOCAL ? 4 : 2); i++)
        if (sizes[i].value < sizes[i].lo || sizes[i].value > sizes[i].hi) {
            fprintf(stderr, "pix2pix %s: %s must be %d to %d, not %d\n", cmd, sizes[i].name,
                    sizes[i].lo, sizes[i].hi, sizes[i].value);
            return 2;
        }
    gc->n_down = n->n_downsample_global;
    gc->depth = n->n_blocks_global;
    gc->use_dropout = 0; /* pix2pixHD's generators have none */
    if (gc->family == GEN_LOCAL) {
        gc->n_local = n->n_local_enhancers;
        gc->local_blocks = n->n_blocks_local;
    }
    return 0;
}

int cli_net_configs(const char *cmd, const cli_net_opts *n, gen_config *gc, disc_config *dc)
{
    *gc = (gen_config){.input_nc = 3, .output_nc = 3, .ngf = n->ngf,
                       .use_dropout = gc->use_dropout};
    *dc = (disc_config){.input_nc = 6, .ndf = n->ndf};
    if (gen_name_parse(n->netG, gc))
        return unknown(cmd, "--netG", n->netG);
    if (hd_sizes(cmd, n, gc))
        return 2;
    if (gen_upsample_parse(n->upsample, &gc->upsample))
        return unknown(cmd, "--upsample", n->upsample);
    if (disc_name_parse(n->netD, n->n_layers_d, dc)) { /* the parser took the name */
        fprintf(stderr, "pix2pix %s: --n-layers-d must be 1 to 8 for --netD n_layers, not %d\n",
                cmd, n->n_layers_d);
        return 2;
    }
    if (net_norm_parse(n->norm, &gc->norm))
        return unknown(cmd, "--norm", n->norm);
    if (n->ngf < 1 || n->ndf < 1) {
        fprintf(stderr, "pix2pix %s: --ngf and --ndf must be at least 1\n", cmd);
        return 2;
    }
    if (n->num_d < 1 || n->num_d > NET_MAX_CRITICS) {
        fprintf(stderr, "pix2pix %s: --num-d must be 1 to %d, not %d\n", cmd, NET_MAX_CRITICS,
                n->num_d);
        return 2;
    }
    dc->norm = gc->norm;
    dc->num_d = n->num_d;
    dc->spectral = n->spectral_norm;
    return 0;
}
