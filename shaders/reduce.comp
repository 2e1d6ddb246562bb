#version 450
#extension GL_GOOGLE_include_directive : require
// One workgroup: b0[0] = scale * sum f(b1[i], b2[i]) for the sum op and the losses.
#include "common.glsl"
layout(local_size_x = VK_WORKGROUP) in;

layout(constant_id = 0) const uint OP = RED_SUM;

VK_PUSH_BLOCK(PUSH_REDUCE) // shaders/push.h

shared float partial[VK_WORKGROUP];

float term(uint i)
{
    float x = LD(1, i);
    switch (OP) {
    case RED_L1: return abs(x - LD(2, i));
    case RED_MSE: { float d = x - LD(2, i); return d * d; }
    case RED_BCE: return max(x, 0.0) - x * LD(2, i) + log(1.0 + exp(-abs(x)));
    }
    return x;
}

void main()
{
    uint t = gl_LocalInvocationID.x;
    float s = 0.0;
    for (uint i = t; i < pc.n; i += VK_WORKGROUP)
        s += term(i);
    partial[t] = s;
    barrier();
    for (uint half_ = VK_WORKGROUP / 2; half_ > 0; half_ /= 2) {
        if (t < half_)
            partial[t] += partial[t + half_];
        barrier();
    }
    if (t == 0)
        ST(0, 0, partial[0] * pc.scale);
}
