/* Gradient buffers of intermediate tensors share memory by liveness.
 *
 * The gradient of an op's output is alive from the first command that touches it (a consumer's
 * backward adding into it, or the loss seed) to the last (normally its own backward, which
 * reads it). Each ZERO_GRAD of such a gradient is moved to its next touch, so the buffer is
 * not held from the start of the backward pass. Buffers whose lifetimes do not overlap get
 * the same memory: offsets are chosen greedily, largest first, at the lowest free address.
 * Leaf gradients (params, inputs) are not transient: the optimizer and callers read them. */
#include <stdlib.h>
#include <string.h>

#include "engine/cpu/cpu_internal.h"
#include "engine/engine.h"

static int is_transient(const eng_node *n)
{
    return n->has_grad && n->op != ENG_OP_INPUT && n->op != ENG_OP_PARAM &&
           n->op != ENG_OP_STATE && n->op != ENG_OP_CONST;
}

/* Calls touch(id, cmd index) for every transient gradient command i reads or writes. */
static void each_touch(const eng_graph *g, int i, void (*touch)(void *, int, int), void *arg)
{
    const eng_cmd *c = &g->cmds[i];
    if (c->kind == ENG_CMD_SEED_GRAD && is_transient(c->node))
        touch(arg, c->node->id, i);
    if (c->kind != ENG_CMD_BACKWARD)
        return;
    if (is_transient(c->node))
        touch(arg, c->node->id, i);
    for (int s = 0; s < c->node->nsrc; s++)
        if ((c->mask & (1u << s)) && is_transient(c->node->src[s]))
            touch(arg, c->node->src[s]->id, i);
}

typedef struct {
    int *first, *last;   /* [node id] first and last touching command, -1 if none */
    int *pending;        /* [node id] a ZERO_GRAD is waiting for the next touch */
    int *counts;         /* [cmd] zeroes to run before it */
    int *ids;            /* the zeroed node ids, grouped by command */
    int *fill;
    int pass;            /* 0: count the zeroes, 1: record them */
} scan_state;

static void record_touch(void *arg, int id, int i)
{
    scan_state *s = arg;
    if (s->first[id] < 0)
        s->first[id] = i;
    s->last[id] = i;
    if (s->pending[id]) {
        s->pending[id] = 0;
        if (s->pass == 0)
            s->counts[i]++;
        else
            s->ids[s->fill[i]++] = id;
    }
}

static void scan(const eng_graph *g, scan_state *s)
{
    for (int id = 0; id < g->nnodes; id++) {
        s->first[id] = s->last[id] = -1;
        s->pending[id] = 0;
    }
    for (int i = 0; i < g->ncmds; i++) {
        const eng_cmd *c = &g->cmds[i];
        if (c->kind == ENG_CMD_ZERO_GRAD && is_transient(c->node))
            s->pending[c->node->id] = 1;
        else
            each_touch(g, i, record_touch, s);
    }
}

typedef struct {
    size_t off, size;
    int first, last;
} placed;

static int by_offset(const void *a, const void *b)
{
    const placed *x = a, *y = b;
    return (x->off > y->off) - (x->off < y->off);
}

/* Lowest offset where [off, off + size) misses every placed buffer alive at the same time. */
static size_t lowest_fit(const placed *done, int ndone, placed *scratch, size_t size, int first,
                         int last)
{
    int n = 0;
    for (int k = 0; k < ndone; k++)
        if (done[k].first <= last && first <= done[k].last)
            scratch[n++] = done[k];
    qsort(scratch, (size_t)n, sizeof *scratch, by_offset);
    size_t off = 0;
    for (int k = 0; k < n; k++) {
        if (scratch[k].off >= off + size)
            break;
        if (scratch[k].off + scratch[k].size > off)
            off = scratch[k].off + scratch[k].size;
    }
    return off;
}

typedef struct {
    size_t size;
    int first, id;
} candidate;

static int by_size_desc(const void *a, const void *b)
{
    const candidate *x = a, *y = b;
    if (x->size != y->size)
        return x->size < y->size ? 1 : -1;
    return x->first - y->first;
}

int cpu_plan_transient_grads(const eng_graph *g, cpu_grad_plan *gp)
{
    size_t nn = (size_t)g->nnodes, nc = (size_t)g->ncmds;
    scan_state s = {0};
    memset(gp, 0, sizeof *gp);
    s.first = malloc(nn * sizeof(int));
    s.last = malloc(nn * sizeof(int));
    s.pending = malloc(nn * sizeof(int));
    s.counts = calloc(nc + 1, sizeof(int));
    s.fill = malloc((nc + 1) * sizeof(int));
    candidate *order = malloc(nn * sizeof *order);
    placed *done = malloc(nn * sizeof(placed)), *tmp = malloc(nn * sizeof(placed));
    gp->offset = malloc(nn * sizeof(size_t));
    gp->zero_start = malloc((nc + 1) * sizeof(int));
    int ok = s.first && s.last && s.pending && s.counts && s.fill && order && done && tmp &&
             gp->offset && gp->zero_start;
    if (ok) {
        scan(g, &s);
        int total = 0;
        for (size_t i = 0; i < nc; i++) {
            gp->zero_start[i] = total;
            s.fill[i] = total;
            total += s.counts[i];
        }
        gp->zero_start[nc] = total;
        gp->zero_ids = malloc((size_t)(total ? total : 1) * sizeof(int));
        ok = gp->zero_ids != NULL;
    }
    if (ok) {
        s.pass = 1;
        s.ids = gp->zero_ids;
        scan(g, &s);
        int n = 0;
        for (int id = 0; id < g->nnodes; id++) {
            gp->offset[id] = (size_t)-1;
            if (is_transient(g->nodes[id]) && s.first[id] >= 0)
                order[n++] = (candidate){(g->nodes[id]->numel + 15) & ~(size_t)15, s.first[id], id};
        }
        qsort(order, (size_t)n, sizeof *order, by_size_desc);
        for (int k = 0; k < n; k++) {
            int id = order[k].id;
            size_t size = order[k].size;
            size_t off = lowest_fit(done, k, tmp, size, s.first[id], s.last[id]);
            done[k] = (placed){off, size, s.first[id], s.last[id]};
            gp->offset[id] = off;
            if (off + size > gp->region_floats)
                gp->region_floats = off + size;
        }
    }
    free(s.first);
    free(s.last);
    free(s.pending);
    free(s.counts);
    free(s.fill);
    free(order);
    free(done);
    free(tmp);
    if (!ok) {
        cpu_grad_plan_free(gp);
        return eng_set_error(ENG_ENOMEM, "out of memory planning gradient buffers");
    }
    return ENG_OK;
}

void cpu_grad_plan_free(cpu_grad_plan *gp)
{
    free(gp->offset);
    free(gp->zero_start);
    free(gp->zero_ids);
    memset(gp, 0, sizeof *gp);
}

int cpu_grad_is_transient(const eng_node *n)
{
    return is_transient(n);
}
