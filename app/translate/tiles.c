#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "app/translate/tiles.h"

static int round_up(int v, int m)
{
    return (v + m - 1) / m * m;
}

int tile_alignment(int stride, int tile)
{
    int align = stride < tile / 8 ? stride : tile / 8;
    while (align > 1 && stride % align) /* a divisor of the stride: origins stay on its grid */
        align--;
    return align > 1 ? align : 1;
}

int tile_overlap(int overlap, int tile, int align)
{
    int v = round_up(overlap < 0 ? TILE_DEFAULT_OVERLAP : overlap, align);
    int most = tile / 2 / align * align;
    return v < most ? v : most;
}

/* 0 at t <= 0, 1 at t >= 1, a raised cosine between: smooth where it meets 0 and 1. */
static double ramp(double t)
{
    return t <= 0 ? 0 : t >= 1 ? 1 : 0.5 - 0.5 * cos(M_PI * t);
}

/* Tile k's weight before normalisation at global position x: a ramp up across the overlap
 * with the previous tile, a ramp down across the overlap with the next one. */
static double raw_weight(const tile_axis *a, int k, int x)
{
    int start = a->origin[k], end = start + a->size;
    double w = 1.0;
    if (k > 0)
        w *= ramp((x - start + 0.5) / (a->origin[k - 1] + a->size - start));
    if (k < a->n - 1)
        w *= ramp((end - x - 0.5) / (end - a->origin[k + 1]));
    return w;
}

static void set_weights(tile_axis *a)
{
    for (int k = 0; k < a->n; k++)
        for (int p = 0; p < a->size; p++) {
            int x = a->origin[k] + p;
            double sum = 0.0;
            for (int j = 0; j < a->n; j++)
                if (x >= a->origin[j] && x < a->origin[j] + a->size)
                    sum += raw_weight(a, j, x);
            a->weight[(size_t)k * a->size + p] = (float)(raw_weight(a, k, x) / sum);
        }
}

/* n tiles of side size; the caller sets the origins and weights. */
static int tile_axis_alloc(tile_axis *a, int n, int size)
{
    a->n = n;
    a->size = size;
    a->origin = malloc(sizeof *a->origin * (size_t)n);
    a->weight = malloc(sizeof *a->weight * (size_t)n * size);
    if (a->origin && a->weight)
        return 0;
    tile_axis_free(a);
    return -1;
}

int tile_axis_plan(tile_axis *a, int length, int tile, int overlap, int align, int stride,
                   int min_side)
{
    memset(a, 0, sizeof *a);
    int whole = round_up(length, stride), end = round_up(length, align), step = tile - overlap;
    if (whole <= tile ? tile_axis_alloc(a, 1, whole > min_side ? whole : min_side)
                      : tile_axis_alloc(a, 1 + (end - tile + step - 1) / step, tile))
        return -1;
    for (int k = 0; k < a->n; k++)
        a->origin[k] = k * (tile - overlap);
    if (a->n > 1) /* the last tile ends where the length ends, on the alignment */
        a->origin[a->n - 1] = round_up(length, align) - tile;
    set_weights(a);
    return 0;
}

int tile_axis_partition(tile_axis *a, int length, int tile, int stride, int min_side)
{
    memset(a, 0, sizeof *a);
    int whole = round_up(length, stride), n = (whole + tile - 1) / tile;
    int size = round_up((whole + n - 1) / n, stride);
    if (tile_axis_alloc(a, n, size > min_side ? size : min_side))
        return -1;
    for (int k = 0; k < n; k++)
        a->origin[k] = k * a->size;
    for (size_t i = 0; i < (size_t)n * a->size; i++)
        a->weight[i] = 1.0f;
    return 0;
}

void tile_axis_free(tile_axis *a)
{
    free(a->origin);
    free(a->weight);
    memset(a, 0, sizeof *a);
}
