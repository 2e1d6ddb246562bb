/* The device's peak FMA rate, measured by a shader of its own (shaders/peak_fma*.comp):
 * dispatches of growing size until one lasts a quarter of the time asked for, then the best of
 * three at that size. Host-timed around a submission that waits, so the figure is a slight
 * underestimate on a busy machine. */
#include <time.h>

#include "base/clock.h"
#include "engine/vulkan/vk_internal.h"
#include "engine/vulkan/vk_shaders.h"
#include "engine/vulkan/vulkan_backend.h"

#define LOOPS 1024u                       /* the shaders' constant 0 */
#define FLOPS_PER_INVOCATION (64.0 * LOOPS) /* 8 chains of vec4 FMAs: 64 FLOPs an iteration */
#define RESULT_BYTES ((VkDeviceSize)65536 * 16) /* results wrap: result[id & 65535] */
#define MAX_GROUPS_X 32768u

typedef struct {
    vk_ctx *ctx;
    VkBuffer buffer;
    VkDeviceMemory memory;
    VkDescriptorSetLayout set_layout;
    VkPipelineLayout layout;
    VkDescriptorPool pool;
    VkDescriptorSet set;
    VkPipeline pipeline;
    uint32_t groups_x, groups_y;
} peak;

/* One storage buffer, no push constants: a layout and set of its own. */
static int create_set(peak *pk)
{
    VkDevice dev = pk->ctx->device;
    VkDescriptorSetLayoutBinding binding = {0, VK_DESCRIPTOR_TYPE_STORAGE_BUFFER, 1,
                                            VK_SHADER_STAGE_COMPUTE_BIT, NULL};
    VkDescriptorSetLayoutCreateInfo set_info = {
        .sType = VK_STRUCTURE_TYPE_DESCRIPTOR_SET_LAYOUT_CREATE_INFO,
        .bindingCount = 1, .pBindings = &binding};
    VkPipelineLayoutCreateInfo layout_info = {
        .sType = VK_STRUCTURE_TYPE_PIPELINE_LAYOUT_CREATE_INFO,
        .setLayoutCount = 1, .pSetLayouts = &pk->set_layout};
    VkDescriptorPoolSize size = {VK_DESCRIPTOR_TYPE_STORAGE_BUFFER, 1};
    VkDescriptorPoolCreateInfo pool_info = {
        .sType = VK_STRUCTURE_TYPE_DESCRIPTOR_POOL_CREATE_INFO,
        .maxSets = 1, .poolSizeCount = 1, .pPoolSizes = &size};
    VkResult r = vkCreateDescriptorSetLayout(dev, &set_info, NULL, &pk->set_layout);
    if (r == VK_SUCCESS)
        r = vkCreatePipelineLayout(dev, &layout_info, NULL, &pk->layout);
    if (r == VK_SUCCESS)
        r = vkCreateDescriptorPool(dev, &pool_info, NULL, &pk->pool);
    VkDescriptorSetAllocateInfo alloc = {.sType = VK_STRUCTURE_TYPE_DESCRIPTOR_SET_ALLOCATE_INFO,
                                         .descriptorPool = pk->pool,
                                         .descriptorSetCount = 1,
                                         .pSetLayouts = &pk->set_layout};
    if (r == VK_SUCCESS)
        r = vkAllocateDescriptorSets(dev, &alloc, &pk->set);
    if (r != VK_SUCCESS)
        return vk_fail(r, "creating the peak-rate shader's descriptors");
    VkDescriptorBufferInfo buffer = {pk->buffer, 0, RESULT_BYTES};
    VkWriteDescriptorSet write = {.sType = VK_STRUCTURE_TYPE_WRITE_DESCRIPTOR_SET,
                                  .dstSet = pk->set,
                                  .descriptorCount = 1,
                                  .descriptorType = VK_DESCRIPTOR_TYPE_STORAGE_BUFFER,
                                  .pBufferInfo = &buffer};
    vkUpdateDescriptorSets(dev, 1, &write, 0, NULL);
    return 0;
}

static int create_pipeline(peak *pk, const char *shader)
{
    const vk_shader_blob *blob = vk_shader_find(shader);
    if (!blob)
        return eng_set_error(ENG_EBACKEND, "vulkan: shader '%s' is not built in", shader);
    VkShaderModuleCreateInfo module_info = {.sType = VK_STRUCTURE_TYPE_SHADER_MODULE_CREATE_INFO,
                                            .codeSize = blob->size,
                                            .pCode = blob->code};
    VkShaderModule module;
    VkResult r = vkCreateShaderModule(pk->ctx->device, &module_info, NULL, &module);
    if (r != VK_SUCCESS)
        return vk_fail(r, "vkCreateShaderModule");
    uint32_t loops = LOOPS;
    VkSpecializationMapEntry entry = {0, 0, 4};
    VkSpecializationInfo spec = {1, &entry, sizeof loops, &loops};
    VkComputePipelineCreateInfo info = {
        .sType = VK_STRUCTURE_TYPE_COMPUTE_PIPELINE_CREATE_INFO,
        .stage = {.sType = VK_STRUCTURE_TYPE_PIPELINE_SHADER_STAGE_CREATE_INFO,
                  .stage = VK_SHADER_STAGE_COMPUTE_BIT,
                  .module = module,
                  .pName = "main",
                  .pSpecializationInfo = &spec},
        .layout = pk->layout,
    };
    r = vkCreateComputePipelines(pk->ctx->device, pk->ctx->pipeline_cache, 1, &info, NULL,
                                 &pk->pipeline);
    vkDestroyShaderModule(pk->ctx->device, module, NULL);
    return r == VK_SUCCESS ? 0 : vk_fail(r, "vkCreateComputePipelines");
}

static void record(VkCommandBuffer cb, void *arg)
{
    const peak *pk = arg;
    vkCmdBindPipeline(cb, VK_PIPELINE_BIND_POINT_COMPUTE, pk->pipeline);
    vkCmdBindDescriptorSets(cb, VK_PIPELINE_BIND_POINT_COMPUTE, pk->layout, 0, 1, &pk->set, 0,
                            NULL);
    vkCmdDispatch(cb, pk->groups_x, pk->groups_y, 1);
}

/* Seconds of one dispatch of groups workgroups (< 0: it failed). */
static double timed_dispatch(peak *pk, uint64_t groups)
{
    pk->groups_x = groups < MAX_GROUPS_X ? (uint32_t)groups : MAX_GROUPS_X;
    pk->groups_y = (uint32_t)(groups / pk->groups_x);
    double t0 = clock_seconds();
    return vk_submit_once(pk->ctx, record, pk) ? -1.0 : clock_seconds() - t0;
}

static int measure(peak *pk, double seconds, double *flops)
{
    uint64_t groups = 16, limit = (uint64_t)MAX_GROUPS_X * 65535u;
    double t = timed_dispatch(pk, groups); /* the first also warms the pipeline up */
    while (t >= 0 && t < seconds / 4 && groups < limit) {
        groups *= 2;
        t = timed_dispatch(pk, groups);
    }
    double best = t;
    for (int i = 0; i < 3 && t >= 0; i++) {
        t = timed_dispatch(pk, groups);
        if (t >= 0 && t < best)
            best = t;
    }
    if (t < 0)
        return ENG_EBACKEND;
    groups = (uint64_t)pk->groups_x * pk->groups_y;
    *flops = (double)groups * 256.0 * FLOPS_PER_INVOCATION / (best > 0 ? best : 1e-9);
    return ENG_OK;
}

/* Vulkan's destroy and free calls take VK_NULL_HANDLE for what was never made. */
static void destroy(peak *pk)
{
    VkDevice dev = pk->ctx->device;
    vkDestroyPipeline(dev, pk->pipeline, NULL);
    vkDestroyDescriptorPool(dev, pk->pool, NULL);
    vkDestroyPipelineLayout(dev, pk->layout, NULL);
    vkDestroyDescriptorSetLayout(dev, pk->set_layout, NULL);
    vkDestroyBuffer(dev, pk->buffer, NULL);
    vkFreeMemory(dev, pk->memory, NULL);
}

int vk_peak_flops(vk_ctx *ctx, int fp16, double seconds, double *flops)
{
    if (fp16 && !ctx->shader_float16)
        return eng_set_error(ENG_EINVAL, "%s has no float16 arithmetic (shaderFloat16)",
                             ctx->name);
    peak pk = {.ctx = ctx};
    int status = vk_buffer_create(ctx, RESULT_BYTES, VK_BUFFER_USAGE_STORAGE_BUFFER_BIT,
                                  VK_MEMORY_PROPERTY_DEVICE_LOCAL_BIT, &pk.buffer, &pk.memory);
    if (!status)
        status = create_set(&pk);
    if (!status)
        status = create_pipeline(&pk, fp16 ? "peak_fma16" : "peak_fma");
    if (!status)
        status = measure(&pk, seconds, flops);
    destroy(&pk);
    return status;
}

int eng_vulkan_peak_flops(eng_backend *be, int fp16, double seconds, double *flops)
{
    return vk_peak_flops(be->impl, fp16, seconds, flops);
}
