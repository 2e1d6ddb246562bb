// Shared by every shader: six storage buffers bound per dispatch (unused ones hold a dummy
// region) and the per-run parameters (dropout's run counter, Adam's bias corrections) that
// change between submissions of the pre-recorded command buffer.
#include "opcodes.h"
#include "push.h"

layout(std430, set = 0, binding = 0) buffer Buf0 { float d[]; } b0;
layout(std430, set = 0, binding = 1) buffer Buf1 { float d[]; } b1;
layout(std430, set = 0, binding = 2) buffer Buf2 { float d[]; } b2;
layout(std430, set = 0, binding = 3) buffer Buf3 { float d[]; } b3;
layout(std430, set = 0, binding = 4) buffer Buf4 { float d[]; } b4;
layout(std430, set = 0, binding = 5) buffer Buf5 { float d[]; } b5;
// adam[slot] = (lr / bias_correction1, sqrt(bias_correction2), 0, 0)
layout(std430, set = 0, binding = 6) readonly buffer RunParams {
    uint run_index;
    uint reserved0, reserved1, reserved2;
    vec4 adam[];
} run;

// Flattened index of this invocation and the total count, for grid-stride loops over 1-D data
// (the dispatch is capped at 65535 workgroups).
uint first_index() { return gl_WorkGroupID.x * VK_WORKGROUP + gl_LocalInvocationID.x; }
uint index_stride() { return gl_NumWorkGroups.x * VK_WORKGROUP; }
