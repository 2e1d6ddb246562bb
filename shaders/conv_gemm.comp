#version 450
#extension GL_GOOGLE_include_directive : require
// Convolutions as a tiled shared-memory implicit GEMM (no im2col buffer). MODE selects how the
// operands are gathered (see opcodes.h): conv2d forward and conv_transpose2d input-gradient use
// CONV_GATHER, conv_transpose2d forward and conv2d input-gradient use CONV_SCATTER, both weight
// gradients use CONV_WEIGHT. b0 = out, b1 = in [N,C,Hi,Wi], b2 = weight (or, for CONV_WEIGHT,
// the [N,M,Ho,Wo] tensor a), b3 = bias. Weights are addressed w[m*w_sm + c*w_sc + kh*KW + kw],
// which covers both PyTorch layouts.
//
//   C[row, col] = sum_k A[row, k] * B[k, col]
//   GATHER/SCATTER: row = m, col = output position of sample z, k = (c, kh, kw)
//   WEIGHT:         row = m, col = (c, kh, kw),                 k = (n, oy, ox)
// Split-K: a long depth with few tiles is split over z slices of depth_chunk each. The weight
// gradient's z is the slice; its partial sums go to b0 (a work area) for a later sum. Forward
// and input-gradient z is slice * n + sample: slice 0 writes the output (bias and accumulate
// flags as without a split), slice s > 0 its partial sums to b4[(s - 1) * N*M*HoWo + o], which
// a later dispatch adds into the output.
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

const uint THREADS = TX * TY; // a multiple of BM and BN
const uint BM = TY * TM;
const uint BN = TX * TN;
shared float tile_a[BK * BM];
shared float tile_b[BK * BN];
shared uvec3 depth_index[BK]; // (c, kh, kw) or (n, oy, ox); x = 0xffffffff past the end

// The gathered input at (sample n, channel c, kernel tap ky/kx, output position oy/ox).
float gather(uint n, uint c, uint ky, uint kx, uint oy, uint ox)
{
    int iy, ix;
    if (MODE == CONV_SCATTER) {
        int ty = int(oy + pc.pad) - int(ky), tx = int(ox + pc.pad) - int(kx);
        if (ty < 0 || tx < 0 || ty % int(pc.stride) != 0 || tx % int(pc.stride) != 0)
            return 0.0;
        iy = ty / int(pc.stride);
        ix = tx / int(pc.stride);
    } else {
        iy = int(oy * pc.stride + ky) - int(pc.pad);
        ix = int(ox * pc.stride + kx) - int(pc.pad);
    }
    if (iy < 0 || ix < 0 || iy >= int(pc.hi) || ix >= int(pc.wi))
        return 0.0;
    return LD(1, ((n * pc.c + c) * pc.hi + uint(iy)) * pc.wi + uint(ix));
}

uint weight_index(uint m, uvec3 tap) { return m * pc.w_sm + tap.x * pc.w_sc + tap.y * pc.kw + tap.z; }

void main()
{
    uint kk = pc.kh * pc.kw, plane = pc.ho * pc.wo;
    uint rows = pc.m;
    uint cols = MODE == CONV_WEIGHT ? pc.c * kk : plane;
    uint depth = MODE == CONV_WEIGHT ? pc.n * plane : pc.c * kk;
    uint tx = gl_LocalInvocationID.x, ty = gl_LocalInvocationID.y, tid = ty * TX + tx;
    uint row0 = gl_WorkGroupID.y * BM, col0 = gl_WorkGroupID.x * BN;
    uint slice = MODE == CONV_WEIGHT ? gl_WorkGroupID.z : gl_WorkGroupID.z / pc.n;
    uint z = MODE == CONV_WEIGHT ? slice : gl_WorkGroupID.z % pc.n; // the sample
    uint k_begin = slice * pc.depth_chunk;
    uint k_end = min(depth, k_begin + pc.depth_chunk);

    // This thread always loads tile row tid % BM of A and tile column tid % BN of B.
    uint a_row = row0 + tid % BM, b_col = col0 + tid % BN;
    uvec3 col_index; // (oy, ox, -) or (c, kh, kw)
    if (MODE == CONV_WEIGHT)
        col_index = uvec3(b_col / kk, (b_col % kk) / pc.kw, b_col % pc.kw);
    else
        col_index = uvec3(b_col / pc.wo, b_col % pc.wo, 0);

    float acc[TM * TN];
    for (uint i = 0; i < TM * TN; i++)
        acc[i] = 0.0;
    for (uint k0 = k_begin; k0 < k_end; k0 += BK) {
        if (tid < BK) {
            uint k = k0 + tid;
            uint outer = MODE == CONV_WEIGHT ? plane : kk, inner = MODE == CONV_WEIGHT ? pc.wo : pc.kw;
            depth_index[tid] = k < k_end ? uvec3(k / outer, (k % outer) / inner, k % inner)
                                         : uvec3(0xffffffffu, 0, 0);
        }
        barrier();
        for (uint kl = tid / BM; kl < BK; kl += THREADS / BM) {
            uvec3 d = depth_index[kl];
            float v = 0.0;
            if (d.x != 0xffffffffu && a_row < rows) {
                if (MODE == CONV_WEIGHT)
                    v = LD(2, ((d.x * pc.m + a_row) * pc.ho + d.y) * pc.wo + d.z);
                else
                    v = LD(2, weight_index(a_row, d));
            }
            tile_a[kl * BM + tid % BM] = v;
        }
        for (uint kl = tid / BN; kl < BK; kl += THREADS / BN) {
            uvec3 d = depth_index[kl];
            float v = 0.0;
            if (d.x != 0xffffffffu && b_col < cols) {
                if (MODE == CONV_WEIGHT)
                    v = gather(d.x, col_index.x, col_index.y, col_index.z, d.y, d.z);
                else
                    v = gather(z, d.x, d.y, d.z, col_index.x, col_index.y);
            }
            tile_b[kl * BN + tid % BN] = v;
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
        for (uint j = 0; j < TN; j++) {
            uint row = row0 + ty + i * TY, col = col0 + tx + j * TX;
            if (row >= rows || col >= cols)
                continue;
            float v = acc[i * TN + j];
            uint o;
            if (MODE == CONV_WEIGHT) {
                o = z * rows * cols + weight_index(row, uvec3(col / kk, (col % kk) / pc.kw, col % pc.kw));
            } else if (slice > 0) {
                ST(4, ((slice - 1) * pc.n + z) * rows * plane + row * plane + col, v);
                continue;
            } else {
                o = (z * pc.m + row) * plane + col;
                if ((pc.flags & CONV_BIAS) != 0)
                    v += LD(3, row);
            }
            if ((pc.flags & CONV_ACCUMULATE) != 0)
                v += LD(0, o);
            ST(0, o, v);
        }
}
