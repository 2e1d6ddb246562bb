/* Scanning a split for pairs; decoding and preprocessing a pair. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/text_line.h"
#include "datasets/file_list.h"
#include "datasets/pairs.h"

void pair_list_truncate(pair_list *l, size_t n)
{
    for (size_t i = n; i < l->count; i++) {
        free(l->items[i].a_path);
        free(l->items[i].b_path);
        free(l->items[i].name);
    }
    if (n < l->count)
        l->count = n;
}

void pair_list_free(pair_list *l)
{
    pair_list_truncate(l, 0);
    free(l->items);
    l->items = NULL;
}

static int add_pair(pair_list *l, const char *dir_a, const char *dir_b, const char *name)
{
    pair_entry *e = &l->items[l->count];
    e->a_path = path_join(dir_a, name);
    e->b_path = dir_b ? path_join(dir_b, name) : NULL;
    e->name = strdup(name);
    l->count++;
    return e->a_path && e->name && (!dir_b || e->b_path) ? 0 : -1;
}

static void report_unpartnered(const name_list *have, const name_list *other, const char *dir,
                               const char *other_dir, int quiet, size_t *count)
{
    for (size_t i = 0; i < have->count; i++)
        if (!name_list_contains(other, have->names[i])) {
            (*count)++;
            if (!quiet)
                text_line(stderr, "pix2pix: skipping %s/%s: no file of that name in %s", dir,
                          have->names[i], other_dir);
        }
}

int pair_list_scan(const char *root, const char *split, int quiet, pair_list *out, char *err,
                   size_t errlen)
{
    memset(out, 0, sizeof *out);
    char *aligned_dir = path_join(root, split);
    char *a_root = path_join(root, "A"), *b_root = path_join(root, "B");
    char *dir_a = a_root ? path_join(a_root, split) : NULL;
    char *dir_b = b_root ? path_join(b_root, split) : NULL;
    name_list la = {0}, lb = {0};
    int rc = -1;
    if (!aligned_dir || !dir_a || !dir_b) {
        snprintf(err, errlen, "out of memory");
        goto done;
    }
    if (is_directory(aligned_dir)) {
        if (list_files(aligned_dir, &la, err, errlen))
            goto done;
        out->aligned = 1;
        out->items = calloc(la.count ? la.count : 1, sizeof *out->items);
        for (size_t i = 0; out->items && i < la.count; i++)
            if (add_pair(out, aligned_dir, NULL, la.names[i]))
                break;
        if (!out->items || out->count != la.count) {
            snprintf(err, errlen, "out of memory");
            goto done;
        }
        if (!out->count) {
            snprintf(err, errlen, "%s has no files", aligned_dir);
            goto done;
        }
    } else if (is_directory(dir_a) && is_directory(dir_b)) {
        if (list_files(dir_a, &la, err, errlen) || list_files(dir_b, &lb, err, errlen))
            goto done;
        report_unpartnered(&la, &lb, dir_a, dir_b, quiet, &out->unpartnered);
        report_unpartnered(&lb, &la, dir_b, dir_a, quiet, &out->unpartnered);
        out->items = calloc(la.count ? la.count : 1, sizeof *out->items);
        if (!out->items) {
            snprintf(err, errlen, "out of memory");
            goto done;
        }
        for (size_t i = 0; i < la.count; i++)
            if (name_list_contains(&lb, la.names[i]) && add_pair(out, dir_a, dir_b, la.names[i])) {
                snprintf(err, errlen, "out of memory");
                goto done;
            }
        if (!out->count) {
            snprintf(err, errlen, "no file name appears in both %s and %s", dir_a, dir_b);
            goto done;
        }
    } else {
        snprintf(err, errlen, "found neither %s (aligned A|B files) nor %s and %s", aligned_dir,
                 dir_a, dir_b);
        goto done;
    }
    rc = 0;
done:
    if (rc)
        pair_list_free(out);
    name_list_free(&la);
    name_list_free(&lb);
    free(aligned_dir);
    free(a_root);
    free(b_root);
    free(dir_a);
    free(dir_b);
    return rc;
}

static int load_sides(const pair_transform *t, const pair_entry *e, image *a, image *b,
                      char *err, size_t errlen)
{
    char why[256];
    a->pixels = b->pixels = NULL;
    if (e->b_path) {
        if (image_load(e->a_path, t->max_pixels, a, err, errlen))
            return -1;
        if (image_load(e->b_path, t->max_pixels, b, why, sizeof why)) {
            snprintf(err, errlen, "its partner %s: %s", e->b_path, why);
            image_free(a);
            return -1;
        }
        if (a->width != b->width || a->height != b->height) {
            snprintf(err, errlen, "A is %dx%d but its partner %s is %dx%d", a->width, a->height,
                     e->b_path, b->width, b->height);
            image_free(a);
            image_free(b);
            return -1;
        }
        return 0;
    }
    image ab;
    if (image_load(e->a_path, t->max_pixels, &ab, err, errlen))
        return -1;
    int rc = -1;
    if (ab.width % 2 || ab.width < 2) {
        snprintf(err, errlen, "aligned A|B file has an odd width (%dx%d): the halves differ",
                 ab.width, ab.height);
    } else if (image_crop(&ab, 0, 0, ab.width / 2, ab.height, a) ||
               image_crop(&ab, ab.width / 2, 0, ab.width / 2, ab.height, b)) {
        image_free(a);
        snprintf(err, errlen, "out of memory splitting %dx%d", ab.width, ab.height);
    } else {
        rc = 0;
    }
    image_free(&ab);
    return rc;
}

int pair_decode(const pair_transform *t, const pair_entry *e, uint64_t rng_state, image *input,
                image *target, char *err, size_t errlen)
{
    image a, b;
    input->pixels = target->pixels = NULL;
    if (load_sides(t, e, &a, &b, err, errlen))
        return -1;
    image *in = t->direction_btoa ? &b : &a, *tg = t->direction_btoa ? &a : &b;
    int ow, oh, rc = -1;
    preprocess_params p;
    preprocess_draw_params(&t->pre, in->width, in->height, rng_state, &p);
    if (preprocess_output_size(&t->pre, in->width, in->height, &ow, &oh)) {
        snprintf(err, errlen, "%dx%d is too small for the preprocessing", in->width, in->height);
    } else if (preprocess_apply(&t->pre, &p, in, t->input_nc == 1, input) ||
               preprocess_apply(&t->pre, &p, tg, t->output_nc == 1, target)) {
        image_free(input);
        snprintf(err, errlen, "out of memory preprocessing %dx%d", in->width, in->height);
    } else {
        rc = 0;
    }
    image_free(&a);
    image_free(&b);
    return rc;
}
