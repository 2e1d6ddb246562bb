/* Gradient buckets for an optimizer's reducer (eng_reducer in engine.h).
 *
 * The parameters are taken in the order their gradients complete (the last command before the
 * ADAM command that uses each, as grad_liveness.c finds it) and grouped into buckets of at
 * least bucket_bytes (the last one may be smaller). A bucket starts right after the command
 * that completes its last gradient, so its reduction overlaps the rest of backward; all the
 * optimizer's updates run at its ADAM command, each bucket finished just before its own
 * updates, so that later buckets still travel while earlier ones are applied. The gradients
 * therefore live until the ADAM command (grad_liveness.c extends them), as a framework's
 * persistent .grad tensors do. */
#include <stdlib.h>

#include "engine/engine.h"
#include "engine/memplan/memplan.h"

static int opt_slot(const eng_graph *g, const eng_adam *opt)
{
    for (int s = 0; s < g->nopts; s++)
        if (g->opts[s] == opt)
            return s;
    return -1;
}

/* order: 0..n-1 sorted by point (stable: ties keep the parameter order). */
static void sort_by_point(int *order, const int *point, int n)
{
    for (int k = 0; k < n; k++) {
        int v = order[k] = k, j = k;
        for (; j > 0 && point[order[j - 1]] > point[v]; j--)
            order[j] = order[j - 1];
        order[j] = v;
    }
}

static eng_bucket *new_bucket(eng_grad_plan *gp)
{
    eng_bucket *grown = realloc(gp->buckets, (size_t)(gp->nbuckets + 1) * sizeof *grown);
    if (!grown)
        return NULL;
    gp->buckets = grown;
    eng_bucket *b = &grown[gp->nbuckets++];
    *b = (eng_bucket){0};
    return b;
}

/* Fills bucket b with the parameters order[from..to). */
static int fill_bucket(eng_bucket *b, const eng_adam *opt, const int *order, const int *point,
                       int from, int to)
{
    b->n = to - from;
    b->ids = malloc((size_t)b->n * sizeof *b->ids);
    b->grads = calloc((size_t)b->n, sizeof *b->grads);
    b->counts = malloc((size_t)b->n * sizeof *b->counts);
    if (!b->ids || !b->grads || !b->counts)
        return -1;
    for (int k = from; k < to; k++) {
        b->ids[k - from] = opt->params[order[k]]->id;
        b->counts[k - from] = opt->params[order[k]]->numel;
    }
    b->ready = point[order[to - 1]];
    return 0;
}

int eng_plan_buckets(const eng_graph *g, int adam_cmd, eng_grad_plan *gp, int *order, int *finish)
{
    const eng_adam *opt = g->cmds[adam_cmd].opt;
    int n = opt->nparams, rc = 0, from = 0, count = 0;
    int *point = malloc((size_t)(n ? n : 1) * sizeof *point);
    if (!point)
        return -1;
    /* Each point comes before adam_cmd (eng_backward's ZERO_GRAD uses the parameter at
     * least), so a bucket always starts before its finish at the ADAM command. */
    for (int p = 0; p < n; p++)
        point[p] = eng_grad_complete_point(g, adam_cmd, opt->params[p]);
    sort_by_point(order, point, n);
    size_t bytes = 0;
    for (int k = 0; k < n && !rc; k++) {
        finish[k] = -1;
        bytes += opt->params[order[k]]->numel * sizeof(float);
        if (bytes < opt->reducer->bucket_bytes && k + 1 < n)
            continue;
        eng_bucket *b = new_bucket(gp);
        rc = b ? fill_bucket(b, opt, order, point, from, k + 1) : -1;
        if (!b)
            break;
        b->opt = opt;
        b->slot = opt_slot(g, opt);
        b->index = count++;
        finish[from] = gp->nbuckets - 1;
        from = k + 1;
        bytes = 0;
    }
    free(point);
    return rc;
}

int eng_index_buckets(const eng_graph *g, eng_grad_plan *gp)
{
    size_t nc = (size_t)g->ncmds;
    gp->bucket_start = calloc(nc + 1, sizeof(int));
    gp->bucket_ids = malloc((size_t)(gp->nbuckets ? gp->nbuckets : 1) * sizeof(int));
    gp->inflight = calloc((size_t)(g->nopts ? g->nopts : 1), sizeof(int));
    if (!gp->bucket_start || !gp->bucket_ids || !gp->inflight)
        return -1;
    for (int b = 0; b < gp->nbuckets; b++) /* counts, shifted by one, then prefix sums */
        gp->bucket_start[gp->buckets[b].ready + 1]++;
    for (size_t i = 0; i < nc; i++)
        gp->bucket_start[i + 1] += gp->bucket_start[i];
    int *fill = malloc((nc + 1) * sizeof(int));
    if (!fill)
        return -1;
    for (size_t i = 0; i <= nc; i++)
        fill[i] = gp->bucket_start[i];
    for (int b = 0; b < gp->nbuckets; b++)
        gp->bucket_ids[fill[gp->buckets[b].ready]++] = b;
    free(fill);
    return 0;
}

void eng_bind_buckets(eng_grad_plan *gp, float *const *grad)
{
    for (int b = 0; b < gp->nbuckets; b++)
        for (int k = 0; k < gp->buckets[b].n; k++)
            gp->buckets[b].grads[k] = grad[gp->buckets[b].ids[k]];
}

int eng_buckets_after(const eng_graph *g, eng_grad_plan *gp, int i)
{
    for (int k = gp->bucket_start[i]; k < gp->bucket_start[i + 1]; k++) {
        const eng_bucket *b = &gp->buckets[gp->bucket_ids[k]];
        const eng_reducer *r = b->opt->reducer;
        if (r->start(r->ctx, b->index, b->grads, b->counts, b->n))
            return eng_set_error(ENG_EBACKEND, "gradient reduction failed (bucket %d)", b->index);
        gp->inflight[b->slot]++;
    }
    for (int s = 0; s < g->nopts; s++) {
        const eng_reducer *r = g->opts[s]->reducer;
        if (gp->inflight[s] && r->progress(r->ctx))
            return eng_set_error(ENG_EBACKEND, "gradient reduction failed");
    }
    return ENG_OK;
}

int eng_bucket_finish(eng_grad_plan *gp, int bucket)
{
    const eng_bucket *b = &gp->buckets[bucket];
    const eng_reducer *r = b->opt->reducer;
    gp->inflight[b->slot]--;
    if (r->finish(r->ctx, b->index))
        return eng_set_error(ENG_EBACKEND, "gradient reduction failed (bucket %d)", b->index);
    return ENG_OK;
}

void eng_buckets_free(eng_grad_plan *gp)
{
    for (int b = 0; b < gp->nbuckets; b++) {
        free(gp->buckets[b].ids);
        free(gp->buckets[b].grads);
        free(gp->buckets[b].counts);
    }
    free(gp->buckets);
    free(gp->bucket_start);
    free(gp->bucket_ids);
    free(gp->inflight);
    gp->buckets = NULL;
    gp->nbuckets = 0;
}
