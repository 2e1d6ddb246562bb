/* Kernel shapes per device (vk_tuning.c): the conv_gemm tile and the split-K threshold from a
 * small table keyed by vendor, subgroup size and shared memory, or PIX2PIX_VK_TILE. */
#ifndef ENGINE_VULKAN_VK_TUNING_H
#define ENGINE_VULKAN_VK_TUNING_H

#include <stddef.h>
#include <stdint.h>
#include <vulkan/vulkan.h>

/* conv_gemm.comp's specialization: TX x TY threads, each computing TM x TN outputs, BK deep. */
typedef struct {
    uint32_t tx, ty, tm, tn, bk;
} vk_conv_tile;

typedef struct {
    vk_conv_tile tile;
    uint32_t tile_id;      /* the conv pipelines' variant (vk_conv_tile_of) */
    uint32_t split_groups; /* split a conv's depth when its output has fewer workgroups */
    int subgroup_norm;     /* norm statistics reduce with subgroupAdd */
    char reason[160];
} vk_tuning;

/* What the table reads of a device. */
typedef struct {
    uint32_t vendor;
    int software;          /* VK_PHYSICAL_DEVICE_TYPE_CPU (lavapipe, SwiftShader) */
    uint32_t subgroup_size;
    int subgroup_arithmetic; /* ARITHMETIC in compute (VkPhysicalDeviceSubgroupProperties) */
    const VkPhysicalDeviceLimits *limits;
} vk_device_traits;

/* The table's row for the device, or PIX2PIX_VK_TILE=TXxTY:TMxTN:BK; PIX2PIX_VK_SUBGROUP=0
 * turns the subgroup reductions off. -1 with the reason in err when the override is malformed
 * or does not fit the device. */
int vk_tuning_choose(const vk_device_traits *dev, vk_tuning *out, char *err, size_t errlen);
/* Whether a tile is valid and fits the device's limits; 0, or -1 with the reason in err. */
int vk_conv_tile_check(const vk_conv_tile *t, const VkPhysicalDeviceLimits *lim, char *err,
                       size_t errlen);
size_t vk_conv_tile_shared_bytes(const vk_conv_tile *t);
/* The table's rows (for the tests: each row's tile on any device). */
int vk_tuning_rows(void);
vk_conv_tile vk_tuning_row_tile(int row);

/* The tiles in use in this process, by id (a conv pipeline's variant). */
vk_conv_tile vk_conv_tile_of(uint32_t id);

#endif
