/* Writing an inference graph as an ONNX model (opset 13), one ONNX node per engine op.
 *
 * The graph is walked from the output back to the input: every op on the way becomes a node
 * (Conv, ConvTranspose, BatchNormalization, InstanceNormalization, Pad in reflect mode, Relu,
 * LeakyRelu, Tanh, Concat, Add), every param and state it reads an initializer under the
 * tensor's name, with the values the plan holds. Other ops, training-mode batch norm, inputs
 * other than the declared one and constants are refused with a message naming the op. The
 * ONNX file states what the caller declares about sizes (symbolic dimensions): the engine
 * cannot check that the graph holds for other sizes than the one it was built for. */
#ifndef ENGINE_ONNX_H
#define ENGINE_ONNX_H

#include <stddef.h>

#include "engine/engine.h"

typedef struct {
    const eng_node *node;
    const char *name;               /* the ONNX value's name ("input") */
    const char *dims[ENG_MAX_DIMS]; /* NULL: the node's size; else a symbolic dimension ("H") */
} eng_onnx_value;

typedef struct {
    const char *producer, *producer_version;
    const char *graph_name;
    const char *doc;                /* the model's doc_string (NULL: none) */
    const char *const *meta;        /* nmeta key, value pairs: the model's metadata_props */
    int nmeta;
} eng_onnx_info;

/* Writes the graph of p from input to output at path, atomically. 0, or a negative status with
 * the reason in eng_last_error() (naming path when the file could not be written; out of
 * memory is such a failure too). */
int eng_onnx_write(eng_plan *p, const eng_onnx_value *input, const eng_onnx_value *output,
                   const eng_onnx_info *info, const char *path);

#endif
