/* pix2pix convert: a model file of any format (a PyTorch .pth state_dict, a safetensors file)
 * written as this program's safetensors: the same keys, floats as F32, counters as int64. */
#include <stdio.h>
#include <stdlib.h>

#include "app/model/checkpoint.h"
#include "app/cli/cli.h"
#include "app/cli/commands.h"
#include "app/model/model_file.h"
#include "base/text_line.h"

/* What --help says of pix2pix convert: its usage line, and the text below it. */
static const char usage[] = "pix2pix convert IN OUT.safetensors";
static const char summary[] =
    "Writes a model file as this program's safetensors, with the same keys: a PyTorch\n"
    "state_dict saved by torch.save (a .pth file of the reference, zip or legacy format;\n"
    "fp16, bf16 and fp64 tensors become fp32, DataParallel's module. prefixes go) or a\n"
    "safetensors file. The file must hold a known generator or discriminator. Other\n"
    "commands also read .pth files as they are: converting only saves the decoding.\n"
    "\n"
    "Exit status: 0 written; 1 IN cannot be used or OUT not written; 2 invalid command line.";

/* The network the file holds (into what), checked tensor by tensor and value by value so that
 * the converted file loads. */
static int check_network(const st_file *f, const char *path, char *what, size_t whatlen,
                         char *err, size_t errlen)
{
    char gwhy[256], dwhy[256], name[64];
    gen_config gc;
    disc_config dc;
    eng_graph *g = eng_graph_new();
    net n;
    net_init_struct(&n, g, "", 0, 0, 0);
    int rc = 0;
    if (!ckpt_gen_config(f, &gc, gwhy, sizeof gwhy)) {
        int s = gen_min_side(&gc);
        net_generator(&n, &gc, eng_input4(g, "input", 1, gc.input_nc, s, s));
        gen_name(&gc, name, sizeof name);
        snprintf(what, whatlen, "generator %s", name);
    } else if (!ckpt_disc_config(f, &dc, dwhy, sizeof dwhy)) {
        int s = disc_min_side(&dc);
        net_discriminator(&n, &dc, eng_input4(g, "input", 1, dc.input_nc, s, s));
        disc_name(&dc, name, sizeof name);
        snprintf(what, whatlen, "discriminator %s", name);
    } else {
        snprintf(err, errlen, "%s: the keys fit no known network (%s; %s)", path, gwhy, dwhy);
        rc = -1;
    }
    rc = rc || ckpt_check_net(&n, f, path, err, errlen) || ckpt_check_values(f, path, err, errlen);
    net_release(&n);
    eng_graph_free(g);
    return rc;
}

/* Every tensor in the file's order; floats of other widths converted to F32 (in bufs).
 * 0, or -1 with the reason, naming the file, in eng_last_error(). */
static int write_tensors(const st_file *f, const char *path, float **bufs)
{
    st_writer *w = st_writer_new();
    int rc = w ? 0 : -1;
    for (int i = 0; i < st_count(f) && !rc; i++) {
        const st_tensor *t = st_get(f, i);
        const void *data = t->data;
        st_dtype dtype = t->dtype;
        if (dtype == ST_F16 || dtype == ST_BF16 || dtype == ST_F64) {
            if (!(bufs[i] = malloc(sizeof **bufs * (t->numel ? t->numel : 1)))) {
                rc = -1;
                break;
            }
            st_to_f32(t, bufs[i]);
            data = bufs[i];
            dtype = ST_F32;
        }
        rc = st_writer_add(w, t->name, dtype, t->ndim, t->shape, data);
    }
    if (rc)
        eng_set_error(rc, "%s: out of memory", path);
    else
        rc = st_writer_save(w, path); /* its reason names the file */
    st_writer_free(w);
    return rc;
}

int cmd_convert(int argc, char **argv)
{
    const char *pos[2] = {NULL, NULL};
    const cli_spec spec = {"convert", usage, summary, NULL, 0, 2};
    int npos = 0, status = cli_exit_status(cli_parse(&spec, argc, argv, pos, &npos));
    if (status >= 0)
        return status;
    if (npos != 2) {
        fprintf(stderr, "usage: %s\n", spec.usage);
        return 2;
    }
    char err[1024], what[128];
    st_file *f = model_file_open(pos[0]);
    if (!f || check_network(f, pos[0], what, sizeof what, err, sizeof err)) {
        text_line(stderr, "%s", f ? err : eng_last_error());
        st_close(f);
        return 1;
    }
    float **bufs = calloc((size_t)st_count(f) + 1, sizeof *bufs);
    int rc = bufs ? write_tensors(f, pos[1], bufs) : -1;
    if (rc)
        text_line(stderr, "%s", bufs ? eng_last_error() : "pix2pix convert: out of memory");
    else
        text_line(stdout, "%s: %s, %lld parameters in %d tensors", pos[1], what,
                  ckpt_param_count(f), st_count(f));
    for (int i = 0; bufs && i < st_count(f); i++)
        free(bufs[i]);
    free(bufs);
    st_close(f);
    return rc ? 1 : 0;
}
