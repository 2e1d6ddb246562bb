/* Where a parameter's gradient is complete: the last command before its ADAM command that
 * uses the parameter. Transient gradients (grad_liveness.c) move each Adam update there;
 * gradient buckets (grad_buckets.c) order the parameters by it. */
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
