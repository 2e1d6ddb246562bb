/* pix2pix inspect: what a model file holds. */
#include <stdio.h>

#include "app/model/checkpoint.h"
#include "app/cli/cli.h"
#include "app/cli/commands.h"
#include "app/model/model_file.h"

static void print_architecture(const st_file *f)
{
    char err[256], name[64];
    gen_config g;
    disc_config d;
    if (!ckpt_gen_config(f, &g, err, sizeof err)) {
        gen_name(&g, name, sizeof name);
        printf("network:    generator %s (%s, %s %d), input_nc %d, output_nc %d, ngf %d, "
               "norm %s, dropout %s\n",
               name, g.family == GEN_UNET ? "U-Net" : "ResNet",
               g.family == GEN_UNET ? "downsamplings" : "blocks", g.depth, g.input_nc,
               g.output_nc, g.ngf, net_norm_name(g.norm), g.use_dropout ? "yes" : "no");
    } else if (!ckpt_disc_config(f, &d, err, sizeof err)) {
        disc_name(&d, name, sizeof name);
        printf("network:    discriminator %s (%s", name,
               d.family == DISC_PIXEL ? "1x1 PatchGAN" : "PatchGAN");
        if (d.family == DISC_NLAYERS)
            printf(", %d layers", d.n_layers);
        printf("), input_nc %d, ndf %d, norm %s\n", d.input_nc, d.ndf, net_norm_name(d.norm));
    } else {
        printf("network:    not recognised (%s)\n", err);
    }
}

int cmd_inspect(int argc, char **argv)
{
    const char *path = NULL;
    const cli_spec spec = {"inspect", "pix2pix inspect FILE",
                           "Describes a model file (safetensors, or a PyTorch .pth state_dict):\n"
                           "architecture, parameter count, metadata.\n"
                           "\n"
                           "Exit status: 0 described; 1 not a readable model file;\n"
                           "2 invalid command line.",
                           NULL, 0, 1};
    int npos = 0, rc = cli_parse(&spec, argc, argv, &path, &npos);
    if (rc)
        return rc == CLI_HELP ? 0 : 2;
    if (!npos) {
        fprintf(stderr, "usage: %s\n", spec.usage);
        return 2;
    }
    char err[512];
    st_file *f = model_file_open(path, err, sizeof err);
    if (!f) {
        fprintf(stderr, "%s\n", err); /* its reason names the file */
        return 1;
    }
    printf("file:       %s\n", path);
    print_architecture(f);
    printf("parameters: %lld in %d tensors\n", ckpt_param_count(f), st_count(f));
    int nmeta = st_meta_count(f);
    if (!nmeta)
        printf("metadata:   none (a PyTorch state_dict, or converted from one: the architecture "
               "comes from the keys)\n");
    for (int i = 0; i < nmeta; i++)
        printf("%s%s: %s\n", i ? "            " : "metadata:   ", st_meta_key(f, i),
               st_meta(f, st_meta_key(f, i)));
    st_close(f);
    return 0;
}
