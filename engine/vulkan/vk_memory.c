/* Device memory: regions packed into a few large device-local blocks, a host-visible staging
 * buffer for writes and reads, and the host-visible per-run parameter buffer. */
#include <stdlib.h>
#include <string.h>

#include "base/grow.h"
#include "engine/util/half.h"
#include "engine/vulkan/vk_internal.h"

#define BLOCK_BYTES ((VkDeviceSize)256 << 20)
#define STAGING_BYTES ((VkDeviceSize)16 << 20)

int vk_memory_reserve(vk_memory *m, size_t floats)
{
    vk_region *grown =
        grow_for_one(m->regions, &m->cap_regions, m->nregions, sizeof *grown, 256);
    if (!grown)
        return eng_set_error(ENG_ENOMEM, "out of memory planning Vulkan buffers");
    m->regions = grown;
    VkDeviceSize bytes = (VkDeviceSize)(floats ? floats : 1) * sizeof(float);
    m->regions[m->nregions] = (vk_region){.block = -1, .size = bytes, .parent = -1};
    return m->nregions++;
}

int vk_memory_reserve_arena(vk_memory *m, size_t floats)
{
    int r = vk_memory_reserve(m, floats);
    if (r >= 0)
        m->regions[r].is_arena = 1;
    return r;
}

int vk_memory_reserve_alias(vk_memory *m, int arena, size_t offset, size_t floats)
{
    int r = vk_memory_reserve(m, floats);
    if (r >= 0) {
        m->regions[r].parent = arena;
        m->regions[r].parent_offset = (VkDeviceSize)offset * sizeof(float);
    }
    return r;
}

VkDeviceSize vk_memory_alignment(const vk_ctx *ctx)
{
    VkDeviceSize a = ctx->props.limits.minStorageBufferOffsetAlignment;
    return a > 16 ? a : 16;
}

static int find_memory_type(const vk_ctx *ctx, uint32_t type_bits, VkMemoryPropertyFlags want,
                            uint32_t *type)
{
    for (uint32_t i = 0; i < ctx->memory.memoryTypeCount; i++)
        if ((type_bits & (1u << i)) && (ctx->memory.memoryTypes[i].propertyFlags & want) == want) {
            *type = i;
            return 1;
        }
    return 0;
}

int vk_buffer_create(vk_ctx *ctx, VkDeviceSize size, VkBufferUsageFlags usage,
                     VkMemoryPropertyFlags want, VkBuffer *buffer, VkDeviceMemory *memory)
{
    VkBufferCreateInfo info = {
        .sType = VK_STRUCTURE_TYPE_BUFFER_CREATE_INFO,
        .size = size,
        .usage = usage,
        .sharingMode = VK_SHARING_MODE_EXCLUSIVE,
    };
    VkResult r = vkCreateBuffer(ctx->device, &info, NULL, buffer);
    if (r != VK_SUCCESS)
        return vk_fail(r, "vkCreateBuffer");
    VkMemoryRequirements req;
    vkGetBufferMemoryRequirements(ctx->device, *buffer, &req);
    uint32_t type;
    if (!find_memory_type(ctx, req.memoryTypeBits, want, &type))
        return eng_set_error(ENG_EBACKEND, "vulkan: %s has no suitable memory type",
                             ctx->name);
    VkMemoryAllocateInfo alloc = {
        .sType = VK_STRUCTURE_TYPE_MEMORY_ALLOCATE_INFO,
        .allocationSize = req.size,
        .memoryTypeIndex = type,
    };
    r = vkAllocateMemory(ctx->device, &alloc, NULL, memory);
    if (r != VK_SUCCESS)
        return eng_set_error(r == VK_ERROR_OUT_OF_DEVICE_MEMORY ? ENG_ENOMEM : ENG_EBACKEND,
                             "vulkan: cannot allocate %.1f MiB on %s: %s",
                             (double)size / (1 << 20), ctx->name, vk_result_string(r));
    r = vkBindBufferMemory(ctx->device, *buffer, *memory, 0);
    return r == VK_SUCCESS ? 0 : vk_fail(r, "vkBindBufferMemory");
}

static int create_host_buffer(vk_ctx *ctx, VkDeviceSize size, VkBufferUsageFlags usage,
                              VkBuffer *buffer, VkDeviceMemory *memory, void **map)
{
    int status = vk_buffer_create(ctx, size, usage,
                               VK_MEMORY_PROPERTY_HOST_VISIBLE_BIT |
                                   VK_MEMORY_PROPERTY_HOST_COHERENT_BIT,
                               buffer, memory);
    if (status)
        return status;
    VkResult r = vkMapMemory(ctx->device, *memory, 0, VK_WHOLE_SIZE, 0, map);
    return r == VK_SUCCESS ? 0 : vk_fail(r, "vkMapMemory");
}

/* Packs the regions first-fit in creation order into blocks of m->block_size (a tensor or an
 * arena larger than that gets a block of its own size); aliases follow their arena. */
static int pack_regions(vk_memory *m, VkDeviceSize **block_sizes)
{
    VkDeviceSize *sizes = NULL;
    int nblocks = 0;
    for (int i = 0; i < m->nregions; i++) {
        vk_region *rg = &m->regions[i];
        if (rg->parent >= 0)
            continue;
        VkDeviceSize size = (rg->size + m->alignment - 1) / m->alignment * m->alignment;
        if (nblocks == 0 || sizes[nblocks - 1] + size > m->block_size) {
            VkDeviceSize *grown = realloc(sizes, (size_t)(nblocks + 1) * sizeof *grown);
            if (!grown) {
                free(sizes);
                return eng_set_error(ENG_ENOMEM, "out of memory planning Vulkan buffers");
            }
            sizes = grown;
            sizes[nblocks++] = 0;
        }
        rg->block = nblocks - 1;
        rg->offset = sizes[nblocks - 1];
        sizes[nblocks - 1] += size;
    }
    for (int i = 0; i < m->nregions; i++) {
        vk_region *rg = &m->regions[i];
        if (rg->parent >= 0) {
            rg->block = m->regions[rg->parent].block;
            rg->offset = m->regions[rg->parent].offset + rg->parent_offset;
        }
    }
    *block_sizes = sizes;
    return nblocks;
}

static VkDeviceSize max_allocation(const vk_ctx *ctx)
{
    VkPhysicalDeviceMaintenance3Properties m3 = {
        .sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_MAINTENANCE_3_PROPERTIES};
    VkPhysicalDeviceProperties2 props = {.sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_PROPERTIES_2,
                                         .pNext = &m3};
    vkGetPhysicalDeviceProperties2(ctx->physical, &props);
    return m3.maxMemoryAllocationSize;
}

/* An arena is one allocation: refused beyond the device's largest (its aliases are bound, so
 * maxStorageBufferRange limits them, not it). */
static int check_arenas(const vk_ctx *ctx, const vk_memory *m)
{
    VkDeviceSize largest = max_allocation(ctx);
    for (int i = 0; i < m->nregions; i++)
        if (m->regions[i].is_arena && m->regions[i].size > largest)
            return eng_set_error(ENG_ENOMEM, "vulkan: the plan's shared buffers (%.1f MiB) exceed "
                                 "the largest allocation of %s (%.1f MiB)",
                                 (double)m->regions[i].size / (1 << 20), ctx->name,
                                 (double)largest / (1 << 20));
    return 0;
}

/* The alignment and block size of the device; refuses a tensor no storage buffer can hold (an
 * arena is never bound whole: its aliases are). */
static int set_limits(const vk_ctx *ctx, vk_memory *m)
{
    const VkPhysicalDeviceLimits *lim = &ctx->props.limits;
    m->alignment = vk_memory_alignment(ctx);
    m->block_size = BLOCK_BYTES < lim->maxStorageBufferRange ? BLOCK_BYTES
                                                             : lim->maxStorageBufferRange;
    for (int i = 0; i < m->nregions; i++)
        if (!m->regions[i].is_arena && m->regions[i].size > lim->maxStorageBufferRange)
            return eng_set_error(ENG_EBACKEND,
                                 "vulkan: a tensor of %.1f MiB exceeds the %.1f MiB storage buffer "
                                 "limit of %s", (double)m->regions[i].size / (1 << 20),
                                 (double)lim->maxStorageBufferRange / (1 << 20), ctx->name);
    return check_arenas(ctx, m);
}

/* The staging buffer holds the largest tensor, up to STAGING_BYTES (larger ones go in chunks). */
static VkDeviceSize staging_bytes(const vk_memory *m)
{
    VkDeviceSize largest = 0;
    for (int i = 0; i < m->nregions; i++)
        if (!m->regions[i].is_arena && m->regions[i].size > largest)
            largest = m->regions[i].size;
    return largest < STAGING_BYTES ? (largest ? largest : 16) : STAGING_BYTES;
}

int vk_memory_estimate(const vk_ctx *ctx, vk_memory *m, size_t params_bytes, size_t *bytes,
                       size_t *host_bytes)
{
    VkDeviceSize *sizes = NULL;
    int status = set_limits(ctx, m);
    int nblocks = status ? status : pack_regions(m, &sizes);
    if (nblocks < 0)
        return nblocks;
    *host_bytes = (size_t)staging_bytes(m) + params_bytes;
    *bytes = *host_bytes;
    for (int b = 0; b < nblocks; b++)
        *bytes += (size_t)sizes[b];
    free(sizes);
    return 0;
}

int vk_memory_allocate(vk_ctx *ctx, vk_memory *m, size_t params_bytes)
{
    int status = set_limits(ctx, m);
    VkDeviceSize *sizes = NULL;
    int nblocks = status ? status : pack_regions(m, &sizes);
    if (nblocks < 0)
        return nblocks;
    m->blocks = calloc((size_t)nblocks, sizeof *m->blocks);
    if (!m->blocks) {
        free(sizes);
        return eng_set_error(ENG_ENOMEM, "out of memory planning Vulkan buffers");
    }
    m->nblocks = nblocks;
    for (int b = 0; b < nblocks && status == 0; b++) {
        m->blocks[b].size = sizes[b];
        status = vk_buffer_create(ctx, sizes[b],
                               VK_BUFFER_USAGE_STORAGE_BUFFER_BIT |
                                   VK_BUFFER_USAGE_TRANSFER_SRC_BIT |
                                   VK_BUFFER_USAGE_TRANSFER_DST_BIT,
                               VK_MEMORY_PROPERTY_DEVICE_LOCAL_BIT, &m->blocks[b].buffer,
                               &m->blocks[b].memory);
    }
    free(sizes);
    m->staging_size = staging_bytes(m);
    m->params_size = params_bytes;
    if (status == 0)
        status = create_host_buffer(ctx, m->staging_size,
                                    VK_BUFFER_USAGE_TRANSFER_SRC_BIT |
                                        VK_BUFFER_USAGE_TRANSFER_DST_BIT,
                                    &m->staging, &m->staging_memory, &m->staging_map);
    if (status == 0)
        status = create_host_buffer(ctx, m->params_size, VK_BUFFER_USAGE_STORAGE_BUFFER_BIT,
                                    &m->params, &m->params_memory, &m->params_map);
    return status;
}

void vk_memory_free(vk_ctx *ctx, vk_memory *m)
{
    for (int b = 0; b < m->nblocks; b++) {
        if (m->blocks[b].buffer)
            vkDestroyBuffer(ctx->device, m->blocks[b].buffer, NULL);
        if (m->blocks[b].memory)
            vkFreeMemory(ctx->device, m->blocks[b].memory, NULL);
    }
    VkBuffer buffers[2] = {m->staging, m->params};
    VkDeviceMemory memories[2] = {m->staging_memory, m->params_memory};
    for (int i = 0; i < 2; i++) {
        if (buffers[i])
            vkDestroyBuffer(ctx->device, buffers[i], NULL);
        if (memories[i])
            vkFreeMemory(ctx->device, memories[i], NULL); /* unmaps */
    }
    free(m->blocks);
    free(m->regions);
    memset(m, 0, sizeof *m);
}

size_t vk_memory_bytes(const vk_memory *m)
{
    size_t total = (size_t)(m->staging_size + m->params_size);
    for (int b = 0; b < m->nblocks; b++)
        total += (size_t)m->blocks[b].size;
    return total;
}

int vk_submit_once(vk_ctx *ctx, vk_record_fn record, void *arg)
{
    VkCommandBufferAllocateInfo alloc = {
        .sType = VK_STRUCTURE_TYPE_COMMAND_BUFFER_ALLOCATE_INFO,
        .commandPool = ctx->command_pool,
        .level = VK_COMMAND_BUFFER_LEVEL_PRIMARY,
        .commandBufferCount = 1,
    };
    VkCommandBuffer cb;
    VkResult r = vkAllocateCommandBuffers(ctx->device, &alloc, &cb);
    if (r != VK_SUCCESS)
        return vk_fail(r, "vkAllocateCommandBuffers");
    VkCommandBufferBeginInfo begin = {
        .sType = VK_STRUCTURE_TYPE_COMMAND_BUFFER_BEGIN_INFO,
        .flags = VK_COMMAND_BUFFER_USAGE_ONE_TIME_SUBMIT_BIT,
    };
    VkFence fence = VK_NULL_HANDLE;
    r = vkBeginCommandBuffer(cb, &begin);
    if (r == VK_SUCCESS) {
        record(cb, arg);
        r = vkEndCommandBuffer(cb);
    }
    VkFenceCreateInfo fence_info = {.sType = VK_STRUCTURE_TYPE_FENCE_CREATE_INFO};
    if (r == VK_SUCCESS)
        r = vkCreateFence(ctx->device, &fence_info, NULL, &fence);
    VkSubmitInfo submit = {
        .sType = VK_STRUCTURE_TYPE_SUBMIT_INFO,
        .commandBufferCount = 1,
        .pCommandBuffers = &cb,
    };
    if (r == VK_SUCCESS)
        r = vkQueueSubmit(ctx->queue, 1, &submit, fence);
    if (r == VK_SUCCESS)
        r = vkWaitForFences(ctx->device, 1, &fence, VK_TRUE, UINT64_MAX);
    if (fence)
        vkDestroyFence(ctx->device, fence, NULL);
    vkFreeCommandBuffers(ctx->device, ctx->command_pool, 1, &cb);
    return r == VK_SUCCESS ? 0 : vk_fail(r, "submitting a transfer");
}

/* Every one-off command buffer starts and ends with a full barrier: it is ordered after the
 * previous run and its results are visible to the host and to the next run. */
void vk_full_barrier(VkCommandBuffer cb)
{
    VkMemoryBarrier barrier = {
        .sType = VK_STRUCTURE_TYPE_MEMORY_BARRIER,
        .srcAccessMask = VK_ACCESS_MEMORY_WRITE_BIT,
        .dstAccessMask = VK_ACCESS_MEMORY_READ_BIT | VK_ACCESS_MEMORY_WRITE_BIT,
    };
    vkCmdPipelineBarrier(cb, VK_PIPELINE_STAGE_ALL_COMMANDS_BIT,
                         VK_PIPELINE_STAGE_ALL_COMMANDS_BIT, 0, 1, &barrier, 0, NULL, 0, NULL);
}

typedef struct {
    VkBuffer src, dst;
    VkBufferCopy copy;
} copy_job;

static void record_copy(VkCommandBuffer cb, void *arg)
{
    const copy_job *job = arg;
    vk_full_barrier(cb);
    vkCmdCopyBuffer(cb, job->src, job->dst, 1, &job->copy);
    vk_full_barrier(cb);
}

/* Bytes [done, done + chunk) of region rg between the host's floats and the staging buffer:
 * copied, or for an fp16 region converted (each float a 2-byte half; the region's last bytes
 * may be padding past its elements). */
static void stage(const vk_region *rg, void *staging, float *host, VkDeviceSize done,
                  VkDeviceSize chunk, int upload)
{
    if (!rg->half) {
        if (upload)
            memcpy(staging, (char *)host + done, (size_t)chunk);
        else
            memcpy((char *)host + done, staging, (size_t)chunk);
        return;
    }
    size_t first = (size_t)done / 2, n = (size_t)chunk / 2;
    n = first + n > rg->elements ? rg->elements - first : n;
    if (upload)
        eng_floats_to_halves(host + first, staging, n);
    else
        eng_halves_to_floats(staging, host + first, n);
}

static int transfer(vk_ctx *ctx, vk_memory *m, int region, float *host, int upload)
{
    const vk_region *rg = &m->regions[region];
    VkBuffer device = m->blocks[rg->block].buffer;
    for (VkDeviceSize done = 0; done < rg->size; done += m->staging_size) {
        VkDeviceSize chunk = rg->size - done < m->staging_size ? rg->size - done : m->staging_size;
        copy_job job = {
            .src = upload ? m->staging : device,
            .dst = upload ? device : m->staging,
            .copy = {.srcOffset = upload ? 0 : rg->offset + done,
                     .dstOffset = upload ? rg->offset + done : 0,
                     .size = chunk},
        };
        if (upload)
            stage(rg, m->staging_map, host, done, chunk, 1);
        int status = vk_submit_once(ctx, record_copy, &job);
        if (status)
            return status;
        if (!upload)
            stage(rg, m->staging_map, host, done, chunk, 0);
    }
    return 0;
}

int vk_memory_upload(vk_ctx *ctx, vk_memory *m, int region, const float *src)
{
    return transfer(ctx, m, region, (float *)src, 1);
}

int vk_memory_download(vk_ctx *ctx, vk_memory *m, int region, float *dst)
{
    return transfer(ctx, m, region, dst, 0);
}

void vk_memory_set_half(vk_memory *m, int region, size_t elements)
{
    m->regions[region].half = 1;
    m->regions[region].elements = elements;
}

uint32_t vk_fill_pattern(const vk_region *rg, float value)
{
    uint32_t bits;
    memcpy(&bits, &value, sizeof bits);
    if (rg->half) {
        uint32_t h = eng_float_to_half(value);
        bits = h | h << 16;
    }
    return bits;
}

typedef struct {
    const vk_memory *m;
    const int *regions;
    const float *values;
    int count;
} fill_job;

static void record_fill(VkCommandBuffer cb, void *arg)
{
    const fill_job *job = arg;
    vk_full_barrier(cb);
    for (int b = 0; b < job->m->nblocks; b++)
        vkCmdFillBuffer(cb, job->m->blocks[b].buffer, 0, VK_WHOLE_SIZE, 0);
    vk_full_barrier(cb);
    for (int i = 0; i < job->count; i++) {
        const vk_region *rg = &job->m->regions[job->regions[i]];
        vkCmdFillBuffer(cb, job->m->blocks[rg->block].buffer, rg->offset, rg->size,
                        vk_fill_pattern(rg, job->values[i]));
    }
    vk_full_barrier(cb);
}

int vk_memory_fill(vk_ctx *ctx, vk_memory *m, const int *regions, const float *values, int count)
{
    fill_job job = {m, regions, values, count};
    return vk_submit_once(ctx, record_fill, &job);
}
