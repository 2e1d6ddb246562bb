/* The network options of bench and tune (net_opts.h). Their names were checked by the
 * parser (choices.h); these checks hold for options filled otherwise. */
#include <stdio.h>

#include "app/cli/net_opts.h"

static int unknown(const char *cmd, const char *option, const char *value)
{
    fprintf(stderr, "pix2pix %s: unknown %s '%s' (see --help)\n", cmd, option, value);
    return 2;
}

int cli_net_configs(const char *cmd, const cli_net_opts *n, gen_config *gc, disc_config *dc)
{
    *gc = (gen_config){.input_nc = 3, .output_nc = 3, .ngf = n->ngf,
                       .use_dropout = gc->use_dropout};
    *dc = (disc_config){.input_nc = 6, .ndf = n->ndf};
    if (gen_name_parse(n->netG, gc))
        return unknown(cmd, "--netG", n->netG);
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
    return 0;
}
