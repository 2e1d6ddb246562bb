#version 450
#extension GL_GOOGLE_include_directive : require
// spectral_norm (torch.nn.utils.spectral_norm, dim 0, one power iteration) of the weight W,
// a rows x cols matrix, in the steps of opcodes.h's SN_* (one dispatch each, in order):
//   b0 = W (the fp32 master weights where the plan has them), b1 = aux: u [rows], v [cols],
//   sigma, W v [rows], dot; b2 = the state u, b3 = the state v; b4 = out (SN_APPLY) or dy
//   (backward); b5 = dW (SN_GRAD). The sums run in a fixed order: every run is the same.
#include "common.glsl"
layout(local_size_x = VK_WORKGROUP) in;

layout(constant_id = 0) const uint OP = SN_V;

VK_PUSH_BLOCK(PUSH_SPECTRAL) // shaders/push.h

shared float partial[VK_WORKGROUP];

uint V() { return pc.rows; }
uint SIGMA() { return pc.rows + pc.cols; }
uint WV() { return pc.rows + pc.cols + 1u; }
uint DOT() { return 2u * pc.rows + pc.cols + 1u; }

// The sum over the workgroup of each invocation's s (one workgroup dispatches).
float workgroup_sum(float s)
{
    uint t = gl_LocalInvocationID.x;
    partial[t] = s;
    barrier();
    for (uint half_ = VK_WORKGROUP / 2; half_ > 0; half_ /= 2) {
        if (t < half_)
            partial[t] += partial[t + half_];
        barrier();
    }
    float total = partial[0];
    barrier();
    return total;
}

// aux[from + i] / max(|aux[from..from+len)|, eps) for the invocation's i, also into binding
// state (2: u, 3: v) and aux[to + i].
void normalize_into(uint from, uint to, uint len, uint state)
{
    uint t = gl_LocalInvocationID.x;
    float sq = 0.0;
    for (uint i = t; i < len; i += VK_WORKGROUP) {
        float x = LD(1, from + i);
        sq += x * x;
    }
    float denom = max(sqrt(workgroup_sum(sq)), pc.eps);
    for (uint i = t; i < len; i += VK_WORKGROUP) {
        float x = LD(1, from + i) / denom;
        ST(1, to + i, x);
        if (state == 2u)
            ST(2, i, x);
        else
            ST(3, i, x);
    }
}

void main()
{
    uint t = gl_LocalInvocationID.x;
    if (OP == SN_V) {
        for (uint j = first_index(); j < pc.cols; j += index_stride()) {
            float s = 0.0;
            for (uint i = 0; i < pc.rows; i++)
                s += LD(0, i * pc.cols + j) * LD(2, i);
            ST(1, V() + j, s);
        }
    } else if (OP == SN_NORM_V) {
        normalize_into(V(), V(), pc.cols, 3u);
    } else if (OP == SN_U) {
        for (uint i = first_index(); i < pc.rows; i += index_stride()) {
            float s = 0.0;
            for (uint j = 0; j < pc.cols; j++)
                s += LD(0, i * pc.cols + j) * LD(1, V() + j);
            ST(1, WV() + i, s);
        }
    } else if (OP == SN_NORM_U) {
        normalize_into(WV(), 0u, pc.rows, 2u);
        barrier();
        float s = 0.0;
        for (uint i = t; i < pc.rows; i += VK_WORKGROUP)
            s += LD(1, i) * LD(1, WV() + i);
        float sigma = workgroup_sum(s);
        if (t == 0u)
            ST(1, SIGMA(), sigma);
    } else if (OP == SN_APPLY) {
        float sigma = LD(1, SIGMA());
        for (uint k = first_index(); k < pc.n; k += index_stride())
            ST(4, k, LD(0, k) / sigma);
    } else if (OP == SN_DOT) {
        float s = 0.0;
        for (uint k = t; k < pc.n; k += VK_WORKGROUP)
            s += LD(4, k) * LD(0, k);
        float dot = workgroup_sum(s);
        if (t == 0u)
            ST(1, DOT(), dot);
    } else { // SN_GRAD
        float sigma = LD(1, SIGMA()), coef = LD(1, DOT()) / (sigma * sigma);
        for (uint k = first_index(); k < pc.n; k += index_stride()) {
            uint i = k / pc.cols, j = k % pc.cols;
            ST(5, k, LD(5, k) + (LD(4, k) / sigma - coef * LD(1, i) * LD(1, V() + j)));
        }
    }
}
