/* Whether a physical device has a device extension (the context's features, the memory
 * budget, the cooperative-matrix kernel ask). */
#include <stdlib.h>
#include <string.h>

#include "engine/vulkan/vk_internal.h"

int vk_has_extension(VkPhysicalDevice pd, const char *name)
{
    uint32_t count = 0;
    if (vkEnumerateDeviceExtensionProperties(pd, NULL, &count, NULL) != VK_SUCCESS)
        return 0;
    VkExtensionProperties *ext = calloc(count ? count : 1, sizeof *ext);
    int found = 0;
    if (ext && vkEnumerateDeviceExtensionProperties(pd, NULL, &count, ext) == VK_SUCCESS)
        for (uint32_t i = 0; i < count; i++)
            found |= !strcmp(ext[i].extensionName, name);
    free(ext);
    return found;
}
