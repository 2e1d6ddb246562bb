/* --precision: fp32, or fp16 storage with fp32 arithmetic (eng_mixed_precision). */
#ifndef APP_PRECISION_H
#define APP_PRECISION_H

#include "engine/engine.h"

#define APP_PRECISION_HELP                                                                       \
    "fp32 | fp16: fp16 storage of activations and weights, fp32 arithmetic (and master "       \
    "weights, Adam state, loss scaling in training); devices without 16-bit storage, and the " \
    "CPU, run fp32"

/* 1 for "fp16", 0 for "fp32"; -1 after "pix2pix COMMAND: --precision ..." on stderr. */
int app_precision_parse(const char *command, const char *value);
/* Asks g for mixed precision when fp16. */
void app_precision_apply(eng_graph *g, int fp16);
/* After planning with fp16 asked for: when the plan runs fp32, says so on stderr once per
 * process (not when quiet). */
void app_precision_note(const eng_plan *p, const eng_backend *be, int fp16, int quiet);

#endif
