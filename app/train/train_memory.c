#include <stdio.h>

#include "app/train/train_memory.h"
#include "app/train/train_samples.h"

static int crops(preprocess_mode m)
{
    return m == PREPROCESS_RESIZE_AND_CROP || m == PREPROCESS_CROP ||
           m == PREPROCESS_SCALE_WIDTH_AND_CROP;
}

int train_size_from_options(trainer_opts *t, const pair_loader_opts *l)
{
    int stride, min_side;
    if (!crops(l->preprocess) ||
        !trainer_takes_size(t, l->crop_size, l->crop_size, &stride, &min_side))
        return 0;
    t->height = t->width = l->crop_size;
    return 1;
}

static int resizes(preprocess_mode m)
{
    return m != PREPROCESS_CROP && m != PREPROCESS_NONE;
}

/* Host bytes besides the plan: the loader's slots (a batch and two items per worker), the
 * loop's batch and the report's pairs, as floats; and per decoding thread, A and B as 8-bit
 * RGB three times over (as decoded, resized to the load size, cropped). */
static size_t other_bytes(const trainer_opts *t, const pair_loader_opts *l)
{
    size_t item = sizeof(float) * (size_t)(t->gen.input_nc + t->gen.output_nc) *
                  (size_t)t->height * (size_t)t->width;
    size_t decoders = l->threads > 0 ? (size_t)l->threads : 1;
    size_t items = (size_t)t->batch + 2 * decoders + (size_t)t->batch + TRAIN_SAMPLES_MAX;
    size_t side = resizes(l->preprocess) ? (size_t)l->load_size : (size_t)t->width;
    size_t decoded = 3 * 2 * 3 * side * side;
    return items * item + decoders * decoded;
}

int train_memory_check(const trainer_opts *t, const pair_loader_opts *l, eng_backend *be,
                       char *err, size_t errlen)
{
    char what[96];
    int n = snprintf(what, sizeof what, "training at %dx%d", t->width, t->height);
    if (resizes(l->preprocess) && l->load_size > t->width)
        snprintf(what + n, sizeof what - (size_t)n, " (images resized to %d)", l->load_size);
    return trainer_memory_check(t, be, other_bytes(t, l), what, err, errlen);
}
