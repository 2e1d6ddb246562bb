/* Transient gradients: buffers shared by liveness.
 *
 * Two kinds of gradients are transient:
 * - those of op outputs: alive from the first command that touches them (a consumer's
 *   backward adding into them, or the loss seed) to the last (normally their own backward);
 * - those of parameters updated by an optimizer: each parameter's Adam update is moved to just
 *   after the last command before the ADAM command that uses the parameter (its layer's
 *   backward, which completes the gradient), so the gradient dies there instead of being held
 *   until the end of the step. Nothing reads the parameter in between, so the values are the
 *   same as updating at the ADAM command.
 * Each ZERO_GRAD of a transient gradient moves to its next touch, and disappears when that
 * touch is a convolution's weight gradient, whose product then overwrites instead of adding
 * (the "fresh" mask of the command; the backend says which can, eng_plan_facts): the zeroing
 * pass over the weights' gradients (as large as the weights) is saved. memplan.c places the
 * gradients by these lifetimes, in one region with the reused op outputs (value_liveness.c)
 * and the commands' work areas: activations die during the backward pass just
 * as gradients are born. Gradients of inputs and of parameters without an optimizer stay
 * readable, and all of them when the graph asks to keep its gradients (nothing is transient
 * then). The gradients of an optimizer with a reducer live until its ADAM command, where its
 * updates run after the reduction (grad_buckets.c). */
#include <stdlib.h>
#include <string.h>

#include "engine/engine.h"
#include "engine/memplan/memplan.h"

/* Does command c read or write node p (its values or its gradient)? */
static int uses(const eng_cmd *c, const eng_node *p)
{
    if (c->kind == ENG_CMD_ADAM) {
        for (int i = 0; i < c->opt->nparams; i++)
            if (c->opt->params[i] == p)
                return 1;
        return 0;
    }
    if (c->node == p)
        return 1;
    if (c->kind == ENG_CMD_FORWARD || c->kind == ENG_CMD_BACKWARD)
        for (int s = 0; s < c->node->nsrc; s++)
            if (c->node->src[s] == p)
                return 1;
    return 0;
}

/* Where each Adam update runs: after the last command before its ADAM command that uses the
 * parameter (the ADAM command itself when there is none). Optimizers with a reducer update at
 * their ADAM command, after the reduction (grad_buckets.c). */
int eng_grad_complete_point(const eng_graph *g, int adam_cmd, const eng_node *p)
{
    for (int k = adam_cmd - 1; k >= 0; k--)
        if (uses(&g->cmds[k], p))
            return k;
    return adam_cmd;
}

typedef struct {
    const eng_plan_facts *facts;
    const char *transient;
    int *first, *last;   /* [node id] first and last touching command, -1 if none */
    int *pending;        /* [node id] a ZERO_GRAD is waiting for the next touch */
    int *zero_counts;    /* [cmd] zeroes to run before it */
    int *zero_fill;
    int *zero_ids;       /* the zeroed node ids, grouped by command */
    unsigned char *fresh; /* [cmd] srcs whose gradients the command overwrites */
    int pass;            /* 0: count the zeroes, 1: record them */
} scan_state;

/* Can the backward command c write src k's gradient instead of adding into it? */
static int can_overwrite(const scan_state *s, const eng_cmd *c, int k)
{
    return s->facts->can_overwrite && s->facts->can_overwrite(s->facts->backend, c->node, k);
}

/* Command i touches node id's gradient (as src k of a backward, or k < 0). */
static void touch(scan_state *s, const eng_cmd *c, int i, int id, int k)
{
    if (!s->transient[id])
        return;
    if (s->first[id] < 0)
        s->first[id] = i;
    s->last[id] = i;
    if (s->pending[id]) {
        s->pending[id] = 0;
        if (k >= 0 && can_overwrite(s, c, k))
            s->fresh[i] |= (unsigned char)(1u << k);
        else if (s->pass == 0)
            s->zero_counts[i]++;
        else
            s->zero_ids[s->zero_fill[i]++] = id;
    }
}

static void scan(const eng_graph *g, const eng_grad_plan *gp, scan_state *s)
{
    for (int id = 0; id < g->nnodes; id++) {
        s->first[id] = s->last[id] = -1;
        s->pending[id] = 0;
    }
    memset(s->fresh, 0, (size_t)g->ncmds);
    for (int i = 0; i < g->ncmds; i++) {
        const eng_cmd *c = &g->cmds[i];
        if (c->kind == ENG_CMD_ZERO_GRAD && s->transient[c->node->id]) {
            s->pending[c->node->id] = 1;
        } else if (c->kind == ENG_CMD_SEED_GRAD) {
            touch(s, c, i, c->node->id, -1);
        } else if (c->kind == ENG_CMD_BACKWARD) {
            touch(s, c, i, c->node->id, -1);
            for (int k = 0; k < c->node->nsrc; k++)
                if (c->mask & (1u << k))
                    touch(s, c, i, c->node->src[k]->id, k);
        }
        for (int a = gp->adam_start[i]; a < gp->adam_start[i + 1]; a++)
            touch(s, c, i, gp->adam[a].opt->params[gp->adam[a].index]->id, -1);
        for (int b = gp->bucket_start[i]; b < gp->bucket_start[i + 1]; b++)
            for (int k = 0; k < gp->buckets[gp->bucket_ids[b]].n; k++)
                touch(s, c, i, gp->buckets[gp->bucket_ids[b]].ids[k], -1);
    }
}

/* ---- Adam points: per command, the updates that run right after it ----------------------- */
/* Optimizer opt's parameter indices in the order of their updates (bucket order when it has a
 * reducer), the bucket to finish before each, and the command after which each runs. */
static int adam_order(const eng_graph *g, int deferred, int adam_cmd, eng_grad_plan *gp,
                      int *order, int *finish, int *point)
{
    const eng_adam *opt = g->cmds[adam_cmd].opt;
    if (opt->reducer) {
        if (eng_plan_buckets(g, adam_cmd, gp, order, finish))
            return -1;
        for (int p = 0; p < opt->nparams; p++)
            point[p] = adam_cmd;
        return 0;
    }
    for (int p = 0; p < opt->nparams; p++) {
        order[p] = p;
        finish[p] = -1;
        point[p] = g->keep_grads || deferred ? adam_cmd
                                             : eng_grad_complete_point(g, adam_cmd, opt->params[p]);
    }
    return 0;
}

static int plan_adam(const eng_graph *g, int deferred, eng_grad_plan *gp, char *transient)
{
    size_t nc = (size_t)g->ncmds;
    int total = 0;
    for (int i = 0; i < g->ncmds; i++)
        if (g->cmds[i].kind == ENG_CMD_ADAM)
            total += g->cmds[i].opt->nparams;
    size_t slots = (size_t)(total ? total : 1);
    int *point = malloc(slots * sizeof(int)), *order = malloc(slots * sizeof(int));
    int *finish = malloc(slots * sizeof(int)), *fill = calloc(nc + 1, sizeof(int));
    gp->adam = malloc(slots * sizeof *gp->adam);
    gp->adam_start = calloc(nc + 1, sizeof(int));
    int rc = point && order && finish && fill && gp->adam && gp->adam_start ? 0 : -1;
    for (int i = 0, k = 0; i < g->ncmds && !rc; i++) {
        const eng_cmd *c = &g->cmds[i];
        if (c->kind != ENG_CMD_ADAM)
            continue;
        rc = adam_order(g, deferred, i, gp, order + k, finish + k, point + k);
        for (int p = 0; p < c->opt->nparams && !rc; p++, k++) {
            fill[point[k]]++;
            transient[c->opt->params[p]->id] = !g->keep_grads;
        }
    }
    for (size_t i = 0, start = 0; i <= nc && !rc; i++) { /* counts -> start offsets */
        size_t n = (size_t)fill[i];
        gp->adam_start[i] = (int)start;
        fill[i] = (int)start;
        start += n;
    }
    for (int i = 0, k = 0; i < g->ncmds && !rc; i++) {
        const eng_cmd *c = &g->cmds[i];
        if (c->kind != ENG_CMD_ADAM)
            continue;
        for (int p = 0; p < c->opt->nparams; p++, k++)
            gp->adam[fill[point[k]]++] = (eng_adam_entry){c->opt, order[k], finish[k], i};
    }
    if (!rc)
        rc = eng_index_buckets(g, gp);
    free(point);
    free(order);
    free(finish);
    free(fill);
    return rc;
}

int eng_plan_transient_grads(const eng_graph *g, const eng_plan_facts *facts, eng_grad_plan *gp)
{
    size_t nn = (size_t)g->nnodes, nc = (size_t)g->ncmds;
    scan_state s = {.facts = facts};
    memset(gp, 0, sizeof *gp);
    gp->transient = calloc(nn, 1);
    gp->zero_start = malloc((nc + 1) * sizeof(int));
    gp->fresh = calloc(nc + 1, 1);
    s.first = gp->first = malloc(nn * sizeof(int));
    s.last = gp->last = malloc(nn * sizeof(int));
    s.pending = malloc(nn * sizeof(int));
    s.zero_counts = calloc(nc + 1, sizeof(int));
    s.zero_fill = malloc((nc + 1) * sizeof(int));
    s.fresh = gp->fresh;
    int ok = gp->transient && gp->zero_start && gp->fresh && s.first && s.last && s.pending &&
             s.zero_counts && s.zero_fill;
    if (ok) {
        for (int id = 0; id < g->nnodes; id++)
            gp->transient[id] =
                !g->keep_grads && g->nodes[id]->has_grad && eng_is_op_output(g->nodes[id]);
        ok = plan_adam(g, facts->deferred_updates, gp, gp->transient) == 0;
    }
    if (ok) {
        s.transient = gp->transient;
        scan(g, gp, &s);
        int total = 0;
        for (size_t i = 0; i < nc; i++) {
            gp->zero_start[i] = s.zero_fill[i] = total;
            total += s.zero_counts[i];
        }
        gp->zero_start[nc] = total;
        gp->zero_ids = malloc((size_t)(total ? total : 1) * sizeof(int));
        ok = gp->zero_ids != NULL;
    }
    if (ok) {
        s.pass = 1;
        s.zero_ids = gp->zero_ids;
        scan(g, gp, &s);
    }
    free(s.pending);
    free(s.zero_counts);
    free(s.zero_fill);
    if (!ok) {
        eng_grad_plan_free(gp);
        return eng_set_error(ENG_ENOMEM, "out of memory planning gradient buffers");
    }
    return ENG_OK;
}

void eng_grad_plan_free(eng_grad_plan *gp)
{
    free(gp->transient);
    free(gp->first);
    free(gp->last);
    free(gp->zero_start);
    free(gp->zero_ids);
    free(gp->fresh);
    free(gp->adam_start);
    free(gp->adam);
    eng_buckets_free(gp);
    memset(gp, 0, sizeof *gp);
}
