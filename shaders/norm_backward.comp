#version 450
#extension GL_GOOGLE_include_directive : require
// Normalization backward (and the conv bias gradient), in three modes:
//   NB_REDUCE (one workgroup per group g): b0[g] = sum dy, b0[G + g] = sum dy * xhat
//             with b1 = x, b2 = dy, b3 = aux
//   NB_DX     (element-wise): b0 = dx += ..., b1 = x, b2 = dy, b3 = aux, b4 = sums, b5 = weight
//   NB_PARAM  (one invocation per channel): b0[c] += sum over the groups of c of b4[which*G + g]
#include "common.glsl"
layout(local_size_x = VK_WORKGROUP) in;

layout(constant_id = 0) const uint MODE = NB_REDUCE;

VK_PUSH_BLOCK(PUSH_NORM_BACKWARD) // shaders/push.h

shared float partial[2 * VK_WORKGROUP];

void reduce_group()
{
    uint g = gl_WorkGroupID.x, t = gl_LocalInvocationID.x;
    uint c = pc.per_sample != 0 ? g % pc.c : g;
    uint n0 = pc.per_sample != 0 ? g / pc.c : 0;
    bool xhat = (pc.flags & NB_NO_XHAT) == 0;
    float mean = xhat ? LD(3, g) : 0.0, invstd = xhat ? LD(3, pc.groups + g) : 0.0;
    uint count = pc.samples * pc.hw;
    float s_dy = 0.0, s_dyx = 0.0;
    for (uint j = t; j < count; j += VK_WORKGROUP) {
        uint i = ((n0 + j / pc.hw) * pc.c + c) * pc.hw + j % pc.hw;
        float dy = LD(2, i);
        s_dy += dy;
        if (xhat)
            s_dyx += dy * (LD(1, i) - mean) * invstd;
    }
    partial[t] = s_dy;
    partial[VK_WORKGROUP + t] = s_dyx;
    barrier();
    for (uint half_ = VK_WORKGROUP / 2; half_ > 0; half_ /= 2) {
        if (t < half_) {
            partial[t] += partial[t + half_];
            partial[VK_WORKGROUP + t] += partial[VK_WORKGROUP + t + half_];
        }
        barrier();
    }
    if (t == 0) {
        ST(0, g, partial[0]);
        ST(0, pc.groups + g, partial[VK_WORKGROUP]);
    }
}

void main()
{
    if (MODE == NB_REDUCE) {
        reduce_group();
        return;
    }
    if (MODE == NB_PARAM) {
        uint per_channel = pc.per_sample != 0 ? pc.groups / pc.c : 1;
        for (uint c = first_index(); c < pc.n; c += index_stride()) {
            float s = 0.0;
            for (uint k = 0; k < per_channel; k++)
                s += LD(4, pc.which * pc.groups + k * pc.c + c);
            ST(0, c, LD(0, c) + (s));
        }
        return;
    }
    float count = float(pc.samples * pc.hw);
    for (uint i = first_index(); i < pc.n; i += index_stride()) {
        uint plane = i / pc.hw, c = plane % pc.c;
        uint g = pc.per_sample != 0 ? plane : c;
        float invstd = LD(3, pc.groups + g);
        float scale = pc.has_weight != 0 ? LD(5, c) * invstd : invstd;
        float dy = LD(2, i);
        if ((pc.flags & NB_EVAL) != 0) {
            ST(0, i, LD(0, i) + (dy * scale));
        } else {
            float xhat = (LD(1, i) - LD(3, g)) * invstd;
            ST(0, i, LD(0, i) + (scale * (dy - LD(4, g) / count - xhat * LD(4, pc.groups + g) / count)));
        }
    }
}
