/* FLOP counts: only the convolutions' products are counted; the other ops are memory-bound
 * and counted by no one (PyTorch's figures included). */
#include "engine/flops.h"

/* Multiply-adds of one product of the op (its forward, or one of its backward gradients): the
 * macs column of the op table. */
static double op_macs(const eng_node *n)
{
    switch (n->op) {
#define ENG_LEAF(id, name)                                                                       \
    case ENG_OP_##id:                                                                            \
        return 0.0;
#define ENG_OP(id, name, kind, kernel, grads, reads, vk, macs)                                   \
    case ENG_OP_##id:                                                                            \
        return macs;
#include "engine/ops.def"
#undef ENG_LEAF
#undef ENG_OP
    case ENG_OP_COUNT:
        break;
    }
    return 0.0;
}

double eng_product_flops(const eng_node *n) { return 2.0 * op_macs(n); }

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
