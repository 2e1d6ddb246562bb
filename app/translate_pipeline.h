/* Translating a list of image files with decoding, compute and encoding overlapped: a loader
 * thread decodes the next images, the calling thread runs the generator, two saver threads
 * encode and write the results. Outputs and messages are those of translating the files one
 * after another; only the order of the messages may differ slightly. */
#ifndef APP_TRANSLATE_PIPELINE_H
#define APP_TRANSLATE_PIPELINE_H

#include "app/generator.h"

typedef struct {
    const char *output;     /* folder of the results */
    int jpg, quality;       /* JPEG (at this quality) or PNG */
    int full_res;           /* see translate_image */
    int quiet;              /* no progress display */
    long long max_pixels;   /* larger images are refused before decoding (<= 0: default) */
    int first, step;        /* translate files first, first + step, ... (a rank's share; step
                             * <= 1: all); each takes its list position's dropout masks */
} translate_settings;

typedef struct {
    int failed;             /* files reported on stderr (path: reason) and skipped */
    double wall_s;          /* from the first decode to the last write */
    double load_s;          /* decoding (loader thread) */
    double compute_s;       /* translate_image on the calling thread: resizing and the generator */
    double save_s;          /* encoding and writing (saver threads, summed) */
} translate_stats;

/* owner[i] != i: file i has the same output name as file owner[i] and is reported and skipped
 * (owner may be NULL: none). Every file is reported at most once, on one line. Returns -1 (and
 * translates nothing) only when out of memory. */
int translate_files(generator *r, const translate_settings *s, char **files, const int *owner,
                    int n, translate_stats *stats);
/* How many of n files the settings' share holds. */
int translate_share(const translate_settings *s, int n);

#endif
