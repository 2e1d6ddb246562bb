/* Facts about ops that the schedule and the memory planning rely on, from the op table. */
#include "engine/graph.h"

#define OP_SRC(i) (1u << (i))
#define OP_OUT ENG_READS_OUTPUT

unsigned eng_op_backward_reads(const eng_node *n)
{
    switch (n->op) {
#define ENG_LEAF(id, name)                                                                       \
    case ENG_OP_##id:                                                                            \
        return 0;
#define ENG_OP(id, name, kernel, grads, reads, vk)                                                   \
    case ENG_OP_##id:                                                                            \
        return reads;
#include "engine/ops.def"
#undef ENG_LEAF
#undef ENG_OP
    case ENG_OP_COUNT:
        break;
    }
    return 0;
}

int eng_op_is_leaf(eng_op op)
{
    switch (op) {
#define ENG_LEAF(id, name) case ENG_OP_##id:
#define ENG_OP(id, name, kernel, grads, reads, vk)
#include "engine/ops.def"
#undef ENG_LEAF
#undef ENG_OP
        return 1;
#define ENG_LEAF(id, name)
#define ENG_OP(id, name, kernel, grads, reads, vk) case ENG_OP_##id:
#include "engine/ops.def"
#undef ENG_LEAF
#undef ENG_OP
    case ENG_OP_COUNT:
        break;
    }
    return 0;
}
