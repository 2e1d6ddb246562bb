/* Graph internals shared by the engine and its backends (not by the engine's users). */
#ifndef ENGINE_GRAPH_H
#define ENGINE_GRAPH_H

#include <stddef.h>
#include <stdint.h>

#include "engine/engine.h"

#define ENG_MAX_SRC 6
/* The most elements of one tensor (a PiB of floats): far beyond any memory, and small enough
 * that byte counts summed over a graph's tensors cannot overflow. */
#define ENG_MAX_NUMEL ((size_t)1 << 48)

/* ENG_OP_<ID> for every leaf and op of the op table (ops.def), in its order. */
typedef enum {
#define ENG_LEAF(id, name) ENG_OP_##id,
#define ENG_OP(id, name, kind, kernel, grads, reads, vk, macs) ENG_OP_##id,
#include "engine/ops.def"
#undef ENG_LEAF
#undef ENG_OP
    ENG_OP_COUNT
} eng_op;

/* From the op table: which source slots of an op can receive a gradient (bit i = src[i]). */
typedef struct {
    const char *name;
    unsigned grad_srcs;
} eng_op_info;
extern const eng_op_info eng_op_infos[ENG_OP_COUNT];

/* The values a node's backward reads: bit i for src i, ENG_READS_OUTPUT for its own output.
 * Every backend's backward kernels must read no more (op_facts.c): a missing bit would let
 * memory planning give another tensor the values a backward still needs. */
#define ENG_READS_OUTPUT (1u << 31)
struct eng_node;
unsigned eng_op_backward_reads(const struct eng_node *n);
/* The multiply-adds of one product of the node (its forward, or one of its backward
 * gradients): the macs column of the op table (only the convolutions' are counted). */
double eng_op_macs(const struct eng_node *n);
/* An ENG_LEAF of the op table: input, param, state or const (op_facts.c). */
int eng_op_is_leaf(eng_op op);
/* The kind column of the op table: what the backends treat alike. */
typedef enum {
    ENG_KIND_LEAF,
    ENG_KIND_CONV,    /* conv2d, conv_transpose2d */
    ENG_KIND_NORM,    /* batch_norm2d, instance_norm2d */
    ENG_KIND_ELTWISE, /* the ENG_ELTWISE rows: kernels from their formulas */
    ENG_KIND_OTHER
} eng_op_kind;
eng_op_kind eng_op_kind_of(eng_op op);
/* The fp32_output column of an ENG_ELTWISE row (0 for the other ops): an fp16 plan keeps the
 * op's output in fp32. */
int eng_op_fp32_output(eng_op op);

typedef struct eng_node {
    int id;                /* index in graph->nodes, also topological order of creation */
    eng_op op;
    char name[ENG_NAME_MAX];
    int ndim;
    int shape[ENG_MAX_DIMS];
    size_t numel;
    struct eng_node *src[ENG_MAX_SRC]; /* unused optional slots are NULL */
    int nsrc;
    union {
        struct { int stride, pad, out_pad; } conv;       /* kernel size from the weight */
        struct { float momentum, eps; int training; } norm;
        struct { int pad; } pad;
        struct { int kernel, stride, pad; } pool;       /* avg_pool2d, max_pool2d */
        struct { int scale; } upsample;                 /* upsample_nearest2d */
        struct { float eps; } spectral;                 /* spectral_norm */
        struct { float value; } scalar;                 /* leaky slope, scale factor, fill */
        struct { float p; uint32_t seed; } dropout;
    } arg;
    /* Per-op saved values for backward, in floats (batch norm: mean+invstd per channel;
     * instance norm: mean+invstd per (n, c); dropout: nothing, the mask is recomputed). */
    size_t aux_numel;
    int has_grad;          /* set when some eng_backward needs this node's gradient */
    int scheduled;         /* forward already recorded */
    int keep_value;        /* eng_keep_value: readable after a run even with reused values */
} eng_node;

typedef enum {
    ENG_CMD_FORWARD,    /* node: compute node from its srcs */
    ENG_CMD_ZERO_GRAD,  /* node: grad = 0 */
    ENG_CMD_SEED_GRAD,  /* node: grad = 1 (the loss) */
    ENG_CMD_BACKWARD,   /* node: add d/dsrc into the grads of srcs in mask */
    ENG_CMD_ADAM,       /* opt: update its params */
} eng_cmd_kind;

typedef struct eng_adam eng_adam;

typedef struct {
    eng_cmd_kind kind;
    eng_node *node;
    unsigned mask;
    eng_adam *opt;
    int update; /* ADAM: how many ADAM commands of opt come before this one */
} eng_cmd;

struct eng_adam {
    int nparams;
    eng_node **params;
    eng_node **exp_avg;
    eng_node **exp_avg_sq;
    float lr, beta1, beta2, eps;
    int64_t steps;
    int updates;                       /* its ADAM commands in the graph (updates per run) */
    eng_node **average;                /* eng_adam_set_average's fp32 states, or NULL */
    float average_decay;
    const struct eng_reducer *reducer; /* eng_adam_set_reducer, or NULL */
};

/* PyTorch's step count t of ADAM command c in the current run: eng_plan_run has advanced
 * opt->steps by all of opt's updates of the run, of which c is number c->update. */
int64_t eng_adam_cmd_step(const eng_cmd *c);

typedef struct eng_graph {
    eng_node **nodes;
    int nnodes, cap_nodes;
    eng_cmd *cmds;
    int ncmds, cap_cmds;
    eng_adam **opts;
    int nopts, cap_opts;
    int keep_grads;     /* eng_keep_grads: every gradient stays readable after a run */
    int reuse_values;   /* eng_reuse_values: op outputs may share memory by liveness */
    int mixed_precision; /* eng_mixed_precision: fp16 storage where the backend has it */
    char error[256];     /* the first shape a builder refused ("": none) */
    eng_node *placeholder; /* returned by the builders once error is set; in no list */
} eng_graph;

/* ---- backend interface ------------------------------------------------------------------- */
typedef struct eng_plan eng_plan;
typedef struct eng_backend eng_backend;

struct eng_backend {
    const char *name;
    void *impl;
    /* Allocate every buffer for p->graph into p->impl; return 0 or a negative status. */
    int (*plan)(eng_backend *be, eng_plan *p);
    /* The bytes plan would allocate for g, all and in host memory, without allocating them
     * (eng_plan_estimate). */
    int (*estimate)(eng_backend *be, const eng_graph *g, size_t *bytes, size_t *host_bytes);
    void (*release)(eng_plan *p);
    /* Execute p->graph->cmds in order. p->run_index counts runs (dropout masks). */
    int (*run)(eng_plan *p);
    int (*write)(eng_plan *p, const eng_node *n, const float *src);
    int (*read)(eng_plan *p, const eng_node *n, float *dst, int grad);
    void (*destroy)(eng_backend *be);
    /* Bytes new plans may take now (eng_backend_memory_budget); NULL: the host's memory. */
    size_t (*memory_budget)(eng_backend *be);
    /* Whether the backend runs node n (its op, its arguments): eng_plan_new and
     * eng_plan_estimate refuse a graph with a node it does not, naming it, before allocating
     * anything. NULL: every node. */
    int (*supports)(eng_backend *be, const eng_node *n);
    /* eng_plan_counters of p; NULL: the schedule's commands as dispatches, nothing else. */
    void (*counters)(const eng_plan *p, eng_counters *c);
    int has_fp16; /* can plan with fp16 storage (eng_mixed_precision) */
    char note[512]; /* eng_backend_note: why --device auto runs on the CPU; else empty */
};

struct eng_plan {
    eng_graph *graph;
    eng_backend *backend;
    void *impl;
    uint32_t run_index;
    size_t bytes;
    /* Set by the backend's plan: fp16 storage, and loss scaling (fp16 with an optimizer). */
    int fp16, loss_scaling;
    float loss_scale;     /* the seed of the losses' gradients in the next run */
    int growth_interval, good_runs;
    unsigned nonfinite;   /* set by the backend's run: bit k, the k-th ADAM command's gradients
                           * were not all finite (skipped with loss scaling) */
    unsigned nonfinite_state; /* likewise: its update left an infinity or a NaN in its moments
                               * or weights */
    int64_t skipped_runs;
};

/* ---- graph building blocks (engine-internal) ---- */
eng_node *eng_graph_add_node(eng_graph *g, eng_op op, const char *name, int ndim, const int *shape);
void eng_graph_add_cmd(eng_graph *g, eng_cmd cmd);

/* ---- helpers for backends ---------------------------------------------------------------- */
/* Refuses a shape while building g: records the first such message (see engine.h) and returns
 * the placeholder node that every builder returns from then on. */
eng_node *eng_graph_refuse(eng_graph *g, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static inline int eng_graph_failed(const eng_graph *g) { return g->error[0] != 0; }
/* Aborts with a message: used for programming errors while scheduling and out of memory. */
_Noreturn void eng_fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Dropout: uniform [0,1) from (seed, run, index), a 32-bit integer hash that shaders repeat
 * exactly. Element kept when u >= p. */
static inline uint32_t eng_hash32(uint32_t x)
{
    x ^= x >> 16;
    x *= 0x7feb352dU;
    x ^= x >> 15;
    x *= 0x846ca68bU;
    x ^= x >> 16;
    return x;
}
static inline float eng_dropout_uniform(uint32_t seed, uint32_t run, uint32_t index)
{
    uint32_t h = eng_hash32(index ^ eng_hash32(seed ^ eng_hash32(run + 0x9e3779b9U)));
    return (float)(h >> 8) * (1.0f / 16777216.0f);
}

#endif
