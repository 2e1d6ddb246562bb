/* The Vulkan compute backend: every op as a GLSL compute shader, the whole schedule recorded
 * once into a command buffer at plan time and re-submitted by every run. */
#ifndef ENGINE_VULKAN_VULKAN_BACKEND_H
#define ENGINE_VULKAN_VULKAN_BACKEND_H

#include <stddef.h>

#include "engine/device.h"
#include "engine/graph.h"

/* device_index: a position in eng_vulkan_list_devices, or -1 for the best device: discrete GPU,
 * then integrated, then virtual, then (only when allow_software) a CPU implementation.
 * Setting PIX2PIX_VK_VALIDATION=1 in the environment enables VK_LAYER_KHRONOS_validation with
 * a messenger that prints and counts every validation error (eng_vulkan_validation_errors).
 * Returns NULL with the reason in eng_last_error(). */
eng_backend *eng_vulkan_backend_new(int device_index, int allow_software);

/* Same contract as eng_device_list. */
int eng_vulkan_list_devices(eng_device_info *out, int max);

/* eng_device_peak_flops on a Vulkan backend (vk_peak.c). */
int eng_vulkan_peak_flops(eng_backend *be, int fp16, double seconds, double *flops);

/* Validation errors reported so far by the layer (0 when validation is off). */
int eng_vulkan_validation_errors(const eng_backend *be);

/* The GPU time profile of a Vulkan plan (vk_internal.h), NULL unless it has one. */
struct vk_profile;
const struct vk_profile *eng_vulkan_plan_profile(const eng_plan *p);

#endif
