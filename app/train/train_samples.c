#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app/common/fsutil.h"
#include "app/common/tensor_image.h"
#include "app/train/train_samples.h"
#include "datasets/pairs.h"

#define CANDIDATES 32 /* pairs tried before giving up on finding usable ones */

/* The first usable pairs of a split, as floats. */
static int load_pairs(train_samples *s, const pair_loader_opts *lo, const char *split)
{
    pair_list list;
    char err[512];
    if (pair_list_scan(lo->root, split, 1, &list, err, sizeof err))
        return -1;
    pair_transform tr = {{lo->preprocess, lo->load_size, lo->crop_size, 1},
                         lo->direction_btoa, lo->input_nc, lo->output_nc, lo->max_pixels};
    /* resize_and_crop shows the whole image: resized straight to the crop size. */
    if (lo->preprocess == PREPROCESS_RESIZE_AND_CROP)
        tr.pre.load_size = lo->crop_size;
    size_t plane = (size_t)s->height * s->width;
    for (size_t i = 0; i < list.count && i < CANDIDATES && s->count < TRAIN_SAMPLES_MAX; i++) {
        image in = {0}, target = {0};
        /* A fixed rng state: the same crop at every refresh. */
        if (!pair_decode(&tr, &list.items[i], 0x5a4d504cULL, &in, &target, err, sizeof err) &&
            in.width == s->width && in.height == s->height) {
            preprocess_to_float(&in, s->a + (size_t)s->count * plane * s->input_nc);
            preprocess_to_float(&target, s->b + (size_t)s->count * plane * s->output_nc);
            snprintf(s->names[s->count], sizeof s->names[0], "%s", list.items[i].name);
            s->count++;
        }
        image_free(&in);
        image_free(&target);
    }
    pair_list_free(&list);
    snprintf(s->split, sizeof s->split, "%s", split);
    return s->count ? 0 : -1;
}

int train_samples_open(train_samples *s, const pair_loader_opts *lo, const trainer *t,
                       eng_backend *be, char *err, size_t errlen)
{
    memset(s, 0, sizeof *s);
    const trainer_opts *o = &t->opts;
    s->height = o->height;
    s->width = o->width;
    s->input_nc = o->gen.input_nc;
    s->output_nc = o->gen.output_nc;
    size_t plane = (size_t)s->height * s->width;
    s->a = malloc(sizeof *s->a * plane * s->input_nc * TRAIN_SAMPLES_MAX);
    s->b = malloc(sizeof *s->b * plane * s->output_nc * TRAIN_SAMPLES_MAX);
    if (!s->a || !s->b) {
        snprintf(err, errlen, "out of memory for the sample pairs");
        train_samples_close(s);
        return -1;
    }
    if (load_pairs(s, lo, "val") && load_pairs(s, lo, "train")) {
        snprintf(err, errlen, "no pair of %s/val or %s/train preprocesses to %dx%d", lo->root,
                 lo->root, s->width, s->height);
        train_samples_close(s);
        return -1;
    }
    s->g = eng_graph_new();
    s->in = eng_input4(s->g, "input", 1, s->input_nc, s->height, s->width);
    net_init_struct(&s->G, s->g, "", 1, 1, (uint32_t)o->seed);
    s->out = net_generator(&s->G, &o->gen, s->in);
    eng_forward(s->g, s->out);
    eng_reuse_values(s->g); /* the host reads only the output */
    s->plan = eng_plan_new(s->g, be);
    if (!s->plan) {
        snprintf(err, errlen, "cannot allocate the sample generator: %s", eng_last_error());
        train_samples_close(s);
        return -1;
    }
    return 0;
}

/* Every tensor of the trainer's G (parameters and BatchNorm buffers) into the sample plan. */
static int copy_weights(train_samples *s, const trainer *t)
{
    size_t cap = 0;
    float *buf = NULL;
    int rc = 0;
    for (int i = 0; i < t->G.n && !rc; i++) {
        const net_tensor *src = &t->G.t[i], *dst = net_find_key(&s->G, src->key);
        size_t numel = eng_node_numel(src->node);
        if (!dst || eng_node_numel(dst->node) != numel) {
            rc = -1;
            break;
        }
        if (numel > cap) {
            float *grown = realloc(buf, numel * sizeof *buf);
            if (!grown) {
                rc = -1;
                break;
            }
            buf = grown;
            cap = numel;
        }
        rc = eng_plan_read(t->plan, src->node, buf) || eng_plan_write(s->plan, dst->node, buf)
                 ? -1
                 : 0;
    }
    free(buf);
    return rc;
}

int train_samples_write(train_samples *s, const trainer *t, const char *web_dir, int epoch,
                        char *err, size_t errlen)
{
    char path[4400];
    size_t plane = (size_t)s->height * s->width;
    float *out = malloc(sizeof *out * plane * s->output_nc);
    if (!out) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    if (copy_weights(s, t)) {
        snprintf(err, errlen, "cannot copy G to the sample generator: %s", eng_last_error());
        free(out);
        return -1;
    }
    int rc = 0;
    for (int k = 0; k < s->count && !rc; k++) {
        const float *a = s->a + (size_t)k * plane * s->input_nc;
        const float *b = s->b + (size_t)k * plane * s->output_nc;
        if (eng_plan_write(s->plan, s->in, a) || eng_plan_run(s->plan) ||
            eng_plan_read(s->plan, s->out, out)) {
            snprintf(err, errlen, "running the sample generator failed: %s", eng_last_error());
            rc = -1;
            break;
        }
        snprintf(path, sizeof path, "%s/images/epoch%03d_sample%d.png", web_dir, epoch, k + 1);
        rc = tensor_save_png(path, out, s->output_nc, s->height, s->width, err, errlen);
        snprintf(path, sizeof path, "%s/images/sample%d_input.png", web_dir, k + 1);
        if (!rc && !fs_exists(path))
            rc = tensor_save_png(path, a, s->input_nc, s->height, s->width, err, errlen);
        snprintf(path, sizeof path, "%s/images/sample%d_target.png", web_dir, k + 1);
        if (!rc && !fs_exists(path))
            rc = tensor_save_png(path, b, s->output_nc, s->height, s->width, err, errlen);
    }
    free(out);
    return rc;
}

void train_samples_close(train_samples *s)
{
    if (s->plan)
        eng_plan_free(s->plan);
    net_release(&s->G);
    if (s->g)
        eng_graph_free(s->g);
    free(s->a);
    free(s->b);
    memset(s, 0, sizeof *s);
}
