/* Paired datasets (aligned A|B files, or A/ and B/ folders) and the prefetching batch loader.
 *
 * Layouts (datasets/pairs.h): DATA/<split>/NAME holding A|B side by side (A the left half, the
 * width must be even), else DATA/A/<split>/NAME + DATA/B/<split>/NAME paired by identical name
 * (same size required). Files are taken in natural name order ("2.jpg" before "10.jpg");
 * hidden files and folders are ignored, every other entry is a candidate (so a dangling link
 * or a FIFO is reported as unusable).
 *
 * Preprocessing is the reference's get_params/get_transform (datasets/preprocess.h) with the
 * same crop and flip for A and B. Shuffling, crops and flips derive from (seed, epoch, index)
 * only, so a seed gives the same batches for any thread count. An unusable file (corrupt,
 * truncated, empty, not an image, odd-width aligned file, partner missing or of another size)
 * is reported once on stderr with its path and reason, counted and skipped; the batch is
 * filled with the next good pair. In the modes whose output size depends on the image
 * (crop on small images, scale_width, none) the first usable pair fixes the item size and
 * pairs preprocessing to another size are skipped the same way. */
#ifndef DATASETS_LOADER_H
#define DATASETS_LOADER_H

#include <stddef.h>
#include <stdint.h>

typedef enum {
    PREPROCESS_RESIZE_AND_CROP,
    PREPROCESS_CROP,
    PREPROCESS_SCALE_WIDTH,
    PREPROCESS_SCALE_WIDTH_AND_CROP,
    PREPROCESS_NONE
} preprocess_mode;

typedef struct {
    const char *root;      /* DATA: DATA/<split>/ (aligned) or DATA/A/<split> + DATA/B/<split> */
    const char *split;     /* "train", "val", "test" */
    int direction_btoa;    /* swap A and B */
    preprocess_mode preprocess;
    int load_size;         /* 286 */
    int crop_size;         /* 256 */
    int no_flip;
    int serial;            /* no shuffle */
    uint64_t seed;
    int batch_size;
    int threads;           /* decode workers; 0 decodes in the calling thread */
    int input_nc, output_nc; /* 3, or 1 for grayscale (ITU-R 601 luma as PIL's convert('L')) */
    long long max_pixels;  /* <= 0: default */
    /* Data-parallel shards (PyTorch's DistributedSampler, drop_last off): each epoch's order
     * is padded by wrapping to a multiple of shard_count and this loader takes every
     * shard_count-th position from shard_rank, so every shard has ceil(N / shard_count)
     * pairs. shard_count <= 1: all pairs. */
    int shard_rank, shard_count;
    int quiet;             /* do not print skipped-file reports */
    size_t max_pairs;      /* > 0: only the first max_pairs pairs in name order */
} pair_loader_opts;

typedef struct pair_loader pair_loader;

/* Scans the dataset. NULL with a reason in err when no usable pair can be found. */
pair_loader *pair_loader_open(const pair_loader_opts *opts, char *err, size_t errlen);
void pair_loader_close(pair_loader *l);
/* Pairs found by the scan (before decoding). */
size_t pair_loader_size(const pair_loader *l);
/* Batches per epoch: floor(pairs of the shard / batch_size), at least 1. */
size_t pair_loader_batches_per_epoch(const pair_loader *l);
/* Output size of a batch element after preprocessing (crop_size for the cropping modes). */
void pair_loader_item_size(const pair_loader *l, int *height, int *width);
/* Fills the next batch: a [batch, input_nc, H, W], b [batch, output_nc, H, W], values in
 * [-1, 1]; names (optional, batch entries of the given length) receive the file base names.
 * Epochs follow one another; *epoch_done is set on the batch that ends one. Returns 0, or -1
 * when every file failed to decode. */
int pair_loader_next(pair_loader *l, float *a, float *b, char (*names)[256], int *epoch_done);
/* Goes to batch `batches` of epoch `epoch` (epochs counted from 0, as the first epoch the
 * loader serves): what a run that served those batches would serve next, so that a resumed
 * training run sees the data the whole run would have seen. Exact when no file before that
 * position was unusable (a skipped file shifts the batches after it). -1 when a decode thread
 * cannot be restarted. */
int pair_loader_seek(pair_loader *l, uint64_t epoch, size_t batches);
/* Files skipped so far because they could not be used (each reported once). */
size_t pair_loader_skipped(const pair_loader *l);

#endif
