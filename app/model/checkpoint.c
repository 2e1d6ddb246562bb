/* Saving and loading network tensors and optimizer state (see checkpoint.h). */
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app/model/checkpoint.h"
#include "app/common/finite.h"
#include "base/grow.h"

/* Buffers kept alive until st_writer_save. */
typedef struct {
    void **bufs;
    int n, cap;
} buf_list;

static void *buf_alloc(buf_list *l, size_t bytes)
{
    void **grown = grow_for_one(l->bufs, &l->cap, l->n, sizeof *grown, 64);
    if (!grown)
        return NULL;
    l->bufs = grown;
    void *b = malloc(bytes ? bytes : 1);
    if (b)
        l->bufs[l->n++] = b;
    return b;
}

static void buf_free(buf_list *l)
{
    for (int i = 0; i < l->n; i++)
        free(l->bufs[i]);
    free(l->bufs);
}

/* Prefixes a reason with the file it concerns. */
static void name_file(char *err, size_t errlen, const char *path)
{
    char why[512];
    snprintf(why, sizeof why, "%s", err[0] ? err : "cannot build the file");
    snprintf(err, errlen, "%s: %s", path, why);
}

/* 0 when every value is a number, else -1 with a reason naming the tensor (prefixed by
 * "path: " when path is given). */
static int check_finite(const float *v, size_t n, const char *name, const char *path, char *err,
                        size_t errlen)
{
    long long at = first_nonfinite(v, n);
    if (at < 0)
        return 0;
    char what[16];
    describe_value(v[at], what, sizeof what);
    snprintf(err, errlen, "%s%stensor %s holds %s at index %lld (a diverged training or a "
             "damaged file)", path ? path : "", path ? ": " : "", name, what, at);
    return -1;
}

/* What a filled tensor reads from the plan while the file is written. */
typedef struct {
    eng_plan *plan;
    const eng_node *node;
    char name[];
} node_source;

/* An st_fill_fn: its reasons go to eng_last_error(), where st_writer_save takes them. */
static int fill_node(void *ctx, void *dst, size_t nbytes)
{
    const node_source *s = ctx;
    (void)nbytes; /* numel floats, as added */
    if (eng_plan_read(s->plan, s->node, dst))
        return eng_set_error(-1, "cannot read %s: %s", s->name, eng_last_error());
    char why[512];
    if (check_finite(dst, eng_node_numel(s->node), s->name, NULL, why, sizeof why))
        return eng_set_error(-1, "%s", why);
    return 0;
}

/* Adds one node's values under name (an int64 scalar for counters). The values are read from
 * the plan while the file is written, one tensor at a time, and refused unless they are all
 * numbers: a checkpoint never holds NaN or Inf. */
static int add_node(st_writer *w, buf_list *bl, eng_plan *p, const eng_node *node,
                    const char *name, int is_counter, char *err, size_t errlen)
{
    if (is_counter) {
        float v;
        int64_t *c = buf_alloc(bl, sizeof *c);
        if (!c || eng_plan_read(p, node, &v)) {
            snprintf(err, errlen, "cannot read %s: %s", name, c ? eng_last_error() : "out of memory");
            return -1;
        }
        *c = (int64_t)v;
        return st_writer_add(w, name, ST_I64, 0, NULL, c);
    }
    node_source *src = buf_alloc(bl, sizeof *src + strlen(name) + 1);
    if (!src) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    src->plan = p;
    src->node = node;
    strcpy(src->name, name);
    int64_t shape[ENG_MAX_DIMS];
    int ndim = eng_node_ndim(node);
    for (int d = 0; d < ndim; d++)
        shape[d] = eng_node_shape(node)[d];
    return st_writer_add_fill(w, name, ST_F32, ndim, shape, fill_node, src);
}

/* Adds the metadata and writes the file (when rc is still 0), then frees the writer and the
 * buffers. Errors name the file. */
static int finish_save(st_writer *w, buf_list *bl, int rc, const ckpt_meta *meta, int nmeta,
                       const char *path, char *err, size_t errlen)
{
    for (int i = 0; i < nmeta && !rc; i++)
        if (st_writer_meta(w, meta[i].key, meta[i].value)) {
            snprintf(err, errlen, "cannot add metadata %s", meta[i].key);
            rc = -1;
        }
    if (rc)
        name_file(err, errlen, path);
    else if ((rc = st_writer_save(w, path)))
        snprintf(err, errlen, "%s", eng_last_error()); /* its reason names the file */
    st_writer_free(w);
    buf_free(bl);
    return rc ? -1 : 0;
}

int ckpt_save_net(const net *n, eng_plan *p, const char *path, const ckpt_meta *meta, int nmeta,
                  char *err, size_t errlen)
{
    st_writer *w = st_writer_new();
    buf_list bl = {0};
    int rc = w ? 0 : -1;
    err[0] = '\0';
    if (!w)
        snprintf(err, errlen, "out of memory");
    for (int i = 0; i < n->n && !rc; i++) {
        const net_tensor *t = &n->t[i];
        rc = add_node(w, &bl, p, t->node, t->key, t->is_counter, err, errlen);
        if (rc && !err[0])
            snprintf(err, errlen, "cannot add %s", t->key);
    }
    return finish_save(w, &bl, rc, meta, nmeta, path, err, errlen);
}

/* 0 when the file tensor has the node's shape (a scalar also matches a 1-element node),
 * else -1 with a message naming both shapes. */
static int check_shape(const eng_node *node, const st_tensor *t, const char *path, char *err,
                       size_t errlen)
{
    const int *shape = eng_node_shape(node);
    int ndim = eng_node_ndim(node);
    size_t numel = eng_node_numel(node);
    int same = t->numel == numel;
    if (same && !(t->ndim == 0 && numel == 1)) {
        same = t->ndim == ndim;
        for (int d = 0; same && d < t->ndim; d++)
            same = t->shape[d] == shape[d];
    }
    if (same)
        return 0;
    char want[64] = "", got[64] = "";
    for (int d = 0; d < ndim; d++)
        snprintf(want + strlen(want), sizeof want - strlen(want), "%s%d", d ? "," : "",
                 shape[d]);
    for (int d = 0; d < t->ndim; d++)
        snprintf(got + strlen(got), sizeof got - strlen(got), "%s%" PRId64, d ? "," : "",
                 t->shape[d]);
    snprintf(err, errlen, "%s: tensor %s has shape [%s], the network needs [%s]", path, t->name,
             got, want);
    return -1;
}

/* Loads one node from a file tensor of the same shape into the plan, then lets the file's
 * pages for it go (the model is not held twice in memory). */
static int load_node(eng_plan *p, const eng_node *node, const st_file *f, const st_tensor *t,
                     const char *path, char *err, size_t errlen)
{
    if (check_shape(node, t, path, err, errlen))
        return -1;
    size_t numel = eng_node_numel(node);
    float *v = malloc(sizeof *v * (numel ? numel : 1));
    if (!v) {
        snprintf(err, errlen, "%s: out of memory", path);
        return -1;
    }
    st_to_f32(t, v);
    st_release(f, t);
    if (check_finite(v, numel, t->name, path, err, errlen)) {
        free(v);
        return -1;
    }
    int rc = eng_plan_write(p, node, v);
    free(v);
    if (rc) {
        snprintf(err, errlen, "%s: %s", path, eng_last_error());
        return -1;
    }
    return 0;
}

int ckpt_check_net(const net *n, const st_file *f, const char *path, char *err, size_t errlen)
{
    for (int i = 0; i < n->n; i++) {
        const st_tensor *t = st_find(f, n->t[i].key);
        if (!t && n->t[i].is_counter)
            continue; /* files saved by PyTorch before 0.4.1 have no num_batches_tracked */
        if (!t) {
            snprintf(err, errlen, "%s: missing tensor %s (a different architecture?)", path,
                     n->t[i].key);
            return -1;
        }
        if (check_shape(n->t[i].node, t, path, err, errlen))
            return -1;
    }
    for (int i = 0; i < st_count(f); i++) {
        const st_tensor *t = st_get(f, i);
        if (!net_find_key(n, t->name)) {
            snprintf(err, errlen, "%s: unexpected tensor %s (a different architecture?)", path,
                     t->name);
            return -1;
        }
    }
    return 0;
}

int ckpt_check_values(const st_file *f, const char *path, char *err, size_t errlen)
{
    size_t largest = 1;
    for (int i = 0; i < st_count(f); i++)
        if ((size_t)st_get(f, i)->numel > largest)
            largest = (size_t)st_get(f, i)->numel;
    float *v = malloc(sizeof *v * largest);
    if (!v) {
        snprintf(err, errlen, "%s: out of memory", path);
        return -1;
    }
    int rc = 0;
    for (int i = 0; i < st_count(f) && !rc; i++) {
        const st_tensor *t = st_get(f, i);
        st_to_f32(t, v);
        st_release(f, t);
        rc = check_finite(v, (size_t)t->numel, t->name, path, err, errlen);
    }
    free(v);
    return rc;
}

int ckpt_load_net(const net *n, eng_plan *p, const st_file *f, const char *path, char *err,
                  size_t errlen)
{
    if (ckpt_check_net(n, f, path, err, errlen))
        return -1;
    for (int i = 0; i < n->n; i++) {
        const st_tensor *t = st_find(f, n->t[i].key);
        if (!t) { /* a counter the file lacks counts from 0, as torch's BatchNorm loads it */
            float zero = 0;
            if (eng_plan_write(p, n->t[i].node, &zero)) {
                snprintf(err, errlen, "%s: %s", path, eng_last_error());
                return -1;
            }
        } else if (load_node(p, n->t[i].node, f, t, path, err, errlen)) {
            return -1;
        }
    }
    return 0;
}

long long ckpt_param_count(const st_file *f)
{
    long long total = 0;
    for (int i = 0; i < st_count(f); i++) {
        const st_tensor *t = st_get(f, i);
        if (!strstr(t->name, "running_") && !strstr(t->name, "num_batches_tracked"))
            total += (long long)t->numel;
    }
    return total;
}

int ckpt_save_opt(const ckpt_train_state *s, eng_graph *g, eng_plan *p, const char *path,
                  char *err, size_t errlen)
{
    st_writer *w = st_writer_new();
    buf_list bl = {0};
    int rc = w ? 0 : -1;
    err[0] = '\0';
    const net *nets[2] = {s->g_net, s->d_net};
    const char *moments[2] = {"exp_avg", "exp_avg_sq"};
    for (int k = 0; k < 2 && !rc; k++)
        for (int i = 0; i < nets[k]->n && !rc; i++) {
            const net_tensor *t = &nets[k]->t[i];
            if (!t->trainable)
                continue;
            for (int m = 0; m < 2 && !rc; m++) {
                char node_name[ENG_NAME_MAX + 32], key[ENG_NAME_MAX + 32];
                snprintf(node_name, sizeof node_name, "%s.%s", eng_node_name(t->node), moments[m]);
                snprintf(key, sizeof key, "%s%s.%s", nets[k]->prefix, t->key, moments[m]);
                const eng_node *node = eng_find(g, node_name);
                if (!node) {
                    snprintf(err, errlen, "optimizer state %s not in the graph", node_name);
                    rc = -1;
                } else {
                    rc = add_node(w, &bl, p, node, key, 0, err, errlen);
                }
            }
        }
    char step_g[32], step_d[32], epoch[32], iter[32], world[32], scale[32], tracker[32];
    snprintf(step_g, sizeof step_g, "%" PRId64, eng_adam_steps(s->g_opt));
    snprintf(step_d, sizeof step_d, "%" PRId64, eng_adam_steps(s->d_opt));
    snprintf(epoch, sizeof epoch, "%d", s->epoch);
    snprintf(iter, sizeof iter, "%d", s->epoch_iter);
    snprintf(world, sizeof world, "%d", s->world_size > 1 ? s->world_size : 1);
    /* fp16 training's loss scaler (GradScaler's scale and growth tracker), so that a run
     * resumed in fp16 goes on with it */
    snprintf(scale, sizeof scale, "%.9g", (double)eng_plan_loss_scale(p));
    snprintf(tracker, sizeof tracker, "%d", eng_plan_loss_scale_good_runs(p));
    const ckpt_meta meta[] = {
        {"format", "pix2pix-vk optimizer"}, {"step_G", step_g}, {"step_D", step_d},
        {"epoch", epoch}, {"epoch_iter", iter}, {"world_size", world}, {"loss_scale", scale},
        {"growth_tracker", tracker}};
    int nmeta = (int)(sizeof meta / sizeof meta[0]) - 2 * !eng_plan_fp16(p);
    return finish_save(w, &bl, rc, meta, nmeta, path, err, errlen);
}

static int meta_int(const st_file *f, const char *key, long long *out)
{
    const char *v = st_meta(f, key);
    char *end;
    if (!v)
        return -1;
    *out = strtoll(v, &end, 10);
    return *end || end == v ? -1 : 0;
}

int ckpt_load_opt(ckpt_train_state *s, eng_graph *g, eng_plan *p, const char *path, char *err,
                  size_t errlen)
{
    st_file *f = st_open(path);
    if (!f) {
        snprintf(err, errlen, "%s", eng_last_error());
        return -1;
    }
    long long step_g, step_d, epoch, iter;
    if (meta_int(f, "step_G", &step_g) || meta_int(f, "step_D", &step_d) ||
        meta_int(f, "epoch", &epoch) || meta_int(f, "epoch_iter", &iter)) {
        snprintf(err, errlen, "%s: not a pix2pix optimizer state (metadata missing)", path);
        st_close(f);
        return -1;
    }
    const net *nets[2] = {s->g_net, s->d_net};
    const char *moments[2] = {"exp_avg", "exp_avg_sq"};
    for (int k = 0; k < 2; k++)
        for (int i = 0; i < nets[k]->n; i++) {
            const net_tensor *t = &nets[k]->t[i];
            if (!t->trainable)
                continue;
            for (int m = 0; m < 2; m++) {
                char node_name[ENG_NAME_MAX + 32], key[ENG_NAME_MAX + 32];
                snprintf(node_name, sizeof node_name, "%s.%s", eng_node_name(t->node), moments[m]);
                snprintf(key, sizeof key, "%s%s.%s", nets[k]->prefix, t->key, moments[m]);
                const eng_node *node = eng_find(g, node_name);
                const st_tensor *st = st_find(f, key);
                if (!node || !st) {
                    snprintf(err, errlen, "%s: missing %s", path, key);
                    st_close(f);
                    return -1;
                }
                if (load_node(p, node, f, st, path, err, errlen)) {
                    st_close(f);
                    return -1;
                }
            }
        }
    eng_adam_set_steps(s->g_opt, step_g);
    eng_adam_set_steps(s->d_opt, step_d);
    s->epoch = (int)epoch;
    s->epoch_iter = (int)iter;
    long long world;
    s->world_size = meta_int(f, "world_size", &world) || world < 1 ? 1 : (int)world;
    const char *scale = st_meta(f, "loss_scale");
    double v = scale ? strtod(scale, NULL) : 0.0;
    long long tracker;
    if (meta_int(f, "growth_tracker", &tracker) || tracker < 0 || tracker > INT_MAX)
        tracker = 0; /* older fp16 checkpoints: counted again from 0 */
    if (eng_plan_fp16(p) && v > 0.0 && v <= 1e30) /* saved by an fp16 run */
        eng_plan_set_loss_scale(p, (float)v, ENG_LOSS_SCALE_GROWTH_INTERVAL, (int)tracker);
    st_close(f);
    return 0;
}
