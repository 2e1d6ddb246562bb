#include "app/train/train_preflight.h"

#include <stdio.h>

#include "datasets/image.h"
#include "datasets/pairs.h"

/* The note when the preprocessing enlarges an image of w x h (one side of a pair). */
static void note_upscaling(const pair_loader_opts *l, const char *file, int w, int h)
{
    int resize = l->preprocess == PREPROCESS_RESIZE_AND_CROP;
    int scale_width = l->preprocess == PREPROCESS_SCALE_WIDTH ||
                      l->preprocess == PREPROCESS_SCALE_WIDTH_AND_CROP;
    int side = resize && h < w ? h : w; /* the side enlarged the most */
    if (!(resize || scale_width) || l->load_size <= side)
        return;
    fprintf(stderr, "note: the images of %s/%s are %dx%d (the first pair, %s); --load-size %d "
            "enlarges them %.2f times before the %dx%d crops (--preprocess %s)\n",
            l->root, l->split, w, h, file, l->load_size, (double)l->load_size / side,
            l->crop_size, l->crop_size, resize ? "resize_and_crop" : "scale_width");
}

int train_preflight(const pair_loader_opts *l, int quiet)
{
    pair_list pairs;
    char err[1024];
    if (pair_list_scan(l->root, l->split, 1, &pairs, err, sizeof err)) {
        fprintf(stderr, "pix2pix train: %s\n", err);
        return -1;
    }
    image a = {0};
    /* A picture that cannot be read is the loader's to report, with the others. */
    if (!quiet && pairs.count && !image_load(pairs.items[0].a_path, 0, &a, err, sizeof err)) {
        int w = pairs.aligned ? a.width / 2 : a.width;
        note_upscaling(l, pairs.items[0].name, w, a.height);
        image_free(&a);
    }
    pair_list_free(&pairs);
    return 0;
}
