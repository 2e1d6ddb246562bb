/* CPU backend internals: the execution context and the kernels, one pair per op. */
#ifndef ENGINE_CPU_INTERNAL_H
#define ENGINE_CPU_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "engine/graph.h"

typedef struct cpu_pool cpu_pool;

typedef struct {
    float **data;   /* [node id] values, numel floats */
    float **grad;   /* [node id] gradients (NULL where the node has none) */
    float **aux;    /* [node id] saved values for backward, aux_numel floats (or NULL) */
    float *scratch; /* the current command's work area, cpu_scratch_floats() of its node */
    cpu_pool *pool;
    int threads;
    uint32_t run_index; /* counts plan runs: dropout masks differ per run */
    unsigned fresh;     /* during a backward: srcs whose gradients it overwrites (bit per src;
                         * only a convolution's weight, see grad_liveness.c) */
} cpu_ctx;

/* ---- thread pool --------------------------------------------------------------------------
 * cpu_parallel_for splits [0, n) into at most `threads` contiguous chunks and calls
 * fn(arg, begin, end) for each on the pool's threads; returns when all are done. */
cpu_pool *cpu_pool_new(int threads);
void cpu_pool_free(cpu_pool *pool);
typedef void (*cpu_range_fn)(void *arg, size_t begin, size_t end);
void cpu_parallel_for(cpu_pool *pool, size_t n, cpu_range_fn fn, void *arg);

/* Maps OpenBLAS's work buffers for threads threads now, while there is room (blas_buffers.c).
 * ENG_OK, or ENG_ENOMEM with a message when the address space cannot hold them. */
int cpu_reserve_blas_buffers(int threads);

/* ---- optional per-op timing (profile.c): NULL unless PIX2PIX_PROFILE is set ----------------- */
typedef struct cpu_profile cpu_profile;
cpu_profile *cpu_profile_new(const eng_graph *g);
void cpu_profile_free(cpu_profile *pr);
double cpu_profile_now(void);
void cpu_profile_add(cpu_profile *pr, const eng_cmd *cmd, double ms);
void cpu_profile_run_done(cpu_profile *pr);
void cpu_profile_report(cpu_profile *pr); /* to stderr */

/* ---- matrix products (gemm.c) --------------------------------------------------------------
 * Row-major C[M,N] = beta*C + op(A) op(B), alpha 1, on the pool's threads. The convolutions'
 * products have one dimension of `pixels`: N (or K for A B^T). When it is tiny, tmp must hold
 * cpu_gemm_tmp_floats(pixels, other dimension) floats. */
size_t cpu_gemm_tmp_floats(size_t pixels, size_t rows);
void cpu_gemm(cpu_ctx *c, int trans_a, int trans_b, int M, int N, int K, const float *A, int lda,
              const float *B, int ldb, float beta, float *C, int ldc, float *tmp);

/* ---- memory sharing by liveness (interval_place.c) ----------------------------------------
 * Buffers of size floats alive from command first to last (inclusive); id is the caller's.
 * Sets each off so that buffers alive at the same time never overlap; returns the region's
 * size. Reorders list; tmp holds n entries. */
typedef struct {
    size_t off, size;
    int first, last, id;
} cpu_interval;
size_t cpu_place_intervals(cpu_interval *list, int n, cpu_interval *tmp);
/* An op's output (not a leaf: input, param, state or const): the buffers that may be shared. */
int cpu_is_op_output(const eng_node *n);

/* ---- reused op outputs (value_liveness.c) --------------------------------------------------
 * With eng_reuse_values: [first, last] the commands through which op output id must keep its
 * values in the shared region; first -1 for nodes with buffers of their own (all of them
 * without it). */
int cpu_plan_values(const eng_graph *g, int *first, int *last);

/* ---- transient gradients (grad_liveness.c) ------------------------------------------------
 * Gradients of op outputs and of optimized parameters live only through the commands that
 * touch them (the backend places them in the shared region by these lifetimes); their
 * ZERO_GRAD commands move to the command that first touches them after it, and each
 * parameter's Adam update runs right after the last command that uses the parameter. */
typedef struct {
    const eng_adam *opt;
    int index;            /* parameter index in opt */
    int finish;           /* bucket (index into cpu_grad_plan.buckets) to finish first, or -1 */
} cpu_adam_entry;

/* A bucket of gradients handed to its optimizer's reducer (eng_reducer, grad_buckets.c). */
typedef struct {
    const eng_adam *opt;
    int slot;             /* opt's index in graph->opts */
    int index;            /* the bucket's number among opt's buckets (its start order) */
    int ready;            /* the command after which all its gradients are complete */
    int n;
    int *ids;             /* the parameters' node ids */
    float **grads;        /* their gradient buffers (cpu_bind_buckets) */
    size_t *counts;
} cpu_bucket;

typedef struct {
    char *transient;      /* [node id] gradient lives in the shared region */
    int *first, *last;    /* [node id] the commands a transient gradient lives through
                           * (first -1: never touched, no buffer) */
    int *zero_start;      /* [cmd .. cmd+1): indices into zero_ids of grads zeroed before cmd */
    int *zero_ids;
    unsigned char *fresh; /* [cmd] srcs whose gradients the backward overwrites, not adds to */
    int *adam_start;      /* [cmd .. cmd+1): indices into adam of the updates run after cmd */
    cpu_adam_entry *adam;
    cpu_bucket *buckets;  /* of the optimizers with a reducer, whose updates all run at their
                           * ADAM command, bucket after bucket */
    int nbuckets;
    int *bucket_start;    /* [cmd .. cmd+1): indices into bucket_ids of those started after cmd */
    int *bucket_ids;
    int *inflight;        /* [opt slot] buckets started and not finished in the current run */
} cpu_grad_plan;
int cpu_plan_transient_grads(const eng_graph *g, cpu_grad_plan *gp);
void cpu_grad_plan_free(cpu_grad_plan *gp);
/* The last command before ADAM command adam_cmd that uses p (its values or gradient): where
 * p's gradient is complete. adam_cmd itself when there is none. */
int cpu_grad_complete_point(const eng_graph *g, int adam_cmd, const eng_node *p);

/* ---- gradient buckets (grad_buckets.c) ------------------------------------------------------
 * cpu_plan_buckets adds the buckets of the optimizer of ADAM command adam_cmd (which has a
 * reducer) and writes its parameter indices in bucket order to order, and to finish, for each,
 * the bucket to finish before its update (-1: the same as the previous one's). Once every
 * optimizer is planned, cpu_index_buckets lists the buckets by start command. */
int cpu_plan_buckets(const eng_graph *g, int adam_cmd, cpu_grad_plan *gp, int *order, int *finish);
int cpu_index_buckets(const eng_graph *g, cpu_grad_plan *gp);
void cpu_bind_buckets(cpu_grad_plan *gp, float *const *grad);
/* After command i of a run: starts the buckets complete there, lets those in flight progress.
 * Before an update: finishes its bucket. ENG_OK or ENG_EBACKEND. */
int cpu_buckets_after(const eng_graph *g, cpu_grad_plan *gp, int i);
int cpu_bucket_finish(cpu_grad_plan *gp, int bucket);
void cpu_buckets_free(cpu_grad_plan *gp);

/* ---- kernels --------------------------------------------------------------------------------
 * forward: writes c->data[n->id] (and c->aux[n->id] where aux_numel > 0) from the srcs' data.
 * backward: ADDS d(loss)/d(src i) into c->grad[src i id] for every bit i in mask, using
 *   c->grad[n->id] (the upstream gradient), the srcs' data, the node's data and aux.
 * Both may use c->scratch (cpu_scratch_floats(n) floats). */
typedef void (*cpu_forward_fn)(cpu_ctx *c, const eng_node *n);
typedef void (*cpu_backward_fn)(cpu_ctx *c, const eng_node *n, unsigned mask);

size_t cpu_scratch_floats(const eng_node *n);
size_t cpu_conv_scratch_floats(const eng_node *n);
/* conv2d with at most 4 output channels runs directly, without im2col (conv_direct.c). */
int cpu_conv2d_is_direct(const eng_node *n);
void cpu_conv2d_direct_forward(cpu_ctx *c, const eng_node *n);
void cpu_conv2d_direct_backward(cpu_ctx *c, const eng_node *n, unsigned mask);

/* One pair per op of the op table (ops.def), named by its kernel column. */
#define ENG_LEAF(id, name)
#define ENG_OP(id, name, kernel, grads, reads, vk)                                                   \
    void cpu_##kernel##_forward(cpu_ctx *c, const eng_node *n);                                 \
    void cpu_##kernel##_backward(cpu_ctx *c, const eng_node *n, unsigned mask);
#include "engine/ops.def"
#undef ENG_LEAF
#undef ENG_OP

/* Adam on param i of opt (torch.optim.Adam rule), opt->steps already incremented. */
void cpu_adam_param(cpu_ctx *c, const eng_adam *opt, int i);

#endif
