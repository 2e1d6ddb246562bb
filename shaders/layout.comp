#version 450
#extension GL_GOOGLE_include_directive : require
// Reflection padding, channel concatenation and nearest upsampling, forward and backward.
// b0 = out (or the gradient being added to), b1 = the first source (or the upstream gradient),
// b2 = the second.
#include "common.glsl"
layout(local_size_x = VK_WORKGROUP) in;

layout(constant_id = 0) const uint OP = LAY_PAD_F;

VK_PUSH_BLOCK(PUSH_LAYOUT) // shaders/push.h

int reflect_index(int i, int size)
{
    if (i < 0)
        return -i;
    if (i >= size)
        return 2 * (size - 1) - i;
    return i;
}

// Sum over the padded positions (along one axis) that reflect onto input position i.
void candidates(int i, int size, int pad, out int cand[3], out int count)
{
    int padded = size + 2 * pad;
    int options[3] = int[3](i + pad, pad - i, pad + 2 * (size - 1) - i);
    count = 0;
    for (int k = 0; k < 3; k++) {
        int o = options[k];
        bool seen = false;
        for (int j = 0; j < count; j++)
            seen = seen || cand[j] == o;
        if (!seen && o >= 0 && o < padded && reflect_index(o - pad, size) == i)
            cand[count++] = o;
    }
}

void main()
{
    for (uint i = first_index(); i < pc.n; i += index_stride()) {
        if (OP == LAY_PAD_F) {
            uint wo = pc.w + 2 * pc.pad, ho = pc.h + 2 * pc.pad;
            uint x = i % wo, y = (i / wo) % ho, plane = i / (wo * ho);
            int iy = reflect_index(int(y) - int(pc.pad), int(pc.h));
            int ix = reflect_index(int(x) - int(pc.pad), int(pc.w));
            ST(0, i, LD(1, (plane * pc.h + uint(iy)) * pc.w + uint(ix)));
        } else if (OP == LAY_PAD_B) {
            uint x = i % pc.w, y = (i / pc.w) % pc.h, plane = i / (pc.w * pc.h);
            uint wo = pc.w + 2 * pc.pad, ho = pc.h + 2 * pc.pad;
            int cy[3], cx[3], ny, nx;
            candidates(int(y), int(pc.h), int(pc.pad), cy, ny);
            candidates(int(x), int(pc.w), int(pc.pad), cx, nx);
            float s = 0.0;
            for (int a = 0; a < ny; a++)
                for (int b = 0; b < nx; b++)
                    s += LD(1, (plane * ho + uint(cy[a])) * wo + uint(cx[b]));
            ST(0, i, LD(0, i) + (s));
        } else if (OP == LAY_CONCAT_F) {
            uint hw = pc.h, p = i % hw, c = (i / hw) % pc.c_out, n = i / (hw * pc.c_out);
            uint c_second = pc.c_out - pc.c_first;
            ST(0, i, c < pc.c_first ? LD(1, (n * pc.c_first + c) * hw + p)
                                     : LD(2, (n * c_second + c - pc.c_first) * hw + p));
        } else if (OP == LAY_UP_F) {
            uint s = pc.pad, wo = pc.w * s, ho = pc.h * s;
            uint x = i % wo, y = (i / wo) % ho, plane = i / (wo * ho);
            ST(0, i, LD(1, (plane * pc.h + y / s) * pc.w + x / s));
        } else if (OP == LAY_UP_B) { // one invocation per input cell: the sum of its block
            uint s = pc.pad, wo = pc.w * s, ho = pc.h * s;
            uint x = i % pc.w, y = (i / pc.w) % pc.h, plane = i / (pc.w * pc.h);
            float sum = 0.0;
            for (uint a = 0; a < s; a++)
                for (uint b = 0; b < s; b++)
                    sum += LD(1, (plane * ho + y * s + a) * wo + x * s + b);
            ST(0, i, LD(0, i) + (sum));
        } else {
            uint hw = pc.h, p = i % hw, c = (i / hw) % pc.c_src, n = i / (hw * pc.c_src);
            ST(0, i, LD(0, i) + (LD(1, (n * pc.c_out + c + pc.c_off) * hw + p)));
        }
    }
}
