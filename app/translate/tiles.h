/* Cutting an image side into overlapping tiles for the network, and the weights that blend
 * the tiles' outputs: a raised-cosine ramp across each overlap, normalised so that the weights
 * of the tiles covering a position sum to 1. The weights of a 2-D tile are the product of its
 * row's and its column's. */
#ifndef APP_TILES_H
#define APP_TILES_H

#define TILE_DEFAULT_OVERLAP 32

typedef struct {
    int n;          /* tiles */
    int size;       /* each tile's side: a multiple of the network's stride */
    int *origin;    /* n increasing origins, multiples of the alignment */
    float *weight;  /* n x size: tile k's weight at its position p (origin[k] + p) */
} tile_axis;

/* Tile origins are multiples of this: the network's stride (then every downsampling samples
 * the same pixels as on the whole image), but at most an eighth of the tile, so that the
 * overlap can stay small on deep U-Nets; at least 1. */
int tile_alignment(int stride, int tile);
/* overlap (< 0: TILE_DEFAULT_OVERLAP) rounded up to a multiple of align, and at most half the
 * tile rounded down to one. */
int tile_overlap(int overlap, int tile, int align);
/* Tiles of side tile (a multiple of stride) over length positions, each overlapping the next
 * by at least overlap; the last one ends at length rounded up to align. A length that rounded
 * up to the stride (and to min_side) is no more than tile gets one tile of that size.
 * 0, or -1 when out of memory. */
int tile_axis_plan(tile_axis *a, int length, int tile, int overlap, int align, int stride,
                   int min_side);
/* Tiles that do not overlap (weights 1), for counting every position once: as few as tiles of
 * at most tile can be, of one side (a multiple of stride, at least min_side) as close to an
 * even share of length rounded up to the stride as the stride allows. 0, or -1 (out of
 * memory). */
int tile_axis_partition(tile_axis *a, int length, int tile, int stride, int min_side);
void tile_axis_free(tile_axis *a);

#endif
