/* Vulkan instance, physical device listing and choice, logical device and queue. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/vulkan/vk_internal.h"
#include "engine/vulkan/vk_tune_load.h"
#include "engine/vulkan/vulkan_backend.h"
#include "shaders/opcodes.h"

#define VALIDATION_LAYER "VK_LAYER_KHRONOS_validation"

static VKAPI_ATTR VkBool32 VKAPI_CALL on_validation_message(
    VkDebugUtilsMessageSeverityFlagBitsEXT severity, VkDebugUtilsMessageTypeFlagsEXT types,
    const VkDebugUtilsMessengerCallbackDataEXT *data, void *user)
{
    (void)types;
    if (severity & VK_DEBUG_UTILS_MESSAGE_SEVERITY_ERROR_BIT_EXT) {
        ((vk_ctx *)user)->validation_errors++;
        fprintf(stderr, "vulkan validation error: %s\n", data->pMessage);
    } else if (severity & VK_DEBUG_UTILS_MESSAGE_SEVERITY_WARNING_BIT_EXT) {
        fprintf(stderr, "vulkan validation warning: %s\n", data->pMessage);
    }
    return VK_FALSE;
}

static int validation_requested(void)
{
    const char *v = getenv("PIX2PIX_VK_VALIDATION");
    return v && *v && strcmp(v, "0") != 0;
}

static int layer_present(const char *name)
{
    uint32_t count = 0;
    if (vkEnumerateInstanceLayerProperties(&count, NULL) != VK_SUCCESS || count == 0)
        return 0;
    VkLayerProperties *layers = calloc(count, sizeof *layers);
    int found = 0;
    if (layers && vkEnumerateInstanceLayerProperties(&count, layers) == VK_SUCCESS)
        for (uint32_t i = 0; i < count; i++)
            found |= !strcmp(layers[i].layerName, name);
    free(layers);
    return found;
}

/* ctx may be NULL (device listing): then validation is never enabled. */
static VkResult create_instance(vk_ctx *ctx, VkInstance *out)
{
    uint32_t version = VK_API_VERSION_1_0;
    PFN_vkEnumerateInstanceVersion enumerate_version =
        (PFN_vkEnumerateInstanceVersion)vkGetInstanceProcAddr(NULL, "vkEnumerateInstanceVersion");
    if (enumerate_version)
        enumerate_version(&version);
    if (version < VK_API_VERSION_1_1) {
        eng_set_error(-1, "the Vulkan loader supports only 1.0; 1.1 is needed");
        return VK_ERROR_INCOMPATIBLE_DRIVER;
    }
    VkApplicationInfo app = {
        .sType = VK_STRUCTURE_TYPE_APPLICATION_INFO,
        .pApplicationName = "pix2pix-vk",
        .pEngineName = "pix2pix-vk",
        .apiVersion = version >= VK_API_VERSION_1_3 ? VK_API_VERSION_1_3 : version,
    };
    const char *layers[] = {VALIDATION_LAYER};
    const char *extensions[] = {VK_EXT_DEBUG_UTILS_EXTENSION_NAME};
    int validate = ctx && validation_requested();
    if (validate && !layer_present(VALIDATION_LAYER)) {
        eng_set_error(-1,
                      "PIX2PIX_VK_VALIDATION is set but %s is not installed "
                      "(Debian: vulkan-validationlayers)",
                      VALIDATION_LAYER);
        return VK_ERROR_LAYER_NOT_PRESENT;
    }
    VkDebugUtilsMessengerCreateInfoEXT messenger_info = {
        .sType = VK_STRUCTURE_TYPE_DEBUG_UTILS_MESSENGER_CREATE_INFO_EXT,
        .messageSeverity = VK_DEBUG_UTILS_MESSAGE_SEVERITY_WARNING_BIT_EXT |
                           VK_DEBUG_UTILS_MESSAGE_SEVERITY_ERROR_BIT_EXT,
        .messageType = VK_DEBUG_UTILS_MESSAGE_TYPE_GENERAL_BIT_EXT |
                       VK_DEBUG_UTILS_MESSAGE_TYPE_VALIDATION_BIT_EXT |
                       VK_DEBUG_UTILS_MESSAGE_TYPE_PERFORMANCE_BIT_EXT,
        .pfnUserCallback = on_validation_message,
        .pUserData = ctx,
    };
    /* Synchronization validation reports missing barriers, which a device that happens to run
     * dispatches in order (lavapipe) would never show as wrong results. */
    VkValidationFeatureEnableEXT enables[] = {
        VK_VALIDATION_FEATURE_ENABLE_SYNCHRONIZATION_VALIDATION_EXT};
    VkValidationFeaturesEXT features = {
        .sType = VK_STRUCTURE_TYPE_VALIDATION_FEATURES_EXT,
        .pNext = &messenger_info,
        .enabledValidationFeatureCount = 1,
        .pEnabledValidationFeatures = enables,
    };
    VkInstanceCreateInfo info = {
        .sType = VK_STRUCTURE_TYPE_INSTANCE_CREATE_INFO,
        .pNext = validate ? &features : NULL,
        .pApplicationInfo = &app,
        .enabledLayerCount = validate ? 1 : 0,
        .ppEnabledLayerNames = layers,
        .enabledExtensionCount = validate ? 1 : 0,
        .ppEnabledExtensionNames = extensions,
    };
    VkResult r = vkCreateInstance(&info, NULL, out);
    if (r != VK_SUCCESS) {
        eng_set_error(-1, "cannot create a Vulkan instance: %s", vk_result_string(r));
        return r;
    }
    if (validate) {
        PFN_vkCreateDebugUtilsMessengerEXT create_messenger =
            (PFN_vkCreateDebugUtilsMessengerEXT)vkGetInstanceProcAddr(
                *out, "vkCreateDebugUtilsMessengerEXT");
        ctx->destroy_messenger = (PFN_vkDestroyDebugUtilsMessengerEXT)vkGetInstanceProcAddr(
            *out, "vkDestroyDebugUtilsMessengerEXT");
        if (!create_messenger || !ctx->destroy_messenger ||
            create_messenger(*out, &messenger_info, NULL, &ctx->messenger) != VK_SUCCESS) {
            eng_set_error(-1, "cannot create the validation messenger");
            vkDestroyInstance(*out, NULL);
            return VK_ERROR_INITIALIZATION_FAILED;
        }
    }
    return VK_SUCCESS;
}

static VkResult physical_devices(VkInstance instance, VkPhysicalDevice **out, uint32_t *count)
{
    *out = NULL;
    *count = 0;
    VkResult r = vkEnumeratePhysicalDevices(instance, count, NULL);
    if (r != VK_SUCCESS || *count == 0)
        return r;
    *out = calloc(*count, sizeof **out);
    if (!*out)
        return VK_ERROR_OUT_OF_HOST_MEMORY;
    r = vkEnumeratePhysicalDevices(instance, count, *out);
    return r == VK_INCOMPLETE ? VK_SUCCESS : r;
}

static int compute_queue_family(VkPhysicalDevice pd, uint32_t *family)
{
    uint32_t count = 0;
    vkGetPhysicalDeviceQueueFamilyProperties(pd, &count, NULL);
    VkQueueFamilyProperties *fam = calloc(count ? count : 1, sizeof *fam);
    if (!fam)
        return 0;
    vkGetPhysicalDeviceQueueFamilyProperties(pd, &count, fam);
    int found = 0;
    /* prefer a compute queue without graphics (dedicated async compute), else any */
    for (int pass = 0; pass < 2 && !found; pass++)
        for (uint32_t i = 0; i < count && !found; i++) {
            VkQueueFlags f = fam[i].queueFlags;
            if ((f & VK_QUEUE_COMPUTE_BIT) && (pass == 1 || !(f & VK_QUEUE_GRAPHICS_BIT))) {
                *family = i;
                found = 1;
            }
        }
    free(fam);
    return found;
}

static const char *type_name(VkPhysicalDeviceType t)
{
    switch (t) {
    case VK_PHYSICAL_DEVICE_TYPE_DISCRETE_GPU: return "discrete";
    case VK_PHYSICAL_DEVICE_TYPE_INTEGRATED_GPU: return "integrated";
    case VK_PHYSICAL_DEVICE_TYPE_VIRTUAL_GPU: return "virtual";
    case VK_PHYSICAL_DEVICE_TYPE_CPU: return "cpu";
    default: return "other";
    }
}

/* The kernel shapes for a device (vk_tuning.c); -1 with the reason in eng_last_error(). */
static int choose_tuning(VkPhysicalDevice pd, const VkPhysicalDeviceProperties *props, vk_tuning *t)
{
    VkPhysicalDeviceSubgroupProperties sg = {
        .sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_SUBGROUP_PROPERTIES};
    VkPhysicalDeviceProperties2 props2 = {.sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_PROPERTIES_2,
                                          .pNext = &sg};
    vkGetPhysicalDeviceProperties2(pd, &props2);
    vk_device_traits traits = {
        .vendor = props->vendorID,
        .software = props->deviceType == VK_PHYSICAL_DEVICE_TYPE_CPU,
        .subgroup_size = sg.subgroupSize,
        .subgroup_arithmetic = (sg.supportedOperations & VK_SUBGROUP_FEATURE_ARITHMETIC_BIT) &&
                               (sg.supportedStages & VK_SHADER_STAGE_COMPUTE_BIT),
        .limits = &props->limits,
    };
    return vk_tuning_choose(&traits, t);
}

/* "TXxTY:TMxTN:BK, split-K below G workgroups, subgroup norm: reason", or why none fits. */
static void describe_tuning(VkPhysicalDevice pd, const VkPhysicalDeviceProperties *props,
                            eng_device_info *d)
{
    vk_tuning t;
    if (choose_tuning(pd, props, &t)) {
        snprintf(d->kernel_config, sizeof d->kernel_config, "refused: %s", eng_last_error());
        return;
    }
    snprintf(d->kernel_config, sizeof d->kernel_config,
             "conv %ux%u:%ux%u:%u, split-K below %u workgroups, norm %s reduction; %s", t.tile.tx,
             t.tile.ty, t.tile.tm, t.tile.tn, t.tile.bk, t.split_groups,
             t.subgroup_norm ? "subgroup" : "shared-memory", t.reason);
}

static void describe(VkInstance instance, VkPhysicalDevice pd, int index, eng_device_info *d)
{
    memset(d, 0, sizeof *d);
    VkPhysicalDeviceProperties props;
    vkGetPhysicalDeviceProperties(pd, &props);
    d->index = index;
    snprintf(d->name, sizeof d->name, "%s", props.deviceName);
    d->type = type_name(props.deviceType);
    d->api_version = props.apiVersion;
    d->driver_version = props.driverVersion;
    uint32_t family;
    d->usable = props.apiVersion >= VK_API_VERSION_1_1 && compute_queue_family(pd, &family);
    VkPhysicalDeviceMemoryProperties mem;
    vkGetPhysicalDeviceMemoryProperties(pd, &mem);
    d->nheaps = (int)(mem.memoryHeapCount < ENG_DEVICE_MAX_HEAPS ? mem.memoryHeapCount
                                                                 : ENG_DEVICE_MAX_HEAPS);
    for (int i = 0; i < d->nheaps; i++) {
        d->heap_bytes[i] = mem.memoryHeaps[i].size;
        d->heap_device_local[i] = !!(mem.memoryHeaps[i].flags & VK_MEMORY_HEAP_DEVICE_LOCAL_BIT);
    }
    if (props.apiVersion < VK_API_VERSION_1_1)
        return;
    int v12 = props.apiVersion >= VK_API_VERSION_1_2;
    VkPhysicalDeviceDriverProperties driver = {
        .sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_DRIVER_PROPERTIES};
    VkPhysicalDeviceSubgroupProperties subgroup = {
        .sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_SUBGROUP_PROPERTIES,
        .pNext = v12 ? &driver : NULL};
    VkPhysicalDeviceProperties2 props2 = {.sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_PROPERTIES_2,
                                          .pNext = &subgroup};
    vkGetPhysicalDeviceProperties2(pd, &props2);
    d->subgroup_size = subgroup.subgroupSize;
    if (v12) {
        snprintf(d->driver_name, sizeof d->driver_name, "%s", driver.driverName);
        snprintf(d->driver_info, sizeof d->driver_info, "%s", driver.driverInfo);
    }
    VkPhysicalDeviceShaderFloat16Int8Features f16 = {
        .sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_SHADER_FLOAT16_INT8_FEATURES};
    VkPhysicalDevice16BitStorageFeatures s16 = {
        .sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_16BIT_STORAGE_FEATURES,
        .pNext = v12 || vk_has_extension(pd, "VK_KHR_shader_float16_int8") ? &f16 : NULL};
    VkPhysicalDeviceFeatures2 features = {.sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_FEATURES_2,
                                          .pNext = &s16};
    vkGetPhysicalDeviceFeatures2(pd, &features);
    d->shader_float16 = f16.shaderFloat16 == VK_TRUE;
    d->storage_16bit = s16.storageBuffer16BitAccess == VK_TRUE;
    vk_coopmat coopmat;
    vk_coopmat_probe(instance, pd, &coopmat);
    snprintf(d->cooperative_matrix, sizeof d->cooperative_matrix, "%s", coopmat.note);
    describe_tuning(pd, &props, d);
}

int eng_vulkan_list_devices(eng_device_info *out, int max)
{
    VkInstance instance;
    VkResult r = create_instance(NULL, &instance);
    if (r != VK_SUCCESS)
        return ENG_EBACKEND;
    VkPhysicalDevice *pds;
    uint32_t count;
    r = physical_devices(instance, &pds, &count);
    if (r != VK_SUCCESS) {
        vkDestroyInstance(instance, NULL);
        return eng_set_error(ENG_EBACKEND, "cannot list Vulkan devices: %s", vk_result_string(r));
    }
    for (uint32_t i = 0; i < count && (int)i < max; i++)
        describe(instance, pds[i], (int)i, &out[i]);
    free(pds);
    vkDestroyInstance(instance, NULL);
    return (int)count;
}

/* Lower is better; -1 for devices the backend cannot use or was not allowed to pick. */
static int preference(const eng_device_info *d, int allow_software)
{
    if (!d->usable)
        return -1;
    if (!strcmp(d->type, "discrete")) return 0;
    if (!strcmp(d->type, "integrated")) return 1;
    if (!strcmp(d->type, "virtual")) return 2;
    if (!strcmp(d->type, "other")) return 3;
    return allow_software ? 4 : -1;
}

static int choose_device(VkInstance instance, VkPhysicalDevice *pds, uint32_t count,
                         int device_index, int allow_software)
{
    eng_device_info d;
    if (device_index >= 0) {
        if ((uint32_t)device_index >= count) {
            eng_set_error(-1, "no Vulkan device %d (%u present)", device_index, count);
            return -1;
        }
        describe(instance, pds[device_index], device_index, &d);
        if (!d.usable) {
            eng_set_error(-1, "Vulkan device %d (%s) lacks Vulkan 1.1 or a compute queue",
                          device_index, d.name);
            return -1;
        }
        return device_index;
    }
    int best = -1, best_pref = 99, software = -1;
    for (uint32_t i = 0; i < count; i++) {
        describe(instance, pds[i], (int)i, &d);
        int pref = preference(&d, allow_software);
        if (d.usable && !strcmp(d.type, "cpu"))
            software = (int)i;
        if (pref >= 0 && pref < best_pref) {
            best = (int)i;
            best_pref = pref;
        }
    }
    if (best < 0 && software >= 0 && !allow_software) {
        describe(instance, pds[software], software, &d);
        eng_set_error(-1,
                      "no Vulkan GPU, only the software device %s (use it with "
                      "--device vulkan)",
                      d.name);
    } else if (best < 0) {
        eng_set_error(-1, "no usable Vulkan device (Vulkan 1.1 with a compute queue)");
    }
    return best;
}

static int create_device(vk_ctx *ctx)
{
    if (!compute_queue_family(ctx->physical, &ctx->queue_family)) {
        eng_set_error(-1, "%s has no compute queue", ctx->name);
        return -1;
    }
    float priority = 1.0f;
    VkDeviceQueueCreateInfo queue = {
        .sType = VK_STRUCTURE_TYPE_DEVICE_QUEUE_CREATE_INFO,
        .queueFamilyIndex = ctx->queue_family,
        .queueCount = 1,
        .pQueuePriorities = &priority,
    };
    /* float16 arithmetic (the peak-rate shader) and 16-bit storage buffers (fp16 tensors,
     * the shaders' P2P_HALF builds) where the device has them. */
    const char *f16_ext = "VK_KHR_shader_float16_int8";
    int v12 = ctx->props.apiVersion >= VK_API_VERSION_1_2;
    VkPhysicalDeviceShaderFloat16Int8Features f16 = {
        .sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_SHADER_FLOAT16_INT8_FEATURES};
    VkPhysicalDevice16BitStorageFeatures s16 = {
        .sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_16BIT_STORAGE_FEATURES,
        .pNext = v12 || vk_has_extension(ctx->physical, f16_ext) ? &f16 : NULL};
    VkPhysicalDeviceFeatures2 features = {.sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_FEATURES_2,
                                          .pNext = &s16};
    vkGetPhysicalDeviceFeatures2(ctx->physical, &features);
    ctx->shader_float16 = f16.shaderFloat16 == VK_TRUE;
    ctx->storage_16bit = s16.storageBuffer16BitAccess == VK_TRUE;
    VkPhysicalDevice16BitStorageFeatures enable_s16 = {
        .sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_16BIT_STORAGE_FEATURES,
        .storageBuffer16BitAccess = VK_TRUE};
    VkPhysicalDeviceShaderFloat16Int8Features enable_f16 = {
        .sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_SHADER_FLOAT16_INT8_FEATURES,
        .pNext = ctx->storage_16bit ? &enable_s16 : NULL,
        .shaderFloat16 = VK_TRUE};
    void *enable = ctx->shader_float16 ? (void *)&enable_f16
                   : ctx->storage_16bit ? (void *)&enable_s16 : NULL;
    const char *extensions[2];
    uint32_t nextensions = 0;
    if (ctx->shader_float16 && !v12)
        extensions[nextensions++] = f16_ext;
    if (vk_coopmat_extension(&ctx->coopmat))
        extensions[nextensions++] = vk_coopmat_extension(&ctx->coopmat);
    VkDeviceCreateInfo info = {
        .sType = VK_STRUCTURE_TYPE_DEVICE_CREATE_INFO,
        .pNext = vk_coopmat_chain(&ctx->coopmat, enable),
        .queueCreateInfoCount = 1,
        .pQueueCreateInfos = &queue,
        .enabledExtensionCount = nextensions,
        .ppEnabledExtensionNames = extensions,
    };
    VkResult r = vkCreateDevice(ctx->physical, &info, NULL, &ctx->device);
    if (r != VK_SUCCESS) {
        eng_set_error(-1, "cannot create a device on %s: %s", ctx->name, vk_result_string(r));
        return -1;
    }
    vkGetDeviceQueue(ctx->device, ctx->queue_family, 0, &ctx->queue);
    VkCommandPoolCreateInfo pool = {
        .sType = VK_STRUCTURE_TYPE_COMMAND_POOL_CREATE_INFO,
        .flags = VK_COMMAND_POOL_CREATE_RESET_COMMAND_BUFFER_BIT,
        .queueFamilyIndex = ctx->queue_family,
    };
    r = vkCreateCommandPool(ctx->device, &pool, NULL, &ctx->command_pool);
    if (r != VK_SUCCESS) {
        eng_set_error(-1, "cannot create a command pool: %s", vk_result_string(r));
        return -1;
    }
    return 0;
}

int vk_ctx_create(vk_ctx *ctx, int device_index, int allow_software)
{
    memset(ctx, 0, sizeof *ctx);
    if (create_instance(ctx, &ctx->instance) != VK_SUCCESS)
        return -1;
    VkPhysicalDevice *pds;
    uint32_t count;
    VkResult r = physical_devices(ctx->instance, &pds, &count);
    if (r != VK_SUCCESS || count == 0) {
        eng_set_error(-1, "no Vulkan device%s%s", r != VK_SUCCESS ? ": " : "",
                      r != VK_SUCCESS ? vk_result_string(r) : " (is a Vulkan driver installed?)");
        free(pds);
        vk_ctx_destroy(ctx);
        return -1;
    }
    int chosen = choose_device(ctx->instance, pds, count, device_index, allow_software);
    if (chosen < 0) {
        free(pds);
        vk_ctx_destroy(ctx);
        return -1;
    }
    ctx->physical = pds[chosen];
    free(pds);
    vkGetPhysicalDeviceProperties(ctx->physical, &ctx->props);
    vkGetPhysicalDeviceMemoryProperties(ctx->physical, &ctx->memory);
    snprintf(ctx->name, sizeof ctx->name, "%s", ctx->props.deviceName);
    snprintf(ctx->backend_name, sizeof ctx->backend_name, "vulkan:%d (%s)", chosen, ctx->name);
    const VkPhysicalDeviceLimits *lim = &ctx->props.limits;
    if (lim->maxComputeWorkGroupInvocations < VK_WORKGROUP ||
        lim->maxComputeWorkGroupSize[0] < VK_WORKGROUP) {
        eng_set_error(-1, "%s runs at most %u invocations per workgroup; the shaders need %d",
                      ctx->name, lim->maxComputeWorkGroupInvocations, VK_WORKGROUP);
        vk_ctx_destroy(ctx);
        return -1;
    }
    if (lim->maxPerStageDescriptorStorageBuffers < VK_BINDINGS + 1) {
        eng_set_error(-1, "%s binds at most %u storage buffers per shader; %d are needed",
                      ctx->name, lim->maxPerStageDescriptorStorageBuffers, VK_BINDINGS + 1);
        vk_ctx_destroy(ctx);
        return -1;
    }
    if (choose_tuning(ctx->physical, &ctx->props, &ctx->tuning) != 0) {
        vk_ctx_destroy(ctx);
        return -1;
    }
    vk_coopmat_probe(ctx->instance, ctx->physical, &ctx->coopmat);
    vk_coopmat_tuning(&ctx->coopmat, &ctx->tuning);
    vk_tune_file_apply(ctx); /* the choices pix2pix tune measured here */
    if (create_device(ctx) != 0 || vk_pipelines_create(ctx) != 0) {
        vk_ctx_destroy(ctx);
        return -1;
    }
    return 0;
}

void vk_ctx_destroy(vk_ctx *ctx)
{
    if (ctx->device) {
        vkDeviceWaitIdle(ctx->device);
        vk_pipelines_destroy(ctx);
        if (ctx->command_pool)
            vkDestroyCommandPool(ctx->device, ctx->command_pool, NULL);
        vkDestroyDevice(ctx->device, NULL);
    }
    if (ctx->messenger)
        ctx->destroy_messenger(ctx->instance, ctx->messenger, NULL);
    if (ctx->instance)
        vkDestroyInstance(ctx->instance, NULL);
    vk_tune_file_release(ctx);
    memset(ctx, 0, sizeof *ctx);
}
