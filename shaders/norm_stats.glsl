// Batch/instance norm statistics, one workgroup per group (a channel for batch norm, a
// (sample, channel) plane for instance norm): aux[g] = mean, aux[G + g] = 1/sqrt(var + eps).
// b0 = x, b1 = aux, b2 = running_mean, b3 = running_var, b4 = num_batches_tracked.
// norm_stats.comp sums the workgroup with a shared-memory tree; norm_stats_subgroup.comp
// (NORM_SUBGROUP, for devices with subgroup arithmetic in compute) with subgroupAdd, then the
// subgroups' sums through shared memory.
#include "common.glsl"
layout(local_size_x = VK_WORKGROUP) in;

VK_PUSH_BLOCK(PUSH_NORM_STATS) // shaders/push.h

shared float partial[VK_WORKGROUP];

#ifdef NORM_SUBGROUP
float group_sum(float s)
{
    float own = subgroupAdd(s);
    if (subgroupElect())
        partial[gl_SubgroupID] = own;
    barrier();
    float x = 0.0;
    for (uint i = gl_SubgroupInvocationID; i < gl_NumSubgroups; i += gl_SubgroupSize)
        x += partial[i];
    float total = subgroupAdd(x);
    barrier();
    return total;
}
#else
float group_sum(float s)
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
#endif

void main()
{
    uint g = gl_WorkGroupID.x, t = gl_LocalInvocationID.x;
    uint c = pc.per_sample != 0 ? g % pc.c : g;
    uint n0 = pc.per_sample != 0 ? g / pc.c : 0;
    if (pc.mode == 2) {
        if (t == 0) {
            ST(1, g, LD(2, c));
            ST(1, pc.groups + g, 1.0 / sqrt(LD(3, c) + pc.eps));
        }
        return;
    }
    uint count = pc.samples * pc.hw;
    float s = 0.0;
    for (uint j = t; j < count; j += VK_WORKGROUP)
        s += LD(0, ((n0 + j / pc.hw) * pc.c + c) * pc.hw + j % pc.hw);
    float mean = group_sum(s) / float(count);
    s = 0.0;
    for (uint j = t; j < count; j += VK_WORKGROUP) {
        float d = LD(0, ((n0 + j / pc.hw) * pc.c + c) * pc.hw + j % pc.hw) - mean;
        s += d * d;
    }
    float var = group_sum(s) / float(count);
    if (t == 0) {
        ST(1, g, mean);
        ST(1, pc.groups + g, 1.0 / sqrt(var + pc.eps));
        if (pc.mode == 1) {
            float unbiased = var * float(count) / float(count - 1);
            ST(2, c, (1.0 - pc.momentum) * LD(2, c) + pc.momentum * mean);
            ST(3, c, (1.0 - pc.momentum) * LD(3, c) + pc.momentum * unbiased);
            if (g == 0)
                ST(4, 0, LD(4, 0) + (1.0));
        }
    }
}
