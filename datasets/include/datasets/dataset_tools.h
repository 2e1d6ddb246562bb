/* Building paired datasets on disk: combining A and B folders, deriving pairs from photos. */
#ifndef DATASETS_DATASET_TOOLS_H
#define DATASETS_DATASET_TOOLS_H

#include <stddef.h>
#include <stdint.h>

#include "datasets/image.h"
#include "datasets/progress_report.h"

/* Writes a and b (same height) side by side as one aligned A|B file: PNG when
 * jpeg_quality is 0, else JPEG of that quality. */
int write_aligned_pair(const char *path, const image *a, const image *b, int jpeg_quality,
                       char *err, size_t errlen);
/* How n items split: round(n * val_fraction) to val, round(n * test_fraction) to test, the
 * rest to train. -1 with a reason when train would be empty or a fraction is outside [0, 1). */
int split_counts(size_t n, double val_fraction, double test_fraction, size_t *n_train,
                 size_t *n_val, size_t *n_test, char *err, size_t errlen);

typedef struct {
    size_t written;     /* pairs written */
    size_t unpartnered; /* files without a same-named file on the other side (each reported) */
    size_t failed;      /* pairs that could not be decoded or differ in height (reported) */
} combine_result;

/* A/NAME + B/NAME -> out/NAME (extension .png or .jpg) as aligned A|B. When dir_a has train,
 * val or test subfolders each is combined into out/<split>, else the folders themselves.
 * Reports go to stderr; -1 with a reason on an unusable argument or when no pair is written. */
int dataset_combine(const char *dir_a, const char *dir_b, const char *out, int jpeg_quality,
                    combine_result *res, char *err, size_t errlen);

typedef enum { MAKE_EDGES, MAKE_COLORIZE, MAKE_DEBLUR } make_task;

typedef struct {
    make_task task;
    const char *photos, *out;
    int size;            /* height of the written halves */
    int width;           /* their width (0: size, square halves) */
    double val_fraction, test_fraction;
    uint64_t seed;       /* which photos go to which split */
    int jpeg_quality;    /* 0: PNG */
    const dataset_progress *progress; /* told after each photo (NULL: nothing) */
} make_opts;

typedef struct {
    size_t train, val, test, failed;
} make_result;

/* From every photo of a folder: centre crop to width:size (width 0: a square), bicubic resize
 * to width x size (B), the task's input derived from it (A), written as
 * out/<split>/<n>.<ext>. */
int dataset_make(const make_opts *o, make_result *res, char *err, size_t errlen);

/* The derivations, on RGB images: edge map (black edges on white, Canny-like: Gaussian blur,
 * Sobel gradient, non-maximum suppression, hysteresis), grayscale (3 equal channels), and a
 * Gaussian blur of the given sigma. dst is allocated. */
int make_edge_map(const image *src, image *dst);
int make_gray_rgb(const image *src, image *dst);
int make_gaussian_blur(const image *src, double sigma, image *dst);

#endif
