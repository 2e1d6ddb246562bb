/* The one descriptor-set and pipeline layout shared by all kernels, and their pipelines. */
#include <stdio.h>
#include <string.h>

#include "engine/vulkan/vk_internal.h"
#include "engine/vulkan/vk_shaders.h"
#include "shaders/opcodes.h"

typedef struct {
    const char *shader;
    uint32_t conv_mode; /* conv_gemm only */
} kernel_source;

static const kernel_source kernel_sources[VK_KERNEL_COUNT] = {
    [VK_KERNEL_ELTWISE] = {"eltwise", 0},
    [VK_KERNEL_REDUCE] = {"reduce", 0},
    [VK_KERNEL_ADAM] = {"adam", 0},
    [VK_KERNEL_EMA] = {"ema", 0},
    [VK_KERNEL_LAYOUT] = {"layout", 0},
    [VK_KERNEL_NORM_STATS] = {"norm_stats", 0},
    [VK_KERNEL_NORM_APPLY] = {"norm_apply", 0},
    [VK_KERNEL_NORM_BACKWARD] = {"norm_backward", 0},
    [VK_KERNEL_CONV_GATHER] = {"conv_gemm", CONV_GATHER},
    [VK_KERNEL_CONV_SCATTER] = {"conv_gemm", CONV_SCATTER},
    [VK_KERNEL_CONV_WEIGHT] = {"conv_gemm", CONV_WEIGHT},
    [VK_KERNEL_POOL] = {"pool", 0},
    [VK_KERNEL_SPECTRAL] = {"spectral", 0},
};

const vk_shader_blob *vk_shader_find(const char *name)
{
    for (int i = 0; i < vk_shader_count; i++)
        if (!strcmp(vk_shader_blobs[i].name, name))
            return &vk_shader_blobs[i];
    return NULL;
}

static int create_layouts(vk_ctx *ctx)
{
    VkDescriptorSetLayoutBinding bindings[VK_BINDINGS + 1];
    for (int i = 0; i <= VK_BINDINGS; i++)
        bindings[i] = (VkDescriptorSetLayoutBinding){
            .binding = (uint32_t)i,
            .descriptorType = VK_DESCRIPTOR_TYPE_STORAGE_BUFFER,
            .descriptorCount = 1,
            .stageFlags = VK_SHADER_STAGE_COMPUTE_BIT,
        };
    VkDescriptorSetLayoutCreateInfo set_info = {
        .sType = VK_STRUCTURE_TYPE_DESCRIPTOR_SET_LAYOUT_CREATE_INFO,
        .bindingCount = VK_BINDINGS + 1,
        .pBindings = bindings,
    };
    VkResult r = vkCreateDescriptorSetLayout(ctx->device, &set_info, NULL, &ctx->set_layout);
    if (r != VK_SUCCESS)
        return vk_fail(r, "vkCreateDescriptorSetLayout");
    VkPushConstantRange push = {
        .stageFlags = VK_SHADER_STAGE_COMPUTE_BIT,
        .size = VK_PUSH_WORDS * sizeof(uint32_t),
    };
    VkPipelineLayoutCreateInfo layout_info = {
        .sType = VK_STRUCTURE_TYPE_PIPELINE_LAYOUT_CREATE_INFO,
        .setLayoutCount = 1,
        .pSetLayouts = &ctx->set_layout,
        .pushConstantRangeCount = 1,
        .pPushConstantRanges = &push,
    };
    r = vkCreatePipelineLayout(ctx->device, &layout_info, NULL, &ctx->pipeline_layout);
    return r == VK_SUCCESS ? 0 : vk_fail(r, "vkCreatePipelineLayout");
}

static int create_pipeline(vk_ctx *ctx, vk_kernel k, uint32_t variant, unsigned half)
{
    const kernel_source *src = &kernel_sources[k];
    int is_conv = !strcmp(src->shader, "conv_gemm");
    int coopmat = is_conv && vk_conv_variant_tile(variant) == VK_CONV_COOPMAT;
    if (coopmat && !ctx->coopmat.usable)
        return eng_set_error(ENG_EBACKEND, "vulkan: %s: no cooperative-matrix kernel: %s",
                             ctx->name, ctx->coopmat.note);
    /* norm statistics: subgroupAdd where the device has it (vk_tuning.c) */
    const char *name = coopmat ? "conv_coopmat" : src->shader;
    if (k == VK_KERNEL_NORM_STATS && ctx->tuning.subgroup_norm)
        name = "norm_stats_subgroup";
    char half_name[64];
    if (half) {
        snprintf(half_name, sizeof half_name, "%s_h", name);
        name = half_name;
    }
    const vk_shader_blob *blob = vk_shader_find(name);
    if (!blob)
        return eng_set_error(ENG_EBACKEND, "vulkan: shader '%s' is not built in", name);
    vk_conv_tile tile = vk_conv_tile_of(vk_conv_variant_tile(variant));
    vk_conv_geometry geometry;
    uint32_t fixed = (uint32_t)vk_conv_variant_geometry(variant, &geometry);
    if (is_conv && !coopmat && vk_conv_tile_check(&tile, &ctx->props.limits))
        return eng_set_error(ENG_EBACKEND, "vulkan: %s: %s", ctx->name, eng_last_error());
    VkShaderModuleCreateInfo module_info = {
        .sType = VK_STRUCTURE_TYPE_SHADER_MODULE_CREATE_INFO,
        .codeSize = blob->size,
        .pCode = blob->code,
    };
    VkShaderModule module;
    VkResult r = vkCreateShaderModule(ctx->device, &module_info, NULL, &module);
    if (r != VK_SUCCESS)
        return vk_fail(r, "vkCreateShaderModule");
    /* conv_gemm tile: TX, TY, TM, TN, BK, MODE (constant ids 0..5), or conv_coopmat's shape
     * (vk_coopmat_constants) and MODE, then the kernel geometry (ids 6..10, conv_index.glsl);
     * the others' op or mode (id 0); then HALF_BINDINGS (id 16, common.glsl) */
    uint32_t constants[12] = {tile.tx,     tile.ty,     tile.tm,         tile.tn,
                              tile.bk,     src->conv_mode, fixed,        geometry.kh,
                              geometry.kw, geometry.stride, geometry.pad, half};
    if (coopmat)
        vk_coopmat_constants(&ctx->coopmat, constants);
    uint32_t count = 11;
    if (!is_conv) {
        constants[0] = variant;
        constants[1] = half;
        count = 1;
    }
    VkSpecializationMapEntry entries[12];
    for (uint32_t i = 0; i < count; i++)
        entries[i] = (VkSpecializationMapEntry){i, i * 4, 4};
    entries[count] = (VkSpecializationMapEntry){16, count * 4, 4};
    VkSpecializationInfo spec = {count + 1, entries, (count + 1) * 4, constants};
    VkPipelineShaderStageRequiredSubgroupSizeCreateInfo subgroup_size;
    VkComputePipelineCreateInfo info = {
        .sType = VK_STRUCTURE_TYPE_COMPUTE_PIPELINE_CREATE_INFO,
        .stage = {
            .sType = VK_STRUCTURE_TYPE_PIPELINE_SHADER_STAGE_CREATE_INFO,
            .pNext = coopmat ? vk_coopmat_stage_next(&ctx->coopmat, &subgroup_size) : NULL,
            .stage = VK_SHADER_STAGE_COMPUTE_BIT,
            .module = module,
            .pName = "main",
            .pSpecializationInfo = &spec,
        },
        .layout = ctx->pipeline_layout,
    };
    r = vkCreateComputePipelines(ctx->device, ctx->pipeline_cache, 1, &info, NULL,
                                 &ctx->pipelines[k][variant][half]);
    vkDestroyShaderModule(ctx->device, module, NULL);
    ctx->pipelines_compiled += r == VK_SUCCESS;
    return r == VK_SUCCESS ? 0 : vk_fail(r, "vkCreateComputePipelines");
}

int vk_pipelines_create(vk_ctx *ctx)
{
    int status = create_layouts(ctx);
    if (!status)
        vk_pipeline_cache_open(ctx);
    return status;
}

int vk_pipeline_prepare(vk_ctx *ctx, vk_kernel kernel, uint32_t variant, unsigned half)
{
    if (variant >= VK_VARIANTS)
        return eng_set_error(ENG_EBACKEND, "vulkan: kernel variant %u out of range", variant);
    if (half >= 1u << VK_BINDINGS || (half && !ctx->storage_16bit))
        return eng_set_error(ENG_EBACKEND, "vulkan: %s has no 16-bit storage buffers",
                             ctx->name);
    return ctx->pipelines[kernel][variant][half] ? 0
                                                 : create_pipeline(ctx, kernel, variant, half);
}

void vk_pipelines_destroy(vk_ctx *ctx)
{
    vk_pipeline_cache_close(ctx);
    for (int k = 0; k < VK_KERNEL_COUNT; k++)
        for (int v = 0; v < VK_VARIANTS; v++)
            for (int h = 0; h < 1 << VK_BINDINGS; h++)
                if (ctx->pipelines[k][v][h])
                    vkDestroyPipeline(ctx->device, ctx->pipelines[k][v][h], NULL);
    if (ctx->pipeline_layout)
        vkDestroyPipelineLayout(ctx->device, ctx->pipeline_layout, NULL);
    if (ctx->set_layout)
        vkDestroyDescriptorSetLayout(ctx->device, ctx->set_layout, NULL);
}
