/* Helpers for the PyTorch-parity tests: fixture tensors as float arrays, error measures. */
#ifndef TESTS_ENGINE_GOLDEN_H
#define TESTS_ENGINE_GOLDEN_H

#include <stddef.h>

#include "engine/engine.h"
#include "engine/graph.h" /* the engine's own tests read its nodes */
#include "engine/safetensors.h"

/* Tolerance of every comparison: |a - b| <= GOLDEN_TOL * max(1, |b|). */
#define GOLDEN_TOL 1e-4

/* Opens a fixture of FIXTURE_DIR; exits with a message when it cannot. */
st_file *golden_open(const char *name);
/* The named tensor (exits with a message when absent). */
const st_tensor *golden_tensor(const st_file *f, const char *name);
/* The tensor as newly allocated floats. */
float *golden_floats(const st_file *f, const char *name);
/* The tensor's shape as engine dims (exits if it has more than 4 or is too large). */
int golden_shape(const st_tensor *t, int *shape);

/* Worst |a - b| / max(1, |b|) over n elements (infinite when either holds a NaN). */
double golden_error(const float *a, const float *b, size_t n);

/* Reads node's values (grad: its gradient) and returns golden_error against the fixture
 * tensor `expected`; also checks the element counts match (else returns infinity). */
double golden_compare_node(eng_plan *p, const eng_node *n, int grad, const st_file *f,
                           const char *expected);
/* Writes the fixture tensor `name` into node n (element counts must match). */
void golden_write_node(eng_plan *p, const eng_node *n, const st_file *f, const char *name);

#endif
