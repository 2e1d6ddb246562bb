/* The failure count behind test_check.h's CHECK. */
#include "test_check.h"

int test_failures;
