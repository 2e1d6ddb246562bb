/* Facts about ops that the schedule and the memory planning rely on. */
#include "engine/graph.h"

unsigned eng_op_backward_reads(const eng_node *n)
{
    switch (n->op) {
    case ENG_OP_CONV2D:
    case ENG_OP_CONV_TRANSPOSE2D:
        return 1u | 2u; /* x for the weight gradient, w for the input gradient */
    case ENG_OP_BATCH_NORM2D:
        return 1u | 2u | 8u | 16u; /* x, weight, and the running statistics in eval mode */
    case ENG_OP_INSTANCE_NORM2D:
        return 1u | 2u;
    case ENG_OP_LEAKY_RELU: /* see cpu_leaky_relu_backward */
        return n->arg.scalar.value >= 0.0f ? ENG_READS_OUTPUT : 1u;
    case ENG_OP_SUM:
        return 1u;
    case ENG_OP_MUL:
    case ENG_OP_L1_LOSS:
    case ENG_OP_MSE_LOSS:
    case ENG_OP_BCE_LOGITS_LOSS:
        return 1u | 2u;
    case ENG_OP_RELU:
    case ENG_OP_TANH:
    case ENG_OP_SIGMOID:
        return ENG_READS_OUTPUT;
    default: /* reflection pad, concat, dropout, add, scale, detach: gradients only */
        return 0;
    }
}
