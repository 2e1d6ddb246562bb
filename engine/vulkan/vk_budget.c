/* How much device memory new plans may take: VK_EXT_memory_budget's budget less the usage of
 * the largest device-local heap, else 70% of that heap (its size, in use or not). */
#include "engine/vulkan/vk_internal.h"

#define NO_BUDGET_SHARE 0.7

size_t vk_memory_budget(const vk_ctx *ctx)
{
    const VkPhysicalDeviceMemoryProperties *mem = &ctx->memory;
    int heap = -1;
    for (uint32_t i = 0; i < mem->memoryHeapCount; i++)
        if ((mem->memoryHeaps[i].flags & VK_MEMORY_HEAP_DEVICE_LOCAL_BIT) &&
            (heap < 0 || mem->memoryHeaps[i].size > mem->memoryHeaps[heap].size))
            heap = (int)i;
    if (heap < 0)
        return 0;
    if (vk_has_extension(ctx->physical, VK_EXT_MEMORY_BUDGET_EXTENSION_NAME)) {
        VkPhysicalDeviceMemoryBudgetPropertiesEXT budget = {
            .sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_MEMORY_BUDGET_PROPERTIES_EXT};
        VkPhysicalDeviceMemoryProperties2 props = {
            .sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_MEMORY_PROPERTIES_2, .pNext = &budget};
        vkGetPhysicalDeviceMemoryProperties2(ctx->physical, &props);
        VkDeviceSize b = budget.heapBudget[heap], used = budget.heapUsage[heap];
        if (b > 0)
            return b > used ? (size_t)(b - used) : 0;
    }
    return (size_t)(NO_BUDGET_SHARE * (double)mem->memoryHeaps[heap].size);
}
