/* The op tests' one list of what they cover: for every op of the op table (engine/ops.def),
 * which of the golden (PyTorch fixtures), gradcheck (finite differences) and Vulkan (against
 * the CPU backend) tests must have a case of it, and why one does not. The switch has no
 * default:, so an op added to the table without a line here does not compile (-Wswitch), and
 * each test fails when an op listed for it has no case (op_cases_check). The element-wise ops
 * (ENG_ELTWISE rows) get their cases from the table itself (eltwise_cases.h). */
#ifndef TESTS_ENGINE_OP_CASES_H
#define TESTS_ENGINE_OP_CASES_H

#include <stdio.h>

#include "engine/engine.h"

enum { OP_TEST_GOLDEN = 1, OP_TEST_GRADCHECK = 2, OP_TEST_VULKAN = 4 };
#define OP_TESTS_ALL (OP_TEST_GOLDEN | OP_TEST_GRADCHECK | OP_TEST_VULKAN)

static inline unsigned op_case_tests(eng_op op)
{
    switch (op) {
    case ENG_OP_INPUT: case ENG_OP_PARAM: case ENG_OP_STATE: case ENG_OP_CONST:
    case ENG_OP_COUNT:
        return 0; /* leaves: in every case, tested through the ops */
    case ENG_OP_CONV2D: case ENG_OP_CONV_TRANSPOSE2D: case ENG_OP_BATCH_NORM2D:
    case ENG_OP_INSTANCE_NORM2D: case ENG_OP_REFLECTION_PAD2D: case ENG_OP_RELU:
    case ENG_OP_LEAKY_RELU: case ENG_OP_TANH: case ENG_OP_SIGMOID: case ENG_OP_CONCAT:
    case ENG_OP_ADD: case ENG_OP_MUL: case ENG_OP_SCALE: case ENG_OP_SUM: case ENG_OP_L1_LOSS:
    case ENG_OP_MSE_LOSS: case ENG_OP_BCE_LOGITS_LOSS: case ENG_OP_AVG_POOL2D:
    case ENG_OP_MAX_POOL2D: case ENG_OP_UPSAMPLE_NEAREST2D: case ENG_OP_SPECTRAL_NORM:
        return OP_TESTS_ALL;
    case ENG_OP_DROPOUT: /* its mask is not torch's RNG: statistics in gradcheck, test_dropout */
        return OP_TEST_GRADCHECK | OP_TEST_VULKAN;
    case ENG_OP_DETACH: /* no gradient to compare with PyTorch's: checked exactly in gradcheck */
        return OP_TEST_GRADCHECK | OP_TEST_VULKAN;
    }
    return 0;
}

/* covered[op]: the cases of the test that exercised op. Returns the number of ops the list
 * gives the test that it has no case of, after naming each. */
static inline int op_cases_check(unsigned test, const char *test_name, const int *covered)
{
    int missing = 0;
    for (int op = 0; op < ENG_OP_COUNT; op++) {
        if ((op_case_tests((eng_op)op) & test) && !covered[op]) {
            fprintf(stderr, "%s: no case of op '%s' (tests/engine/op_cases.h lists it)\n",
                    test_name, eng_op_infos[op].name);
            missing++;
        }
    }
    return missing;
}

/* Marks every op of g as covered. */
static inline void op_cases_cover_graph(const eng_graph *g, int *covered)
{
    for (int i = 0; i < g->nnodes; i++)
        covered[g->nodes[i]->op]++;
}

#endif
