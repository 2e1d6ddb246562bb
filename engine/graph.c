/* Graph storage: nodes, leaves, errors. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/engine.h"
#include "engine/graph.h"

_Noreturn void eng_fail(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "engine: ");
    vfprintf(stderr, fmt, ap);
    fprintf(stderr, "\n");
    va_end(ap);
    abort();
}

eng_node *eng_graph_refuse(eng_graph *g, const char *fmt, ...)
{
    if (!eng_graph_failed(g)) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(g->error, sizeof g->error, fmt, ap);
        va_end(ap);
    }
    eng_set_error(ENG_EINVAL, "%s", g->error);
    return g->placeholder;
}

int eng_graph_status(const eng_graph *g)
{
    return eng_graph_failed(g) ? eng_set_error(ENG_EINVAL, "%s", g->error) : ENG_OK;
}

static void *checked_realloc(void *p, size_t bytes)
{
    void *q = realloc(p, bytes);
    if (!q)
        eng_fail("out of memory growing a graph");
    return q;
}

eng_graph *eng_graph_new(void)
{
    eng_graph *g = calloc(1, sizeof *g);
    eng_node *p = calloc(1, sizeof *p);
    if (!g || !p)
        eng_fail("out of memory creating a graph");
    /* One value, 4-D so that builders may read any of its sizes; they scribble on its fields. */
    p->op = ENG_OP_CONST;
    p->ndim = 4;
    p->shape[0] = p->shape[1] = p->shape[2] = p->shape[3] = 1;
    p->numel = 1;
    p->scheduled = 1;
    g->placeholder = p;
    return g;
}

void eng_keep_grads(eng_graph *g)
{
    g->keep_grads = 1;
}

void eng_mixed_precision(eng_graph *g)
{
    g->mixed_precision = 1;
}

void eng_reuse_values(eng_graph *g)
{
    g->reuse_values = 1;
}

void eng_keep_value(eng_node *n)
{
    n->keep_value = 1;
}

static void adam_free(eng_adam *opt)
{
    free(opt->params);
    free(opt->exp_avg);
    free(opt->exp_avg_sq);
    free(opt->average);
    free(opt);
}

void eng_graph_free(eng_graph *g)
{
    if (!g)
        return;
    for (int i = 0; i < g->nnodes; i++)
        free(g->nodes[i]);
    for (int i = 0; i < g->nopts; i++)
        adam_free(g->opts[i]);
    free(g->nodes);
    free(g->cmds);
    free(g->opts);
    free(g->placeholder);
    free(g);
}

/* "[n,c,h,w]" */
static void shape_text(int ndim, const int *shape, char *out, size_t len)
{
    size_t at = (size_t)snprintf(out, len, "[");
    for (int i = 0; i < ndim && at < len; i++)
        at += (size_t)snprintf(out + at, len - at, "%s%d", i ? "," : "", shape[i]);
    if (at < len)
        snprintf(out + at, len - at, "]");
}

eng_node *eng_graph_add_node(eng_graph *g, eng_op op, const char *name, int ndim, const int *shape)
{
    const char *what = eng_op_infos[op].name;
    if (eng_graph_failed(g))
        return g->placeholder;
    if (ndim < 1 || ndim > ENG_MAX_DIMS)
        return eng_graph_refuse(g, "%s: %d dimensions (1 to %d allowed)", what, ndim,
                                ENG_MAX_DIMS);
    if (name && strlen(name) >= ENG_NAME_MAX)
        return eng_graph_refuse(g, "tensor name too long: %.64s...", name);
    char dims[ENG_MAX_DIMS * 12 + 3];
    shape_text(ndim, shape, dims, sizeof dims);
    size_t numel = 1;
    for (int i = 0; i < ndim; i++) {
        if (shape[i] < 1)
            return eng_graph_refuse(g, "%s '%s': shape %s is empty", what, name ? name : "",
                                    dims);
        if (numel > ENG_MAX_NUMEL / (size_t)shape[i])
            return eng_graph_refuse(g, "%s '%s': shape %s has more than 2^48 elements", what,
                                    name ? name : "", dims);
        numel *= (size_t)shape[i];
    }
    if (g->nnodes == g->cap_nodes) {
        g->cap_nodes = g->cap_nodes ? 2 * g->cap_nodes : 64;
        g->nodes = checked_realloc(g->nodes, (size_t)g->cap_nodes * sizeof *g->nodes);
    }
    eng_node *n = calloc(1, sizeof *n);
    if (!n)
        eng_fail("out of memory adding a node");
    n->id = g->nnodes;
    n->op = op;
    if (name)
        strcpy(n->name, name);
    n->ndim = ndim;
    n->numel = numel;
    memcpy(n->shape, shape, sizeof *shape * (size_t)ndim);
    g->nodes[g->nnodes++] = n;
    return n;
}

void eng_graph_add_cmd(eng_graph *g, eng_cmd cmd)
{
    if (g->ncmds == g->cap_cmds) {
        g->cap_cmds = g->cap_cmds ? 2 * g->cap_cmds : 128;
        g->cmds = checked_realloc(g->cmds, (size_t)g->cap_cmds * sizeof *g->cmds);
    }
    g->cmds[g->ncmds++] = cmd;
}

static eng_node *leaf(eng_graph *g, eng_op op, const char *name, int ndim, const int *shape)
{
    if (name && name[0] && eng_find(g, name))
        return eng_graph_refuse(g, "a tensor named '%s' already exists", name);
    eng_node *n = eng_graph_add_node(g, op, name, ndim, shape);
    n->scheduled = 1; /* leaves need no forward command */
    return n;
}

eng_node *eng_input(eng_graph *g, const char *name, int ndim, const int *shape)
{
    return leaf(g, ENG_OP_INPUT, name, ndim, shape);
}

eng_node *eng_param(eng_graph *g, const char *name, int ndim, const int *shape)
{
    return leaf(g, ENG_OP_PARAM, name, ndim, shape);
}

eng_node *eng_state(eng_graph *g, const char *name, int ndim, const int *shape)
{
    return leaf(g, ENG_OP_STATE, name, ndim, shape);
}

eng_node *eng_const(eng_graph *g, int ndim, const int *shape, float value)
{
    eng_node *n = leaf(g, ENG_OP_CONST, NULL, ndim, shape);
    n->arg.scalar.value = value;
    return n;
}

eng_node *eng_input4(eng_graph *g, const char *name, int n, int c, int h, int w)
{
    return eng_input(g, name, 4, (const int[]){n, c, h, w});
}

eng_node *eng_param4(eng_graph *g, const char *name, int n, int c, int h, int w)
{
    return eng_param(g, name, 4, (const int[]){n, c, h, w});
}

eng_node *eng_param1(eng_graph *g, const char *name, int n)
{
    return eng_param(g, name, 1, &n);
}

eng_node *eng_state1(eng_graph *g, const char *name, int n)
{
    return eng_state(g, name, 1, &n);
}

eng_node *eng_find(const eng_graph *g, const char *name)
{
    for (int i = 0; i < g->nnodes; i++)
        if (g->nodes[i]->name[0] && !strcmp(g->nodes[i]->name, name))
            return g->nodes[i];
    return NULL;
}
