/* Cooperative matrices (VK_KHR_cooperative_matrix) for the convolution GEMMs: whether this
 * build (shaders/CMakeLists.txt defines PIX2PIX_VK_COOPMAT when it embeds conv_coopmat.comp)
 * and the device offer them, the matrix shape the kernel uses, and the features vkCreateDevice
 * enables for it. A software device (lavapipe) emulates the matrices on its SIMD lanes: there
 * the kernel is offered but used only with PIX2PIX_VK_COOPMAT=1; PIX2PIX_VK_COOPMAT=0 turns it
 * off everywhere. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/vulkan/vk_internal.h"

#define EXTENSION "VK_KHR_cooperative_matrix"

#if defined(PIX2PIX_VK_COOPMAT) && defined(VK_KHR_cooperative_matrix)

/* "0", "1" or anything else (unset: the default) */
static const char *switch_value(void)
{
    const char *v = getenv("PIX2PIX_VK_COOPMAT");
    return v ? v : "";
}

/* Why the device cannot run the kernel (its features), or NULL. */
static const char *missing_feature(VkPhysicalDevice pd, vk_coopmat *cm)
{
    VkPhysicalDeviceShaderFloat16Int8Features f16 = {
        .sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_SHADER_FLOAT16_INT8_FEATURES};
    VkPhysicalDeviceSubgroupSizeControlFeatures size_control = {
        .sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_SUBGROUP_SIZE_CONTROL_FEATURES, .pNext = &f16};
    VkPhysicalDeviceVulkanMemoryModelFeatures model = {
        .sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_VULKAN_MEMORY_MODEL_FEATURES,
        .pNext = &size_control};
    VkPhysicalDeviceCooperativeMatrixFeaturesKHR coop = {
        .sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_COOPERATIVE_MATRIX_FEATURES_KHR,
        .pNext = &model};
    VkPhysicalDeviceFeatures2 features = {.sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_FEATURES_2,
                                          .pNext = &coop};
    vkGetPhysicalDeviceFeatures2(pd, &features);
    VkPhysicalDeviceCooperativeMatrixPropertiesKHR coop_props = {
        .sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_COOPERATIVE_MATRIX_PROPERTIES_KHR};
    VkPhysicalDeviceSubgroupSizeControlProperties size_props = {
        .sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_SUBGROUP_SIZE_CONTROL_PROPERTIES,
        .pNext = &coop_props};
    VkPhysicalDeviceSubgroupProperties subgroup = {
        .sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_SUBGROUP_PROPERTIES, .pNext = &size_props};
    VkPhysicalDeviceProperties2 props = {.sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_PROPERTIES_2,
                                         .pNext = &subgroup};
    vkGetPhysicalDeviceProperties2(pd, &props);
    cm->subgroup_size = subgroup.subgroupSize;
    /* the workgroup is 4 subgroups of the size the kernel was specialized for: where the size
     * varies, the pipeline asks for it (requiredSubgroupSize) */
    cm->require_subgroup_size = size_props.minSubgroupSize != size_props.maxSubgroupSize;
    if (!coop.cooperativeMatrix)
        return "cooperativeMatrix feature off";
    if (!(coop_props.cooperativeMatrixSupportedStages & VK_SHADER_STAGE_COMPUTE_BIT))
        return "not in compute shaders";
    if (!model.vulkanMemoryModel)
        return "no vulkanMemoryModel (GL_KHR_cooperative_matrix needs it)";
    if (!f16.shaderFloat16)
        return "no shaderFloat16";
    if (cm->require_subgroup_size &&
        (!size_control.subgroupSizeControl ||
         !(size_props.requiredSubgroupSizeStages & VK_SHADER_STAGE_COMPUTE_BIT)))
        return "its subgroup size varies and cannot be fixed (subgroupSizeControl)";
    if (4 * cm->subgroup_size > props.properties.limits.maxComputeWorkGroupInvocations)
        return "4 subgroups exceed its workgroup size limit";
    return NULL;
}

/* The shape with float16 A and B, float32 C and result, subgroup scope: 16x16x16 where
 * offered, else the largest; 0 when there is none. */
static int choose_shape(VkInstance instance, VkPhysicalDevice pd, vk_coopmat *cm)
{
    PFN_vkGetPhysicalDeviceCooperativeMatrixPropertiesKHR get_shapes =
        (PFN_vkGetPhysicalDeviceCooperativeMatrixPropertiesKHR)vkGetInstanceProcAddr(
            instance, "vkGetPhysicalDeviceCooperativeMatrixPropertiesKHR");
    uint32_t count = 0;
    if (!get_shapes || get_shapes(pd, &count, NULL) != VK_SUCCESS || count == 0)
        return 0;
    VkCooperativeMatrixPropertiesKHR *shapes = calloc(count, sizeof *shapes);
    if (!shapes)
        return 0;
    for (uint32_t i = 0; i < count; i++)
        shapes[i].sType = VK_STRUCTURE_TYPE_COOPERATIVE_MATRIX_PROPERTIES_KHR;
    if (get_shapes(pd, &count, shapes) != VK_SUCCESS)
        count = 0;
    uint32_t best = 0;
    for (uint32_t i = 0; i < count; i++) {
        const VkCooperativeMatrixPropertiesKHR *s = &shapes[i];
        uint32_t volume = s->MSize * s->NSize * s->KSize;
        if (s->AType != VK_COMPONENT_TYPE_FLOAT16_KHR || s->BType != VK_COMPONENT_TYPE_FLOAT16_KHR ||
            s->CType != VK_COMPONENT_TYPE_FLOAT32_KHR ||
            s->ResultType != VK_COMPONENT_TYPE_FLOAT32_KHR || s->saturatingAccumulation ||
            s->scope != VK_SCOPE_SUBGROUP_KHR || s->MSize > 16 || s->NSize > 16 || s->KSize > 16)
            continue;
        if (volume > best) {
            best = volume;
            cm->m = s->MSize, cm->n = s->NSize, cm->k = s->KSize;
        }
    }
    free(shapes);
    return best > 0;
}

void vk_coopmat_probe(VkInstance instance, VkPhysicalDevice pd, vk_coopmat *cm)
{
    memset(cm, 0, sizeof *cm);
    VkPhysicalDeviceProperties props;
    vkGetPhysicalDeviceProperties(pd, &props);
    const char *why = NULL;
    if (props.apiVersion < VK_API_VERSION_1_3)
        why = "the kernel needs Vulkan 1.3";
    else if (!vk_has_extension(pd, EXTENSION))
        why = "the device has no " EXTENSION;
    else if (!(why = missing_feature(pd, cm)) && !choose_shape(instance, pd, cm))
        why = "no subgroup shape with float16 inputs and float32 accumulators";
    if (why) {
        snprintf(cm->note, sizeof cm->note, "no: %s", why);
        return;
    }
    const char *sw = switch_value();
    int software = props.deviceType == VK_PHYSICAL_DEVICE_TYPE_CPU;
    cm->forced = !strcmp(sw, "1");
    cm->usable = strcmp(sw, "0") != 0 && (!software || cm->forced);
    snprintf(cm->note, sizeof cm->note, "yes (%ux%ux%u f16->f32, subgroup %u)%s", cm->m, cm->n,
             cm->k, cm->subgroup_size,
             !strcmp(sw, "0")  ? ", off: PIX2PIX_VK_COOPMAT=0"
             : !cm->usable     ? ", not used on a software device unless PIX2PIX_VK_COOPMAT=1"
                               : "");
}

void *vk_coopmat_chain(vk_coopmat *cm, void *next)
{
    if (!cm->usable)
        return next;
    cm->enable_model = (VkPhysicalDeviceVulkanMemoryModelFeatures){
        .sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_VULKAN_MEMORY_MODEL_FEATURES,
        .pNext = next,
        .vulkanMemoryModel = VK_TRUE};
    cm->enable_size_control = (VkPhysicalDeviceSubgroupSizeControlFeatures){
        .sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_SUBGROUP_SIZE_CONTROL_FEATURES,
        .pNext = &cm->enable_model,
        .subgroupSizeControl = cm->require_subgroup_size ? VK_TRUE : VK_FALSE};
    cm->enable_coop = (VkPhysicalDeviceCooperativeMatrixFeaturesKHR){
        .sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_COOPERATIVE_MATRIX_FEATURES_KHR,
        .pNext = &cm->enable_size_control,
        .cooperativeMatrix = VK_TRUE};
    return &cm->enable_coop;
}

#else /* this build cannot run the kernel */

void vk_coopmat_probe(VkInstance instance, VkPhysicalDevice pd, vk_coopmat *cm)
{
    (void)instance, (void)pd;
    memset(cm, 0, sizeof *cm);
#ifdef PIX2PIX_VK_COOPMAT
    snprintf(cm->note, sizeof cm->note,
             "no: this build's Vulkan headers predate " EXTENSION);
#else
    snprintf(cm->note, sizeof cm->note, "no: this build has no cooperative-matrix kernel (its "
             "glslangValidator does not compile GL_KHR_cooperative_matrix)");
#endif
}

void *vk_coopmat_chain(vk_coopmat *cm, void *next)
{
    (void)cm;
    return next;
}

#endif

const char *vk_coopmat_extension(const vk_coopmat *cm) { return cm->usable ? EXTENSION : NULL; }

/* conv_coopmat.comp's R x R matrices per subgroup, for a tile of at least 64 x 64: 2 x 2 of
 * 16 x 16, 4 x 4 of lavapipe's 8 x 8 (there 1.8x faster than 2 x 2). */
static uint32_t per_subgroup(const vk_coopmat *cm)
{
    uint32_t side = cm->m < cm->n ? cm->m : cm->n;
    return side < 16 ? 32 / side : 2;
}

void vk_coopmat_tuning(const vk_coopmat *cm, vk_tuning *t)
{
    if (!cm->usable)
        return;
    /* 2 x 2 subgroups of R x R matrices, two matrices deep */
    uint32_t r = per_subgroup(cm);
    t->coopmat_tile = (vk_conv_tile){.tx = 2 * r * cm->n, .ty = 2 * r * cm->m, .tm = 1, .tn = 1,
                                     .bk = 2 * cm->k};
    t->coopmat_forced = cm->forced;
}

void vk_coopmat_constants(const vk_coopmat *cm, uint32_t constants[5])
{
    const uint32_t values[5] = {cm->m, cm->n, cm->k, per_subgroup(cm), 4 * cm->subgroup_size};
    memcpy(constants, values, sizeof values);
}

const void *vk_coopmat_stage_next(const vk_coopmat *cm,
                                  VkPipelineShaderStageRequiredSubgroupSizeCreateInfo *info)
{
    if (!cm->require_subgroup_size)
        return NULL;
    *info = (VkPipelineShaderStageRequiredSubgroupSizeCreateInfo){
        .sType = VK_STRUCTURE_TYPE_PIPELINE_SHADER_STAGE_REQUIRED_SUBGROUP_SIZE_CREATE_INFO,
        .requiredSubgroupSize = cm->subgroup_size};
    return info;
}
