/* Choosing where a plan runs: "--device auto|cpu|vulkan|vulkan:N", and the list of devices.
 *
 *   cpu        the CPU backend (threads as given, <= 0: all cores)
 *   vulkan     the best Vulkan device, software ones (lavapipe) included
 *   vulkan:N   Vulkan device number N of eng_device_list (any kind)
 *   auto       the best Vulkan GPU (discrete, then integrated); the CPU when there is none,
 *              with the reason in eng_backend_note (for the caller to show)
 * Failures return a negative status or NULL with the reason in eng_last_error() (engine.h).
 */
#ifndef ENGINE_DEVICE_H
#define ENGINE_DEVICE_H

#include <stddef.h>
#include <stdint.h>

#include "engine/engine.h"

#ifdef __cplusplus
extern "C" {
#endif

#define ENG_DEVICE_MAX_HEAPS 16

typedef struct {
    int index;
    char name[256];
    const char *type;         /* "discrete", "integrated", "virtual", "cpu", "other" */
    uint32_t api_version;     /* VK_MAKE_API_VERSION encoding */
    uint32_t driver_version;  /* vendor encoding, shown raw and as driver_info */
    char driver_name[256];    /* empty when the driver does not report it (Vulkan < 1.2) */
    char driver_info[256];
    int nheaps;
    uint64_t heap_bytes[ENG_DEVICE_MAX_HEAPS];
    int heap_device_local[ENG_DEVICE_MAX_HEAPS];
    uint32_t subgroup_size;
    int shader_float16;       /* shaderFloat16 */
    int storage_16bit;        /* storageBuffer16BitAccess */
    char cooperative_matrix[160]; /* "yes (MxNxK f16->f32, ...)" when the build and device
                                     offer the cooperative-matrix conv kernel, or "no: why" */
    int usable;               /* Vulkan >= 1.1 with a compute queue: the backend can use it */
    char kernel_config[256];  /* the kernel shapes chosen for it and why (or why none fits) */
} eng_device_info;

/* Fills up to max entries; returns the number of Vulkan devices (may exceed max) or a negative
 * status (no loader/driver, built without Vulkan). */
int eng_device_list(eng_device_info *out, int max);

/* The backend for a --device spec, or NULL. When auto falls back to the CPU, the backend's
 * eng_backend_note says why no Vulkan GPU is used (for the caller to show). */
eng_backend *eng_backend_open(const char *spec, int threads);
/* Why --device auto chose the CPU for be; NULL for a backend opened any other way. */
const char *eng_backend_note(const eng_backend *be);

/* The peak rate of fused multiply-adds of a Vulkan backend's device, in FLOP/s (an FMA counts
 * two), measured by a shader of its own in float32 or (fp16) float16 arithmetic, with runs of
 * about `seconds`. ENG_EINVAL for a backend that is not Vulkan, or fp16 on a device without
 * float16 arithmetic. */
int eng_device_peak_flops(eng_backend *be, int fp16, double seconds, double *flops);

#ifdef __cplusplus
}
#endif
#endif
