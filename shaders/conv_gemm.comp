#version 450
#extension GL_GOOGLE_include_directive : require
// Convolutions as a tiled shared-memory implicit GEMM (no im2col buffer). MODE selects how the
// operands are gathered (conv_index.glsl): conv2d forward and conv_transpose2d input-gradient
// use CONV_GATHER, conv_transpose2d forward and conv2d input-gradient CONV_SCATTER (one stride
// phase per workgroup: only the taps that reach its outputs), both weight gradients
// CONV_WEIGHT. b0 = out, b1 = in [N,C,Hi,Wi], b2 = weight (or, for CONV_WEIGHT, the
// [N,M,Ho,Wo] tensor a), b3 = bias. Weights are addressed w[m*w_sm + c*w_sc + kh*KW + kw],
// which covers both PyTorch layouts.
//
// Split-K: a long depth with few tiles is split over z slices of depth_chunk each. The weight
// gradient's z is the slice; its partial sums go to b0 (a work area) for a later sum. Forward
// and input-gradient slice 0 writes the output (bias and accumulate flags as without a split),
// slice s > 0 its partial sums to b4[(s - 1) * N*M*HoWo + o], which a later dispatch adds into
// the output.
//
// Each workgroup computes a (TY*TM) x (TX*TN) tile. Integer division is slow (and scalarized on
// CPU implementations), so it is kept out of the inner loads: each thread decomposes its tile
// column once, and the BK depth indices of a step are decomposed once into shared memory.
// b1..b3 are inputs; b4 takes split-K partial sums (conv_index.glsl)
#define ACCESS_1 readonly
#define ACCESS_2 readonly
#define ACCESS_3 readonly
#define ACCESS_4 writeonly
#include "common.glsl"

layout(constant_id = 0) const uint TX = 16;
layout(constant_id = 1) const uint TY = 16;
layout(constant_id = 2) const uint TM = 4;
layout(constant_id = 3) const uint TN = 4;
layout(constant_id = 4) const uint BK = 16;
layout(constant_id = 5) const uint MODE = CONV_GATHER;
layout(local_size_x_id = 0, local_size_y_id = 1) in;

VK_PUSH_BLOCK(PUSH_CONV_GEMM) // shaders/push.h
#include "conv_index.glsl"

const uint THREADS = TX * TY;
const uint BM = TY * TM; // each of BM and BN divides THREADS or is a multiple of it
const uint BN = TX * TN;
// The tile loads share the BK x BM elements of A (BK x BN of B) out among the threads: element
// e = tid + j * THREADS is at depth row e / BM and tile row e % BM. B's columns cost divisions
// (conv_col_index), so each thread decomposes its own once: one where BN divides THREADS (the
// same at every j), else B_COLS = BN / THREADS of them, column j % B_COLS at step j.
const uint B_COLS = BN > THREADS ? BN / THREADS : 1;
// CONV_GATHER's A is a weight tensor whose depth is contiguous ([M, C, KH, KW] of conv2d, or
// the [Cin, Cout, KH, KW] of a transposed conv's input gradient: w_sc = KH*KW), so element e is
// at tile row e / BK and depth e % BK instead: consecutive threads read consecutive weights
// (one cache line; coalesced on a GPU) with no depth decomposition.
const bool A_BY_DEPTH = MODE == CONV_GATHER;
// VEC4_A = 1 where TM is a multiple of 4 (VEC4_B: TN): a thread's rows (columns) are then
// consecutive in the tile and read as vec4s, a quarter of the reads (on lavapipe each read of
// shared memory is a gather: 1.2-1.45x on unet_256's large layers); else they are TY (TX)
// apart, and A's rows BM + 1 apart so that the stores of consecutive threads fall in different
// banks (BM + 4 keeps the vec4s aligned). Written as arithmetic: a select of spec constants is
// not valid SPIR-V here.
const uint VEC4_A = 1u - (TM % 4u + 3u) / 4u;
const uint VEC4_B = 1u - (TN % 4u + 3u) / 4u;
const uint A_STRIDE = BM + 1u + 3u * VEC4_A;
shared vec4 tile_a4[VEC4_A * (BK * A_STRIDE / 4u) + 1u - VEC4_A];
shared vec4 tile_b4[VEC4_B * (BK * BN / 4u) + 1u - VEC4_B];
shared float tile_a1[(1u - VEC4_A) * BK * A_STRIDE + VEC4_A];
shared float tile_b1[(1u - VEC4_B) * BK * BN + VEC4_B];

void put_a(uint i, float v)
{
    if (VEC4_A != 0u)
        tile_a4[i / 4u][i % 4u] = v;
    else
        tile_a1[i] = v;
}

void put_b(uint i, float v)
{
    if (VEC4_B != 0u)
        tile_b4[i / 4u][i % 4u] = v;
    else
        tile_b1[i] = v;
}

// The tile row (column) of a thread's i-th row (j-th column).
uint tile_row(uint ty, uint i) { return VEC4_A != 0u ? ty * TM + i : ty + i * TY; }
uint tile_col(uint tx, uint j) { return VEC4_B != 0u ? tx * TN + j : tx + j * TX; }
shared uvec3 depth_index[BK]; // conv_depth_index; x = 0xffffffff past the end

void main()
{
    uint rows = pc.m, cols = conv_gemm_cols(), depth = conv_gemm_depth();
    uint tx = gl_LocalInvocationID.x, ty = gl_LocalInvocationID.y, tid = ty * TX + tx;
    uint row0 = gl_WorkGroupID.y * BM, col0 = gl_WorkGroupID.x * BN;
    ConvPart part = conv_part(gl_WorkGroupID.z);
    uint k_begin = part.slice * pc.depth_chunk;
    uint k_end = min(depth, k_begin + pc.depth_chunk);

    uint b_col[B_COLS];
    uvec3 col_index[B_COLS];
    for (uint c = 0; c < B_COLS; c++) {
        b_col[c] = col0 + (tid + c * THREADS) % BN;
        col_index[c] = conv_col_index(b_col[c]);
    }

    float acc[TM * TN];
    for (uint i = 0; i < TM * TN; i++)
        acc[i] = 0.0;
    for (uint k0 = k_begin; k0 < k_end; k0 += BK) {
        if (tid < BK) {
            uint k = k0 + tid;
            depth_index[tid] = k < k_end ? conv_depth_index(k) : uvec3(0xffffffffu, 0, 0);
        }
        barrier();
        for (uint e = tid; e < BK * BM; e += THREADS) {
            if (A_BY_DEPTH) {
                uint r = e / BK, kk = e % BK, row = row0 + r, k = k0 + kk;
                put_a(kk * A_STRIDE + r, k < k_end && row < rows ? LD(2, row * pc.w_sm + k) : 0.0);
            } else {
                uvec3 d = depth_index[e / BM];
                uint row = row0 + e % BM;
                bool live = d.x != 0xffffffffu && row < rows;
                put_a((e / BM) * A_STRIDE + e % BM, live ? conv_load_a(row, d, part) : 0.0);
            }
        }
        for (uint e = tid, j = 0; e < BK * BN; e += THREADS, j++) {
            uvec3 d = depth_index[e / BN];
            uint c = j % B_COLS;
            bool live = d.x != 0xffffffffu && b_col[c] < cols;
            put_b(e, live ? conv_load_b(col_index[c], d, part) : 0.0);
        }
        barrier();
        for (uint k = 0; k < BK; k++) {
            float a[TM], b[TN];
            if (VEC4_A != 0u)
                for (uint i = 0; i < TM; i += 4) {
                    vec4 v = tile_a4[(k * A_STRIDE + tile_row(ty, i)) / 4];
                    a[i] = v.x; a[i + 1] = v.y; a[i + 2] = v.z; a[i + 3] = v.w;
                }
            else
                for (uint i = 0; i < TM; i++)
                    a[i] = tile_a1[k * A_STRIDE + tile_row(ty, i)];
            if (VEC4_B != 0u)
                for (uint j = 0; j < TN; j += 4) {
                    vec4 v = tile_b4[(k * BN + tile_col(tx, j)) / 4];
                    b[j] = v.x; b[j + 1] = v.y; b[j + 2] = v.z; b[j + 3] = v.w;
                }
            else
                for (uint j = 0; j < TN; j++)
                    b[j] = tile_b1[k * BN + tile_col(tx, j)];
            for (uint i = 0; i < TM; i++)
                for (uint j = 0; j < TN; j++)
                    acc[i * TN + j] += a[i] * b[j];
        }
        barrier();
    }
    for (uint j = 0; j < TN; j++) {
        uint at = conv_out_column(col0 + tile_col(tx, j), part);
        for (uint i = 0; i < TM; i++)
            conv_store_at(row0 + tile_row(ty, i), at, part, acc[i * TN + j]);
    }
}
