#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app/model/checkpoint.h"
#include "app/common/finite.h"
#include "app/common/precision.h"
#include "app/model/generator.h"
#include "app/model/model_file.h"
#include "app/common/resources.h"

/* Checks every tensor of the file against the network its configuration describes, on a
 * graph without memory, so that a wrong file fails once here rather than once per image.
 * *bytes: the size of those tensors as floats. */
static int check_file(const st_file *f, const gen_config *cfg, const char *path, size_t *bytes,
                      char *err, size_t errlen)
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
    *bytes = 0;
    for (int i = 0; i < n.n; i++)
        *bytes += eng_node_numel(n.t[i].node) * sizeof(float);
    net_release(&n);
    eng_graph_free(g);
    return rc;
}

int generator_open(generator *r, const char *path, eng_backend *be, int eval, uint64_t seed,
                   char *err, size_t errlen)
{
    memset(r, 0, sizeof *r);
    char why[512];
    r->file = model_file_open(path);
    if (!r->file) {
        snprintf(err, errlen, "%s", eng_last_error()); /* its reason names the file */
        return -1;
    }
    if (ckpt_gen_config(r->file, &r->cfg, why, sizeof why)) {
        snprintf(err, errlen, "%s: %s", path, why);
        st_close(r->file);
        r->file = NULL;
        return -1;
    }
    if (check_file(r->file, &r->cfg, path, &r->weight_bytes, err, errlen)) {
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

/* Where each tensor of G lies in the stash, which holds the whole network's tensors in its
 * order (for a part, found by key in the whole network built on a graph without memory). NULL
 * when out of memory. */
static size_t *stash_offsets(const generator *r, const net *G)
{
    size_t *at = malloc(sizeof *at * (size_t)(G->n ? G->n : 1)), o = 0;
    if (!at || G->part == UNET_ALL) {
        for (int i = 0; at && i < G->n; o += eng_node_numel(G->t[i++].node))
            at[i] = o;
        return at;
    }
    eng_graph *g = eng_graph_new();
    net full;
    int side = gen_min_side(&r->cfg);
    net_init_struct(&full, g, "", 0, 0, 0);
    net_generator(&full, &r->cfg, eng_input4(g, "input", 1, r->cfg.input_nc, side, side));
    for (int i = 0; i < G->n; i++) {
        const net_tensor *t = net_find_key(&full, G->t[i].key);
        o = 0;
        for (const net_tensor *u = full.t; t && u != t; u++)
            o += eng_node_numel(u->node);
        at[i] = o;
    }
    net_release(&full);
    eng_graph_free(g);
    return at;
}

/* Moves the weights (and running statistics) of the current plan into r->stash (where those
 * of a part's plan join the others already there) and frees the plan, so that the next plan is
 * allocated with only the weights beside it. 0, or -1 with the reason in eng_last_error(). */
static int stash_weights(generator *r)
{
    float *buf = r->stash ? r->stash : malloc(r->weight_bytes ? r->weight_bytes : 1);
    size_t *at = buf ? stash_offsets(r, &r->cur.G) : NULL;
    if (!at) {
        if (buf != r->stash)
            free(buf);
        free(at);
        return eng_set_error(ENG_ENOMEM, "out of memory");
    }
    int rc = 0;
    for (int i = 0; i < r->cur.G.n && !rc; i++)
        rc = eng_plan_read(r->cur.plan, r->cur.G.t[i].node, buf + at[i]);
    free(at);
    if (rc) {
        if (buf != r->stash)
            free(buf);
        return rc;
    }
    sized_net_free(&r->cur);
    r->stash = buf;
    return 0;
}

static int unstash_weights(const generator *r, const sized_net *s)
{
    size_t *at = stash_offsets(r, &s->G);
    int rc = at ? 0 : -1;
    for (int i = 0; i < s->G.n && !rc; i++)
        rc = eng_plan_write(s->plan, s->G.t[i].node, r->stash + at[i]);
    free(at);
    return rc;
}

/* The new plan is checked against the memory before the current one makes way for it: the
 * weights wait in memory meanwhile (r->stash). */
static int check_memory(const generator *r, eng_graph *g, int h, int w, size_t extra, char *err,
                        size_t errlen)
{
    size_t held = r->cur.plan || r->stash ? r->weight_bytes : 0;
    char what[64];
    snprintf(what, sizeof what, "translating at %dx%d", w, h);
    return app_plan_check(g, r->be, extra + held, what, err, errlen);
}

static void build_graph(const generator *r, sized_net *s, net_stats_mode stats, unet_part part,
                        int h, int w)
{
    int cut = part == UNET_ALL ? 0 : unet_block_channels(&r->cfg, r->split);
    int a = part == UNET_ALL ? 1 : 1 << (r->split - 1);
    s->g = eng_graph_new();
    app_precision_apply(s->g, r->fp16);
    s->in = eng_input4(s->g, "input", 1, part == UNET_MIDDLE ? cut : r->cfg.input_nc, h, w);
    net_init_struct(&s->G, s->g, "", !r->eval, !r->eval, r->seed);
    s->G.stats = stats;
    s->G.part = s->part = part;
    s->G.split = r->split;
    if (part == UNET_DECODER)
        s->G.mid = s->mid = eng_input4(s->g, "middle", 1, 2 * cut, h / a, w / a);
    s->out = net_generator(&s->G, &r->cfg, s->in);
    s->stats = stats;
    s->h = h;
    s->w = w;
}

/* A plan for h x w. The weights come from the file the first time (which is then closed: its
 * hundreds of megabytes need not stay in memory), later from the previous plan through
 * r->stash, where they stay when the new plan fails (an image too large for memory spoils only
 * itself). */
static int build_plan(generator *r, net_stats_mode stats, unet_part part, int h, int w,
                      size_t extra, char *err, size_t errlen)
{
    sized_net s = {0};
    build_graph(r, &s, stats, part, h, w);
    eng_forward(s.g, s.out);
    eng_reuse_values(s.g); /* the host reads only the output and the statistics */
    if (check_memory(r, s.g, h, w, extra, err, errlen)) {
        sized_net_free(&s);
        return -1;
    }
    if (r->cur.plan && stash_weights(r)) {
        snprintf(err, errlen, "cannot move the weights to the network for %dx%d: %s", w, h,
                 eng_last_error());
        sized_net_free(&s);
        return -1;
    }
    s.plan = eng_plan_new(s.g, r->be);
    app_precision_note(s.plan, r->be, r->fp16, 0);
    if (!s.plan) {
        snprintf(err, errlen, "cannot allocate the network for %dx%d: %s", w, h,
                 eng_last_error());
        sized_net_free(&s);
        return -1;
    }
    int failed = r->stash ? unstash_weights(r, &s)
                          : ckpt_load_net(&s.G, s.plan, r->file, r->path, err, errlen);
    if (failed) {
        if (r->stash)
            snprintf(err, errlen, "cannot move the weights to the network for %dx%d: %s", w, h,
                     eng_last_error());
        sized_net_free(&s);
        return -1;
    }
    if (part == UNET_ALL) {
        free(r->stash);
        r->stash = NULL;
    }
    if (r->file) {
        st_close(r->file);
        r->file = NULL;
    }
    double px = (double)h * w, bytes = (double)eng_plan_bytes(s.plan);
    if (part == UNET_ALL && px > r->px_measured && bytes > r->weight_bytes) {
        r->px_bytes = (bytes - r->weight_bytes) / px;
        r->px_measured = px;
    }
    r->cur = s;
    return 0;
}

/* Writes use's statistics into the layers of a NET_STATS_FIXED plan, or adds what the layers
 * saw in the last run to seen (the variance made biased again: n-1 -> n). 0, or -1 with the
 * reason in eng_last_error(). */
static int exchange_stats(generator *r, const norm_stats *use, norm_stats *seen)
{
    const net *G = &r->cur.G;
    int most = 1;
    for (int l = 0; l < G->nsites; l++)
        most = G->sites[l].channels > most ? G->sites[l].channels : most;
    float *mean = malloc(sizeof *mean * (size_t)most), *var = malloc(sizeof *var * (size_t)most);
    if (!mean || !var) {
        free(mean);
        free(var);
        return eng_set_error(ENG_ENOMEM, "out of memory");
    }
    int rc = 0;
    for (int l = 0; l < G->nsites && !rc; l++) {
        const net_norm_site *site = &G->sites[l];
        if (use) {
            norm_stats_get(use, l, mean, var);
            rc = eng_plan_write(r->cur.plan, site->mean, mean) ||
                 eng_plan_write(r->cur.plan, site->var, var);
            continue;
        }
        rc = eng_plan_read(r->cur.plan, site->seen_mean, mean) ||
             eng_plan_read(r->cur.plan, site->seen_var, var);
        for (int c = 0; c < site->channels && !rc; c++)
            var[c] = (float)(var[c] * (site->count - 1) / site->count);
        if (!rc)
            norm_stats_add(seen, l, site->count, mean, var);
    }
    free(mean);
    free(var);
    return rc ? -1 : 0;
}

/* Makes the plan of part for h x w that normalises as stats says the current one. A part's
 * weights come from the stash: the whole network's plan takes them from the file first. */
static int use_plan(generator *r, net_stats_mode stats, unet_part part, int h, int w,
                    size_t extra, char *err, size_t errlen)
{
    int a = part == UNET_ALL ? 1 : 1 << (r->split - 1), stride = gen_stride(&r->cfg);
    int step = part == UNET_ALL ? stride : part == UNET_MIDDLE ? stride / a : a;
    int least = part == UNET_ALL ? gen_min_side(&r->cfg) : 1;
    if (h % step || w % step || h < least || w < least) {
        snprintf(err, errlen, "size %dx%d is not a multiple of %d of at least %d", w, h, step,
                 least);
        return -1;
    }
    if (part != UNET_ALL && r->file &&
        build_plan(r, NET_STATS_OFF, UNET_ALL, r->image_size, r->image_size, extra, err, errlen))
        return -1;
    const sized_net *s = &r->cur;
    return s->plan && h == s->h && w == s->w && stats == s->stats && part == s->part &&
                       s->G.split == r->split
               ? 0
               : build_plan(r, stats, part, h, w, extra, err, errlen);
}

int generator_prepare(generator *r, int h, int w, size_t extra, char *err, size_t errlen)
{
    return use_plan(r, NET_STATS_OFF, UNET_ALL, h, w, extra, err, errlen);
}

int generator_run_part(generator *r, unet_part part, const float *in, int h, int w,
                       const float *mid, const norm_stats *use, norm_stats *seen, float *out,
                       char *err, size_t errlen)
{
    net_stats_mode stats = use ? NET_STATS_FIXED : seen ? NET_STATS_MEASURE : NET_STATS_OFF;
    sized_net *s = &r->cur;
    if (use_plan(r, stats, part, h, w, 0, err, errlen))
        return -1;
    if (r->image >= 0)
        eng_plan_set_runs(s->plan, (uint32_t)r->image);
    if ((use && exchange_stats(r, use, NULL)) || eng_plan_write(s->plan, s->in, in) ||
        (s->mid && eng_plan_write(s->plan, s->mid, mid)) || eng_plan_run(s->plan) ||
        (seen && exchange_stats(r, NULL, seen)) || eng_plan_read(s->plan, s->out, out)) {
        snprintf(err, errlen, "running the generator failed: %s", eng_last_error());
        return -1;
    }
    /* An image computed from NaN is never written. */
    long long bad = first_nonfinite(out, (size_t)eng_node_numel(s->out));
    if (bad >= 0) {
        char what[16];
        describe_value(out[bad], what, sizeof what);
        snprintf(err, errlen, "the generator's output holds %s (value %lld of %lld); nothing "
                 "written", what, bad, (long long)eng_node_numel(s->out));
        return -1;
    }
    return 0;
}

int generator_run_stats(generator *r, const float *in, int h, int w, const norm_stats *use,
                        norm_stats *seen, float *out, char *err, size_t errlen)
{
    return generator_run_part(r, UNET_ALL, in, h, w, NULL, use, seen, out, err, errlen);
}

int generator_run(generator *r, const float *in, int h, int w, float *out, char *err,
                  size_t errlen)
{
    return generator_run_stats(r, in, h, w, NULL, NULL, out, err, errlen);
}

int generator_needs_stats(const generator *r)
{
    return r->cfg.norm == NORM_INSTANCE || (r->cfg.norm == NORM_BATCH && !r->eval);
}

int generator_stats_init(const generator *r, norm_stats *s)
{
    return generator_part_stats_init(r, UNET_ALL, s);
}

int generator_part_stats_init(const generator *r, unet_part part, norm_stats *s)
{
    sized_net probe = {0};
    int side = part == UNET_MIDDLE ? gen_stride(&r->cfg) >> (r->split - 1) : gen_min_side(&r->cfg);
    build_graph(r, &probe, NET_STATS_MEASURE, part, side, side); /* a graph without memory */
    int *channels = malloc(sizeof *channels * (size_t)(probe.G.nsites + 1));
    int rc = -1;
    if (channels) {
        for (int l = 0; l < probe.G.nsites; l++)
            channels[l] = probe.G.sites[l].channels;
        rc = norm_stats_init(s, probe.G.nsites, channels);
    }
    free(channels);
    sized_net_free(&probe);
    return rc;
}

size_t generator_plan_bytes(generator *r, int h, int w, char *err, size_t errlen)
{
    if (!r->px_measured) {
        int s = r->image_size;
        net_stats_mode stats = generator_needs_stats(r) ? NET_STATS_MEASURE : NET_STATS_OFF;
        if (build_plan(r, stats, UNET_ALL, s, s, 0, err, errlen))
            return 0;
    }
    return r->weight_bytes + (size_t)(r->px_bytes * h * w);
}

size_t generator_middle_bytes(generator *r, int split, int h, int w)
{
    int saved = r->split, a = 1 << (split - 1);
    sized_net s = {0};
    r->split = split;
    build_graph(r, &s, NET_STATS_OFF, UNET_MIDDLE, h / a, w / a);
    r->split = saved;
    eng_forward(s.g, s.out);
    eng_reuse_values(s.g);
    size_t bytes;
    if (eng_plan_estimate(s.g, r->be, &bytes, NULL) != ENG_OK)
        bytes = 0;
    sized_net_free(&s);
    return bytes;
}

size_t generator_current_bytes(const generator *r)
{
    return r->cur.plan ? eng_plan_bytes(r->cur.plan) : 0;
}

void generator_close(generator *r)
{
    sized_net_free(&r->cur);
    free(r->stash);
    r->stash = NULL;
    if (r->file)
        st_close(r->file);
    r->file = NULL;
}
