/* pix2pix test (and the demo's last stage): translate a split of a paired dataset, score the
 * results against the targets and write an HTML page of input | output | target rows with each
 * pair's scores, worst L1 first, and the means at the top. */
#ifndef APP_TEST_RUN_H
#define APP_TEST_RUN_H

#include <stdint.h>

typedef struct {
    const char *data, *model, *split, *results, *device;
    const char *direction; /* NULL: the one the model records (AtoB when it has none) */
    int eval, threads, quiet;
    int num_test;          /* the first N pairs (0: all) */
    int fp16; /* --precision fp16 */
    uint64_t seed;
} test_config;

typedef struct {
    int pairs, failed;
    double l1, psnr, ssim; /* means over the pairs (PSNR of identical images counts as 100) */
} test_scores;

/* Returns the exit status; scores filled when not NULL. */
int test_run(const test_config *c, test_scores *scores);

#endif
