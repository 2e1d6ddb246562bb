#version 450
#extension GL_GOOGLE_include_directive : require
// torch.optim.Adam on one parameter: b0 = param, b1 = grad, b2 = exp_avg, b3 = exp_avg_sq.
// The step-dependent factors come from run.adam[slot], written before every submission. With
// ADAM_SCALED (loss scaling, GradScaler's step): nothing when one of the optimizer's gradient
// checks set its flag in b5; else the gradient is unscaled, b0 holds the fp32 master weights
// and b4 gets their fp16 copy. With ADAM_CHECKED, the parameter's flags (b4 without loss
// scaling, its pair at flag_index in b5 with): the first set where the gradient is not finite
// (without loss scaling: the update is applied all the same), the second where a moment or
// weight the update leaves is not (a gradient whose square overflows): the caller stops.
#include "common.glsl"
layout(local_size_x = VK_WORKGROUP) in;

VK_PUSH_BLOCK(PUSH_ADAM) // shaders/push.h

// all exponent bits set: infinity or NaN (isnan may be folded away by fast math)
bool nonfinite(float x) { return (floatBitsToUint(x) & 0x7f800000u) == 0x7f800000u; }

void main()
{
    float step_size = run.adam[pc.slot].x;
    float bias_correction2_sqrt = run.adam[pc.slot].y;
    bool scaled = (pc.flags & ADAM_SCALED) != 0;
    bool checked = (pc.flags & ADAM_CHECKED) != 0;
    if (scaled)
        for (uint k = 0; k < pc.nflags; k++)
            if (LD(5, k * pc.flag_stride) != 0.0)
                return;
    float unscale = scaled ? run.inv_loss_scale : 1.0;
    bool bad_state = false;
    for (uint i = first_index(); i < pc.n; i += index_stride()) {
        float g = LD(1, i) * unscale;
        if (checked && !scaled && nonfinite(g))
            ST(4, 0, 1.0);
        float m = LD(2, i);
        // exp_avg.lerp_(grad, w1): PyTorch switches formula at weight 0.5
        m = abs(pc.w1) < 0.5 ? m + pc.w1 * (g - m) : g - (g - m) * (1.0 - pc.w1);
        float v = LD(3, i) * pc.beta2 + pc.w2 * g * g;
        ST(2, i, m);
        ST(3, i, v);
        float p = LD(0, i) - step_size * (m / (sqrt(v) / bias_correction2_sqrt + pc.eps));
        ST(0, i, p);
        if (scaled)
            ST(4, i, p);
        bad_state = bad_state || nonfinite(m) || nonfinite(v) || nonfinite(p);
    }
    if (checked && bad_state) {
        if (scaled)
            ST(5, pc.flag_index * pc.flag_stride + 1, 1.0);
        else
            ST(4, 1, 1.0);
    }
}
