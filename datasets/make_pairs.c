/* `dataset make`: a paired aligned dataset derived from any folder of photos. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/text_line.h"
#include "datasets/dataset_tools.h"
#include "datasets/file_list.h"
#include "datasets/preprocess.h"
#include "rng.h"

/* Centre crop to the aspect width:height, bicubic resize to width x height. */
static int framed_photo(const image *photo, int width, int height, image *out)
{
    image framed;
    int w = photo->width, h = (int)((long long)photo->width * height / width);
    if (h > photo->height) {
        h = photo->height;
        w = (int)((long long)photo->height * width / height);
    }
    if (w < 1 || h < 1 ||
        image_crop(photo, (photo->width - w) / 2, (photo->height - h) / 2, w, h, &framed))
        return -1;
    int rc = image_resize_bicubic(&framed, width, height, out);
    image_free(&framed);
    return rc;
}

static int derive_input(make_task task, const image *b, int size, image *a)
{
    switch (task) {
    case MAKE_EDGES:
        return make_edge_map(b, a);
    case MAKE_COLORIZE:
        return make_gray_rgb(b, a);
    default: /* sigma 2 at 256 pixels, scaled with the size, at least 1 */
        return make_gaussian_blur(b, size > 128 ? 2.0 * size / 256.0 : 1.0, a);
    }
}

static int make_one(const make_opts *o, const char *src, const char *dst, char *why, size_t len)
{
    image photo, b, a;
    char inner[256];
    if (image_load(src, 0, &photo, inner, sizeof inner)) {
        snprintf(why, len, "%s: %s", src, inner);
        return -1;
    }
    int rc = framed_photo(&photo, o->width ? o->width : o->size, o->size, &b);
    image_free(&photo);
    if (rc || derive_input(o->task, &b, o->size, &a)) {
        if (!rc)
            image_free(&b);
        snprintf(why, len, "%s: out of memory", src);
        return -1;
    }
    rc = write_aligned_pair(dst, &a, &b, o->jpeg_quality, inner, sizeof inner);
    if (rc)
        snprintf(why, len, "%s: %s", dst, inner);
    image_free(&a);
    image_free(&b);
    return rc;
}

static int compare_sizes(const void *x, const void *y)
{
    size_t a = *(const size_t *)x, b = *(const size_t *)y;
    return (a > b) - (a < b);
}

int dataset_make(const make_opts *o, make_result *res, char *err, size_t errlen)
{
    static const char *splits[3] = {"train", "val", "test"};
    memset(res, 0, sizeof *res);
    if (o->size < 16 || (o->width && o->width < 16)) {
        snprintf(err, errlen, "%s %d is below 16", o->size < 16 ? "size" : "width",
                 o->size < 16 ? o->size : o->width);
        return -1;
    }
    name_list photos;
    if (list_files(o->photos, &photos, err, errlen))
        return -1;
    size_t n = photos.count, counts[3];
    size_t *order = malloc(sizeof(size_t) * (n ? n : 1));
    if (!n) {
        snprintf(err, errlen, "%s has no files", o->photos);
    } else if (!order) {
        snprintf(err, errlen, "out of memory");
    } else if (!split_counts(n, o->val_fraction, o->test_fraction, &counts[0], &counts[1],
                             &counts[2], err, errlen)) {
        /* The seed decides which photos go to val and test; each split keeps name order. */
        uint64_t rng = rng_derive(o->seed, 0x4D414B45ull, 0, 0);
        for (size_t i = 0; i < n; i++)
            order[i] = i;
        for (size_t i = n - 1; i > 0; i--) {
            size_t j = (size_t)rng_below(&rng, i + 1), t = order[i];
            order[i] = order[j];
            order[j] = t;
        }
        size_t start = 0, done = 0, *written[3] = {&res->train, &res->val, &res->test};
        for (int s = 0; s < 3; s++) {
            if (!counts[s]) /* an empty split folder would only be refused later */
                continue;
            qsort(order + start, counts[s], sizeof *order, compare_sizes);
            char *dir = path_join(o->out, splits[s]);
            if (!dir || make_dirs(dir, err, errlen)) {
                free(dir);
                goto fail;
            }
            for (size_t i = start; i < start + counts[s]; i++) {
                char name[64], why[1024];
                snprintf(name, sizeof name, "%zu.%s", *written[s] + 1, o->jpeg_quality ? "jpg" : "png");
                char *src = path_join(o->photos, photos.names[order[i]]), *dst = path_join(dir, name);
                if (src && dst && !make_one(o, src, dst, why, sizeof why)) {
                    (*written[s])++;
                } else {
                    res->failed++;
                    text_line(stderr, "make: skipping %s", src && dst ? why : "(out of memory)");
                }
                free(src);
                free(dst);
                if (o->progress)
                    o->progress->step(o->progress->ctx, ++done, n);
            }
            free(dir);
            start += counts[s];
        }
        if (res->train + res->val + res->test == 0)
            snprintf(err, errlen, "no pair written: none of the %zu files could be used", n);
        else {
            free(order);
            name_list_free(&photos);
            return 0;
        }
    }
fail:
    free(order);
    name_list_free(&photos);
    return -1;
}
