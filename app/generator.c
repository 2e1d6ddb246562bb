#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app/checkpoint.h"
#include "app/finite.h"
#include "app/generator.h"
#include "app/model_file.h"
#include "app/resources.h"

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
    int rc = ckpt_check_net(&n, f, path, err, errlen) || ckpt_check_values(f, path, err, errlen);
    net_release(&n);
    eng_graph_free(g);
    return rc;
}

int generator_open(generator *r, const char *path, eng_backend *be, int eval, uint64_t seed,
                   char *err, size_t errlen)
{
    memset(r, 0, sizeof *r);
    char why[512];
    r->file = model_file_open(path, err, errlen); /* its reason names the file */
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
    r->image = -1;
    return 0;
}

static void sized_net_free(sized_net *s)
{
    if (s->plan)
        eng_plan_free(s->plan);
    net_release(&s->G);
    if (s->g)
        eng_graph_free(s->g);
    memset(s, 0, sizeof *s);
}

/* Copies every tensor (weights and running statistics) of one plan into the other; the two
 * nets have the same tensors in the same order. */
static int copy_weights(const sized_net *from, sized_net *to)
{
    size_t largest = 1;
    for (int i = 0; i < from->G.n; i++)
        if (from->G.t[i].node->numel > largest)
            largest = from->G.t[i].node->numel;
    float *buf = malloc(largest * sizeof *buf);
    int rc = buf ? 0 : eng_set_error(ENG_ENOMEM, "out of memory");
    for (int i = 0; i < from->G.n && !rc; i++)
        rc = eng_plan_read(from->plan, from->G.t[i].node, buf) ||
             eng_plan_write(to->plan, to->G.t[i].node, buf);
    free(buf);
    return rc;
}

/* The new plan is checked against the memory with the previous one, which is still held while
 * the weights move over. */
static int check_memory(const generator *r, eng_graph *g, int h, int w, size_t extra, char *err,
                        size_t errlen)
{
    size_t held = 0;
    if (r->cur.plan && eng_plan_estimate(r->cur.g, r->be, &held) != ENG_OK)
        held = 0;
    char what[64];
    snprintf(what, sizeof what, "translating at %dx%d", w, h);
    return app_plan_check(g, r->be, extra + held, what, err, errlen);
}

/* A plan for h x w. The weights come from the file the first time (which is then closed: its
 * hundreds of megabytes need not stay in memory), then from the previous plan, which is kept
 * when the new one fails (an image too large for memory spoils only itself). */
static int build_plan(generator *r, int h, int w, size_t extra, char *err, size_t errlen)
{
    sized_net s = {0};
    s.g = eng_graph_new();
    s.in = eng_input4(s.g, "input", 1, r->cfg.input_nc, h, w);
    net_init_struct(&s.G, s.g, "", !r->eval, !r->eval, r->seed);
    s.out = net_generator(&s.G, &r->cfg, s.in);
    eng_forward(s.g, s.out);
    eng_reuse_values(s.g); /* the host reads only the output */
    if (check_memory(r, s.g, h, w, extra, err, errlen)) {
        sized_net_free(&s);
        return -1;
    }
    s.plan = eng_plan_new(s.g, r->be);
    if (!s.plan) {
        snprintf(err, errlen, "cannot allocate the network for %dx%d: %s", w, h,
                 eng_last_error());
        sized_net_free(&s);
        return -1;
    }
    sized_net *old = &r->cur;
    int failed = old->plan ? copy_weights(old, &s)
                           : ckpt_load_net(&s.G, s.plan, r->file, r->path, err, errlen);
    if (failed) {
        if (old->plan)
            snprintf(err, errlen, "cannot move the weights to the network for %dx%d: %s", w, h,
                     eng_last_error());
        sized_net_free(&s);
        return -1;
    }
    if (old->plan) {
        sized_net_free(old);
    } else {
        st_close(r->file);
        r->file = NULL;
    }
    r->cur = s;
    r->h = h;
    r->w = w;
    return 0;
}

int generator_prepare(generator *r, int h, int w, size_t extra, char *err, size_t errlen)
{
    int stride = gen_stride(&r->cfg);
    if (h % stride || w % stride || h < gen_min_side(&r->cfg) || w < gen_min_side(&r->cfg)) {
        snprintf(err, errlen, "size %dx%d is not a multiple of %d of at least %d", w, h, stride,
                 gen_min_side(&r->cfg));
        return -1;
    }
    return h == r->h && w == r->w ? 0 : build_plan(r, h, w, extra, err, errlen);
}

int generator_run(generator *r, const float *in, int h, int w, float *out, char *err,
                  size_t errlen)
{
    if (generator_prepare(r, h, w, 0, err, errlen))
        return -1;
    if (r->image >= 0)
        eng_plan_set_runs(r->cur.plan, (uint32_t)r->image);
    if (eng_plan_write(r->cur.plan, r->cur.in, in) || eng_plan_run(r->cur.plan) ||
        eng_plan_read(r->cur.plan, r->cur.out, out)) {
        snprintf(err, errlen, "running the generator failed: %s", eng_last_error());
        return -1;
    }
    /* An image computed from NaN is never written. */
    long long bad = first_nonfinite(out, (size_t)r->cur.out->numel);
    if (bad >= 0) {
        char what[16];
        describe_value(out[bad], what, sizeof what);
        snprintf(err, errlen, "the generator's output holds %s (value %lld of %lld); nothing "
                 "written", what, bad, (long long)r->cur.out->numel);
        return -1;
    }
    return 0;
}

void generator_close(generator *r)
{
    sized_net_free(&r->cur);
    if (r->file)
        st_close(r->file);
    r->file = NULL;
}
