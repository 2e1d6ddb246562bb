/* The plain CHECK(cond) of the tests that need no message: a failed check is printed with its
 * place and counted in test_failures; main returns TEST_RESULT(). */
#ifndef TESTS_SUPPORT_TEST_CHECK_H
#define TESTS_SUPPORT_TEST_CHECK_H

#include <stdio.h>

extern int test_failures;

#define CHECK(cond)                                                                            \
    do {                                                                                       \
        if (!(cond)) {                                                                         \
            fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond);           \
            test_failures++;                                                                   \
        }                                                                                      \
    } while (0)

#define TEST_RESULT() (test_failures ? (fprintf(stderr, "%d checks failed\n", test_failures), 1) : 0)

#endif
