/* How the long dataset tools report progress without knowing how it is shown: the caller
 * passes a callback (the app draws a bar), or NULL for silence. */
#ifndef DATASETS_PROGRESS_REPORT_H
#define DATASETS_PROGRESS_REPORT_H

#include <stddef.h>

typedef struct {
    void (*step)(void *ctx, size_t done, size_t total); /* after each item */
    void *ctx;
} dataset_progress;

#endif
