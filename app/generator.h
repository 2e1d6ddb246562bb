/* A generator loaded from a model file, run on images of any size (one graph per size). */
#ifndef APP_GENERATOR_H
#define APP_GENERATOR_H

#include <stddef.h>
#include <stdint.h>

#include "app/networks.h"
#include "engine/safetensors.h"

/* The network built for one image size. */
typedef struct {
    eng_graph *g;
    eng_plan *plan;
    net G;
    eng_node *in, *out;
} sized_net;

typedef struct {
    gen_config cfg;
    int image_size;     /* the size it was trained at: crop_size in the metadata, else 256 */
    st_file *file;      /* open until the first plan has its weights */
    char path[4096];
    eng_backend *be;
    int eval;           /* running statistics and no dropout; else batch statistics + dropout */
    uint32_t seed;      /* dropout masks */
    long long image;    /* >= 0: the image's position in its list, whose dropout masks it
                         * takes; -1 (generator_open): each run the next masks */
    int h, w;           /* size of the current plan (0: none) */
    sized_net cur;
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
void generator_close(generator *r);

#endif
