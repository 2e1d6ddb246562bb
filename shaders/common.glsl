// Shared by every shader: six storage buffers bound per dispatch (unused ones hold a dummy
// region) and the per-run parameters (dropout's run counter, Adam's bias corrections) that
// change between submissions of the pre-recorded command buffer.
#include "opcodes.h"
#include "push.h"

// Each binding's access: a shader that only reads binding k (or only writes it) defines
// ACCESS_k as readonly (writeonly) before including this file, so that a driver may take its
// read-only cache path, as ggml declares its inputs.
#ifndef ACCESS_0
#define ACCESS_0
#endif
#ifndef ACCESS_1
#define ACCESS_1
#endif
#ifndef ACCESS_2
#define ACCESS_2
#endif
#ifndef ACCESS_3
#define ACCESS_3
#endif
#ifndef ACCESS_4
#define ACCESS_4
#endif
#ifndef ACCESS_5
#define ACCESS_5
#endif

// The six bindings as arrays of T: blocks BLOCK0..5, variables VAR0..5.
#define STORAGE(k, T, BLOCK, VAR)                                                                \
    layout(std430, set = 0, binding = k) ACCESS_##k buffer BLOCK##k { T d[]; } VAR##k;
#define STORAGE_SET(T, BLOCK, VAR)                                                               \
    STORAGE(0, T, BLOCK, VAR) STORAGE(1, T, BLOCK, VAR) STORAGE(2, T, BLOCK, VAR)                \
    STORAGE(3, T, BLOCK, VAR) STORAGE(4, T, BLOCK, VAR) STORAGE(5, T, BLOCK, VAR)
STORAGE_SET(float, Buf, b)

// Every access to a tensor goes through LD and ST (binding k, element i). The build compiles
// each shader twice: as it is (fp32 storage) and with P2P_HALF, where each binding is also seen
// as float16_t (an alias of the same descriptor) and HALF_BINDINGS (bit k: binding k holds
// fp16) picks the view. Arithmetic is fp32 either way: fp16 is storage only.
#ifdef P2P_HALF
#extension GL_EXT_shader_16bit_storage : require
layout(constant_id = 16) const uint HALF_BINDINGS = 0;
STORAGE_SET(float16_t, Half, h)
#define IS_HALF(k) ((HALF_BINDINGS & (1u << (k))) != 0u)
#define LD(k, i) (IS_HALF(k) ? float(h##k.d[i]) : b##k.d[i])
#define ST(k, i, v)                                                                              \
    do {                                                                                         \
        if (IS_HALF(k))                                                                          \
            h##k.d[i] = float16_t(v);                                                            \
        else                                                                                     \
            b##k.d[i] = (v);                                                                     \
    } while (false)
#else
#define IS_HALF(k) false
#define LD(k, i) b##k.d[i]
#define ST(k, i, v) b##k.d[i] = (v)
#endif
// adam[slot] = (lr / bias_correction1, sqrt(bias_correction2), 0, 0)
layout(std430, set = 0, binding = 6) readonly buffer RunParams {
    uint run_index;
    float loss_scale, inv_loss_scale; // loss scaling (mixed precision), else 1
    uint reserved;
    vec4 adam[];
} run;

// Flattened index of this invocation and the total count, for grid-stride loops over 1-D data
// (the dispatch is capped at 65535 workgroups).
uint first_index() { return gl_WorkGroupID.x * VK_WORKGROUP + gl_LocalInvocationID.x; }
uint index_stride() { return gl_NumWorkGroups.x * VK_WORKGROUP; }
