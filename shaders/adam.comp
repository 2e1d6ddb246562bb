#version 450
#extension GL_GOOGLE_include_directive : require
// torch.optim.Adam on one parameter: b0 = param, b1 = grad, b2 = exp_avg, b3 = exp_avg_sq.
// The step-dependent factors come from run.adam[slot], written before every submission.
#include "common.glsl"
layout(local_size_x = VK_WORKGROUP) in;

VK_PUSH_BLOCK(PUSH_ADAM) // shaders/push.h

void main()
{
    float step_size = run.adam[pc.slot].x;
    float bias_correction2_sqrt = run.adam[pc.slot].y;
    for (uint i = first_index(); i < pc.n; i += index_stride()) {
        float g = b1.d[i];
        float m = b2.d[i];
        // exp_avg.lerp_(grad, w1): PyTorch switches formula at weight 0.5
        m = abs(pc.w1) < 0.5 ? m + pc.w1 * (g - m) : g - (g - m) * (1.0 - pc.w1);
        float v = b3.d[i] * pc.beta2 + pc.w2 * g * g;
        b2.d[i] = m;
        b3.d[i] = v;
        b0.d[i] += -step_size * (m / (sqrt(v) / bias_correction2_sqrt + pc.eps));
    }
}
