#version 450
#extension GL_GOOGLE_include_directive : require
// Norm statistics with a shared-memory tree (the fallback; see norm_stats.glsl).
#include "norm_stats.glsl"
