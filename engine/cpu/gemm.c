/* Matrix products of the convolutions. OpenBLAS SGEMM for the general case; the "skinny"
 * ones, where one side is a handful of pixels (the innermost layers of a U-Net: 1x1 to 4x4
 * feature maps), by loops that stream the big operand (the weights) exactly once on the
 * pool's threads: SGEMM would pack (copy) the whole weight matrix to use it a few times. */
#include <cblas.h>
#include <string.h>

#include "engine/cpu/cpu_internal.h"

/* Up to this many columns (pixels) a product counts as skinny (measured: beyond 4, SGEMM's
 * register blocking wins over streaming). */
#define SKINNY_MAX 4
/* The skinny loops are compiled for the widest vector unit found at run time (GCC function
 * clones, resolved once at load). */
#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__) && defined(__linux__)
#define VECTOR_CLONES __attribute__((target_clones("avx512f", "avx2", "default")))
#else
#define VECTOR_CLONES
#endif
/* Independent partial sums in a dot product, so that it vectorizes without reassociation. */
#define LANES 16

typedef struct {
    int M, N, K;
    const float *A, *B;
    int lda, ldb, ldc;
    float beta;
    float *C;
    const float *Bt; /* B transposed, where the kernel needs it */
} gemm_job;

VECTOR_CLONES static float dot(const float *restrict a, const float *restrict b, int n)
{
    float acc[LANES] = {0};
    int k = 0;
    for (; k + LANES <= n; k += LANES)
        for (int j = 0; j < LANES; j++)
            acc[j] += a[k + j] * b[k + j];
    float s = 0.0f;
    for (; k < n; k++)
        s += a[k] * b[k];
    for (int j = 0; j < LANES; j++)
        s += acc[j];
    return s;
}

/* Four dot products of a with b0..b3 (length n), sharing the loads of a. */
VECTOR_CLONES static void dot4(const float *restrict a, const float *restrict b0,
                               const float *restrict b1, const float *restrict b2,
                               const float *restrict b3, int n, float out[4])
{
    float acc[4][LANES] = {{0}};
    int k = 0;
    for (; k + LANES <= n; k += LANES)
        for (int j = 0; j < LANES; j++) {
            float x = a[k + j];
            acc[0][j] += x * b0[k + j];
            acc[1][j] += x * b1[k + j];
            acc[2][j] += x * b2[k + j];
            acc[3][j] += x * b3[k + j];
        }
    for (int q = 0; q < 4; q++)
        out[q] = 0.0f;
    for (; k < n; k++) {
        out[0] += a[k] * b0[k];
        out[1] += a[k] * b1[k];
        out[2] += a[k] * b2[k];
        out[3] += a[k] * b3[k];
    }
    for (int q = 0; q < 4; q++)
        for (int j = 0; j < LANES; j++)
            out[q] += acc[q][j];
}

/* dst[c][r] = src[r][c] for an R x Cn block (src row stride lds). */
static void transpose(const float *src, int lds, int R, int Cn, float *dst)
{
    for (int r = 0; r < R; r++)
        for (int c = 0; c < Cn; c++)
            dst[(size_t)c * R + r] = src[(size_t)r * lds + c];
}

/* C[M,N] = beta*C + A[M,K] B[K,N], N small: rows of A against the columns of B (Bt rows),
 * four columns at a time. */
VECTOR_CLONES static void nn_rows(void *arg, size_t begin, size_t end)
{
    const gemm_job *j = arg;
    for (size_t m = begin; m < end; m++) {
        const float *a = j->A + m * j->lda;
        float *c = j->C + m * j->ldc;
        int n = 0;
        for (; n + 4 <= j->N; n += 4) {
            const float *b = j->Bt + (size_t)n * j->K;
            float v[4];
            dot4(a, b, b + j->K, b + 2 * (size_t)j->K, b + 3 * (size_t)j->K, j->K, v);
            for (int q = 0; q < 4; q++)
                c[n + q] = j->beta == 0.0f ? v[q] : c[n + q] * j->beta + v[q];
        }
        for (; n < j->N; n++) {
            float v = dot(a, j->Bt + (size_t)n * j->K, j->K);
            c[n] = j->beta == 0.0f ? v : c[n] * j->beta + v;
        }
    }
}

/* C[M,N] = beta*C + A^T B with A [K,M], N small: each A row is read once, scaled into N
 * accumulator rows per block of M. */
#define TN_BLOCK 128
VECTOR_CLONES static void tn_cols(void *arg, size_t begin, size_t end)
{
    const gemm_job *j = arg;
    float acc[SKINNY_MAX][TN_BLOCK];
    for (size_t m0 = begin; m0 < end; m0 += TN_BLOCK) {
        int mb = (int)(end - m0 < TN_BLOCK ? end - m0 : TN_BLOCK);
        for (int n = 0; n < j->N; n++)
            memset(acc[n], 0, (size_t)mb * sizeof(float));
        for (int k = 0; k < j->K; k++) {
            const float *restrict a = j->A + (size_t)k * j->lda + m0;
            for (int n = 0; n < j->N; n++) {
                float b = j->B[(size_t)k * j->ldb + n];
                float *restrict r = acc[n];
                for (int m = 0; m < mb; m++)
                    r[m] += b * a[m];
            }
        }
        for (int m = 0; m < mb; m++) {
            float *c = j->C + (m0 + m) * j->ldc;
            for (int n = 0; n < j->N; n++)
                c[n] = j->beta == 0.0f ? acc[n][m] : c[n] * j->beta + acc[n][m];
        }
    }
}

/* C[M,N] = beta*C + A[M,K] B^T with B [N,K], K small: each C row is updated once from the
 * K rows of Bt [K,N]. */
VECTOR_CLONES static void nt_rows(void *arg, size_t begin, size_t end)
{
    const gemm_job *j = arg;
    for (size_t m = begin; m < end; m++) {
        float *restrict c = j->C + m * j->ldc;
        const float *a = j->A + m * j->lda;
        if (j->beta == 0.0f)
            memset(c, 0, (size_t)j->N * sizeof(float));
        else if (j->beta != 1.0f)
            for (int n = 0; n < j->N; n++)
                c[n] *= j->beta;
        for (int k = 0; k < j->K; k++) {
            const float *restrict b = j->Bt + (size_t)k * j->N;
            float s = a[k];
            for (int n = 0; n < j->N; n++)
                c[n] += s * b[n];
        }
    }
}

size_t cpu_gemm_tmp_floats(size_t pixels, size_t rows)
{
    return pixels <= SKINNY_MAX ? pixels * rows : 0;
}

void cpu_gemm(cpu_ctx *c, int trans_a, int trans_b, int M, int N, int K, const float *A, int lda,
              const float *B, int ldb, float beta, float *C, int ldc, float *tmp)
{
    gemm_job j = {M, N, K, A, B, lda, ldb, ldc, beta, C, NULL};
    if (!trans_a && !trans_b && N <= SKINNY_MAX) {
        transpose(B, ldb, K, N, tmp);
        j.Bt = tmp;
        cpu_parallel_for(c->pool, (size_t)M, nn_rows, &j);
    } else if (trans_a && !trans_b && N <= SKINNY_MAX) {
        cpu_parallel_for(c->pool, (size_t)M, tn_cols, &j);
    } else if (!trans_a && trans_b && K <= SKINNY_MAX) {
        transpose(B, ldb, N, K, tmp);
        j.Bt = tmp;
        cpu_parallel_for(c->pool, (size_t)M, nt_rows, &j);
    } else {
        cblas_sgemm(CblasRowMajor, trans_a ? CblasTrans : CblasNoTrans,
                    trans_b ? CblasTrans : CblasNoTrans, M, N, K, 1.0f, A, lda, B, ldb, beta, C,
                    ldc);
    }
}
