#version 450
#extension GL_GOOGLE_include_directive : require
#extension GL_KHR_cooperative_matrix : require
#extension GL_KHR_memory_scope_semantics : require
#extension GL_KHR_shader_subgroup_basic : require
#extension GL_EXT_shader_explicit_arithmetic_types_float16 : require
// The convolution GEMMs of conv_gemm.comp (same modes, bindings, split-K and output rules, all
// from conv_index.glsl) on cooperative matrices (VK_KHR_cooperative_matrix): the operands are
// staged in shared memory as float16, multiplied by the subgroups' CM x CN x CK matrix units
// and summed in float32. Built only where glslang compiles GL_KHR_cooperative_matrix
// (shaders/CMakeLists.txt); engine/vulkan/vk_coopmat.c picks the shape the device offers.
//
// A workgroup is 4 subgroups (2 x 2) and computes a BM x BN tile; each subgroup an R x R block
// of CM x CN matrices (vk_coopmat.c: a tile of at least 64 x 64). Its results go through shared
// memory, one matrix at a time, to conv_store, which knows where each element belongs.
// b1..b3 are inputs; b4 takes split-K partial sums (conv_index.glsl)
#define ACCESS_1 readonly
#define ACCESS_2 readonly
#define ACCESS_3 readonly
#define ACCESS_4 writeonly
#include "common.glsl"

layout(constant_id = 0) const uint CM = 16;
layout(constant_id = 1) const uint CN = 16;
layout(constant_id = 2) const uint CK = 16;
layout(constant_id = 3) const uint R = 2;
layout(constant_id = 4) const uint THREADS = 128; // 4 subgroups
layout(constant_id = 5) const uint MODE = CONV_GATHER;
layout(local_size_x_id = 4) in;

VK_PUSH_BLOCK(PUSH_CONV_GEMM) // shaders/push.h
#include "conv_index.glsl"

const uint RM = R, RN = R;   // matrices per subgroup along the rows and columns
const uint BM = 2 * RM * CM; // two subgroups along the rows, two along the columns
const uint BN = 2 * RN * CN;
const uint BK = 2 * CK;
// Where the threads are a multiple of BN, each loads one fixed tile column of B and decomposes
// it once; otherwise it decomposes the column of each element it loads.
const bool FIXED_COL = THREADS % BN == 0;

shared float16_t tile_a[BM * BK]; // row-major: A[row][k]
shared float16_t tile_b[BK * BN]; // row-major: B[k][col]
shared uvec3 depth_index[BK];     // conv_depth_index; x = 0xffffffff past the end
shared float results[4 * CM * CN]; // one matrix of each subgroup on its way out

#define ACC coopmat<float, gl_ScopeSubgroup, CM, CN, gl_MatrixUseAccumulator>

void load_tiles(uint k0, uint k_end, uint row0, uint col0, uvec3 fixed_col, ConvPart part)
{
    uint tid = gl_LocalInvocationID.x, rows = pc.m, cols = conv_gemm_cols();
    for (uint kl = tid; kl < BK; kl += THREADS) {
        uint k = k0 + kl;
        depth_index[kl] = k < k_end ? conv_depth_index(k) : uvec3(0xffffffffu, 0, 0);
    }
    barrier();
    for (uint e = tid; e < BM * BK; e += THREADS) {
        uint r = row0 + e % BM, kl = e / BM;
        uvec3 d = depth_index[kl];
        bool live = d.x != 0xffffffffu && r < rows;
        tile_a[(e % BM) * BK + kl] = float16_t(live ? conv_load_a(r, d, part) : 0.0);
    }
    for (uint e = tid; e < BK * BN; e += THREADS) {
        uint c = col0 + e % BN, kl = e / BN;
        uvec3 d = depth_index[kl];
        bool live = d.x != 0xffffffffu && c < cols;
        uvec3 ci = FIXED_COL ? fixed_col : conv_col_index(c);
        tile_b[kl * BN + e % BN] = float16_t(live ? conv_load_b(ci, d, part) : 0.0);
    }
    barrier();
}

void main()
{
    uint depth = conv_gemm_depth();
    uint row0 = gl_WorkGroupID.y * BM, col0 = gl_WorkGroupID.x * BN;
    ConvPart part = conv_part(gl_WorkGroupID.z);
    uint k_begin = part.slice * pc.depth_chunk;
    uint k_end = min(depth, k_begin + pc.depth_chunk);
    uvec3 fixed_col = conv_col_index(col0 + gl_LocalInvocationID.x % BN);
    uint sg = gl_SubgroupID, sub_row = (sg / 2) * RM * CM, sub_col = (sg % 2) * RN * CN;

    ACC acc[RM * RN];
    for (uint t = 0; t < RM * RN; t++)
        acc[t] = ACC(0.0);
    for (uint k0 = k_begin; k0 < k_end; k0 += BK) {
        load_tiles(k0, k_end, row0, col0, fixed_col, part);
        for (uint kk = 0; kk < BK; kk += CK) {
            coopmat<float16_t, gl_ScopeSubgroup, CM, CK, gl_MatrixUseA> a[RM];
            for (uint i = 0; i < RM; i++)
                coopMatLoad(a[i], tile_a, (sub_row + i * CM) * BK + kk, BK,
                            gl_CooperativeMatrixLayoutRowMajor);
            for (uint j = 0; j < RN; j++) {
                coopmat<float16_t, gl_ScopeSubgroup, CK, CN, gl_MatrixUseB> b;
                coopMatLoad(b, tile_b, kk * BN + sub_col + j * CN, BN,
                            gl_CooperativeMatrixLayoutRowMajor);
                for (uint i = 0; i < RM; i++)
                    acc[i * RN + j] = coopMatMulAdd(a[i], b, acc[i * RN + j]);
            }
        }
        barrier();
    }
    for (uint i = 0; i < RM; i++)
        for (uint j = 0; j < RN; j++) {
            coopMatStore(acc[i * RN + j], results, sg * CM * CN, CN,
                         gl_CooperativeMatrixLayoutRowMajor);
            barrier();
            for (uint e = gl_SubgroupInvocationID; e < CM * CN; e += gl_SubgroupSize)
                conv_store(row0 + sub_row + i * CM + e / CN, col0 + sub_col + j * CN + e % CN, part,
                           results[sg * CM * CN + e]);
            barrier();
        }
}
