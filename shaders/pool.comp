#version 450
#extension GL_GOOGLE_include_directive : require
// avg_pool2d (count_include_pad=False) and max_pool2d, forward and backward, all gathers (no
// atomics); b1 = x (forward) or dy (backward):
//   POOL_AVG_F: b0 = out, one invocation per output: the mean of its window's input cells
//   POOL_AVG_B: b0 = dx += ..., one invocation per input cell: sum over the windows that hold
//               it of dy / (the window's cell count)
//   POOL_MAX_F: b0 = out, one invocation per output: its window's largest input cell
//   POOL_MAX_B: b0 = dx += ..., one invocation per input cell: sum of dy over the windows whose
//               largest cell it is, b2 = x (found again as the forward found it)
#include "common.glsl"
layout(local_size_x = VK_WORKGROUP) in;

layout(constant_id = 0) const uint OP = POOL_AVG_F;

VK_PUSH_BLOCK(PUSH_POOL) // shaders/push.h

// The input cells [lo, hi) of output position o's window along an axis of size.
ivec2 window(int o, int size)
{
    int start = o * int(pc.stride) - int(pc.pad);
    return ivec2(max(start, 0), min(start + int(pc.kernel), size));
}

float cell_count(int oy, int ox)
{
    ivec2 y = window(oy, int(pc.h)), x = window(ox, int(pc.w));
    return float((y.y - y.x) * (x.y - x.x));
}

// The outputs [lo, hi] along an axis whose windows hold input position i.
ivec2 outputs_over(int i, int out_size)
{
    int k = int(pc.kernel), s = int(pc.stride), first = i + int(pc.pad) - k + 1;
    int lo = first <= 0 ? 0 : (first + s - 1) / s;
    return ivec2(lo, min((i + int(pc.pad)) / s, out_size - 1));
}

// The input cell of output (oy, ox)'s window in plane of binding k holding its largest value:
// the first of equal ones in row-major order, a NaN over any number (as the CPU kernel).
#define WINDOW_MAX(k, plane, oy, ox, best)                                                       \
    {                                                                                            \
        ivec2 y_ = window(oy, int(pc.h)), x_ = window(ox, int(pc.w));                            \
        uint base_ = plane * pc.h * pc.w;                                                        \
        best = base_ + uint(y_.x) * pc.w + uint(x_.x);                                           \
        float m_ = LD(k, best);                                                                  \
        for (int y1_ = y_.x; y1_ < y_.y; y1_++)                                                  \
            for (int x1_ = x_.x; x1_ < x_.y; x1_++) {                                            \
                uint j_ = base_ + uint(y1_) * pc.w + uint(x1_);                                  \
                float v_ = LD(k, j_);                                                            \
                if (v_ > m_ || (isnan(v_) && !isnan(m_))) {                                      \
                    best = j_;                                                                   \
                    m_ = v_;                                                                     \
                }                                                                                \
            }                                                                                    \
    }

void main()
{
    for (uint i = first_index(); i < pc.n; i += index_stride()) {
        if (OP == POOL_MAX_F) {
            int ox = int(i % pc.wo), oy = int((i / pc.wo) % pc.ho);
            uint plane = i / (pc.wo * pc.ho), best;
            WINDOW_MAX(1, plane, oy, ox, best)
            ST(0, i, LD(1, best));
        } else if (OP == POOL_MAX_B) {
            int ix = int(i % pc.w), iy = int((i / pc.w) % pc.h);
            uint plane = i / (pc.w * pc.h), best;
            ivec2 y = outputs_over(iy, int(pc.ho)), x = outputs_over(ix, int(pc.wo));
            float s = 0.0;
            for (int oy = y.x; oy <= y.y; oy++)
                for (int ox = x.x; ox <= x.y; ox++) {
                    WINDOW_MAX(2, plane, oy, ox, best)
                    if (best == i)
                        s += LD(1, (plane * pc.ho + uint(oy)) * pc.wo + uint(ox));
                }
            ST(0, i, LD(0, i) + s);
        } else if (OP == POOL_AVG_F) {
            int ox = int(i % pc.wo), oy = int((i / pc.wo) % pc.ho);
            uint plane = i / (pc.wo * pc.ho);
            ivec2 y = window(oy, int(pc.h)), x = window(ox, int(pc.w));
            float s = 0.0;
            for (int iy = y.x; iy < y.y; iy++)
                for (int ix = x.x; ix < x.y; ix++)
                    s += LD(1, (plane * pc.h + uint(iy)) * pc.w + uint(ix));
            ST(0, i, s / cell_count(oy, ox));
        } else {
            int ix = int(i % pc.w), iy = int((i / pc.w) % pc.h);
            uint plane = i / (pc.w * pc.h);
            ivec2 y = outputs_over(iy, int(pc.ho)), x = outputs_over(ix, int(pc.wo));
            float s = 0.0;
            for (int oy = y.x; oy <= y.y; oy++)
                for (int ox = x.x; ox <= x.y; ox++)
                    s += LD(1, (plane * pc.ho + uint(oy)) * pc.wo + uint(ox)) / cell_count(oy, ox);
            ST(0, i, LD(0, i) + (s));
        }
    }
}
