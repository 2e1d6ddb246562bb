#version 450
#extension GL_GOOGLE_include_directive : require
// Element-wise forward (out = f(a, b)) and backward (out += df) of the ENG_ELTWISE ops of the
// op table (their formulas generated from it), detach, dropout, sum and the losses. b0 = out,
// b1 = a, b2 = b, b3 = upstream gradient.
// Loss scaling adds two: ELT_SEED (out = the run's loss scale) and ELT_CHECK_FINITE (out[0] =
// 1 when a is not all finite; every writer writes the same value).
#include "common.glsl"
#include "eltwise_codes.h" // generated from engine/ops.def
layout(local_size_x = VK_WORKGROUP) in;

layout(constant_id = 0) const uint OP = ELT_RELU_F; // one pipeline per op and direction

VK_PUSH_BLOCK(PUSH_ELTWISE) // shaders/push.h

uint hash32(uint x)
{
    x ^= x >> 16;
    x *= 0x7feb352du;
    x ^= x >> 15;
    x *= 0x846ca68bu;
    x ^= x >> 16;
    return x;
}

// Same bits as eng_dropout_uniform in engine/graph.h.
bool dropout_keep(uint i)
{
    uint h = hash32(i ^ hash32(pc.seed ^ hash32(run.run_index + 0x9e3779b9u)));
    return float(h >> 8) * (1.0 / 16777216.0) >= pc.s0;
}

float sigmoid(float x) { return 1.0 / (1.0 + exp(-x)); }

// The formulas' tanh (ops.def): some implementations compute tanh through exp(2x), which
// overflows to NaN for large x; tanh is +-1 in float beyond 9 already.
float bounded_tanh(float x) { return tanh(clamp(x, -15.0, 15.0)); }

// table_forward(i) and table_backward(i): the formulas of the ENG_ELTWISE rows of the op table
#include "eltwise_formulas.glsl" // generated from engine/ops.def

float forward(uint i)
{
    switch (OP) {
    case ELT_DETACH_F: return LD(1, i);
    case ELT_DROPOUT_F: return dropout_keep(i) ? LD(1, i) * pc.s1 : 0.0;
    }
    return table_forward(i);
}

// The gradient to add into out[i]; a is the op's input.
float backward(uint i)
{
    float a = LD(1, i);
    switch (OP) {
    case ELT_DROPOUT_B: return dropout_keep(i) ? LD(3, i) * pc.s1 : 0.0;
    case ELT_SUM_B: return LD(3, 0);
    case ELT_L1_LOSS_B: {
        float d = a - LD(2, i);
        return LD(3, 0) * pc.s0 * (d > 0.0 ? 1.0 : (d < 0.0 ? -1.0 : 0.0));
    }
    case ELT_MSE_LOSS_B: return LD(3, 0) * pc.s0 * 2.0 * (a - LD(2, i));
    case ELT_BCE_LOGITS_LOSS_B: return LD(3, 0) * pc.s0 * (sigmoid(a) - LD(2, i));
    }
    return table_backward(i);
}

void main()
{
    const bool is_forward = OP < ELT_FIRST_BACKWARD;
    for (uint i = first_index(); i < pc.n; i += index_stride()) {
        if (OP == ELT_SEED) {
            ST(0, i, run.loss_scale);
        } else if (OP == ELT_CHECK_FINITE) {
            // all exponent bits set: infinity or NaN (isnan may be folded away by fast math)
            if ((floatBitsToUint(LD(1, i)) & 0x7f800000u) == 0x7f800000u)
                ST(0, 0, 1.0);
        } else if (is_forward) {
            ST(0, i, forward(i));
        } else {
            ST(0, i, LD(0, i) + (backward(i)));
        }
    }
}
