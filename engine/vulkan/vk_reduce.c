/* Gradient reduction at the cuts of a recording (vk_internal.h): the host copies the
 * optimizer's gradients out, hands them to its reducer as one bucket, and copies the result
 * back before the next segment, whose first steps are the optimizer's updates. The transfers
 * go through the staging buffer one tensor at a time; the reduction starts once the whole
 * backward has run (no overlap, unlike the CPU backend's buckets). */
#include <stdlib.h>

#include "engine/vulkan/vk_internal.h"

void vk_reductions_free(vk_reduction *r, int n)
{
    for (int k = 0; r && k < n; k++) {
        for (int i = 0; r[k].grads && i < r[k].opt->nparams; i++)
            free(r[k].grads[i]);
        free(r[k].grads);
        free(r[k].counts);
    }
    free(r);
}

int vk_reductions_new(const vk_steps *s, vk_reduction **out)
{
    vk_reduction *r = calloc((size_t)(s->ncuts ? s->ncuts : 1), sizeof *r);
    int ok = r != NULL;
    for (int k = 0; ok && k < s->ncuts; k++) {
        const eng_adam *opt = s->cut_opts[k];
        r[k].opt = opt;
        r[k].grads = calloc((size_t)opt->nparams, sizeof *r[k].grads);
        r[k].counts = malloc((size_t)opt->nparams * sizeof *r[k].counts);
        ok = r[k].grads && r[k].counts;
        for (int i = 0; ok && i < opt->nparams; i++) {
            r[k].counts[i] = opt->params[i]->numel;
            ok = (r[k].grads[i] = malloc(r[k].counts[i] * sizeof(float))) != NULL;
        }
    }
    if (!ok) {
        vk_reductions_free(r, s->ncuts);
        return eng_set_error(ENG_ENOMEM, "out of memory for the gradients to reduce");
    }
    *out = r;
    return 0;
}

int vk_reduce(vk_ctx *ctx, vk_memory *m, const vk_layout *l, const vk_reduction *r)
{
    const eng_adam *opt = r->opt;
    const eng_reducer *red = opt->reducer;
    int status = 0;
    for (int i = 0; i < opt->nparams && !status; i++)
        status = vk_memory_download(ctx, m, l->grad[opt->params[i]->id], r->grads[i]);
    if (status)
        return status;
    if (red->start(red->ctx, 0, r->grads, r->counts, opt->nparams) || red->finish(red->ctx, 0))
        return eng_set_error(ENG_EBACKEND, "gradient reduction failed");
    for (int i = 0; i < opt->nparams && !status; i++)
        status = vk_memory_upload(ctx, m, l->grad[opt->params[i]->id], r->grads[i]);
    return status;
}
