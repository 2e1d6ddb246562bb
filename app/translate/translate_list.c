#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app/common/fsutil.h"
#include "app/translate/translate_list.h"
#include "base/text_line.h"
#include "datasets/image.h"

typedef struct {
    const char *output;
    int index;
} named;

static int by_output(const void *a, const void *b)
{
    const named *x = a, *y = b;
    int c = strcmp(x->output, y->output);
    return c ? c : x->index - y->index;
}

/* out_dir/REL/STEM.ext for the input at path, REL its folder below root ("" for a file). */
static char *output_path(const char *path, const char *root, const char *out_dir,
                         const char *ext)
{
    char stem[1024];
    fs_stem(path, stem, sizeof stem);
    size_t skip = root ? strlen(root) + 1 : 0;
    const char *slash = strrchr(path, '/');
    int rel = slash && root && (size_t)(slash - path) > skip ? (int)(slash - path - skip) : 0;
    size_t len = strlen(out_dir) + (size_t)rel + strlen(stem) + strlen(ext) + 4;
    char *out = malloc(len);
    if (out && rel)
        snprintf(out, len, "%s/%.*s/%s.%s", out_dir, rel, path + skip, stem, ext);
    else if (out)
        snprintf(out, len, "%s/%s.%s", out_dir, stem, ext);
    return out;
}

/* Reports every pair of inputs with one output; -1 if there is one. */
static int refuse_collisions(const translate_list *l)
{
    named *order = malloc(sizeof *order * (size_t)(l->n > 0 ? l->n : 1));
    int clashes = 0;
    if (!order) {
        fprintf(stderr, "pix2pix translate: out of memory\n");
        return -1;
    }
    for (int i = 0; i < l->n; i++)
        order[i] = (named){l->outputs[i], i};
    qsort(order, (size_t)l->n, sizeof *order, by_output);
    for (int i = 1; i < l->n; i++)
        if (!strcmp(order[i].output, order[i - 1].output)) {
            text_line(stderr, "%s and %s would both be written to %s",
                      l->inputs[order[i - 1].index], l->inputs[order[i].index], order[i].output);
            clashes++;
        }
    free(order);
    if (clashes)
        fprintf(stderr, "pix2pix translate: nothing translated: rename the inputs of the same "
                "name, or translate them into separate folders\n");
    return clashes ? -1 : 0;
}

/* Whether the output at path is finished: a complete image. A file there that is not one is
 * said to be made again; a folder is left to the writer, which refuses to replace it. */
static int output_done(const char *path, long long max_pixels)
{
    image img;
    char err[512];
    if (!fs_exists(path))
        return 0;
    if (image_load(path, max_pixels, &img, err, sizeof err)) {
        if (fs_is_file(path))
            text_line(stderr, "%s: not a complete image (%s); made again", path, err);
        return 0;
    }
    image_free(&img);
    return 1;
}

/* Leaves out the inputs whose output is finished. */
static void drop_existing(translate_list *l, long long max_pixels)
{
    int kept = 0;
    for (int i = 0; i < l->n; i++) {
        if (output_done(l->outputs[i], max_pixels)) {
            free(l->inputs[i]);
            free(l->outputs[i]);
            l->existing++;
            continue;
        }
        l->inputs[kept] = l->inputs[i];
        l->outputs[kept++] = l->outputs[i];
    }
    l->n = kept;
}

int translate_list_make(translate_list *l, const char *input, const char *out_dir,
                        const char *ext, int recursive, int skip_existing, long long max_pixels)
{
    memset(l, 0, sizeof *l);
    int folder = fs_is_dir(input);
    if (folder) {
        l->inputs = recursive ? fs_list_images_tree(input, out_dir, &l->n, &l->in_output)
                              : fs_list_images(input, &l->n);
        if (!l->n) {
            text_line(stderr, "%s: no .png or .jpg images in this folder%s%s", input,
                      recursive ? " or its subfolders" : "",
                      l->in_output ? " but those of the output folder, inside it" : "");
            return -1;
        }
    } else if (!fs_exists(input)) {
        text_line(stderr, "%s: no such file or folder", input);
        return -1;
    } else {
        l->inputs = malloc(sizeof *l->inputs);
        if (l->inputs && (l->inputs[0] = strdup(input)))
            l->n = 1;
    }
    l->outputs = calloc((size_t)(l->n ? l->n : 1), sizeof *l->outputs);
    int ok = l->inputs && l->outputs && l->n;
    for (int i = 0; i < l->n && ok; i++)
        ok = !!(l->outputs[i] = output_path(l->inputs[i], folder ? input : NULL, out_dir, ext));
    if (!ok) {
        fprintf(stderr, "pix2pix translate: out of memory\n");
        translate_list_free(l);
        return -1;
    }
    if (refuse_collisions(l)) {
        translate_list_free(l);
        return -1;
    }
    if (skip_existing)
        drop_existing(l, max_pixels);
    return 0;
}

void translate_list_free(translate_list *l)
{
    for (int i = 0; i < l->n; i++) {
        free(l->inputs[i]);
        if (l->outputs)
            free(l->outputs[i]);
    }
    free(l->inputs);
    free(l->outputs);
    memset(l, 0, sizeof *l);
}
