#version 450
// Build-time feature test (shaders/CMakeLists.txt): whether this glslangValidator compiles
// GL_KHR_cooperative_matrix with float16 operands and float32 accumulators, as
// conv_coopmat.comp needs. Not a kernel.
#extension GL_KHR_cooperative_matrix : require
#extension GL_KHR_memory_scope_semantics : require
#extension GL_EXT_shader_explicit_arithmetic_types_float16 : require
layout(local_size_x = 32) in;
layout(std430, binding = 0) buffer Data { float d[]; } data;
shared float16_t operands[16 * 16];

void main()
{
    coopmat<float16_t, gl_ScopeSubgroup, 16, 16, gl_MatrixUseA> a;
    coopmat<float16_t, gl_ScopeSubgroup, 16, 16, gl_MatrixUseB> b;
    coopmat<float, gl_ScopeSubgroup, 16, 16, gl_MatrixUseAccumulator> c =
        coopmat<float, gl_ScopeSubgroup, 16, 16, gl_MatrixUseAccumulator>(0.0);
    coopMatLoad(a, operands, 0, 16, gl_CooperativeMatrixLayoutRowMajor);
    coopMatLoad(b, operands, 0, 16, gl_CooperativeMatrixLayoutRowMajor);
    c = coopMatMulAdd(a, b, c);
    coopMatStore(c, data.d, 0, 16, gl_CooperativeMatrixLayoutRowMajor);
}
