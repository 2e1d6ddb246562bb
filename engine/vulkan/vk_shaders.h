/* The SPIR-V of the shaders/ compute shaders, compiled and validated at build time
 * (shaders/CMakeLists.txt generates the table). */
#ifndef ENGINE_VULKAN_VK_SHADERS_H
#define ENGINE_VULKAN_VK_SHADERS_H

#include <stddef.h>
#include <stdint.h>

typedef struct {
    const char *name; /* file name without .comp */
    const uint32_t *code;
    size_t size;      /* bytes */
} vk_shader_blob;

extern const vk_shader_blob vk_shader_blobs[];
extern const int vk_shader_count;
/* The built-in shader of that name, or NULL (vk_pipelines.c). */
const vk_shader_blob *vk_shader_find(const char *name);

#endif
