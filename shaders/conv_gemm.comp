#version 450
#extension GL_GOOGLE_include_directive : require
// Convolutions as a tiled shared-memory implicit GEMM (no im2col buffer). MODE selects how the
// operands are gathered (see opcodes.h): conv2d forward and conv_transpose2d input-gradient use
// CONV_GATHER, conv_transpose2d forward and conv2d input-gradient use CONV_SCATTER, both weight
// gradients use CONV_WEIGHT. b0 = out, b1 = in [N,C,Hi,Wi], b2 = weight (or, for CONV_WEIGHT,
// the [N,M,Ho,Wo] tensor a), b3 = bias. Weights are addressed w[m*w_sm + c*w_sc + kh*KW + kw],
// which covers both PyTorch layouts. Each workgroup computes a (TY*TM) x (TX*TN) tile.
#include "common.glsl"

layout(constant_id = 0) const uint TX = 16;
layout(constant_id = 1) const uint TY = 16;
layout(constant_id = 2) const uint TM = 4;
layout(constant_id = 3) const uint TN = 4;
layout(constant_id = 4) const uint BK = 16;
layout(constant_id = 5) const uint MODE = CONV_GATHER;
layout(local_size_x_id = 0, local_size_y_id = 1) in;

layout(push_constant) uniform Push {
    uint n, c, hi, wi;   // the gathered tensor
    uint m, ho, wo;      // output channels and size (CONV_WEIGHT: a's channels and size)
    uint kh, kw, stride, pad;
    uint w_sm, w_sc;
    uint flags;
} pc;

const uint BM = TY * TM;
const uint BN = TX * TN;
shared float tile_a[BK * BM];
shared float tile_b[BK * BN];

// The gathered input at (sample n, channel c, kernel tap kh/kw, output position oy/ox).
float gather(uint n, uint c, uint kh, uint kw, uint oy, uint ox)
{
    int iy, ix;
    if (MODE == CONV_SCATTER) {
        int ty = int(oy + pc.pad) - int(kh), tx = int(ox + pc.pad) - int(kw);
        if (ty < 0 || tx < 0 || ty % int(pc.stride) != 0 || tx % int(pc.stride) != 0)
            return 0.0;
        iy = ty / int(pc.stride);
        ix = tx / int(pc.stride);
    } else {
        iy = int(oy * pc.stride + kh) - int(pc.pad);
        ix = int(ox * pc.stride + kw) - int(pc.pad);
    }
    if (iy < 0 || ix < 0 || iy >= int(pc.hi) || ix >= int(pc.wi))
        return 0.0;
    return b1.d[((n * pc.c + c) * pc.hi + uint(iy)) * pc.wi + uint(ix)];
}

uint weight_index(uint m, uint q) // q = (c, kh, kw) flattened
{
    uint kk = pc.kh * pc.kw;
    return m * pc.w_sm + (q / kk) * pc.w_sc + q % kk;
}

// GEMM operands: C[row, col] = sum_k A[row, k] * B[k, col].
//   GATHER/SCATTER: row = m, col = output position of sample z, k = (c, kh, kw)
//   WEIGHT:         row = m, col = (c, kh, kw), k = (n, oy, ox)
float load_a(uint row, uint k, uint z)
{
    if (MODE == CONV_WEIGHT) {
        uint plane = pc.ho * pc.wo;
        return b2.d[((k / plane) * pc.m + row) * plane + k % plane];
    }
    return b2.d[weight_index(row, k)];
}

float load_b(uint k, uint col, uint z)
{
    uint kk = pc.kh * pc.kw;
    if (MODE == CONV_WEIGHT) {
        uint plane = pc.ho * pc.wo, p = k % plane, tap = col % kk;
        return gather(k / plane, col / kk, tap / pc.kw, tap % pc.kw, p / pc.wo, p % pc.wo);
    }
    uint tap = k % kk;
    return gather(z, k / kk, tap / pc.kw, tap % pc.kw, col / pc.wo, col % pc.wo);
}

void store(uint row, uint col, uint z, float v)
{
    uint i;
    if (MODE == CONV_WEIGHT) {
        i = weight_index(row, col);
    } else {
        i = (z * pc.m + row) * pc.ho * pc.wo + col;
        if ((pc.flags & CONV_BIAS) != 0)
            v += b3.d[row];
    }
    if ((pc.flags & CONV_ACCUMULATE) != 0)
        v += b0.d[i];
    b0.d[i] = v;
}

void main()
{
    uint kk = pc.kh * pc.kw;
    uint rows = pc.m;
    uint cols = MODE == CONV_WEIGHT ? pc.c * kk : pc.ho * pc.wo;
    uint depth = MODE == CONV_WEIGHT ? pc.n * pc.ho * pc.wo : pc.c * kk;
    uint tx = gl_LocalInvocationID.x, ty = gl_LocalInvocationID.y, tid = ty * TX + tx;
    uint row0 = gl_WorkGroupID.y * BM, col0 = gl_WorkGroupID.x * BN, z = gl_WorkGroupID.z;

    float acc[TM * TN];
    for (uint i = 0; i < TM * TN; i++)
        acc[i] = 0.0;
    for (uint k0 = 0; k0 < depth; k0 += BK) {
        for (uint i = tid; i < BK * BM; i += TX * TY) {
            uint k = k0 + i / BM, row = row0 + i % BM;
            tile_a[i] = k < depth && row < rows ? load_a(row, k, z) : 0.0;
        }
        for (uint i = tid; i < BK * BN; i += TX * TY) {
            uint k = k0 + i / BN, col = col0 + i % BN;
            tile_b[i] = k < depth && col < cols ? load_b(k, col, z) : 0.0;
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
            if (row < rows && col < cols)
                store(row, col, z, acc[i * TN + j]);
        }
}
