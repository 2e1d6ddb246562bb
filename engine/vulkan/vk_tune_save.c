/* eng_tune_save: the tuner's winners into the device's tuning file, beside the entries it
 * already had for other GEMMs, then read back into the backend's choices. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/engine.h"
#include "engine/vulkan/vk_tune.h"
#include "engine/vulkan/vk_tune_load.h"


static int tuned_now(const eng_tune *t, const vk_conv_key *key)
{
    for (int i = 0; i < t->n; i++)
        if (!memcmp(&t->best[i].key, key, sizeof *key))
            return 1;
    return 0;
}

int eng_tune_save(eng_backend *be, const eng_tune *t, char *path, size_t pathlen)
{
    vk_ctx *ctx = be->impl;
    if (!vk_tune_file_path(ctx, path, pathlen)) {
        eng_set_error(-1, "tune: no cache folder for the tuning file (set XDG_CACHE_HOME "
                          "or HOME)");
        return -1;
    }
    vk_tune_record *recs = malloc((ctx->tuning.ntuned + (size_t)t->n + 1) * sizeof *recs);
    if (!recs) {
        eng_set_error(-1, "tune: out of memory");
        return -1;
    }
    size_t n = 0;
    for (size_t i = 0; i < ctx->tuning.ntuned; i++) { /* measured before: ms not known (0) */
        const vk_conv_tuned *e = &ctx->tuning.tuned[i];
        if (!tuned_now(t, &e->key))
            recs[n++] = (vk_tune_record){e->key, vk_conv_tile_of(e->choice.tile_id),
                                         e->choice.splits, e->choice.coopmat, 0};
    }
    memcpy(recs + n, t->best, (size_t)t->n * sizeof *recs);
    vk_tune_identity id;
    vk_tune_identity_of(ctx, &id);
    int rc = vk_tune_file_save(path, &id, recs, n + (size_t)t->n);
    free(recs);
    vk_tune_file_release(ctx);
    vk_tune_file_apply(ctx);
    return rc;
}
