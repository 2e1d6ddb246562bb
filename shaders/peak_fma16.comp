#version 450
#extension GL_EXT_shader_explicit_arithmetic_types_float16 : require
// The device's peak FP16 FMA rate (as peak_fma.comp, in float16 arithmetic): created only on
// devices with shaderFloat16.
layout(local_size_x = 256) in;
layout(constant_id = 0) const uint LOOPS = 1024;
layout(std430, binding = 0) writeonly buffer Result { vec4 result[]; };

void main()
{
    uint id = gl_GlobalInvocationID.x;
    f16vec4 a = f16vec4(0.999hf) - f16vec4(float16_t(float(id & 255u) * 1e-4));
    f16vec4 b = f16vec4(1e-3hf, 2e-3hf, 3e-3hf, 4e-3hf);
    f16vec4 c0 = a, c1 = a + b, c2 = a - b, c3 = b, c4 = -b, c5 = a * 0.5hf, c6 = b * 0.5hf,
            c7 = a + 1.0hf;
    for (uint i = 0u; i < LOOPS; i++) {
        c0 = fma(c0, a, b); c1 = fma(c1, a, b); c2 = fma(c2, a, b); c3 = fma(c3, a, b);
        c4 = fma(c4, a, b); c5 = fma(c5, a, b); c6 = fma(c6, a, b); c7 = fma(c7, a, b);
    }
    result[id & 65535u] = vec4(((c0 + c1) + (c2 + c3)) + ((c4 + c5) + (c6 + c7)));
}
