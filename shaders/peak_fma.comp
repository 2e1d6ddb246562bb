#version 450
// The device's peak FP32 FMA rate (pix2pix devices --peak, engine/vulkan/vk_peak.c): eight
// independent chains of vec4 multiply-adds per invocation, LOOPS times, 64 FLOPs per
// iteration. The operands come from the invocation index and the result is stored, so that
// nothing can be folded away.
layout(local_size_x = 256) in;
layout(constant_id = 0) const uint LOOPS = 1024;
layout(std430, binding = 0) writeonly buffer Result { vec4 result[]; };

void main()
{
    uint id = gl_GlobalInvocationID.x;
    vec4 a = vec4(0.999) - vec4(float(id & 255u) * 1e-6);
    vec4 b = vec4(1e-3, 2e-3, 3e-3, 4e-3);
    vec4 c0 = a, c1 = a + b, c2 = a - b, c3 = b, c4 = -b, c5 = a * 0.5, c6 = b * 0.5, c7 = a + 1.0;
    for (uint i = 0u; i < LOOPS; i++) {
        c0 = fma(c0, a, b); c1 = fma(c1, a, b); c2 = fma(c2, a, b); c3 = fma(c3, a, b);
        c4 = fma(c4, a, b); c5 = fma(c5, a, b); c6 = fma(c6, a, b); c7 = fma(c7, a, b);
    }
    result[id & 65535u] = ((c0 + c1) + (c2 + c3)) + ((c4 + c5) + (c6 + c7));
}
