/* Plans: a graph bound to a backend, with every buffer allocated up front. */
#include <stdio.h>
#include <stdlib.h>

#include "engine/engine.h"
#include "engine/graph.h"

/* Refuses g when a builder refused a shape of it, or be cannot run one of its nodes
 * (eng_backend.supports). */
static int check_supported(const eng_graph *g, eng_backend *be)
{
    if (eng_graph_failed(g))
        return eng_graph_status(g);
    for (int i = 0; be->supports && i < g->nnodes; i++) {
        const eng_node *n = g->nodes[i];
        if (be->supports(be, n))
            continue;
        char id[32];
        snprintf(id, sizeof id, "node %d", n->id);
        return eng_set_error(ENG_EINVAL, "%s: op '%s' (%s) is not supported", be->name,
                             eng_op_infos[n->op].name, n->name[0] ? n->name : id);
    }
    return ENG_OK;
}

eng_plan *eng_plan_new(eng_graph *g, eng_backend *be)
{
    if (check_supported(g, be) != ENG_OK)
        return NULL;
    eng_plan *p = calloc(1, sizeof *p);
    if (!p) {
        eng_set_error(ENG_ENOMEM, "out of memory creating a plan");
        return NULL;
    }
    p->graph = g;
    p->backend = be;
    p->loss_scale = ENG_LOSS_SCALE_INIT;
    p->growth_interval = ENG_LOSS_SCALE_GROWTH_INTERVAL;
    if (be->plan(be, p) != ENG_OK) {
        free(p);
        return NULL;
    }
    return p;
}

int eng_plan_estimate(eng_graph *g, eng_backend *be, size_t *bytes, size_t *host_bytes)
{
    size_t all, host;
    int status = check_supported(g, be);
    if (status == ENG_OK)
        status = be->estimate(be, g, &all, &host);
    if (status == ENG_OK && bytes)
        *bytes = all;
    if (status == ENG_OK && host_bytes)
        *host_bytes = host;
    return status;
}

void eng_plan_free(eng_plan *p)
{
    if (!p)
        return;
    p->backend->release(p);
    free(p);
}

/* GradScaler's update after a run: the optimizers that skipped do not count the step; the
 * scale halves after a skip and doubles after growth_interval runs without one. */
static void update_loss_scale(eng_plan *p)
{
    if (!p->nonfinite) {
        if (++p->good_runs >= p->growth_interval) {
            p->loss_scale *= 2.0f;
            p->good_runs = 0;
        }
        return;
    }
    for (int i = 0, k = 0; i < p->graph->ncmds; i++)
        if (p->graph->cmds[i].kind == ENG_CMD_ADAM && (p->nonfinite >> k++ & 1u))
            p->graph->cmds[i].opt->steps--;
    p->loss_scale *= 0.5f;
    p->good_runs = 0;
    p->skipped_runs++;
}

int eng_plan_run(eng_plan *p)
{
    /* Adam's step count is host state: advanced before the backend runs, so that a pre-recorded
     * device command buffer can read the bias corrections from a small parameter buffer. */
    for (int i = 0; i < p->graph->ncmds; i++)
        if (p->graph->cmds[i].kind == ENG_CMD_ADAM)
            p->graph->cmds[i].opt->steps++;
    p->run_index++;
    p->nonfinite = p->nonfinite_state = 0;
    int status = p->backend->run(p);
    if (status == ENG_OK && p->loss_scaling)
        update_loss_scale(p);
    return status;
}

void eng_plan_set_runs(eng_plan *p, uint32_t runs)
{
    p->run_index = runs;
}

int eng_plan_write(eng_plan *p, const eng_node *n, const float *src)
{
    return p->backend->write(p, n, src);
}

int eng_plan_read(eng_plan *p, const eng_node *n, float *dst)
{
    return p->backend->read(p, n, dst, 0);
}

int eng_plan_read_grad(eng_plan *p, const eng_node *n, float *dst)
{
    if (!n->has_grad)
        return eng_set_error(ENG_EINVAL, "tensor '%s' has no gradient", n->name);
    return p->backend->read(p, n, dst, 1);
}

int eng_plan_fp16(const eng_plan *p)
{
    return p->fp16;
}

float eng_plan_loss_scale(const eng_plan *p)
{
    return p->loss_scaling ? p->loss_scale : 1.0f;
}

static int count_bits(unsigned bits)
{
    int n = 0;
    for (; bits; bits >>= 1)
        n += (int)(bits & 1u);
    return n;
}

int eng_plan_nonfinite_grads(const eng_plan *p)
{
    return count_bits(p->nonfinite);
}

int eng_plan_nonfinite_state(const eng_plan *p)
{
    return count_bits(p->nonfinite_state);
}

int64_t eng_plan_skipped_runs(const eng_plan *p)
{
    return p->skipped_runs;
}

int eng_plan_loss_scale_good_runs(const eng_plan *p)
{
    return p->good_runs;
}

void eng_plan_set_loss_scale(eng_plan *p, float scale, int growth_interval, int good_runs)
{
    p->loss_scale = scale;
    p->growth_interval = growth_interval > 0 ? growth_interval : 1;
    p->good_runs = good_runs > 0 && good_runs < p->growth_interval ? good_runs : 0;
}

size_t eng_plan_bytes(const eng_plan *p)
{
    return p->bytes;
}

void eng_plan_counters(const eng_plan *p, eng_counters *c)
{
    *c = (eng_counters){.dispatches = p->graph->ncmds};
    if (p->backend->counters)
        p->backend->counters(p, c);
}

void eng_backend_free(eng_backend *be)
{
    if (be)
        be->destroy(be);
}

int eng_backend_has_fp16(const eng_backend *be)
{
    return be->has_fp16;
}

const char *eng_backend_name(const eng_backend *be)
{
    return be->name;
}

const char *eng_backend_note(const eng_backend *be)
{
    return be->note[0] ? be->note : NULL;
}
