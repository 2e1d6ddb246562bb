/* A procedural paired dataset (no third-party files): A is a label map of a few shapes, B the
 * scene rendered from it. B is a deterministic, local function of A (each class has its own
 * look), so a small pix2pix learns A -> B quickly. */
#ifndef DATASETS_SYNTHETIC_H
#define DATASETS_SYNTHETIC_H

#include <stddef.h>
#include <stdint.h>

#include "datasets/image.h"
#include "datasets/progress_report.h"

/* Label colours of A. */
#define SYNTH_LABEL_BACKGROUND {0, 0, 170}
#define SYNTH_LABEL_CIRCLE {255, 85, 0}
#define SYNTH_LABEL_RECTANGLE {0, 170, 255}
#define SYNTH_LABEL_TRIANGLE {170, 255, 85}

/* Pair `index` of the dataset for `seed`: label (A) and scene (B), both size x size RGB
 * (size >= 16). The same arguments always give the same pixels. */
int synth_render_pair(uint64_t seed, uint64_t index, int size, image *label, image *scene);

typedef struct {
    const char *out;
    int count, size;
    uint64_t seed;
    double val_fraction, test_fraction;
    const dataset_progress *progress; /* told after each pair (NULL: nothing) */
} synth_opts;

/* out/train, out/val, out/test with aligned A|B PNG files named 1.png, 2.png, ... */
int synth_write_dataset(const synth_opts *o, char *err, size_t errlen);

#endif
