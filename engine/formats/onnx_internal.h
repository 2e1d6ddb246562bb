/* Shared by the ONNX writer's files: a model under construction. Its pieces (messages, names,
 * attributes, the tensors' values) come from an arena freed at the end. Running out of memory
 * for a small piece jumps back to eng_onnx_write (the model's out_of_memory), which frees the
 * arena and returns the error: the pieces' builders need no checks of their own. The tensors'
 * values, the only large allocations, fail with a message naming the tensor instead. */
#ifndef ENGINE_ONNX_INTERNAL_H
#define ENGINE_ONNX_INTERNAL_H

#include <setjmp.h>
#include <stdint.h>

#include "engine/graph.h"
#include "engine/onnx.h"
#include "onnx/onnx.pb-c.h"

typedef struct {
    eng_plan *plan;
    const eng_onnx_value *input, *output;
    char **names;                /* per node id: the name of its ONNX value, once emitted */
    Onnx__NodeProto **nodes;     /* room for one per graph node */
    size_t n_nodes;
    Onnx__TensorProto **inits;   /* room for three per graph node */
    size_t n_inits;
    void **allocs;               /* the arena */
    size_t n_allocs, cap_allocs;
    int failed;                  /* eng_last_error() holds the first reason */
    jmp_buf out_of_memory;       /* where onnx_alloc goes when there is no memory left */
} onnx_model;

void *onnx_alloc(onnx_model *m, size_t bytes); /* zeroed; never NULL (see above) */
char *onnx_strdup(onnx_model *m, const char *s);
/* Records the reason of the first failure; returns -1. */
int onnx_fail(onnx_model *m, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* The ONNX name of src's value: an op output already emitted, the declared input, or a param
 * or state, which becomes an initializer when first used. NULL (and a reason) otherwise. */
const char *onnx_value(onnx_model *m, const eng_node *src);
/* A new node of op_type computing n's value from nin inputs (names from onnx_value; NULL
 * when one of them is NULL, that is when a reason was already recorded). */
Onnx__NodeProto *onnx_node(onnx_model *m, const eng_node *n, const char *op_type,
                           const char *const *inputs, int nin);
void onnx_attr_int(onnx_model *m, Onnx__NodeProto *node, const char *name, int64_t v);
void onnx_attr_ints(onnx_model *m, Onnx__NodeProto *node, const char *name, int count,
                    const int64_t *v);
void onnx_attr_float(onnx_model *m, Onnx__NodeProto *node, const char *name, float v);
void onnx_attr_string(onnx_model *m, Onnx__NodeProto *node, const char *name, const char *v);
/* Constant initializers of shape [count] named "<n's node name>.<what>". */
const char *onnx_const_f32(onnx_model *m, const eng_node *n, const char *what, int count,
                           float value);
const char *onnx_const_f32s(onnx_model *m, const eng_node *n, const char *what, int count,
                            const float *values);
const char *onnx_const_i64(onnx_model *m, const eng_node *n, const char *what, int count,
                           const int64_t *values);

/* onnx_ops.c: the node for op n, or -1 with a reason (an op that has no ONNX export). */
int onnx_emit_op(onnx_model *m, const eng_node *n);

#endif
