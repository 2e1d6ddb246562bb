#version 450
#extension GL_GOOGLE_include_directive : require
#extension GL_KHR_shader_subgroup_arithmetic : require
// Norm statistics with subgroup reductions (see norm_stats.glsl).
#define NORM_SUBGROUP
#include "norm_stats.glsl"
