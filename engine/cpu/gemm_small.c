/* Matrix products with a small pixel dimension: the innermost layers of a U-Net (1x1 to 8x8
 * feature maps), whose weights (16-32 MB per layer) serve only a few pixels each. SGEMM would
 * first copy (pack) the whole weight matrix; these kernels read the big operand once, straight
 * from memory, keep the small one in cache and accumulate in registers. Each kernel is
 * compiled for AVX-512, for AVX2+FMA and for the baseline, and the best the CPU runs is picked
 * at the first call. */
#include "engine/cpu/gemm_small.h"

#include <string.h>

/* 16 floats, unaligned: one AVX-512 register, two AVX ones, four SSE ones. */
typedef float vf __attribute__((vector_size(64), aligned(4)));
#define VL 16
#define INLINE static inline __attribute__((always_inline))
#define UNROLL _Pragma("GCC unroll 16")
/* Accumulator arrays are sized for the largest blocking below; unrolled with constant block
 * sizes, the used part lives in registers. */
#define MAXB 8

INLINE vf vload(const float *p)
{
    vf v;
    memcpy(&v, p, sizeof v);
    return v;
}

INLINE void vstore(float *p, vf v)
{
    memcpy(p, &v, sizeof v);
}

INLINE float hsum(vf v)
{
    float s = 0.0f;
    for (int l = 0; l < VL; l++)
        s += v[l];
    return s;
}

INLINE void put(float *c, float beta, float v)
{
    *c = beta == 0.0f ? v : *c * beta + v;
}

typedef struct {
    cpu_gemm_args g;
    const float *Bt; /* B transposed (nn: [N][K], nt: [K][N]) */
} small_job;

/* ---- A^T B, A [K,M] with M large and unit stride, B [K,N] with N small ---------------------
 * A block of MV vectors of M rows keeps MV x NB accumulators (rows x pixels) while it runs down
 * the K rows of A: each slice of A is loaded once per NB pixels. With few pixels the blocks are
 * wider, so that each row of A is still read in long runs. */
INLINE void tn_block(const cpu_gemm_args *g, size_t m0, int n0, const int MV, const int NB)
{
    vf acc[MAXB][MAXB];
    UNROLL for (int n = 0; n < NB; n++)
        UNROLL for (int v = 0; v < MV; v++)
            acc[n][v] = (vf){0};
    for (int k = 0; k < g->K; k++) {
        const float *a = g->A + (size_t)k * g->lda + m0, *b = g->B + (size_t)k * g->ldb + n0;
        vf av[MAXB];
        UNROLL for (int v = 0; v < MV; v++)
            av[v] = vload(a + v * VL);
        UNROLL for (int n = 0; n < NB; n++)
            UNROLL for (int v = 0; v < MV; v++)
                acc[n][v] += av[v] * b[n];
    }
    UNROLL for (int n = 0; n < NB; n++)
        UNROLL for (int v = 0; v < MV; v++)
            for (int l = 0; l < VL; l++)
                put(g->C + (m0 + (size_t)v * VL + l) * g->ldc + n0 + n, g->beta, acc[n][v][l]);
}

/* All pixels of the rows block at m0: full blocks of NB, then the rest with its own width. */
INLINE void tn_rows_block(const cpu_gemm_args *g, size_t m0, const int MV, const int NB)
{
    int n0 = 0;
    for (; n0 + NB <= g->N; n0 += NB)
        tn_block(g, m0, n0, MV, NB);
    switch (g->N - n0) {
    case 1: tn_block(g, m0, n0, MV, 1); break;
    case 2: tn_block(g, m0, n0, MV, 2); break;
    case 3: tn_block(g, m0, n0, MV, 3); break;
    case 4: tn_block(g, m0, n0, MV, 4); break;
    case 5: tn_block(g, m0, n0, MV, 5); break;
    case 6: tn_block(g, m0, n0, MV, 6); break;
    case 7: tn_block(g, m0, n0, MV, 7); break;
    default: break;
    }
}

/* [begin, end): vectors of M rows, in blocks of MV, then one by one; a last partial vector
 * goes row by row. */
INLINE void tn_range(void *arg, size_t begin, size_t end, const int MV, const int NB)
{
    const cpu_gemm_args *g = &((const small_job *)arg)->g;
    size_t full = (size_t)g->M / VL, v = begin, v_end = end < full ? end : full;
    for (; v + MV <= v_end; v += MV)
        tn_rows_block(g, v * VL, MV, NB);
    for (; v < v_end; v++)
        tn_rows_block(g, v * VL, 1, NB);
    if (end > full)
        for (size_t m = full * VL; m < (size_t)g->M; m++)
            for (int n = 0; n < g->N; n++) {
                float s = 0.0f;
                for (int k = 0; k < g->K; k++)
                    s += g->A[(size_t)k * g->lda + m] * g->B[(size_t)k * g->ldb + n];
                put(g->C + m * g->ldc + n, g->beta, s);
            }
}

/* ---- A B, A [M,K] with K large and unit stride, N small -----------------------------------
 * Dot products along K of MB rows of A with NB rows of Bt, in chunks of K that keep the chunk
 * of Bt in L2 while the thread's rows stream past; each chunk adds onto C. */
#define NN_KCHUNK 1024

INLINE void nn_block(const small_job *j, size_t m0, int n0, int k0, int k1, float beta,
                     const int MB, const int NB)
{
    const cpu_gemm_args *g = &j->g;
    vf acc[MAXB / 2][MAXB / 2];
    UNROLL for (int m = 0; m < MB; m++)
        UNROLL for (int n = 0; n < NB; n++)
            acc[m][n] = (vf){0};
    int k = k0;
    for (; k + VL <= k1; k += VL) {
        vf a[MAXB / 2], b[MAXB / 2];
        UNROLL for (int m = 0; m < MB; m++)
            a[m] = vload(g->A + (m0 + m) * g->lda + k);
        UNROLL for (int n = 0; n < NB; n++)
            b[n] = vload(j->Bt + (size_t)(n0 + n) * g->K + k);
        UNROLL for (int m = 0; m < MB; m++)
            UNROLL for (int n = 0; n < NB; n++)
                acc[m][n] += a[m] * b[n];
    }
    UNROLL for (int m = 0; m < MB; m++)
        UNROLL for (int n = 0; n < NB; n++) {
            float s = hsum(acc[m][n]);
            for (int kk = k; kk < k1; kk++)
                s += g->A[(m0 + m) * g->lda + kk] * j->Bt[(size_t)(n0 + n) * g->K + kk];
            put(g->C + (m0 + m) * g->ldc + n0 + n, beta, s);
        }
}

INLINE void nn_rows_block(const small_job *j, size_t m0, int k0, int k1, float beta,
                          const int MB, const int NB)
{
    int n0 = 0;
    for (; n0 + NB <= j->g.N; n0 += NB)
        nn_block(j, m0, n0, k0, k1, beta, MB, NB);
    switch (j->g.N - n0) {
    case 1: nn_block(j, m0, n0, k0, k1, beta, MB, 1); break;
    case 2: nn_block(j, m0, n0, k0, k1, beta, MB, 2); break;
    case 3: nn_block(j, m0, n0, k0, k1, beta, MB, 3); break;
    default: break;
    }
}

/* [begin, end): blocks of MB rows; a last partial block goes row by row. */
INLINE void nn_range(void *arg, size_t begin, size_t end, const int MB, const int NB)
{
    const small_job *j = arg;
    size_t m_end = end * MB < (size_t)j->g.M ? end * MB : (size_t)j->g.M;
    int k0 = 0;
    do {
        int k1 = j->g.K - k0 < NN_KCHUNK ? j->g.K : k0 + NN_KCHUNK;
        float beta = k0 == 0 ? j->g.beta : 1.0f;
        size_t m0 = begin * MB;
        for (; m0 + MB <= m_end; m0 += MB)
            nn_rows_block(j, m0, k0, k1, beta, MB, NB);
        for (; m0 < m_end; m0++)
            nn_rows_block(j, m0, k0, k1, beta, 1, NB);
        k0 = k1;
    } while (k0 < j->g.K);
}

/* ---- A B^T, B [N,K] with N large, K small: the weight gradients ---------------------------
 * C (the big one) is read and written once, MB rows at a time, taking its K updates from
 * Bt [K][N] (in L2) and A (MB rows of K floats). */
INLINE void nt_block(const small_job *j, size_t m0, size_t n0, const int MB, const int NV)
{
    const cpu_gemm_args *g = &j->g;
    vf acc[MAXB / 2][MAXB / 2];
    UNROLL for (int m = 0; m < MB; m++)
        UNROLL for (int v = 0; v < NV; v++)
            acc[m][v] = g->beta == 0.0f ? (vf){0}
                                        : vload(g->C + (m0 + m) * g->ldc + n0 + v * VL) * g->beta;
    for (int k = 0; k < g->K; k++) {
        vf b[MAXB / 2];
        UNROLL for (int v = 0; v < NV; v++)
            b[v] = vload(j->Bt + (size_t)k * g->N + n0 + v * VL);
        UNROLL for (int m = 0; m < MB; m++) {
            float a = g->A[(m0 + m) * g->lda + k];
            UNROLL for (int v = 0; v < NV; v++)
                acc[m][v] += a * b[v];
        }
    }
    UNROLL for (int m = 0; m < MB; m++)
        UNROLL for (int v = 0; v < NV; v++)
            vstore(g->C + (m0 + m) * g->ldc + n0 + v * VL, acc[m][v]);
}

/* [begin, end): blocks of MB rows of C, each swept from left to right (so that C streams in
 * long runs): blocks of NV vectors of columns, then single vectors, then single columns. */
INLINE void nt_rows_block(const small_job *j, size_t m0, const int MB, const int NV)
{
    const cpu_gemm_args *g = &j->g;
    size_t n0 = 0;
    for (; n0 + (size_t)NV * VL <= (size_t)g->N; n0 += (size_t)NV * VL)
        nt_block(j, m0, n0, MB, NV);
    for (; n0 + VL <= (size_t)g->N; n0 += VL)
        nt_block(j, m0, n0, MB, 1);
    for (size_t m = m0; m < m0 + MB; m++)
        for (size_t n = n0; n < (size_t)g->N; n++) {
            float s = 0.0f;
            for (int k = 0; k < g->K; k++)
                s += g->A[m * g->lda + k] * j->Bt[(size_t)k * g->N + n];
            put(g->C + m * g->ldc + n, g->beta, s);
        }
}

INLINE void nt_range(void *arg, size_t begin, size_t end, const int MB, const int NV)
{
    const small_job *j = arg;
    size_t m0 = begin * MB, m_end = end * MB < (size_t)j->g.M ? end * MB : (size_t)j->g.M;
    for (; m0 + MB <= m_end; m0 += MB)
        nt_rows_block(j, m0, MB, NV);
    for (; m0 < m_end; m0++)
        nt_rows_block(j, m0, 1, NV);
}

/* ---- one compiled copy per instruction set, with its register blocking ------------------- */
typedef struct {
    cpu_range_fn tn, tn_narrow, nn, nt; /* tn_narrow: A^T B with fewer than 4 pixels */
    int nn_rows, nt_rows;               /* the units the parallel loops split */
} kernel_set;

#define KERNELS(attr, isa, TN_MV, TN_NB, TN_NARROW_MV, NN_MB, NN_NB, NT_MB, NT_NV)                \
    attr static void tn_##isa(void *a, size_t b, size_t e) { tn_range(a, b, e, TN_MV, TN_NB); } \
    attr static void tn_narrow_##isa(void *a, size_t b, size_t e)                                \
    {                                                                                           \
        tn_range(a, b, e, TN_NARROW_MV, 3);                                                     \
    }                                                                                           \
    attr static void nn_##isa(void *a, size_t b, size_t e) { nn_range(a, b, e, NN_MB, NN_NB); } \
    attr static void nt_##isa(void *a, size_t b, size_t e) { nt_range(a, b, e, NT_MB, NT_NV); } \
    static const kernel_set kernels_##isa = {tn_##isa, tn_narrow_##isa, nn_##isa, nt_##isa,     \
                                             NN_MB, NT_MB};

#if defined(__x86_64__) && defined(__GNUC__)
KERNELS(__attribute__((target("avx512f"))), avx512, 2, 8, 8, 4, 4, 4, 4)
KERNELS(__attribute__((target("avx2,fma"))), avx2, 1, 6, 2, 2, 2, 2, 2)
#endif
KERNELS(, baseline, 1, 4, 1, 2, 2, 2, 1)

static const kernel_set *const kernel_sets[] = {
    [CPU_ISA_BASELINE] = &kernels_baseline,
#if defined(__x86_64__) && defined(__GNUC__)
    [CPU_ISA_AVX2] = &kernels_avx2,
    [CPU_ISA_AVX512] = &kernels_avx512,
#endif
};

static int isa_supported(cpu_isa isa)
{
#if defined(__x86_64__) && defined(__GNUC__)
    __builtin_cpu_init();
    if (isa == CPU_ISA_AVX512)
        return __builtin_cpu_supports("avx512f");
    if (isa == CPU_ISA_AVX2)
        return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
#endif
    return isa == CPU_ISA_BASELINE;
}

static int chosen_isa = -1; /* -1: not chosen yet (a race only picks the same value twice) */

cpu_isa cpu_gemm_small_isa(void)
{
    if (chosen_isa < 0) {
        int isa = CPU_ISA_AVX512;
        while (isa > CPU_ISA_BASELINE && !isa_supported((cpu_isa)isa))
            isa--;
        chosen_isa = isa;
    }
    return (cpu_isa)chosen_isa;
}

int cpu_gemm_small_set_isa(cpu_isa isa)
{
    if (!isa_supported(isa))
        return 0;
    chosen_isa = isa;
    return 1;
}

static size_t ceil_div(size_t a, size_t b)
{
    return (a + b - 1) / b;
}

/* ---- transposes of the small operand, split over the pool -------------------------------- */
typedef struct {
    const float *src;
    int rows, cols, lds; /* src [rows][cols], row stride lds */
    float *dst;          /* [cols][rows] */
} transpose_job;

/* [begin, end): blocks of TILE source rows, copied tile by tile so that both the reads and the
 * writes stay within a few cache lines. */
#define TILE 16
static void transpose_rows(void *arg, size_t begin, size_t end)
{
    const transpose_job *t = arg;
    for (size_t r0 = begin * TILE; r0 < end * TILE && r0 < (size_t)t->rows; r0 += TILE) {
        size_t r1 = r0 + TILE < (size_t)t->rows ? r0 + TILE : (size_t)t->rows;
        for (int c0 = 0; c0 < t->cols; c0 += TILE) {
            int c1 = c0 + TILE < t->cols ? c0 + TILE : t->cols;
            for (int c = c0; c < c1; c++)
                for (size_t r = r0; r < r1; r++)
                    t->dst[(size_t)c * t->rows + r] = t->src[r * t->lds + c];
        }
    }
}

static void transpose(cpu_pool *pool, const float *src, int rows, int cols, int lds, float *dst)
{
    transpose_job t = {src, rows, cols, lds, dst};
    cpu_parallel_for(pool, ceil_div((size_t)rows, TILE), transpose_rows, &t);
}

void cpu_gemm_small_tn(cpu_pool *pool, const cpu_gemm_args *g)
{
    const kernel_set *ks = kernel_sets[cpu_gemm_small_isa()];
    small_job j = {*g, NULL};
    cpu_parallel_for(pool, ceil_div((size_t)g->M, VL), g->N < 4 ? ks->tn_narrow : ks->tn, &j);
}

void cpu_gemm_small_nn(cpu_pool *pool, const cpu_gemm_args *g, float *tmp)
{
    const kernel_set *ks = kernel_sets[cpu_gemm_small_isa()];
    transpose(pool, g->B, g->K, g->N, g->ldb, tmp);
    small_job j = {*g, tmp};
    cpu_parallel_for(pool, ceil_div((size_t)g->M, (size_t)ks->nn_rows), ks->nn, &j);
}

void cpu_gemm_small_nt(cpu_pool *pool, const cpu_gemm_args *g, float *tmp)
{
    const kernel_set *ks = kernel_sets[cpu_gemm_small_isa()];
    transpose(pool, g->B, g->N, g->K, g->ldb, tmp);
    small_job j = {*g, tmp};
    cpu_parallel_for(pool, ceil_div((size_t)g->M, (size_t)ks->nt_rows), ks->nt, &j);
}
