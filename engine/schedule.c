/* The schedule: forward, backward and optimizer commands recorded in call order. */
#include <stdio.h>
#include <stdlib.h>

#include "engine/engine.h"
#include "engine/graph.h"

static void schedule_forward(eng_graph *g, eng_node *n)
{
    if (n->scheduled)
        return;
    for (int i = 0; i < n->nsrc; i++)
        if (n->src[i])
            schedule_forward(g, n->src[i]);
    eng_graph_add_cmd(g, (eng_cmd){.kind = ENG_CMD_FORWARD, .node = n});
    n->scheduled = 1;
}

void eng_forward(eng_graph *g, eng_node *node)
{
    schedule_forward(g, node);
}

static int carries_grad(const eng_node *n, int src_index)
{
    return n->src[src_index] && (eng_op_infos[n->op].grad_srcs & (1u << src_index));
}

void eng_backward(eng_graph *g, eng_node *loss, eng_node *const *params, int nparams)
{
    if (eng_graph_failed(g)) /* its nodes may be the placeholder: nothing to schedule */
        return;
    if (loss->numel != 1)
        eng_fail("backward: the loss must have one element, has %zu", loss->numel);
    eng_forward(g, loss);
    /* on_path[id]: the node depends on a listed leaf AND the loss depends on the node, so its
     * gradient is needed. Ids are a topological order: sources always precede their users. */
    char *from_leaf = calloc((size_t)g->nnodes, 1);
    char *to_loss = calloc((size_t)g->nnodes, 1);
    if (!from_leaf || !to_loss)
        eng_fail("out of memory scheduling backward");
    for (int i = 0; i < nparams; i++)
        from_leaf[params[i]->id] = 1;
    for (int id = 0; id < g->nnodes; id++) {
        const eng_node *n = g->nodes[id];
        for (int s = 0; s < n->nsrc; s++)
            if (carries_grad(n, s) && from_leaf[n->src[s]->id])
                from_leaf[id] = 1;
    }
    to_loss[loss->id] = 1;
    for (int id = loss->id; id >= 0; id--) {
        const eng_node *n = g->nodes[id];
        if (!to_loss[id])
            continue;
        for (int s = 0; s < n->nsrc; s++)
            if (carries_grad(n, s))
                to_loss[n->src[s]->id] = 1;
    }
    for (int i = 0; i < nparams; i++) {
        params[i]->has_grad = 1;
        eng_graph_add_cmd(g, (eng_cmd){.kind = ENG_CMD_ZERO_GRAD, .node = params[i]});
    }
    int loss_reached = from_leaf[loss->id];
    for (int id = 0; id <= loss->id && loss_reached; id++) {
        eng_node *n = g->nodes[id];
        if (from_leaf[id] && to_loss[id] && n->nsrc > 0) {
            n->has_grad = 1;
            eng_graph_add_cmd(g, (eng_cmd){.kind = ENG_CMD_ZERO_GRAD, .node = n});
        }
    }
    if (loss_reached) {
        eng_graph_add_cmd(g, (eng_cmd){.kind = ENG_CMD_SEED_GRAD, .node = loss});
        for (int id = loss->id; id >= 0; id--) {
            eng_node *n = g->nodes[id];
            if (!(from_leaf[id] && to_loss[id]))
                continue;
            unsigned mask = 0;
            for (int s = 0; s < n->nsrc; s++)
                if (carries_grad(n, s) && from_leaf[n->src[s]->id])
                    mask |= 1u << s;
            if (mask)
                eng_graph_add_cmd(g, (eng_cmd){.kind = ENG_CMD_BACKWARD, .node = n, .mask = mask});
        }
    }
    free(from_leaf);
    free(to_loss);
}

eng_adam *eng_adam_new(eng_graph *g, eng_node *const *params, int nparams, float lr, float beta1,
                       float beta2, float eps)
{
    eng_adam *opt = calloc(1, sizeof *opt);
    if (!opt)
        eng_fail("out of memory creating an optimizer");
    if (eng_graph_failed(g)) /* its params may be the placeholder: an optimizer of none */
        nparams = 0;
    opt->nparams = nparams;
    size_t slots = nparams > 0 ? (size_t)nparams : 1; /* calloc(0) may return NULL */
    opt->params = calloc(slots, sizeof *opt->params);
    opt->exp_avg = calloc(slots, sizeof *opt->exp_avg);
    opt->exp_avg_sq = calloc(slots, sizeof *opt->exp_avg_sq);
    if (!opt->params || !opt->exp_avg || !opt->exp_avg_sq)
        eng_fail("out of memory creating an optimizer");
    for (int i = 0; i < nparams; i++) {
        eng_node *p = params[i];
        if (p->op != ENG_OP_PARAM)
            eng_fail("adam: '%s' is not a parameter", p->name);
        char name[ENG_NAME_MAX + 16];
        opt->params[i] = p;
        snprintf(name, sizeof name, "%s.exp_avg", p->name);
        opt->exp_avg[i] = eng_state(g, name, p->ndim, p->shape);
        snprintf(name, sizeof name, "%s.exp_avg_sq", p->name);
        opt->exp_avg_sq[i] = eng_state(g, name, p->ndim, p->shape);
    }
    opt->lr = lr;
    opt->beta1 = beta1;
    opt->beta2 = beta2;
    opt->eps = eps;
    if (g->nopts == g->cap_opts) {
        g->cap_opts = g->cap_opts ? 2 * g->cap_opts : 4;
        eng_adam **grown = realloc(g->opts, (size_t)g->cap_opts * sizeof *grown);
        if (!grown)
            eng_fail("out of memory creating an optimizer");
        g->opts = grown;
    }
    g->opts[g->nopts++] = opt;
    return opt;
}

void eng_adam_step(eng_graph *g, eng_adam *opt)
{
    if (eng_graph_failed(g))
        return;
    for (int i = 0; i < opt->nparams; i++)
        if (!opt->params[i]->has_grad)
            eng_fail("adam: '%s' has no gradient: call eng_backward first", opt->params[i]->name);
    eng_graph_add_cmd(g, (eng_cmd){.kind = ENG_CMD_ADAM, .opt = opt, .update = opt->updates++});
}

int64_t eng_adam_cmd_step(const eng_cmd *c)
{
    return c->opt->steps - (c->opt->updates - 1 - c->update);
}

void eng_adam_set_average(eng_graph *g, eng_adam *opt, float decay)
{
    if (!(decay > 0.0f && decay < 1.0f))
        eng_fail("adam: an average's decay must be in (0, 1), not %g", (double)decay);
    if (opt->average || opt->updates)
        eng_fail("adam: set the average once, before the optimizer's first update");
    opt->average = calloc(opt->nparams > 0 ? (size_t)opt->nparams : 1, sizeof *opt->average);
    if (!opt->average)
        eng_fail("out of memory creating an optimizer's average");
    for (int i = 0; i < opt->nparams; i++) {
        const eng_node *p = opt->params[i];
        char name[ENG_NAME_MAX + 16];
        snprintf(name, sizeof name, "%s.ema", p->name);
        opt->average[i] = eng_state(g, name, p->ndim, p->shape);
    }
    opt->average_decay = decay;
}

void eng_adam_set_lr(eng_adam *opt, float lr) { opt->lr = lr; }
void eng_adam_set_reducer(eng_adam *opt, const eng_reducer *r) { opt->reducer = r; }
int64_t eng_adam_steps(const eng_adam *opt) { return opt->steps; }
void eng_adam_set_steps(eng_adam *opt, int64_t steps) { opt->steps = steps; }
