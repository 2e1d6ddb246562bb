/* The op tests' cases of the element-wise ops (the ENG_ELTWISE rows of engine/ops.def): each
 * test builds every row through eltwise_build, so a new row is tested without a case of its
 * own (its PyTorch reference still goes in tools/gen_golden.py). */
#ifndef TESTS_ENGINE_ELTWISE_CASES_H
#define TESTS_ENGINE_ELTWISE_CASES_H

#include <stddef.h>
#include <string.h>

#include "engine/engine.h"
#include "engine/graph.h"

/* What an ENG_ELTWISE row's operands column takes: one tensor (X), one and a scalar (XS), two
 * tensors (AB); ELTWISE_NONE for the other ops. */
typedef enum { ELTWISE_NONE, ELTWISE_X, ELTWISE_XS, ELTWISE_AB } eltwise_operands;

static inline eltwise_operands eltwise_operands_of(eng_op op)
{
    static const eltwise_operands table[ENG_OP_COUNT] = {
#define ENG_LEAF(id, name)
#define ENG_OP(id, name, kind, kernel, grads, reads, vk, macs)
#define ENG_ELTWISE(id, fn, operands, reads, onnx, onnx_scalar, fp32_output, forward, backward) \
    [ENG_OP_##id] = ELTWISE_##operands,
#include "engine/ops.def"
#undef ENG_LEAF
#undef ENG_OP
#undef ENG_ELTWISE
    };
    return table[op];
}

/* The public constructor of an ENG_ELTWISE row, by its operands column. */
#define ELTWISE_CALL_X(fn) eng_##fn(g, a)
#define ELTWISE_CALL_XS(fn) eng_##fn(g, a, s)
#define ELTWISE_CALL_AB(fn) eng_##fn(g, a, b)

/* op on a (and b for AB, s for XS); NULL when op is not an ENG_ELTWISE row. */
static inline eng_node *eltwise_build(eng_graph *g, eng_op op, eng_node *a, eng_node *b, float s)
{
    (void)b, (void)s;
    switch (op) {
#define ENG_LEAF(id, name) case ENG_OP_##id:
#define ENG_OP(id, name, kind, kernel, grads, reads, vk, macs) case ENG_OP_##id:
#define ENG_ELTWISE(id, fn, operands, reads, onnx, onnx_scalar, fp32_output, forward, backward)
#include "engine/ops.def"
#undef ENG_LEAF
#undef ENG_OP
#undef ENG_ELTWISE
    case ENG_OP_COUNT:
        return NULL;
#define ENG_LEAF(id, name)
#define ENG_OP(id, name, kind, kernel, grads, reads, vk, macs)
#define ENG_ELTWISE(id, fn, operands, reads, onnx, onnx_scalar, fp32_output, forward, backward) \
    case ENG_OP_##id:                                                                            \
        return ELTWISE_CALL_##operands(fn);
#include "engine/ops.def"
#undef ENG_LEAF
#undef ENG_OP
#undef ENG_ELTWISE
    }
    return NULL;
}

/* The op named name (the table's names), or ENG_OP_COUNT. */
static inline eng_op eltwise_op_named(const char *name)
{
    for (int op = 0; op < ENG_OP_COUNT; op++)
        if (eltwise_operands_of((eng_op)op) != ELTWISE_NONE && !strcmp(eng_op_infos[op].name, name))
            return (eng_op)op;
    return ENG_OP_COUNT;
}

#endif
