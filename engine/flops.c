/* FLOP counts: only the convolutions' products are counted; the other ops are memory-bound
 * and counted by no one (PyTorch's figures included). */
#include "engine/flops.h"

double eng_product_flops(const eng_node *n) { return 2.0 * eng_op_macs(n); }

double eng_cmd_flops(const eng_cmd *c)
{
    double flops = 0.0;
    switch (c->kind) {
    case ENG_CMD_FORWARD:
        flops = eng_product_flops(c->node);
        break;
    case ENG_CMD_BACKWARD: /* one product for src 0's gradient, one for src 1's (a weight) */
        flops = eng_product_flops(c->node) * (((c->mask & 1u) != 0) + ((c->mask & 2u) != 0));
        break;
    case ENG_CMD_ZERO_GRAD:
    case ENG_CMD_SEED_GRAD:
    case ENG_CMD_ADAM:
        break;
    }
    return flops;
}

double eng_graph_flops(const eng_graph *g)
{
    double flops = 0.0;
    for (int i = 0; i < g->ncmds; i++)
        flops += eng_cmd_flops(&g->cmds[i]);
    return flops;
}
