/* A generator loaded from a model file, run on images of any size (one graph per size). */
#ifndef APP_GENERATOR_H
#define APP_GENERATOR_H

#include <stddef.h>
#include <stdint.h>

#include "app/model/networks.h"
#include "app/model/norm_stats.h"
#include "engine/safetensors.h"

/* The network built for one image size and one way of normalising (net_stats_mode). */
typedef struct {
    eng_graph *g;
    eng_plan *plan;
    net G;
    eng_node *in, *out;
    net_stats_mode stats;
    unet_part part;     /* a U-Net cut at generator.split, or the whole network */
    eng_node *mid;      /* UNET_DECODER: the middle's output, an input */
    int h, w;           /* the input's (0: none) */
} sized_net;

typedef struct {
    gen_config cfg;
    int image_size;     /* the size it was trained at: crop_size in the metadata, else 256 */
    st_file *file;      /* open until the first plan has its weights */
    char path[4096];
    eng_backend *be;
    int eval;           /* running statistics and no dropout; else batch statistics + dropout */
    int fp16;           /* --precision fp16: plans in mixed precision (set after opening) */
    uint32_t seed;      /* dropout masks */
    long long image;    /* >= 0: the image's position in its list, whose dropout masks it
                         * takes (each of its tiles too); -1 (generator_open): each run the
                         * next masks */
    int split;          /* exact tiles of a U-Net: the depth of the split block (the caller's) */
    sized_net cur;
    float *stash;       /* the weights while no plan holds them (between two plans), and all
                         * of them while the plan is a part of the network; in network order */
    size_t weight_bytes; /* the checkpoint's tensors as floats */
    double px_bytes, px_measured; /* plan bytes per pixel past the weights, from the plan of
                                     most pixels (px_measured) built so far */
} generator;

int generator_open(generator *r, const char *path, eng_backend *be, int eval, uint64_t seed,
                   char *err, size_t errlen);
/* Makes the network for h x w ready (generator_run does when the size changes), refused before
 * anything is allocated when it and extra bytes of the caller's would not fit in the memory
 * this process may use ("translating at WxH needs about ..." in err). */
int generator_prepare(generator *r, int h, int w, size_t extra, char *err, size_t errlen);
/* in: [1, input_nc, h, w], out: [1, output_nc, h, w], values in [-1, 1]. h and w must be
 * multiples of gen_stride(). */
int generator_run(generator *r, const float *in, int h, int w, float *out, char *err,
                  size_t errlen);
/* generator_run with statistics from outside the run: seen (NULL: not wanted) accumulates the
 * statistics every normalisation layer saw in this run; use (NULL: the run's own, as
 * generator_run) gives those it normalises with instead. Both laid out by
 * generator_stats_init. */
int generator_run_stats(generator *r, const float *in, int h, int w, const norm_stats *use,
                        norm_stats *seen, float *out, char *err, size_t errlen);
/* generator_run_stats on one part of a U-Net cut at r->split (2 or more). The encoder takes
 * the image (h, w: multiples of 2^(split-1)) and gives the split block's input, of
 * unet_block_channels(split) channels at h / 2^(split-1) x w / 2^(split-1); the middle takes
 * that (h, w: its size, multiples of gen_stride / 2^(split-1)) and gives twice the channels at
 * the same size; the decoder takes the image and mid, the middle's output at the image's
 * 1 / 2^(split-1), and gives the network's output. */
int generator_run_part(generator *r, unet_part part, const float *in, int h, int w,
                       const float *mid, const norm_stats *use, norm_stats *seen, float *out,
                       char *err, size_t errlen);
/* Whether the output depends on statistics of the whole input: batch norm without eval, and
 * instance norm (which has no running statistics). */
int generator_needs_stats(const generator *r);
/* s laid out for the generator's normalisation layers. 0 or -1 (out of memory). */
int generator_stats_init(const generator *r, norm_stats *s);
/* The same for the normalisation layers of a part (generator_run_part). */
int generator_part_stats_init(const generator *r, unet_part part, norm_stats *s);
/* Estimated bytes of a plan for h x w on the backend (the weights and, scaled by the pixel
 * count, what the largest plan built so far needed past them; with no plan yet, one is built
 * at the model's size first). 0 with a reason in err when that plan cannot be built. */
size_t generator_plan_bytes(generator *r, int h, int w, char *err, size_t errlen);
/* Bytes of a plan of the middle (generator_run_part) of the U-Net cut at block split for an
 * h x w image (multiples of the stride), found without allocating it; 0 when the backend
 * cannot say. */
size_t generator_middle_bytes(generator *r, int split, int h, int w);
/* The bytes of the current plan (0: none). */
size_t generator_current_bytes(const generator *r);
void generator_close(generator *r);

#endif
