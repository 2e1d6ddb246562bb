#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app/checkpoint.h"
#include "app/generator.h"

/* Checks every tensor of the file against the network its configuration describes, on a
 * graph without memory, so that a wrong file fails once here rather than once per image. */
static int check_file(const st_file *f, const gen_config *cfg, const char *path, char *err,
                      size_t errlen)
{
    if ((cfg->input_nc != 1 && cfg->input_nc != 3) ||
        (cfg->output_nc != 1 && cfg->output_nc != 3)) {
        snprintf(err, errlen, "%s: images have 1 or 3 channels; the generator takes %d, gives %d",
                 path, cfg->input_nc, cfg->output_nc);
        return -1;
    }
    eng_graph *g = eng_graph_new();
    net n;
    int s = gen_min_side(cfg);
    net_init_struct(&n, g, "", 0, 0, 0);
    net_generator(&n, cfg, eng_input4(g, "input", 1, cfg->input_nc, s, s));
    int rc = ckpt_check_net(&n, f, path, err, errlen);
    net_release(&n);
    eng_graph_free(g);
    return rc;
}

int generator_open(generator *r, const char *path, eng_backend *be, int eval, uint64_t seed,
                   char *err, size_t errlen)
{
    memset(r, 0, sizeof *r);
    char why[512];
    r->file = st_open(path, err, errlen); /* its reason names the file */
    if (!r->file)
        return -1;
    if (ckpt_gen_config(r->file, &r->cfg, why, sizeof why)) {
        snprintf(err, errlen, "%s: %s", path, why);
        st_close(r->file);
        r->file = NULL;
        return -1;
    }
    if (check_file(r->file, &r->cfg, path, err, errlen)) {
        st_close(r->file);
        r->file = NULL;
        return -1;
    }
    const char *size = st_meta(r->file, "crop_size");
    r->image_size = size ? atoi(size) : 256;
    int stride = gen_stride(&r->cfg);
    if (r->image_size <= 0 || r->image_size % stride) /* round up to a size the net accepts */
        r->image_size = (r->image_size > 0 ? (r->image_size + stride - 1) / stride : 1) * stride;
    if (r->image_size < gen_min_side(&r->cfg))
        r->image_size = gen_min_side(&r->cfg);
    snprintf(r->path, sizeof r->path, "%s", path);
    r->be = be;
    r->eval = eval;
    r->seed = (uint32_t)seed;
    return 0;
}

static void drop_plan(generator *r)
{
    if (r->plan)
        eng_plan_free(r->plan);
    net_release(&r->G);
    if (r->g)
        eng_graph_free(r->g);
    r->plan = NULL;
    r->g = NULL;
    r->h = r->w = 0;
}

static int build_plan(generator *r, int h, int w, char *err, size_t errlen)
{
    drop_plan(r);
    r->g = eng_graph_new();
    r->in = eng_input4(r->g, "input", 1, r->cfg.input_nc, h, w);
    net_init_struct(&r->G, r->g, "", !r->eval, !r->eval, r->seed);
    r->out = net_generator(&r->G, &r->cfg, r->in);
    eng_forward(r->g, r->out);
    eng_reuse_values(r->g); /* the host reads only the output */
    r->plan = eng_plan_new(r->g, r->be);
    if (!r->plan) {
        snprintf(err, errlen, "cannot allocate the network for %dx%d: %s", w, h,
                 eng_last_error());
        drop_plan(r);
        return -1;
    }
    if (ckpt_load_net(&r->G, r->plan, r->file, r->path, err, errlen)) {
        drop_plan(r);
        return -1;
    }
    r->h = h;
    r->w = w;
    return 0;
}

int generator_run(generator *r, const float *in, int h, int w, float *out, char *err,
                  size_t errlen)
{
    int stride = gen_stride(&r->cfg);
    if (h % stride || w % stride || h < gen_min_side(&r->cfg) || w < gen_min_side(&r->cfg)) {
        snprintf(err, errlen, "size %dx%d is not a multiple of %d of at least %d", w, h, stride,
                 gen_min_side(&r->cfg));
        return -1;
    }
    if ((h != r->h || w != r->w) && build_plan(r, h, w, err, errlen))
        return -1;
    if (eng_plan_write(r->plan, r->in, in) || eng_plan_run(r->plan) ||
        eng_plan_read(r->plan, r->out, out)) {
        snprintf(err, errlen, "running the generator failed: %s", eng_last_error());
        return -1;
    }
    return 0;
}

void generator_close(generator *r)
{
    drop_plan(r);
    if (r->file)
        st_close(r->file);
    r->file = NULL;
}
