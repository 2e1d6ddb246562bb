/* The pairs of one split of a dataset and the decoding + preprocessing of one pair. */
#ifndef DATASETS_PAIRS_H
#define DATASETS_PAIRS_H

#include <stddef.h>
#include <stdint.h>

#include "datasets/image.h"
#include "datasets/preprocess.h"

typedef struct {
    char *a_path; /* aligned: the A|B file */
    char *b_path; /* NULL when aligned */
    char *name;   /* file name */
} pair_entry;

typedef struct {
    pair_entry *items;
    size_t count;
    int aligned;
    size_t unpartnered; /* A or B files without a file of the same name on the other side */
} pair_list;

/* Layouts, tried in this order:
 *   aligned:  root/<split>/NAME, each file A|B side by side (A the left half);
 *   separate: root/A/<split>/NAME and root/B/<split>/NAME, paired by identical file name.
 * Pairs are in natural name order. Files without a partner are reported on stderr (unless
 * quiet) and counted. -1 with a reason when neither layout exists or no pair is found. */
int pair_list_scan(const char *root, const char *split, int quiet, pair_list *out, char *err,
                   size_t errlen);
/* Keeps the first n pairs (all when there are no more). */
void pair_list_truncate(pair_list *l, size_t n);
void pair_list_free(pair_list *l);

typedef struct {
    preprocess_opts pre;
    int direction_btoa;
    int input_nc, output_nc;
    long long max_pixels;
} pair_transform;

/* Decodes one pair and applies the reference's transform with the same parameters (drawn from
 * rng_state) to both sides: input is the network input (A, or B when direction_btoa), target
 * the other side, each grayscale when its channel count is 1. -1 with a one-line reason
 * (naming the B file when it is the one at fault) when the pair cannot be used. */
int pair_decode(const pair_transform *t, const pair_entry *e, uint64_t rng_state, image *input,
                image *target, char *err, size_t errlen);

#endif
