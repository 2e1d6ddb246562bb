/* Translating one image with a loaded generator (used by translate, test and demo). */
#ifndef APP_TRANSLATE_H
#define APP_TRANSLATE_H

#include <stddef.h>

#include "app/model/generator.h"
#include "datasets/image.h"

typedef struct {
    int full_res;       /* at the image's own resolution (else at the model's size) */
    int tile;           /* full_res: the tile side (rounded up to the stride); 0: tiles only
                           when the whole image would not fit the memory budget */
    int overlap;        /* tiles: at least this overlap (< 0: the default, TILE_DEFAULT_OVERLAP) */
    int stats_passes;   /* tiles of a network normalised with its input's statistics: refinement
                           passes over the tiles (translate_tiled.c) */
    int keep;           /* the result keeps what came in: the model's channels (1: grey) and the
                           input's alpha; else it is RGB */
    int depth;          /* bits per sample of the result: 8 (also 0) or 16 */
    double budget_share; /* of the backend's memory budget this translation may take (0: all) */
    int verbose;        /* the tiling of each image on stderr */
    int tile_progress;  /* a progress line over the tiles (for a run of one image) */
    long long split_bytes; /* exact tiles of a U-Net: the most bytes of the image's map held
                              whole where the network is cut (0: where the middle fits the
                              memory budget, translate_exact.c) */
} translate_options;

/* The output has the input's size. in: 1 to 4 channels (alpha composited on white for the
 * network), 8 or 16 bits. Default: the image is resized (bicubic) to the model's size,
 * translated, and the result resized back (in floats when depth is 16); full_res: translated
 * at its own size, mirror-padded to a multiple of the network stride and cropped back, in
 * overlapping tiles (translate_tiled.c) when the options or the memory budget say so. */
int translate_image(generator *r, const image *in, const translate_options *o, image *out,
                    char *err, size_t errlen);

/* translate_tiled.c: at full resolution in tiles of side tile (a multiple of the stride) into
 * out (allocated: the input's size, out's channels and depth set). */
int translate_tiled(generator *r, const image *in, const translate_options *o, int tile,
                    image *out, char *err, size_t errlen);

/* translate_exact.c: the depth at which a U-Net normalised with its input's statistics is cut
 * for exact tiles of side tile on an h x w image (0: it is not; then the tiles of
 * translate_tiled), and those exact tiles into out (as translate_tiled). */
int translate_exact_split(generator *r, int h, int w, int tile, const translate_options *o);
int translate_exact(generator *r, const image *in, const translate_options *o, int tile, int k,
                    image *out, char *err, size_t errlen);

#endif
