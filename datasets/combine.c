/* `dataset combine`: A and B folders with matching names -> aligned A|B files. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/text_line.h"
#include "datasets/dataset_tools.h"
#include "datasets/file_list.h"

int write_aligned_pair(const char *path, const image *a, const image *b, int jpeg_quality,
                       char *err, size_t errlen)
{
    image ab;
    if (a->height != b->height || a->channels != 3 || b->channels != 3) {
        snprintf(err, errlen, "halves of %dx%d and %dx%d cannot sit side by side", a->width,
                 a->height, b->width, b->height);
        return -1;
    }
    if (image_alloc(&ab, a->width + b->width, a->height, 3)) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    for (int y = 0; y < a->height; y++) {
        uint8_t *row = ab.pixels + (size_t)y * ab.width * 3;
        memcpy(row, a->pixels + (size_t)y * a->width * 3, (size_t)a->width * 3);
        memcpy(row + (size_t)a->width * 3, b->pixels + (size_t)y * b->width * 3,
               (size_t)b->width * 3);
    }
    int rc = jpeg_quality ? image_save_jpeg(path, &ab, jpeg_quality, err, errlen)
                          : image_save_png(path, &ab, err, errlen);
    image_free(&ab);
    return rc;
}

int split_counts(size_t n, double val_fraction, double test_fraction, size_t *n_train,
                 size_t *n_val, size_t *n_test, char *err, size_t errlen)
{
    if (!(val_fraction >= 0 && val_fraction < 1 && test_fraction >= 0 && test_fraction < 1)) {
        snprintf(err, errlen, "split fractions must lie in [0, 1) (got %g and %g)", val_fraction,
                 test_fraction);
        return -1;
    }
    *n_val = (size_t)(n * val_fraction + 0.5);
    *n_test = (size_t)(n * test_fraction + 0.5);
    if (*n_val + *n_test >= n) {
        snprintf(err, errlen, "%zu items leave nothing for train after %zu val and %zu test", n,
                 *n_val, *n_test);
        return -1;
    }
    *n_train = n - *n_val - *n_test;
    return 0;
}

/* The output name: the input name with its extension replaced. */
static void output_name(const char *name, int jpeg, char *out, size_t outlen)
{
    const char *dot = strrchr(name, '.');
    int stem = dot && dot != name ? (int)(dot - name) : (int)strlen(name);
    snprintf(out, outlen, "%.*s.%s", stem, name, jpeg ? "jpg" : "png");
}

static void report_missing(const name_list *have, const name_list *other, const char *dir,
                           const char *other_dir, combine_result *res)
{
    for (size_t i = 0; i < have->count; i++)
        if (!name_list_contains(other, have->names[i])) {
            res->unpartnered++;
            text_line(stderr, "combine: %s/%s has no partner in %s", dir, have->names[i],
                      other_dir);
        }
}

static int combine_one(const char *a_path, const char *b_path, const char *out_path,
                       int jpeg_quality, char *why, size_t whylen)
{
    image a, b;
    char inner[256];
    if (image_load(a_path, 0, &a, inner, sizeof inner)) {
        snprintf(why, whylen, "%s: %s", a_path, inner);
        return -1;
    }
    if (image_load(b_path, 0, &b, inner, sizeof inner)) {
        snprintf(why, whylen, "%s: %s", b_path, inner);
        image_free(&a);
        return -1;
    }
    int rc = write_aligned_pair(out_path, &a, &b, jpeg_quality, inner, sizeof inner);
    if (rc)
        snprintf(why, whylen, "%s + %s: %s", a_path, b_path, inner);
    image_free(&a);
    image_free(&b);
    return rc;
}

static int combine_folder(const char *dir_a, const char *dir_b, const char *out, int jpeg_quality,
                          combine_result *res, char *err, size_t errlen)
{
    name_list la, lb = {0};
    if (list_files(dir_a, &la, err, errlen))
        return -1;
    if (list_files(dir_b, &lb, err, errlen) || make_dirs(out, err, errlen)) {
        name_list_free(&la);
        name_list_free(&lb);
        return -1;
    }
    report_missing(&la, &lb, dir_a, dir_b, res);
    report_missing(&lb, &la, dir_b, dir_a, res);
    int rc = 0;
    for (size_t i = 0; i < la.count && !rc; i++) {
        if (!name_list_contains(&lb, la.names[i]))
            continue;
        char name[512], why[1024];
        output_name(la.names[i], jpeg_quality > 0, name, sizeof name);
        char *pa = path_join(dir_a, la.names[i]), *pb = path_join(dir_b, la.names[i]);
        char *po = path_join(out, name);
        if (!pa || !pb || !po) {
            snprintf(err, errlen, "out of memory");
            rc = -1;
        } else if (combine_one(pa, pb, po, jpeg_quality, why, sizeof why)) {
            res->failed++;
            text_line(stderr, "combine: skipping %s", why);
        } else if (++res->written % 100 == 0) {
            fprintf(stderr, "combine: %zu pairs written\n", res->written);
        }
        free(pa);
        free(pb);
        free(po);
    }
    name_list_free(&la);
    name_list_free(&lb);
    return rc;
}

int dataset_combine(const char *dir_a, const char *dir_b, const char *out, int jpeg_quality,
                    combine_result *res, char *err, size_t errlen)
{
    static const char *splits[3] = {"train", "val", "test"};
    memset(res, 0, sizeof *res);
    if (!is_directory(dir_a) || !is_directory(dir_b)) {
        snprintf(err, errlen, "%s is not a folder", is_directory(dir_a) ? dir_b : dir_a);
        return -1;
    }
    int found_split = 0, rc = 0;
    for (int s = 0; s < 3 && !rc; s++) {
        char *sa = path_join(dir_a, splits[s]), *sb = path_join(dir_b, splits[s]);
        char *so = path_join(out, splits[s]);
        if (!sa || !sb || !so) {
            snprintf(err, errlen, "out of memory");
            rc = -1;
        } else if (is_directory(sa)) {
            found_split = 1;
            if (!is_directory(sb)) {
                snprintf(err, errlen, "%s exists but %s does not", sa, sb);
                rc = -1;
            } else {
                rc = combine_folder(sa, sb, so, jpeg_quality, res, err, errlen);
            }
        }
        free(sa);
        free(sb);
        free(so);
    }
    if (!rc && !found_split)
        rc = combine_folder(dir_a, dir_b, out, jpeg_quality, res, err, errlen);
    if (!rc && !res->written) {
        snprintf(err, errlen, "no pair written (%zu files without a partner, %zu failed)",
                 res->unpartnered, res->failed);
        rc = -1;
    }
    return rc;
}
