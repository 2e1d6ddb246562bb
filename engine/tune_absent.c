/* The tuning API (engine/tune.h) of a build without the Vulkan backend: there is nothing to
 * tune, and pix2pix tune says why. Compiled only where PIX2PIX_VULKAN is off. */
#include <stdio.h>

#include "engine/tune.h"
#include "engine/engine.h"

eng_tune *eng_tune_convs(eng_backend *be, const eng_graph *g, int training, int fp16,
                         double seconds)
{
    (void)be, (void)g, (void)training, (void)fp16, (void)seconds;
    eng_set_error(-1, "this build has no Vulkan backend (configured with PIX2PIX_VULKAN=OFF "
                      "or without the Vulkan SDK): nothing to tune");
    return NULL;
}

int eng_tune_untuned(eng_backend *be, const eng_graph *g, int training)
{
    (void)be, (void)g, (void)training;
    return 0;
}

/* No eng_tune is ever made here: these are never reached with one. */
int eng_tune_count(const eng_tune *t)
{
    (void)t;
    return 0;
}

const eng_tune_row *eng_tune_row_at(const eng_tune *t, int i)
{
    (void)t, (void)i;
    return NULL;
}

int eng_tune_save(eng_backend *be, const eng_tune *t, char *path, size_t pathlen)
{
    (void)be, (void)t, (void)path, (void)pathlen;
    eng_set_error(-1, "this build has no Vulkan backend: nothing to save");
    return -1;
}

void eng_tune_free(eng_tune *t) { (void)t; }
