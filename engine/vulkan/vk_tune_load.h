/* The tuning file of a Vulkan context (vk_tune_load.c): where it lives, what it must match,
 * and its choices taken into the context's tuning. */
#ifndef ENGINE_VULKAN_VK_TUNE_LOAD_H
#define ENGINE_VULKAN_VK_TUNE_LOAD_H

#include "engine/vulkan/vk_internal.h"
#include "engine/vulkan/vk_tune_file.h"

/* <cache folder>/conv_tuning-VVVV-DDDD.json (vendor and device ids), its folder created; 0 when
 * there is no home to put it in. */
int vk_tune_file_path(const vk_ctx *ctx, char *path, size_t len);
/* This device's UUID, its driver version and the shaders' hash. */
void vk_tune_identity_of(const vk_ctx *ctx, vk_tune_identity *id);
/* The file's choices into ctx->tuning (ctx->tuned holds them), unless PIX2PIX_VK_TUNING=0; a
 * file that does not apply is ignored with a one-line note on stderr. */
void vk_tune_file_apply(vk_ctx *ctx);
/* Frees them. */
void vk_tune_file_release(vk_ctx *ctx);

#endif
