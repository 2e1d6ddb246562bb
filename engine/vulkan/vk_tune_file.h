/* The tuning file (vk_tune_file.c): the conv choices measured on this device (pix2pix tune), as
 * JSON beside the pipeline cache, valid only for the device (UUID), driver version and shader
 * build that measured them. */
#ifndef ENGINE_VULKAN_VK_TUNE_FILE_H
#define ENGINE_VULKAN_VK_TUNE_FILE_H

#include <stddef.h>
#include <stdint.h>

#include "engine/vulkan/vk_tuning.h"

/* What a file's choices hold for. */
typedef struct {
    uint8_t device_uuid[VK_UUID_SIZE];
    uint32_t driver_version;
    uint64_t shader_hash;
} vk_tune_identity;

/* One measured choice as the file stores it: the tile by its sizes, not a process's id. */
typedef struct {
    vk_conv_key key;
    vk_conv_tile tile;
    uint32_t splits;
    int coopmat;
    double ms;
} vk_tune_record;

/* Writes the records atomically: 0, or -1 with the reason (naming the file) in
 * eng_last_error(). */
int vk_tune_file_save(const char *path, const vk_tune_identity *id, const vk_tune_record *recs,
                      size_t n);

/* Reads a file written for identity `id` into choices for `tu` (a malloc'ed array in *out, *n
 * entries; a record whose tile is not among tu's candidates or does not fit `lim` is dropped).
 * 0: loaded; 1: no file; -1: ignored (foreign, stale or malformed), eng_last_error() says why,
 * naming the file. */
int vk_tune_file_load(const char *path, const vk_tune_identity *id, const vk_tuning *tu,
                      const VkPhysicalDeviceLimits *lim, vk_conv_tuned **out, size_t *n);

#endif
