/* CPU backend internals: the execution context and the kernels, one pair per op. */
#ifndef ENGINE_CPU_INTERNAL_H
#define ENGINE_CPU_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "engine/graph.h"
#include "engine/memplan/memplan.h"

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
                         * only a convolution's weight, see cpu_can_overwrite) */
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

/* ---- kernels --------------------------------------------------------------------------------
 * forward: writes c->data[n->id] (and c->aux[n->id] where aux_numel > 0) from the srcs' data.
 * backward: ADDS d(loss)/d(src i) into c->grad[src i id] for every bit i in mask, using
 *   c->grad[n->id] (the upstream gradient), the srcs' data, the node's data and aux.
 * Both may use c->scratch (cpu_scratch_floats(n) floats). */
typedef void (*cpu_forward_fn)(cpu_ctx *c, const eng_node *n);
typedef void (*cpu_backward_fn)(cpu_ctx *c, const eng_node *n, unsigned mask);

size_t cpu_scratch_floats(const eng_node *n);
/* The memory planner's facts of this backend (cpu_backend.c). */
extern const eng_plan_facts cpu_plan_facts;
size_t cpu_conv_scratch_floats(const eng_node *n);
/* conv2d with at most 4 output channels runs directly, without im2col (conv_direct.c). */
int cpu_conv2d_is_direct(const eng_node *n);
void cpu_conv2d_direct_forward(cpu_ctx *c, const eng_node *n);
void cpu_conv2d_direct_backward(cpu_ctx *c, const eng_node *n, unsigned mask);

/* One pair per op of the op table (ops.def), named by its kernel column. */
#define ENG_LEAF(id, name)
#define ENG_OP(id, name, kind, kernel, grads, reads, vk, macs)                                   \
    void cpu_##kernel##_forward(cpu_ctx *c, const eng_node *n);                                 \
    void cpu_##kernel##_backward(cpu_ctx *c, const eng_node *n, unsigned mask);
#include "engine/ops.def"
#undef ENG_LEAF
#undef ENG_OP

/* Adam on param i of opt (torch.optim.Adam rule) as its update number t (eng_adam_cmd_step). */
/* Returns ADAM_BAD_GRAD when the parameter's gradient held an infinity or a NaN (applied all
 * the same), ADAM_BAD_STATE when its moments or weights hold one after the update. */
enum { ADAM_BAD_GRAD = 1, ADAM_BAD_STATE = 2 };
int cpu_adam_param(cpu_ctx *c, const eng_adam *opt, int i, int64_t t);

#endif
