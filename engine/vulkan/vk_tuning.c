/* The per-device kernel table (vk_tuning.h). The rows are starting points from each vendor's
 * hardware shape (threads per SIMD group, registers, shared memory), not measured optima; the
 * first row that matches the device and fits its limits wins. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/vulkan/vk_tuning.h"

#define VENDOR_ANY 0u
#define MAX_TILES 16 /* distinct tiles per process (under VK_VARIANTS) */

typedef struct {
    uint32_t vendor;
    int software;           /* 1: only software devices; 0: only others */
    uint32_t subgroup_size; /* 0: any */
    vk_conv_tile tile;
    uint32_t split_groups;
    const char *why;
} row;

static const row table[] = {
    {0x10de, 0, 32, {16, 16, 8, 4, 16}, 512,
     "NVIDIA: 256 threads (8 warps of 32), 128x64 tiles, 8x4 outputs per thread"},
    {0x1002, 0, 64, {16, 16, 4, 4, 32}, 512,
     "AMD wave64: 256 threads (4 waves), 64x64 tiles, BK 32 (half the barriers)"},
    {0x1002, 0, 32, {16, 16, 4, 4, 16}, 512, "AMD wave32: 256 threads (8 waves), 64x64 tiles"},
    {0x8086, 0, 0, {16, 8, 4, 4, 16}, 256,
     "Intel: 128 threads, 32x64 tiles (fewer registers per thread)"},
    {VENDOR_ANY, 1, 0, {16, 16, 4, 4, 16}, 128,
     "software device: 64x64 tiles, a low split-K threshold (a CPU has few cores)"},
    {VENDOR_ANY, 0, 0, {16, 16, 4, 4, 16}, 256, "generic: 64x64 tiles"},
};
#define ROWS ((int)(sizeof table / sizeof table[0]))

/* Every context's tile gets an id here, the same for the process (contexts are created one at
 * a time), so that a conv step's pipeline variant names its tile on any context. */
static vk_conv_tile tiles[MAX_TILES];
static uint32_t ntiles;

int vk_tuning_rows(void) { return ROWS; }
vk_conv_tile vk_tuning_row_tile(int r) { return table[r].tile; }

size_t vk_conv_tile_shared_bytes(const vk_conv_tile *t)
{
    /* tile_a, tile_b and depth_index (a uvec3 counted as 16 bytes) of conv_gemm.comp */
    return 4 * (size_t)t->bk * (t->ty * t->tm + t->tx * t->tn) + 16 * (size_t)t->bk;
}

int vk_conv_tile_check(const vk_conv_tile *t, const VkPhysicalDeviceLimits *lim, char *err,
                       size_t errlen)
{
    uint32_t threads = t->tx * t->ty, bm = t->ty * t->tm, bn = t->tx * t->tn;
    size_t shared = vk_conv_tile_shared_bytes(t);
    const char *why = NULL;
    if (!t->tx || !t->ty || !t->tm || !t->tn || !t->bk)
        why = "every size must be positive";
    else if (t->tx > 64 || t->ty > 64 || t->tm * t->tn > 64 || t->bk > 256)
        why = "over TX, TY <= 64, TM*TN <= 64, BK <= 256";
    else if (threads % bm || threads % bn)
        why = "TX*TY threads must be a multiple of TY*TM and of TX*TN";
    else if (t->bk > threads)
        why = "BK must not exceed TX*TY";
    else if (threads > lim->maxComputeWorkGroupInvocations ||
             t->tx > lim->maxComputeWorkGroupSize[0] || t->ty > lim->maxComputeWorkGroupSize[1])
        why = "more threads than the device's workgroup limits";
    else if (shared > lim->maxComputeSharedMemorySize)
        why = "more shared memory than maxComputeSharedMemorySize";
    if (!why)
        return 0;
    snprintf(err, errlen, "conv tile %ux%u:%ux%u:%u (%zu bytes of shared memory, the device has "
             "%u): %s", t->tx, t->ty, t->tm, t->tn, t->bk, shared,
             lim->maxComputeSharedMemorySize, why);
    return -1;
}

static int parse_tile(const char *s, vk_conv_tile *t, char *err, size_t errlen)
{
    int used = -1;
    if (sscanf(s, "%ux%u:%ux%u:%u%n", &t->tx, &t->ty, &t->tm, &t->tn, &t->bk, &used) != 5 ||
        used != (int)strlen(s)) {
        snprintf(err, errlen, "PIX2PIX_VK_TILE='%s': expected TXxTY:TMxTN:BK (threads x, y; "
                 "outputs per thread; depth step), e.g. 16x16:4x4:16", s);
        return -1;
    }
    return 0;
}

/* The id of a tile, registered on first use. */
static int tile_id(const vk_conv_tile *t, uint32_t *id, char *err, size_t errlen)
{
    for (*id = 0; *id < ntiles; (*id)++)
        if (!memcmp(&tiles[*id], t, sizeof *t))
            return 0;
    if (ntiles == MAX_TILES) {
        snprintf(err, errlen, "more than %d conv tiles in one process", MAX_TILES);
        return -1;
    }
    tiles[ntiles] = *t;
    *id = ntiles++;
    return 0;
}

static int matches(const row *r, const vk_device_traits *dev)
{
    return r->software == dev->software && (r->vendor == VENDOR_ANY || r->vendor == dev->vendor) &&
           (r->subgroup_size == 0 || r->subgroup_size == dev->subgroup_size);
}

int vk_tuning_choose(const vk_device_traits *dev, vk_tuning *out, char *err, size_t errlen)
{
    const char *env = getenv("PIX2PIX_VK_TILE"), *sub = getenv("PIX2PIX_VK_SUBGROUP");
    char why[160];
    memset(out, 0, sizeof *out);
    out->subgroup_norm = dev->subgroup_arithmetic && !(sub && !strcmp(sub, "0"));
    if (env && *env) {
        if (parse_tile(env, &out->tile, err, errlen) ||
            vk_conv_tile_check(&out->tile, dev->limits, err, errlen))
            return -1;
        out->split_groups = dev->software ? 128 : 256;
        snprintf(out->reason, sizeof out->reason, "PIX2PIX_VK_TILE=%s", env);
        return tile_id(&out->tile, &out->tile_id, err, errlen);
    }
    for (int i = 0; i < ROWS; i++) {
        if (!matches(&table[i], dev) ||
            vk_conv_tile_check(&table[i].tile, dev->limits, why, sizeof why))
            continue;
        out->tile = table[i].tile;
        out->split_groups = table[i].split_groups;
        snprintf(out->reason, sizeof out->reason, "%s", table[i].why);
        return tile_id(&out->tile, &out->tile_id, err, errlen);
    }
    /* the generic row fits every device with the 16 KiB of shared memory Vulkan guarantees */
    snprintf(err, errlen, "no conv tile fits the device: %s", why);
    return -1;
}

vk_conv_tile vk_conv_tile_of(uint32_t id)
{
    return id < ntiles ? tiles[id] : table[ROWS - 1].tile; /* unknown: the generic tile */
}
