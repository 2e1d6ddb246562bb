/* Matrix products with a small pixel dimension (gemm_small.c), for the CPU backend's cpu_gemm.
 * Row-major, alpha 1: C[M,N] = beta*C + op(A) op(B). */
#ifndef ENGINE_CPU_GEMM_SMALL_H
#define ENGINE_CPU_GEMM_SMALL_H

#include "engine/cpu/cpu_internal.h"

typedef struct {
    int M, N, K;
    const float *A, *B;
    int lda, ldb;
    float beta;
    float *C;
    int ldc;
} cpu_gemm_args;

/* A^T B, A [K,M]: N small. */
void cpu_gemm_small_tn(cpu_pool *pool, const cpu_gemm_args *g);
/* A B: N small. tmp: N*K floats. */
void cpu_gemm_small_nn(cpu_pool *pool, const cpu_gemm_args *g, float *tmp);
/* A B^T, B [N,K]: K small. tmp: K*N floats. */
void cpu_gemm_small_nt(cpu_pool *pool, const cpu_gemm_args *g, float *tmp);

/* The instruction set the kernels use: the best the CPU has, unless a test forces a lower one
 * (cpu_gemm_small_set_isa returns 0 when the CPU lacks it). */
typedef enum { CPU_ISA_BASELINE, CPU_ISA_AVX2, CPU_ISA_AVX512 } cpu_isa;
cpu_isa cpu_gemm_small_isa(void);
int cpu_gemm_small_set_isa(cpu_isa isa);

#endif
