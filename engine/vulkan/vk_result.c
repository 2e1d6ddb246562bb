/* A failed VkResult in words, and as the engine's status with a message naming what failed. */
#include "engine/vulkan/vk_internal.h"

const char *vk_result_string(VkResult r)
{
    switch (r) {
    case VK_SUCCESS: return "success";
    case VK_ERROR_OUT_OF_HOST_MEMORY: return "out of host memory";
    case VK_ERROR_OUT_OF_DEVICE_MEMORY: return "out of device memory";
    case VK_ERROR_INITIALIZATION_FAILED: return "initialization failed";
    case VK_ERROR_DEVICE_LOST: return "device lost";
    case VK_ERROR_LAYER_NOT_PRESENT: return "layer not present";
    case VK_ERROR_EXTENSION_NOT_PRESENT: return "extension not present";
    case VK_ERROR_FEATURE_NOT_PRESENT: return "feature not present";
    case VK_ERROR_INCOMPATIBLE_DRIVER: return "no compatible Vulkan driver (ICD) installed";
    case VK_ERROR_TOO_MANY_OBJECTS: return "too many objects";
    case VK_ERROR_OUT_OF_POOL_MEMORY: return "out of descriptor pool memory";
    case VK_TIMEOUT: return "timeout";
    default: return "Vulkan error";
    }
}

int vk_fail(VkResult r, const char *what)
{
    int status = ENG_EBACKEND;
    if (r == VK_ERROR_OUT_OF_DEVICE_MEMORY || r == VK_ERROR_OUT_OF_HOST_MEMORY)
        status = ENG_ENOMEM;
    else if (r == VK_ERROR_DEVICE_LOST)
        status = ENG_EDEVICE_LOST;
    return eng_set_error(status, "vulkan: %s failed: %s (VkResult %d)", what, vk_result_string(r),
                         (int)r);
}
