/* Matrix products of the convolutions: OpenBLAS SGEMM for the general case, and the kernels of
 * gemm_small.c where the pixel dimension is small (the innermost layers of a U-Net), which
 * stream the big operand (weights or their gradients) once instead of packing it. */
#include <cblas.h>

#include "engine/cpu/cpu_internal.h"
#include "engine/cpu/gemm_small.h"

/* Up to this many pixels (4x4 feature maps) a product goes to gemm_small.c. Measured on
 * unet_256's layers: at 8x8 SGEMM's packing already pays for itself. */
#define SMALL_MAX 16

size_t cpu_gemm_tmp_floats(size_t pixels, size_t rows)
{
    return pixels <= SMALL_MAX ? pixels * rows : 0;
}

void cpu_gemm(cpu_ctx *c, int trans_a, int trans_b, int M, int N, int K, const float *A, int lda,
              const float *B, int ldb, float beta, float *C, int ldc, float *tmp)
{
    cpu_gemm_args g = {M, N, K, A, B, lda, ldb, beta, C, ldc};
    if (!trans_a && !trans_b && N <= SMALL_MAX)
        cpu_gemm_small_nn(c->pool, &g, tmp);
    else if (trans_a && !trans_b && N <= SMALL_MAX)
        cpu_gemm_small_tn(c->pool, &g);
    else if (!trans_a && trans_b && K <= SMALL_MAX)
        cpu_gemm_small_nt(c->pool, &g, tmp);
    else
        cblas_sgemm(CblasRowMajor, trans_a ? CblasTrans : CblasNoTrans,
                    trans_b ? CblasTrans : CblasNoTrans, M, N, K, 1.0f, A, lda, B, ldb, beta, C,
                    ldc);
}
