#include "app/train/ckpt_options.h"

#include <stdio.h>
#include <string.h>

#include "app/model/model_file.h"
#include "engine/safetensors.h"

/* An option of the architecture: its metadata key in a network file, and this run's value. */
typedef struct {
    const char *key, *option;
    char here[32];
} arch_option;

/* How a value reads in the message: use_dropout as whether --no-dropout was given. */
static const char *shown(const arch_option *a, const char *value)
{
    if (!strcmp(a->key, "spectral_norm"))
        return !strcmp(value, "0") ? "not given" : "given";
    if (strcmp(a->key, "use_dropout"))
        return value;
    return !strcmp(value, "0") ? "given" : "not given";
}

/* Appends "OPTION HERE here, RECORDED in the checkpoint" to msg (of len bytes) for each
 * option of a[] whose value recorded in path differs. */
static void compare_file(const char *path, const arch_option *a, int n, char *msg, size_t len)
{
    st_file *f = model_file_open(path);
    if (!f)
        return;
    for (int i = 0; i < n; i++) {
        const char *recorded = st_meta(f, a[i].key);
        if (!recorded && !strcmp(a[i].key, "spectral_norm")) /* a D from before the option */
            recorded = "0";
        size_t used = strlen(msg);
        if (recorded && strcmp(recorded, a[i].here))
            snprintf(msg + used, len - used, "%s%s %s here, %s in the checkpoint",
                     used ? "; " : "", a[i].option, shown(&a[i], a[i].here),
                     shown(&a[i], recorded));
    }
    st_close(f);
}

int ckpt_options_check(const char *dir, const trainer_opts *o)
{
    arch_option g[] = {{"netG", "--netG", ""}, {"ngf", "--ngf", ""}, {"norm", "--norm", ""},
                       {"input_nc", "--input-nc", ""}, {"output_nc", "--output-nc", ""},
                       {"use_dropout", "--no-dropout", ""}, {"upsample", "--upsample", ""},
                       {"n_downsample_global", "--n-downsample-global", ""},
                       {"n_blocks_global", "--n-blocks-global", ""},
                       {"n_local_enhancers", "--n-local-enhancers", ""},
                       {"n_blocks_local", "--n-blocks-local", ""}};
    arch_option d[] = {{"netD", "--netD", ""}, {"n_layers", "--n-layers-d", ""},
                       {"ndf", "--ndf", ""}, {"num_D", "--num-d", ""},
                       {"spectral_norm", "--spectral-norm", ""}};
    gen_name(&o->gen, g[0].here, sizeof g[0].here);
    snprintf(g[1].here, sizeof g[1].here, "%d", o->gen.ngf);
    snprintf(g[2].here, sizeof g[2].here, "%s", net_norm_name(o->gen.norm));
    snprintf(g[3].here, sizeof g[3].here, "%d", o->gen.input_nc);
    snprintf(g[4].here, sizeof g[4].here, "%d", o->gen.output_nc);
    snprintf(g[5].here, sizeof g[5].here, "%d", o->gen.use_dropout);
    snprintf(g[6].here, sizeof g[6].here, "%s", gen_upsample_name(o->gen.upsample));
    snprintf(g[7].here, sizeof g[7].here, "%d", o->gen.n_down);
    snprintf(g[8].here, sizeof g[8].here, "%d", o->gen.depth);
    snprintf(g[9].here, sizeof g[9].here, "%d", o->gen.n_local);
    snprintf(g[10].here, sizeof g[10].here, "%d", o->gen.local_blocks);
    disc_name(&o->disc, d[0].here, sizeof d[0].here);
    snprintf(d[1].here, sizeof d[1].here, "%d", o->disc.n_layers);
    snprintf(d[2].here, sizeof d[2].here, "%d", o->disc.ndf);
    snprintf(d[3].here, sizeof d[3].here, "%d", net_critics(&o->disc));
    snprintf(d[4].here, sizeof d[4].here, "%d", o->disc.spectral);
    char path[4400], msg[2048] = "";
    snprintf(path, sizeof path, "%s/latest_net_G.safetensors", dir);
    compare_file(path, g, (int)(sizeof g / sizeof *g), msg, sizeof msg);
    snprintf(path, sizeof path, "%s/latest_net_D.safetensors", dir);
    compare_file(path, d, (int)(sizeof d / sizeof *d), msg, sizeof msg);
    if (!msg[0])
        return 0;
    fprintf(stderr, "pix2pix train: --continue: %s was trained with other options: %s (give "
            "the checkpoint's, or train without --continue)\n", dir, msg);
    return -1;
}
