/* FLOP counts: only the convolutions' products are counted; the other ops are memory-bound
 * and counted by no one (PyTorch's figures included). */
#include "engine/flops.h"

#include "engine/engine.h"

/* Multiply-adds of one product of the op (its forward, or one of its backward gradients):
 * the weight's elements times the pixels of the side with Co channels (the output of a
 * convolution, the input of a transposed one). */
static double op_macs(const eng_node *n)
{
    double macs = 0.0;
    switch (n->op) {
    case ENG_OP_CONV2D:
        macs = (double)n->src[1]->numel * ((double)n->numel / n->shape[1]);
        break;
    case ENG_OP_CONV_TRANSPOSE2D:
        macs = (double)n->src[1]->numel * ((double)n->src[0]->numel / n->src[0]->shape[1]);
        break;
    case ENG_OP_INPUT:
    case ENG_OP_PARAM:
    case ENG_OP_STATE:
    case ENG_OP_CONST:
    case ENG_OP_BATCH_NORM2D:
    case ENG_OP_INSTANCE_NORM2D:
    case ENG_OP_REFLECTION_PAD2D:
    case ENG_OP_AVG_POOL2D:
    case ENG_OP_UPSAMPLE_NEAREST2D:
    case ENG_OP_RELU:
    case ENG_OP_LEAKY_RELU:
    case ENG_OP_TANH:
    case ENG_OP_SIGMOID:
    case ENG_OP_CONCAT:
    case ENG_OP_DROPOUT:
    case ENG_OP_ADD:
    case ENG_OP_MUL:
    case ENG_OP_SCALE:
    case ENG_OP_DETACH:
    case ENG_OP_SUM:
    case ENG_OP_L1_LOSS:
    case ENG_OP_MSE_LOSS:
    case ENG_OP_BCE_LOGITS_LOSS:
    case ENG_OP_COUNT:
        break;
    }
    return macs;
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
