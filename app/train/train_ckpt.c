/* Saving and restoring a training run's checkpoints (see train_ckpt.h). */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app/model/checkpoint.h"
#include "app/train/ckpt_options.h"
#include "app/train/ckpt_set.h"
#include "app/parallel/dist.h"
#include "app/common/fsutil.h"
#include "app/model/model_file.h"
#include "app/train/train_ckpt.h"
#include "app/train/train_ema.h"

/* The value of a file's integer metadata key, or -1 when absent or not a count. */
static long long meta_step(const st_file *f, const char *key)
{
    const char *v = st_meta(f, key);
    char *end = NULL;
    long long step = v ? strtoll(v, &end, 10) : -1;
    return v && (*end || end == v) ? -1 : step;
}

/* The step a file of a checkpoint set records: "step" in G and D, "step_G" in the optimizer
 * state; -1 when it has none or cannot be read. */
static long long file_step(const char *path)
{
    st_file *f = st_open(path);
    if (!f)
        return -1;
    long long step = st_meta(f, "step") ? meta_step(f, "step") : meta_step(f, "step_G");
    st_close(f);
    return step;
}

int train_ckpt_recover(const char *dir)
{
    char web[4300], images[4400], err[1024];
    snprintf(web, sizeof web, "%s/web", dir);
    snprintf(images, sizeof images, "%s/images", web);
    int stale = fs_remove_stale_temps(dir) + fs_remove_stale_temps(web) +
                fs_remove_stale_temps(images);
    if (stale)
        fprintf(stderr, "removed %d temporary file%s left in %s by an interrupted save\n", stale,
                stale == 1 ? "" : "s", dir);
    ckpt_recovery r;
    if (ckpt_set_recover(dir, file_step, &r, err, sizeof err)) {
        fprintf(stderr, "pix2pix train: %s\n", err);
        return -1;
    }
    if (r.finished)
        fprintf(stderr, "finished the checkpoint save that was interrupted after its commit in "
                "%s\n", dir);
    if (r.refused)
        fprintf(stderr, "warning: %s; nothing was rolled forward from it (removed): the "
                "committed checkpoint stays\n", r.refused_why);
    if (r.discarded)
        fprintf(stderr, "discarded %d file%s of a checkpoint save interrupted before its commit "
                "in %s (the previous checkpoint stays)\n", r.discarded,
                r.discarded == 1 ? "" : "s", dir);
    return 0;
}

/* Reports a failed save under the file's final name rather than its staged one. */
static void report_save_error(const ckpt_set *set, const char *name, const char *staged,
                              const char *err)
{
    size_t len = strlen(staged);
    const char *why = !strncmp(err, staged, len) && err[len] == ':' ? err + len + 2 : err;
    fprintf(stderr, "%s/%s_%s.safetensors: %s\n", set->dir, set->tag, name, why);
}

/* The staged path of the set's file name, or NULL with the reason reported. */
static const char *stage(ckpt_set *set, const char *name)
{
    char err[CKPT_PATH_MAX + 600];
    const char *staged = ckpt_set_stage(set, name, err, sizeof err);
    if (!staged)
        fprintf(stderr, "%s\n", err); /* its reason names the file */
    return staged;
}

/* Saves one network into the set. */
static int save_into(ckpt_set *set, const char *name, const net *n, eng_plan *p,
                     const ckpt_meta *meta, int nmeta)
{
    char err[1024];
    const char *staged = stage(set, name);
    if (!staged)
        return -1;
    if (!ckpt_save_net(n, p, staged, meta, nmeta, err, sizeof err))
        return 0;
    report_save_error(set, name, staged, err);
    return -1;
}

#define COUNT(a) ((int)(sizeof(a) / sizeof((a)[0])))

/* The metadata of G and D: architecture, options and the step they were saved at. */
typedef struct {
    char netg[32], netd[32], in_nc[8], out_nc[8], ngf[16], ndf[16], nl[8], dnc[8], drop[4],
        load[16], crop[16], epoch[16], step[32], num_d[8], down[8], blocks[8], local[8],
        lblocks[8], spectral[4];
    ckpt_meta g[19], d[12];
    int ng; /* entries of g: the global generator's sizes for global and local, the
             * enhancers' (the last two) for local */
} net_meta;

static void net_meta_fill(net_meta *m, const train_config *c, const trainer *t, int epoch)
{
    gen_name(&t->opts.gen, m->netg, sizeof m->netg);
    disc_name(&t->opts.disc, m->netd, sizeof m->netd);
    snprintf(m->in_nc, sizeof m->in_nc, "%d", t->opts.gen.input_nc);
    snprintf(m->out_nc, sizeof m->out_nc, "%d", t->opts.gen.output_nc);
    snprintf(m->ngf, sizeof m->ngf, "%d", t->opts.gen.ngf);
    snprintf(m->ndf, sizeof m->ndf, "%d", t->opts.disc.ndf);
    snprintf(m->nl, sizeof m->nl, "%d", t->opts.disc.n_layers);
    snprintf(m->num_d, sizeof m->num_d, "%d", net_critics(&t->opts.disc));
    snprintf(m->spectral, sizeof m->spectral, "%d", t->opts.disc.spectral);
    snprintf(m->dnc, sizeof m->dnc, "%d", t->opts.disc.input_nc);
    snprintf(m->drop, sizeof m->drop, "%d", t->opts.gen.use_dropout);
    snprintf(m->load, sizeof m->load, "%d", c->load_size);
    snprintf(m->crop, sizeof m->crop, "%d", t->opts.height);
    snprintf(m->epoch, sizeof m->epoch, "%d", epoch);
    snprintf(m->step, sizeof m->step, "%" PRId64, eng_adam_steps(t->opt_g));
    snprintf(m->down, sizeof m->down, "%d", t->opts.gen.n_down);
    snprintf(m->blocks, sizeof m->blocks, "%d", t->opts.gen.depth);
    snprintf(m->local, sizeof m->local, "%d", t->opts.gen.n_local);
    snprintf(m->lblocks, sizeof m->lblocks, "%d", t->opts.gen.local_blocks);
    const char *opts = c->options_json ? c->options_json : "{}";
    const char *norm = net_norm_name(t->opts.gen.norm);
    const ckpt_meta g[] = {
        {"format", "pix2pix-vk"}, {"net", "G"}, {"netG", m->netg}, {"input_nc", m->in_nc},
        {"output_nc", m->out_nc}, {"ngf", m->ngf}, {"norm", norm}, {"use_dropout", m->drop},
        {"upsample", gen_upsample_name(t->opts.gen.upsample)},
        {"load_size", m->load}, {"crop_size", m->crop}, {"direction", c->direction},
        {"epoch", m->epoch}, {"step", m->step}, {"options", opts},
        {"n_downsample_global", m->down}, {"n_blocks_global", m->blocks},
        {"n_local_enhancers", m->local}, {"n_blocks_local", m->lblocks}};
    const ckpt_meta d[] = {
        {"format", "pix2pix-vk"}, {"net", "D"}, {"netD", m->netd}, {"n_layers", m->nl},
        {"num_D", m->num_d}, {"input_nc", m->dnc}, {"ndf", m->ndf}, {"norm", norm},
        {"spectral_norm", m->spectral}, {"epoch", m->epoch}, {"step", m->step},
        {"options", opts}};
    _Static_assert(sizeof g == sizeof m->g && sizeof d == sizeof m->d, "metadata counts");
    memcpy(m->g, g, sizeof g);
    memcpy(m->d, d, sizeof d);
    gen_family family = t->opts.gen.family;
    m->ng = COUNT(m->g) - (family == GEN_LOCAL ? 0 : family == GEN_GLOBAL ? 2 : 4);
}

/* G, D, G_ema with --ema-decay (G's metadata; G's BatchNorm buffers) and the optimizer state
 * when s is given, as the set tagged tag. */
static int save_set(const char *dir, const char *tag, trainer *t, const net_meta *m,
                    const ckpt_train_state *s)
{
    ckpt_set set;
    ckpt_set_begin(&set, dir, tag, (long long)eng_adam_steps(t->opt_g));
    char err[1024];
    int rc = save_into(&set, "net_G", &t->G, t->plan, m->g, m->ng) ||
             save_into(&set, "net_D", &t->D, t->plan, m->d, COUNT(m->d)) ||
             (t->G_ema.n && save_into(&set, "net_G_ema", &t->G_ema, t->plan, m->g, m->ng));
    if (!rc && s) {
        const char *staged = stage(&set, "opt");
        rc = !staged || ckpt_save_opt(s, t->g, t->plan, staged, err, sizeof err);
        if (rc && staged)
            report_save_error(&set, "opt", staged, err);
    }
    if (rc) {
        ckpt_set_abort(&set);
        return -1;
    }
    if (ckpt_set_commit(&set, err, sizeof err)) {
        fprintf(stderr, "pix2pix train: %s\n", err);
        return -1;
    }
    return 0;
}

int train_ckpt_save(const train_config *c, trainer *t, const char *dir, int epoch,
                    int epoch_iter, int complete, const char *copy_tag)
{
    net_meta m;
    net_meta_fill(&m, c, t, epoch);
    ckpt_train_state s = {&t->G, &t->D, t->opt_g, t->opt_d, complete ? epoch + 1 : epoch,
                          complete ? 0 : epoch_iter, dist_size()};
    if (save_set(dir, "latest", t, &m, &s)) {
        char opt[4300];
        snprintf(opt, sizeof opt, "%s/latest_opt.safetensors", dir);
        fprintf(stderr, "pix2pix train: the checkpoint of step %s was not saved; %s %s\n",
                m.step, fs_exists(opt) ? "the previous one is intact in" : "none was saved in",
                dir);
        return -1;
    }
    if (copy_tag && save_set(dir, copy_tag, t, &m, NULL)) {
        fprintf(stderr, "pix2pix train: %s/%s_net_*.safetensors not saved (the latest set of "
                "step %s was)\n", dir, copy_tag, m.step);
        return -1;
    }
    return 0;
}

/* Loads a network file. *step gets its "step" metadata, or -1 when it has none. */
static int load_net_file(const net *n, eng_plan *p, const char *path, long long *step)
{
    st_file *f = model_file_open(path);
    if (!f) {
        fprintf(stderr, "%s\n", eng_last_error()); /* its reason names the file */
        return -1;
    }
    char err[1024];
    *step = meta_step(f, "step");
    int rc = ckpt_load_net(n, p, f, path, err, sizeof err);
    if (rc)
        fprintf(stderr, "%s\n", err);
    st_close(f);
    return rc;
}

/* G, D and the optimizer state must come from one step. Files of versions that did not
 * record the step in G and D are taken as they are, with a note. */
static int check_one_set(const char *dir, long long step_g, long long step_d, long long step_opt)
{
    if (step_g < 0 || step_d < 0) {
        fprintf(stderr, "note: %s/latest_net_G/D.safetensors do not record their step (saved by "
                "an older pix2pix-vk): cannot check that they match latest_opt\n", dir);
        return 0;
    }
    if (step_g == step_opt && step_d == step_opt)
        return 0;
    fprintf(stderr, "pix2pix train: %s: the latest checkpoint files are not one set: "
            "latest_net_G.safetensors is at step %lld, latest_net_D.safetensors at step %lld, "
            "latest_opt.safetensors at step %lld; put back files of one step, or train "
            "without --continue\n", dir, step_g, step_d, step_opt);
    return -1;
}

/* G's average from latest_net_G_ema (loaded before G: its BatchNorm buffers are G's, which
 * G's file then sets), or from G's weights when the run kept none so far. *step: the file's
 * step (-1: none). Without --ema-decay, a file there is left as it is, with a note. */
static int restore_average(trainer *t, const char *dir, long long *step)
{
    char path[4400];
    *step = -1;
    snprintf(path, sizeof path, "%s/latest_net_G_ema.safetensors", dir);
    if (!t->G_ema.n) {
        if (fs_exists(path))
            fprintf(stderr, "note: %s (step %lld) is not updated by this run: train with "
                    "--ema-decay to go on averaging G\n", path, file_step(path));
        return 0;
    }
    if (fs_exists(path))
        return load_net_file(&t->G_ema, t->plan, path, step);
    fprintf(stderr, "note: %s has no latest_net_G_ema.safetensors: G's average starts from the "
            "resumed G\n", dir);
    return 1; /* started once G is loaded */
}

static int restore_latest(trainer *t, const char *dir, int *epoch, int *iter)
{
    char path[4400], err[1024];
    long long step_g, step_d, step_ema;
    if (ckpt_options_check(dir, &t->opts)) /* a different architecture, named */
        return -1;
    int average = restore_average(t, dir, &step_ema);
    if (average < 0)
        return -1;
    snprintf(path, sizeof path, "%s/latest_net_G.safetensors", dir);
    if (load_net_file(&t->G, t->plan, path, &step_g))
        return -1;
    snprintf(path, sizeof path, "%s/latest_net_D.safetensors", dir);
    if (load_net_file(&t->D, t->plan, path, &step_d))
        return -1;
    if (average && train_ema_reset(t)) {
        fprintf(stderr, "pix2pix train: cannot start G's average: %s\n", eng_last_error());
        return -1;
    }
    ckpt_train_state s = {&t->G, &t->D, t->opt_g, t->opt_d, 0, 0, 1};
    snprintf(path, sizeof path, "%s/latest_opt.safetensors", dir);
    if (ckpt_load_opt(&s, t->g, t->plan, path, err, sizeof err)) {
        fprintf(stderr, "%s\n", err);
        return -1;
    }
    long long step = (long long)eng_adam_steps(t->opt_g);
    if (t->opt_g_fixed) /* its moments are G's, loaded above; its steps those of G's others */
        eng_adam_set_steps(t->opt_g_fixed, step);
    if (check_one_set(dir, step_g, step_d, step))
        return -1;
    if (step_ema >= 0 && step_ema != step) {
        fprintf(stderr, "pix2pix train: %s: latest_net_G_ema.safetensors is at step %lld, the "
                "other latest files at step %lld; put back the file of that step, or remove it "
                "to start the average from G\n", dir, step_ema, step);
        return -1;
    }
    *epoch = s.epoch;
    *iter = s.epoch_iter;
    if (s.world_size != dist_size() && s.epoch_iter > 0) {
        /* The iterations done in this epoch, as a count of this job's steps of as many pairs. */
        *iter = (int)((long long)s.epoch_iter * s.world_size / dist_size());
        fprintf(stderr, "note: %s was saved by %d rank%s, this job has %d: iteration %d of "
                "epoch %d becomes iteration %d\n", dir, s.world_size, s.world_size == 1 ? "" : "s",
                dist_size(), s.epoch_iter, *epoch, *iter);
    }
    char scale[48] = "";
    if (eng_plan_fp16(t->plan))
        snprintf(scale, sizeof scale, ", loss scale %g", (double)eng_plan_loss_scale(t->plan));
    fprintf(stderr, "resuming %s at epoch %d, iteration %d (step %lld)%s\n", dir, *epoch,
            *iter + 1, step, scale);
    return 0;
}

/* --init-d's critics against --num-d and --spectral-norm, named before a tensor of the odd
 * one out would be. */
static int check_init_critics(const char *path, const disc_config *want)
{
    char err[1024];
    disc_config dc;
    st_file *f = model_file_open(path);
    int rc = 0;
    int known = f && !ckpt_disc_config(f, &dc, err, sizeof err);
    if (known && net_critics(&dc) != net_critics(want)) {
        fprintf(stderr, "pix2pix train: --init-d %s has %d critic%s, this run %d (--num-d)\n",
                path, net_critics(&dc), net_critics(&dc) > 1 ? "s" : "", net_critics(want));
        rc = -1;
    } else if (known && dc.spectral != want->spectral) {
        fprintf(stderr, "pix2pix train: --init-d %s %s spectral normalization (weight_orig, "
                "weight_u, weight_v keys), this run %s (--spectral-norm)\n", path,
                dc.spectral ? "has" : "has no", want->spectral ? "does" : "does not");
        rc = -1;
    }
    if (f)
        st_close(f);
    return rc; /* an unreadable file is left to the loading to report */
}

int train_ckpt_restore(const train_config *c, trainer *t, const char *dir, int *epoch,
                       int *iter)
{
    *epoch = c->epoch_count;
    *iter = 0;
    if (c->continue_train)
        return restore_latest(t, dir, epoch, iter);
    long long ignored;
    if (c->init_g && (load_net_file(&t->G, t->plan, c->init_g, &ignored) ||
                      train_ema_reset(t))) /* the average starts from the given G */
        return -1;
    if (c->init_d && (check_init_critics(c->init_d, &t->opts.disc) ||
                      load_net_file(&t->D, t->plan, c->init_d, &ignored)))
        return -1;
    return 0;
}
