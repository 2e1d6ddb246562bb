/* Op outputs sharing memory by liveness (eng_reuse_values). An op output lives from its
 * forward command to the last command that reads it: a consumer's forward, a consumer's
 * backward that reads that input, or its own backward when that reads the output. Outputs
 * nothing consumes and nodes marked with eng_keep_value keep buffers of their own, readable
 * after a run. Lifetimes are inclusive, so an op never writes over an input it is reading. */
#include <stdlib.h>

#include "engine/engine.h"
#include "engine/memplan/memplan.h"

static void extend(int *last, int id, int cmd)
{
    if (cmd > last[id])
        last[id] = cmd;
}

/* consumed[id]: some op reads node id; [first, last]: the commands it must live through. */
static void fill_lifetimes(const eng_graph *g, char *consumed, int *first, int *last)
{
    for (int id = 0; id < g->nnodes; id++) {
        for (int k = 0; k < g->nodes[id]->nsrc; k++)
            if (g->nodes[id]->src[k])
                consumed[g->nodes[id]->src[k]->id] = 1;
    }
    for (int i = 0; i < g->ncmds; i++) {
        const eng_cmd *c = &g->cmds[i];
        const eng_node *n = c->node;
        if (c->kind == ENG_CMD_FORWARD) {
            first[n->id] = i;
            extend(last, n->id, i);
            for (int k = 0; k < n->nsrc; k++)
                if (n->src[k])
                    extend(last, n->src[k]->id, i);
        } else if (c->kind == ENG_CMD_BACKWARD) {
            unsigned reads = eng_op_backward_reads(n);
            for (int k = 0; k < n->nsrc; k++)
                if (n->src[k] && (reads & (1u << k)))
                    extend(last, n->src[k]->id, i);
            if (reads & ENG_READS_OUTPUT)
                extend(last, n->id, i);
        }
    }
}

int eng_plan_values(const eng_graph *g, int *first, int *last)
{
    size_t nn = (size_t)g->nnodes;
    for (size_t id = 0; id < nn; id++)
        first[id] = last[id] = -1;
    if (!g->reuse_values)
        return ENG_OK;
    char *consumed = calloc(nn ? nn : 1, 1);
    if (!consumed)
        return eng_set_error(ENG_ENOMEM, "out of memory planning the graph's buffers");
    fill_lifetimes(g, consumed, first, last);
    for (size_t id = 0; id < nn; id++) {
        const eng_node *n = g->nodes[id];
        if (!eng_is_op_output(n) || !consumed[id] || n->keep_value)
            first[id] = last[id] = -1;
    }
    free(consumed);
    return ENG_OK;
}
