/* The conv kernels measured on the user's own device (pix2pix tune), as cuDNN's benchmark mode
 * and MIOpen's find-db do: every candidate tile, split-K factor and (where the device has it)
 * the cooperative-matrix kernel of each distinct conv GEMM of a graph is timed on a one-conv
 * plan, checked against the default kernel's output, and the fastest correct one kept in the
 * device's tuning file, which every later Vulkan context reads (PIX2PIX_VK_TUNING=0: not). */
#ifndef ENGINE_TUNE_H
#define ENGINE_TUNE_H

#include <stddef.h>

#include "engine/engine.h"

typedef struct eng_tune eng_tune;

/* One conv GEMM's measurements. */
typedef struct {
    char gemm[160];          /* which GEMM of which conv, and its M x N x K */
    char default_choice[64]; /* the estimate's kernel ("TXxTY:TMxTN:BK split S", "coopmat") */
    double default_ms;
    char best_choice[64];
    double best_ms;
    int measured, rejected, skipped; /* candidates: timed, wrong results, out of time */
    char rejects[256];       /* the rejected ones with their errors */
} eng_tune_row;

/* Tunes the distinct GEMMs of g's convolutions (forward, and with training the input and
 * weight gradients) on a Vulkan backend within about `seconds`, costliest first, each given a
 * share of the time left in proportion to its FLOPs; fp16: with fp16 storage.
 * NULL with the reason in eng_last_error() (a backend that is not Vulkan among them). */
eng_tune *eng_tune_convs(eng_backend *be, const eng_graph *g, int training, int fp16,
                         double seconds);
/* The distinct conv GEMMs of g (as eng_tune_convs counts them) that have no measured choice
 * on this backend yet (0 on a backend that is not Vulkan): what --tune auto tunes for. */
int eng_tune_untuned(eng_backend *be, const eng_graph *g, int training);
int eng_tune_count(const eng_tune *t);
const eng_tune_row *eng_tune_row_at(const eng_tune *t, int i);
/* Writes the winners into the device's tuning file (kept: its entries for other GEMMs) and
 * into the backend's choices; the file's path in path. 0, or -1 with the reason in
 * eng_last_error(). */
int eng_tune_save(eng_backend *be, const eng_tune *t, char *path, size_t pathlen);
void eng_tune_free(eng_tune *t);

#endif
