#version 450
#extension GL_GOOGLE_include_directive : require
// y = (x - mean) * invstd * weight + bias with the statistics of norm_stats.
// b0 = y, b1 = x, b2 = aux, b3 = weight, b4 = bias.
#include "common.glsl"
layout(local_size_x = VK_WORKGROUP) in;

VK_PUSH_BLOCK(PUSH_NORM_APPLY) // shaders/push.h

void main()
{
    for (uint i = first_index(); i < pc.n; i += index_stride()) {
        uint plane = i / pc.hw, c = plane % pc.c;
        uint g = pc.per_sample != 0 ? plane : c;
        float y = (LD(1, i) - LD(2, g)) * LD(2, pc.groups + g);
        if (pc.has_weight != 0)
            y *= LD(3, c);
        if (pc.has_bias != 0)
            y += LD(4, c);
        ST(0, i, y);
    }
}
