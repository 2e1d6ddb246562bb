#version 450
#extension GL_GOOGLE_include_directive : require
// An optimizer's weight average after its update of one parameter (eng_adam_set_average):
// b0 = the fp32 average, b1 = the weights just updated (the fp32 master weights with loss
// scaling): b0 = decay * b0 + (1 - decay) * b1.
#define ACCESS_1 readonly
#include "common.glsl"
layout(local_size_x = VK_WORKGROUP) in;

VK_PUSH_BLOCK(PUSH_EMA) // shaders/push.h

void main()
{
    for (uint i = first_index(); i < pc.n; i += index_stride())
        ST(0, i, LD(0, i) * pc.decay + pc.keep * LD(1, i));
}
