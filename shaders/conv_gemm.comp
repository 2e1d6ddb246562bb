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

const uint THREADS = TX * TY; // a multiple of BM and BN
const uint BM = TY * TM;
const uint BN = TX * TN;
shared float tile_a[BK * BM];
shared float tile_b[BK * BN];
shared uvec3 depth_index[BK]; // conv_depth_index; x = 0xffffffff past the end

void main()
{
    uint rows = pc.m, cols = conv_gemm_cols(), depth = conv_gemm_depth();
    uint tx = gl_LocalInvocationID.x, ty = gl_LocalInvocationID.y, tid = ty * TX + tx;
    uint row0 = gl_WorkGroupID.y * BM, col0 = gl_WorkGroupID.x * BN;
    ConvPart part = conv_part(gl_WorkGroupID.z);
    uint k_begin = part.slice * pc.depth_chunk;
    uint k_end = min(depth, k_begin + pc.depth_chunk);

    // This thread always loads tile row tid % BM of A and tile column tid % BN of B.
    uint a_row = row0 + tid % BM, b_col = col0 + tid % BN;
    uvec3 col_index = conv_col_index(b_col);

    float acc[TM * TN];
    for (uint i = 0; i < TM * TN; i++)
        acc[i] = 0.0;
    for (uint k0 = k_begin; k0 < k_end; k0 += BK) {
        if (tid < BK) {
            uint k = k0 + tid;
            depth_index[tid] = k < k_end ? conv_depth_index(k) : uvec3(0xffffffffu, 0, 0);
        }
        barrier();
        for (uint kl = tid / BM; kl < BK; kl += THREADS / BM) {
            uvec3 d = depth_index[kl];
            bool live = d.x != 0xffffffffu && a_row < rows;
            tile_a[kl * BM + tid % BM] = live ? conv_load_a(a_row, d, part) : 0.0;
        }
        for (uint kl = tid / BN; kl < BK; kl += THREADS / BN) {
            uvec3 d = depth_index[kl];
            bool live = d.x != 0xffffffffu && b_col < cols;
            tile_b[kl * BN + tid % BN] = live ? conv_load_b(col_index, d, part) : 0.0;
        }
        barrier();
        for (uint k = 0; k < BK; k++) {
            float a[TM], b[TN];
            for (uint i = 0; i < TM; i++)
                a[i] = tile_a[k * BM + ty + i * TY];
            for (uint j = 0; j < TN; j++)
                b[j] = tile_b[k * BN + tx + j * TX];
            for (uint i = 0; i < TM; i++)
                for (uint j = 0; j < TN; j++)
                    acc[i * TN + j] += a[i] * b[j];
        }
        barrier();
    }
    for (uint i = 0; i < TM; i++)
        for (uint j = 0; j < TN; j++)
            conv_store(row0 + ty + i * TY, col0 + tx + j * TX, part, acc[i * TN + j]);
}
