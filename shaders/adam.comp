#version 450
#extension GL_GOOGLE_include_directive : require
// torch.optim.Adam on one parameter: b0 = param, b1 = grad, b2 = exp_avg, b3 = exp_avg_sq.
// The step-dependent factors come from run.adam[slot], written before every submission.
#include "common.glsl"
layout(local_size_x = VK_WORKGROUP) in;

layout(push_constant) uniform Push {
    uint n;
    uint slot;
    float beta1;
    float beta2;
    float eps;
} pc;

void main()
{
    float step_size = run.adam[pc.slot].x;
    float bias_correction2_sqrt = run.adam[pc.slot].y;
    for (uint i = first_index(); i < pc.n; i += index_stride()) {
        float g = b1.d[i];
        float m = b2.d[i] * pc.beta1 + g * (1.0 - pc.beta1);
        float v = b3.d[i] * pc.beta2 + g * g * (1.0 - pc.beta2);
        b2.d[i] = m;
        b3.d[i] = v;
        b0.d[i] -= step_size * (m / (sqrt(v) / bias_correction2_sqrt + pc.eps));
    }
}
