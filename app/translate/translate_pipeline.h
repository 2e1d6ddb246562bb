/* Translating a list of image files with decoding, compute and encoding overlapped: a loader
 * thread decodes the next images into one queue, a worker per device (each with its own
 * generator and plans) takes the next image from it, two saver threads encode and write the
 * results. Each image takes the dropout masks of its position in the list, whatever device or
 * rank runs it: the outputs and messages are those of translating the files one after another
 * on each image's device; only the order of the messages may differ. */
#ifndef APP_TRANSLATE_PIPELINE_H
#define APP_TRANSLATE_PIPELINE_H

#include "app/model/generator.h"
#include "app/translate/pair_half.h"
#include "app/translate/translate.h"

#define TRANSLATE_MAX_WORKERS 16

typedef struct {
    int jpg, quality;       /* JPEG (at this quality) or PNG */
    int keep;               /* image_load_as flags: what the inputs keep as stored */
    int quiet;              /* no progress display */
    long long max_pixels;   /* larger images are refused before decoding (<= 0: default) */
    int first, step;        /* translate files first, first + step, ... (a rank's share; step
                             * <= 1: all); each takes its list position's dropout masks */
    pair_half half;         /* the whole image, or one half of an aligned A|B pair */
} translate_settings;

typedef struct {
    int failed;             /* files reported on stderr (path: reason) and skipped */
    double wall_s;          /* from the first decode to the last write */
    double load_s;          /* decoding (loader thread) */
    double save_s;          /* encoding and writing (saver threads, summed) */
    double compute_s[TRANSLATE_MAX_WORKERS]; /* translate_image on each worker */
    int images[TRANSLATE_MAX_WORKERS];       /* images each worker took (failed ones too) */
} translate_stats;

/* A device's generator and how it translates (budget_share: its part of its device). */
typedef struct {
    generator *r;
    translate_options opts;
} translate_worker;

/* inputs[i] is translated into outputs[i] (their folders are made as needed) by one of the
 * nworkers workers (1 .. TRANSLATE_MAX_WORKERS). Every file is reported at most once, on one
 * line. Returns -1 (and translates nothing) only when out of memory. */
int translate_files(const translate_worker *workers, int nworkers, const translate_settings *s,
                    char **inputs, char **outputs, int n, translate_stats *stats);
/* How many of n files the settings' share holds. */
int translate_share(const translate_settings *s, int n);

#endif
