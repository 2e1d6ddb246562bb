/* The tuner (engine/tune.h): the distinct conv GEMMs of a graph, each candidate kernel forced
 * in turn through a one-entry list of measured choices (the lowering's own path), timed on the
 * conv alone and checked against the default kernel's outputs. */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/clock.h"
#include "engine/flops.h"
#include "engine/vulkan/vk_tune.h"
#include "engine/vulkan/vk_lower.h"
#include "engine/vulkan/vk_tune_check.h"
#include "engine/vulkan/vk_tune_load.h"
#include "engine/vulkan/vk_tune_measure.h"
#include "shaders/opcodes.h"

#define RUNS 3
#define MAX_CANDIDATES (VK_CONV_SHAPES * 5 + 1)

/* One distinct GEMM: the conv node it was first seen in, which of its GEMMs, its FLOPs. */
typedef struct {
    vk_conv_key key;
    vk_gemm_size size;
    const eng_node *node;
    int which;
    double flops;
} gemm_job;

static int is_conv(const eng_node *n)
{
    return eng_op_kind_of(n->op) == ENG_KIND_CONV;
}

/* The distinct GEMMs of g's convs into jobs (room for 3 per node). */
static int distinct_gemms(const vk_tuning *tu, const eng_graph *g, int training, gemm_job *jobs)
{
    int n = 0;
    for (int i = 0; i < g->nnodes; i++)
        for (int which = 0; is_conv(g->nodes[i]) && which < (training ? 3 : 1); which++) {
            gemm_job j = {.node = g->nodes[i], .which = which,
                          .flops = eng_product_flops(g->nodes[i])};
            vk_conv_gemm(tu, j.node, which, &j.key, &j.size);
            int seen = 0;
            for (int k = 0; k < n && !seen; k++)
                seen = !memcmp(&jobs[k].key, &j.key, sizeof j.key);
            if (!seen)
                jobs[n++] = j;
        }
    return n;
}

/* Descending FLOPs, then the graph's order. */
static int costlier_first(const void *pa, const void *pb)
{
    const gemm_job *a = pa, *b = pb;
    if (a->flops != b->flops)
        return a->flops < b->flops ? 1 : -1;
    if (a->node->id != b->node->id)
        return a->node->id < b->node->id ? -1 : 1;
    return a->which - b->which;
}

static void choice_text(const vk_tuning *tu, const gemm_job *j, vk_conv_choice c, char *s,
                        size_t len)
{
    vk_conv_tile t = c.coopmat ? tu->coopmat_tile : vk_conv_tile_of(c.tile_id);
    vk_conv_kernel_text(&t, c.coopmat, vk_conv_split_count(tu, &t, &j->size, c.splits), s, len);
}

/* The candidates: each tile with the rule's split count and 1, 2, 4, 8 slices where allowed
 * (one of each distinct effective count), and the cooperative-matrix kernel where in use. */
static int candidates(const vk_tuning *tu, const vk_gemm_size *g, vk_conv_choice *out)
{
    static const uint32_t splits[] = {0, 1, 2, 4, 8};
    int n = 0;
    for (int i = 0; i < tu->nshapes; i++) {
        vk_conv_tile t = vk_conv_tile_of(tu->shape_ids[i]);
        size_t counts[5];
        for (int s = 0; s < 5; s++) {
            counts[s] = vk_conv_split_count(tu, &t, g, splits[s]);
            int seen = splits[s] > g->max_splits;
            for (int k = 0; k < s && !seen; k++)
                seen = counts[k] == counts[s];
            if (!seen)
                out[n++] = (vk_conv_choice){tu->shape_ids[i], splits[s], 0};
        }
    }
    if (tu->coopmat_tile.bk)
        out[n++] = (vk_conv_choice){0, 0, 1};
    return n;
}

typedef struct {
    eng_backend *be;
    vk_tuning *tu;
    int fp16;
    double deadline;
} tune_run;

static void describe_gemm(const gemm_job *j, eng_tune_row *row)
{
    static const char *which[] = {"forward", "input grad", "weight grad"};
    const vk_conv_key *k = &j->key;
    snprintf(row->gemm, sizeof row->gemm, "%s %s %ux%ux%u k%u s%u -> %u: M%zu N%zu K%zu",
             j->node->op == ENG_OP_CONV2D ? "conv" : "convT", which[j->which], k->c, k->hi,
             k->wi, k->kh, k->stride, k->m, j->size.rows, j->size.cols, j->size.depth);
}

/* Measures each candidate of one GEMM against the default's outputs; the winner in *best. */
static int tune_gemm(const tune_run *r, const gemm_job *j, eng_tune_row *row, vk_tune_record *best)
{
    vk_one_conv oc;
    if (vk_one_conv_build(&oc, j->node, j->which > 0, r->fp16)) {
        eng_set_error(-1, "tune: %s", eng_last_error());
        vk_one_conv_free(&oc);
        return -1;
    }
    float *ref = malloc(oc.out_floats * sizeof *ref), *out = malloc(oc.out_floats * sizeof *out);
    vk_conv_tuned one = {j->key, vk_conv_choose(r->tu, &j->key, &j->size)};
    describe_gemm(j, row);
    choice_text(r->tu, j, one.choice, row->default_choice, sizeof row->default_choice);
    int rc = !ref || !out || vk_one_conv_measure(&oc, r->be, RUNS, ref, &row->default_ms);
    *best = (vk_tune_record){j->key, vk_conv_tile_of(one.choice.tile_id), one.choice.splits,
                             one.choice.coopmat, row->default_ms};
    snprintf(row->best_choice, sizeof row->best_choice, "%s", row->default_choice);
    vk_conv_choice cands[MAX_CANDIDATES];
    int ncands = rc ? 0 : candidates(r->tu, &j->size, cands);
    double tolerance = r->fp16 ? 2e-2 : 1e-3;
    for (int c = 0; c < ncands; c++) {
        if (clock_seconds() > r->deadline) {
            row->skipped++;
            continue;
        }
        one.choice = cands[c];
        r->tu->tuned = &one, r->tu->ntuned = 1;
        double ms, error;
        char name[64];
        choice_text(r->tu, j, one.choice, name, sizeof name);
        rc = vk_one_conv_measure(&oc, r->be, RUNS, out, &ms);
        r->tu->tuned = NULL, r->tu->ntuned = 0;
        if (rc)
            break;
        row->measured++;
        double tol = cands[c].coopmat ? 2e-2 : tolerance; /* fp16 operands */
        if (!vk_tune_output_ok(ref, out, oc.out_floats, tol, &error)) {
            size_t used = strlen(row->rejects);
            snprintf(row->rejects + used, sizeof row->rejects - used, "%s%s (error %.1e)",
                     row->rejected++ ? ", " : "", name, error);
        } else if (ms < best->ms) {
            *best = (vk_tune_record){j->key, vk_conv_tile_of(cands[c].tile_id), cands[c].splits,
                                     cands[c].coopmat, ms};
            snprintf(row->best_choice, sizeof row->best_choice, "%s", name);
        }
    }
    row->best_ms = best->ms;
    free(ref);
    free(out);
    vk_one_conv_free(&oc);
    return rc ? -1 : 0;
}

static vk_ctx *vulkan_ctx(eng_backend *be)
{
    if (strncmp(eng_backend_name(be), "vulkan", 6)) {
        eng_set_error(-1, "tune: the backend is '%s': tuning measures Vulkan kernels only",
                      eng_backend_name(be));
        return NULL;
    }
    return be->impl;
}

eng_tune *eng_tune_convs(eng_backend *be, const eng_graph *g, int training, int fp16,
                         double seconds)
{
    vk_ctx *ctx = vulkan_ctx(be);
    if (!ctx)
        return NULL;
    eng_tune *t = calloc(1, sizeof *t);
    gemm_job *jobs = calloc((size_t)g->nnodes * 3 + 1, sizeof *jobs);
    const vk_conv_tuned *saved = ctx->tuning.tuned;
    size_t nsaved = ctx->tuning.ntuned;
    ctx->tuning.tuned = NULL, ctx->tuning.ntuned = 0; /* the defaults, not the file's choices */
    int n = jobs ? distinct_gemms(&ctx->tuning, g, training, jobs) : 0;
    if (t && jobs) {
        t->rows = calloc((size_t)n + 1, sizeof *t->rows);
        t->best = calloc((size_t)n + 1, sizeof *t->best);
    }
    int rc = !t || !jobs || !t->rows || !t->best;
    if (rc)
        eng_set_error(-1, "tune: out of memory");
    /* Costliest first, each GEMM given the share of the time left that its FLOPs are of the
     * FLOPs left, so that a budget too short for all candidates still reaches every GEMM. */
    qsort(jobs, (size_t)n, sizeof *jobs, costlier_first);
    double flops_left = 0.0, end = clock_seconds() + seconds;
    for (int i = 0; i < n; i++)
        flops_left += jobs[i].flops;
    tune_run r = {be, &ctx->tuning, fp16, 0.0};
    for (int i = 0; !rc && i < n; i++, t->n++) {
        double now = clock_seconds(), share = flops_left > 0 ? jobs[i].flops / flops_left : 1.0;
        r.deadline = now + (end - now) * share;
        flops_left -= jobs[i].flops;
        rc = tune_gemm(&r, &jobs[i], &t->rows[i], &t->best[i]);
    }
    ctx->tuning.tuned = saved, ctx->tuning.ntuned = nsaved;
    free(jobs);
    if (rc) {
        eng_tune_free(t);
        return NULL;
    }
    return t;
}

int eng_tune_untuned(eng_backend *be, const eng_graph *g, int training)
{
    vk_ctx *ctx = vulkan_ctx(be);
    gemm_job *jobs = ctx ? calloc((size_t)g->nnodes * 3 + 1, sizeof *jobs) : NULL;
    if (!jobs)
        return 0;
    int n = distinct_gemms(&ctx->tuning, g, training, jobs), untuned = 0;
    for (int i = 0; i < n; i++) {
        int tuned = 0;
        for (size_t k = 0; k < ctx->tuning.ntuned && !tuned; k++)
            tuned = !memcmp(&ctx->tuning.tuned[k].key, &jobs[i].key, sizeof jobs[i].key);
        untuned += !tuned;
    }
    free(jobs);
    return untuned;
}

int eng_tune_count(const eng_tune *t) { return t->n; }
const eng_tune_row *eng_tune_row_at(const eng_tune *t, int i) { return &t->rows[i]; }

void eng_tune_free(eng_tune *t)
{
    if (!t)
        return;
    free(t->rows);
    free(t->best);
    free(t);
}
