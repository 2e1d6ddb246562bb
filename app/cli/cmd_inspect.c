/* pix2pix inspect: what a model file holds. */
#include <cjson/cJSON.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app/model/checkpoint.h"
#include "app/cli/cli.h"
#include "app/cli/commands.h"
#include "app/common/float_text.h"
#include "app/model/model_file.h"

/* What --help says of pix2pix inspect: its usage line, and the text below it. */
static const char usage[] = "pix2pix inspect FILE";
static const char summary[] =
    "Describes a model file (safetensors, or a PyTorch .pth state_dict):\n"
    "architecture (from its tensors: a note where the metadata\n"
    "disagrees), parameter count, metadata.\n"
    "\n"
    "Exit status: 0 described; 1 not a readable model file;\n"
    "2 invalid command line.";

/* One metadata entry against what the tensors show (NULL: nothing to compare). */
typedef struct {
    const char *key, *tensors;
} described;

/* Notes each metadata entry that disagrees with the tensors (an edited file, or metadata
 * copied from another network's): commands build what the metadata says, and fail on the
 * tensors. d[0] is the network's name. */
static void note_disagreements(const st_file *f, const described *d, int n)
{
    for (int i = 0; i < n; i++) {
        const char *meta = st_meta(f, d[i].key);
        if (!meta || !d[i].tensors || !strcmp(meta, d[i].tensors))
            continue;
        if (i == 0) /* the network's name */
            printf("note:       the metadata says %s %.60s, the tensors are a %s\n", d[i].key,
                   meta, d[i].tensors);
        else
            printf("note:       the metadata says %s %.60s, the tensors have %s %s\n", d[i].key,
                   meta, d[i].key, d[i].tensors);
    }
}

/* "U-Net, downsamplings 8" and the like. */
static void family_text(const gen_config *g, char *buf, size_t len)
{
    if (g->family == GEN_UNET)
        snprintf(buf, len, "U-Net, downsamplings %d", g->depth);
    else if (g->family == GEN_RESNET)
        snprintf(buf, len, "ResNet, blocks %d", g->depth);
    else if (g->family == GEN_GLOBAL)
        snprintf(buf, len, "pix2pixHD GlobalGenerator, downsamplings %d, blocks %d", g->n_down,
                 g->depth);
    else
        snprintf(buf, len, "pix2pixHD LocalEnhancer, enhancers %d of %d blocks, global "
                 "downsamplings %d, blocks %d", g->n_local, g->local_blocks, g->n_down,
                 g->depth);
}

static void describe_generator(const st_file *f, const gen_config *g)
{
    char name[64], family[128], in[16], out[16], ngf[16], drop[4], down[16], blocks[16],
        local[16], lblocks[16];
    gen_name(g, name, sizeof name);
    family_text(g, family, sizeof family);
    printf("network:    generator %s (%s), input_nc %d, output_nc %d, ngf %d, norm %s, "
           "dropout %s%s\n",
           name, family, g->input_nc, g->output_nc, g->ngf, net_norm_name(g->norm),
           g->use_dropout ? "yes" : "no",
           g->upsample == GEN_UP_RESIZE_CONV ? ", upsample resize-conv" : "");
    snprintf(in, sizeof in, "%d", g->input_nc);
    snprintf(out, sizeof out, "%d", g->output_nc);
    snprintf(ngf, sizeof ngf, "%d", g->ngf);
    snprintf(drop, sizeof drop, "%d", g->use_dropout);
    snprintf(down, sizeof down, "%d", g->n_down);
    snprintf(blocks, sizeof blocks, "%d", g->depth);
    snprintf(local, sizeof local, "%d", g->n_local);
    snprintf(lblocks, sizeof lblocks, "%d", g->local_blocks);
    int global = g->family >= GEN_GLOBAL, enhanced = g->family == GEN_LOCAL;
    const described d[] = {{"netG", name}, {"input_nc", in}, {"output_nc", out}, {"ngf", ngf},
                           {"norm", net_norm_name(g->norm)},
                           {"use_dropout", g->family != GEN_UNET ? drop : NULL},
                           {"upsample", gen_upsample_name(g->upsample)},
                           {"n_downsample_global", global ? down : NULL},
                           {"n_blocks_global", global ? blocks : NULL},
                           {"n_local_enhancers", enhanced ? local : NULL},
                           {"n_blocks_local", enhanced ? lblocks : NULL}};
    note_disagreements(f, d, (int)(sizeof d / sizeof *d));
}

static void describe_discriminator(const st_file *f, const disc_config *c)
{
    char name[64], in[16], ndf[16], layers[16], critics[16], spectral[4];
    disc_name(c, name, sizeof name);
    printf("network:    discriminator %s (%s", name,
           c->family == DISC_PIXEL ? "1x1 PatchGAN" : "PatchGAN");
    if (c->family == DISC_NLAYERS)
        printf(", %d layers", c->n_layers);
    if (net_critics(c) > 1)
        printf(", %d critics at 1/1 to 1/%d scale", net_critics(c), 1 << (net_critics(c) - 1));
    printf("), input_nc %d, ndf %d, norm %s%s\n", c->input_nc, c->ndf, net_norm_name(c->norm),
           c->spectral ? ", spectral norm" : "");
    snprintf(in, sizeof in, "%d", c->input_nc);
    snprintf(critics, sizeof critics, "%d", net_critics(c));
    snprintf(ndf, sizeof ndf, "%d", c->ndf);
    snprintf(layers, sizeof layers, "%d", c->n_layers);
    snprintf(spectral, sizeof spectral, "%d", c->spectral);
    const described d[] = {{"netD", name}, {"input_nc", in}, {"ndf", ndf},
                           {"norm", net_norm_name(c->norm)},
                           {"n_layers", c->family == DISC_NLAYERS ? layers : NULL},
                           {"num_D", critics}, {"spectral_norm", spectral}};
    note_disagreements(f, d, (int)(sizeof d / sizeof *d));
}

/* The network the keys and shapes describe, and where the metadata says otherwise. */
static void print_architecture(const st_file *f)
{
    char err[256];
    gen_config g;
    disc_config d;
    if (!ckpt_gen_config_keys(f, &g, err, sizeof err))
        describe_generator(f, &g);
    else if (!ckpt_disc_config(f, &d, err, sizeof err))
        describe_discriminator(f, &d);
    else
        printf("network:    not recognised (%s)\n", err);
}

/* Sets each fractional number of a JSON tree that is a float (as printed with 15 or 17
 * digits: within 1e-15 of it) to the float's shortest form. */
static void shorten_floats(cJSON *node)
{
    for (cJSON *c = node->child; c; c = c->next) {
        double v = c->valuedouble;
        if (cJSON_IsNumber(c) && v != floor(v) && fabs((double)(float)v - v) <= 1e-15 * fabs(v))
            cJSON_SetNumberValue(c, float_decimal((float)v));
        shorten_floats(c);
    }
}

/* A metadata value as stored; in a JSON one (the options), the floats that files written
 * before float_text hold as the float's double (0.000199999994947575) print shortest. */
static void print_meta_value(const char *value)
{
    cJSON *json = value[0] == '{' || value[0] == '[' ? cJSON_Parse(value) : NULL;
    char *text = NULL;
    if (json) {
        shorten_floats(json);
        text = cJSON_PrintUnformatted(json);
    }
    printf("%s\n", text ? text : value);
    free(text);
    cJSON_Delete(json);
}

int cmd_inspect(int argc, char **argv)
{
    const char *path = NULL;
    const cli_spec spec = {"inspect", usage, summary, NULL, 0, 1};
    int npos = 0, status = cli_exit_status(cli_parse(&spec, argc, argv, &path, &npos));
    if (status >= 0)
        return status;
    if (!npos) {
        fprintf(stderr, "usage: %s\n", spec.usage);
        return 2;
    }
    st_file *f = model_file_open(path);
    if (!f) {
        fprintf(stderr, "%s\n", eng_last_error()); /* its reason names the file */
        return 1;
    }
    printf("file:       %s\n", path);
    print_architecture(f);
    printf("parameters: %lld in %d tensors\n", ckpt_param_count(f), st_count(f));
    int nmeta = st_meta_count(f);
    if (!nmeta)
        printf("metadata:   none (a PyTorch state_dict, or converted from one)\n");
    for (int i = 0; i < nmeta; i++) {
        printf("%s%s: ", i ? "            " : "metadata:   ", st_meta_key(f, i));
        print_meta_value(st_meta(f, st_meta_key(f, i)));
    }
    st_close(f);
    return 0;
}
