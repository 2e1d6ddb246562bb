/* Facts about ops that the schedule, the memory planning and the backends rely on, from the op
 * table. */
#include "engine/graph.h"

#define OP_SRC(i) (1u << (i))
#define OP_OUT ENG_READS_OUTPUT

/* The columns that are expressions of the node: reads and macs. */
typedef struct {
    unsigned reads;
    double macs;
} node_facts;

static node_facts facts_of_node(const eng_node *n)
{
    switch (n->op) {
#define ENG_LEAF(id, name)                                                                       \
    case ENG_OP_##id:                                                                            \
        return (node_facts){0, 0.0};
#define ENG_OP(id, name, kind, kernel, grads, reads, vk, macs)                                   \
    case ENG_OP_##id:                                                                            \
        return (node_facts){reads, macs};
#include "engine/ops.def"
#undef ENG_LEAF
#undef ENG_OP
    case ENG_OP_COUNT:
        break;
    }
    return (node_facts){0, 0.0};
}

unsigned eng_op_backward_reads(const eng_node *n) { return facts_of_node(n).reads; }
double eng_op_macs(const eng_node *n) { return facts_of_node(n).macs; }

/* The kind and fp32_output columns, by op. */
static const struct {
    eng_op_kind kind;
    int fp32_output;
} facts[] = {
#define ENG_LEAF(id, name) [ENG_OP_##id] = {ENG_KIND_LEAF, 0},
#define ENG_OP(id, name, kind, kernel, grads, reads, vk, macs) [ENG_OP_##id] = {ENG_KIND_##kind, 0},
#define ENG_ELTWISE(id, fn, operands, reads, onnx, onnx_scalar, fp32_output, forward, backward) \
    [ENG_OP_##id] = {ENG_KIND_ELTWISE, fp32_output},
#include "engine/ops.def"
#undef ENG_LEAF
#undef ENG_OP
#undef ENG_ELTWISE
};
_Static_assert(sizeof facts / sizeof facts[0] == ENG_OP_COUNT, "one entry per op of ops.def");

eng_op_kind eng_op_kind_of(eng_op op) { return facts[op].kind; }
int eng_op_is_leaf(eng_op op) { return facts[op].kind == ENG_KIND_LEAF; }
int eng_op_fp32_output(eng_op op) { return facts[op].fp32_output; }
