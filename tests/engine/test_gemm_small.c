/* The small-pixel matrix products (engine/cpu/gemm_small.c) against a double-precision
 * reference: every form (A^T B, A B, A B^T), block remainders in every dimension, K across the
 * A B chunking, padded leading dimensions (whose padding must stay untouched), beta 0, 1 and
 * 0.5, one and three threads, and each instruction set this CPU runs. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "engine/cpu/gemm_small.h"

enum { FORM_TN, FORM_NN, FORM_NT };
static const char *const form_names[] = {"A^T B", "A B", "A B^T"};
#define GUARD 12345.0f

static float value(unsigned i, unsigned salt)
{
    return (float)sin(i * 0.7 + salt * 1.9) * (1.0f + (i % 5) * 0.25f);
}

/* Returns the number of wrong elements (printing the first). */
static int check(cpu_pool *pool, int form, int M, int N, int K, float beta)
{
    /* shapes of op(A) [M,K] and op(B) [K,N] as stored, with 3 floats of padding per row */
    int a_rows = form == FORM_TN ? K : M, a_cols = form == FORM_TN ? M : K;
    int b_rows = form == FORM_NT ? N : K, b_cols = form == FORM_NT ? K : N;
    int lda = a_cols + 3, ldb = b_cols + 3, ldc = N + 3;
    float *A = malloc(sizeof(float) * a_rows * lda), *B = malloc(sizeof(float) * b_rows * ldb);
    float *C = malloc(sizeof(float) * M * ldc), *tmp = malloc(sizeof(float) * (N * K + 1));
    for (int i = 0; i < a_rows * lda; i++)
        A[i] = value(i, 1);
    for (int i = 0; i < b_rows * ldb; i++)
        B[i] = value(i, 2);
    for (int i = 0; i < M * ldc; i++)
        C[i] = i % ldc < N ? value(i, 3) : GUARD;
    double *ref = malloc(sizeof(double) * M * N), *mag = malloc(sizeof(double) * M * N);
    for (int m = 0; m < M; m++)
        for (int n = 0; n < N; n++) {
            double s = beta * (double)C[m * ldc + n], a_abs = fabs(s);
            for (int k = 0; k < K; k++) {
                double a = form == FORM_TN ? A[k * lda + m] : A[m * lda + k];
                double b = form == FORM_NT ? B[n * ldb + k] : B[k * ldb + n];
                s += a * b;
                a_abs += fabs(a * b);
            }
            ref[m * N + n] = s;
            mag[m * N + n] = a_abs;
        }
    cpu_gemm_args g = {M, N, K, A, B, lda, ldb, beta, C, ldc};
    if (form == FORM_TN)
        cpu_gemm_small_tn(pool, &g);
    else if (form == FORM_NN)
        cpu_gemm_small_nn(pool, &g, tmp);
    else
        cpu_gemm_small_nt(pool, &g, tmp);
    int bad = 0;
    for (int m = 0; m < M; m++)
        for (int i = 0; i < ldc; i++) {
            double got = C[m * ldc + i];
            int wrong = i < N ? fabs(got - ref[m * N + i]) > 1e-5 * (mag[m * N + i] + 1e-3)
                              : got != GUARD;
            if (wrong && !bad++)
                fprintf(stderr, "FAIL %s M=%d N=%d K=%d beta=%g: C[%d][%d] = %.7g, expected %.7g\n",
                        form_names[form], M, N, K, beta, m, i, got,
                        i < N ? ref[m * N + i] : GUARD);
        }
    free(A);
    free(B);
    free(C);
    free(tmp);
    free(ref);
    free(mag);
    return bad;
}

int main(void)
{
    static const char *const isa_names[] = {"baseline", "AVX2", "AVX-512"};
    /* the big dimension (M, or N for A B^T) and the small one, around the block sizes */
    static const int bigs[] = {1, 15, 16, 33, 64, 70, 129};
    static const int smalls[] = {1, 2, 3, 4, 5, 7, 8, 9, 13, 16};
    static const int ks[] = {1, 5, 16, 37, 1030};
    static const float betas[] = {0.0f, 1.0f, 0.5f};
    int failures = 0, cases = 0, isas = 0;
    for (int isa = CPU_ISA_BASELINE; isa <= CPU_ISA_AVX512; isa++) {
        if (!cpu_gemm_small_set_isa((cpu_isa)isa))
            continue;
        isas++;
        for (int threads = 1; threads <= 3; threads += 2) {
            cpu_pool *pool = cpu_pool_new(threads);
            for (int form = FORM_TN; form <= FORM_NT; form++)
                for (size_t b = 0; b < sizeof bigs / sizeof *bigs; b++)
                    for (size_t s = 0; s < sizeof smalls / sizeof *smalls; s++)
                        for (size_t k = 0; k < sizeof ks / sizeof *ks; k++) {
                            int big = bigs[b], small = smalls[s], K = ks[k];
                            /* A B^T: the small dimension is K, and the rows (M) a few */
                            int M = form == FORM_NT ? small : big;
                            int N = form == FORM_NT ? big : small;
                            if (form == FORM_NT)
                                K = small, M = ks[k] > 64 ? 64 : ks[k];
                            float beta = betas[(b + s + k) % 3];
                            failures += check(pool, form, M, N, K, beta) != 0;
                            cases++;
                        }
            cpu_pool_free(pool);
        }
        printf("%s: checked\n", isa_names[isa]);
    }
    printf("%d cases on %d instruction sets, %d failed\n", cases, isas, failures);
    return failures ? 1 : 0;
}
