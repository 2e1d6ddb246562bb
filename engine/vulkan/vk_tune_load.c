/* The tuning file taken in when a Vulkan context is created, so that train, translate and
 * bench run the choices `pix2pix tune` measured on this device. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/vulkan/vk_tune_load.h"
#include "engine/engine.h"

int vk_tune_file_path(const vk_ctx *ctx, char *path, size_t len)
{
    return vk_cache_file(ctx, "conv_tuning", "json", path, len);
}

void vk_tune_identity_of(const vk_ctx *ctx, vk_tune_identity *id)
{
    VkPhysicalDeviceIDProperties ids = {.sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_ID_PROPERTIES};
    VkPhysicalDeviceProperties2 props2 = {.sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_PROPERTIES_2,
                                          .pNext = &ids};
    vkGetPhysicalDeviceProperties2(ctx->physical, &props2);
    memcpy(id->device_uuid, ids.deviceUUID, VK_UUID_SIZE);
    id->driver_version = ctx->props.driverVersion;
    id->shader_hash = vk_shaders_hash();
}

void vk_tune_file_apply(vk_ctx *ctx)
{
    const char *env = getenv("PIX2PIX_VK_TUNING");
    char path[4200];
    if ((env && !strcmp(env, "0")) || !vk_tune_file_path(ctx, path, sizeof path))
        return;
    vk_tune_identity id;
    vk_tune_identity_of(ctx, &id);
    size_t n = 0;
    if (vk_tune_file_load(path, &id, &ctx->tuning, &ctx->props.limits, &ctx->tuned, &n) < 0)
        fprintf(stderr, "note: tuning file ignored: %s (pix2pix tune rewrites it)\n",
                eng_last_error());
    ctx->tuning.tuned = ctx->tuned;
    ctx->tuning.ntuned = n;
}

void vk_tune_file_release(vk_ctx *ctx)
{
    free(ctx->tuned);
    ctx->tuned = NULL;
    ctx->tuning.tuned = NULL;
    ctx->tuning.ntuned = 0;
}
