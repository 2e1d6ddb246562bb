/* Records the lowered schedule once into command buffers (one per segment between cuts): a
 * descriptor set per dispatch and a pipeline barrier only where a step touches memory that an
 * earlier step, not yet behind a barrier, wrote (read-after-write, write-after-write) or read
 * (write-after-read): with aliased regions, a reused buffer's new tensor must wait for the
 * last reads of the old one. The steps come ordered by dependency level (vk_order.c), so one
 * barrier covers every independent step before it; the counts and, when profiling, the
 * timestamps between op families (vk_profile.c) are recorded with them. */
#include <stdlib.h>
#include <string.h>

#include "base/grow.h"
#include "engine/vulkan/vk_internal.h"

static void barrier(VkCommandBuffer cb)
{
    VkMemoryBarrier mb = {
        .sType = VK_STRUCTURE_TYPE_MEMORY_BARRIER,
        .srcAccessMask = VK_ACCESS_SHADER_WRITE_BIT | VK_ACCESS_TRANSFER_WRITE_BIT,
        .dstAccessMask = VK_ACCESS_SHADER_READ_BIT | VK_ACCESS_SHADER_WRITE_BIT |
                         VK_ACCESS_TRANSFER_WRITE_BIT,
    };
    VkPipelineStageFlags stages = VK_PIPELINE_STAGE_COMPUTE_SHADER_BIT |
                                  VK_PIPELINE_STAGE_TRANSFER_BIT;
    vkCmdPipelineBarrier(cb, stages, stages, 0, 1, &mb, 0, NULL, 0, NULL);
}

/* The memory accessed since the last barrier. Regions may alias (the memory planner's shared
 * region), so hazards are found by overlapping byte ranges, not by region ids. */
typedef struct {
    int block, write;
    VkDeviceSize begin, end;
} access;

typedef struct {
    access *list;
    int n, cap;
    int dummy; /* the region unused bindings hold */
} hazards;

static int overlaps(const access *a, const vk_region *rg)
{
    return a->block == rg->block && a->begin < rg->offset + rg->size && rg->offset < a->end;
}

static int needs_barrier(const hazards *h, const vk_memory *m, const vk_step *st)
{
    for (int i = 0; i < VK_BINDINGS; i++) {
        int writes, region = vk_binding_access(st, i, h->dummy, &writes);
        if (region < 0)
            continue;
        for (int k = 0; k < h->n; k++)
            if ((h->list[k].write || writes) && overlaps(&h->list[k], &m->regions[region]))
                return 1;
    }
    return 0;
}

static int note_access(hazards *h, const vk_memory *m, const vk_step *st)
{
    for (int i = 0; i < VK_BINDINGS; i++) {
        int writes, region = vk_binding_access(st, i, h->dummy, &writes);
        if (region < 0)
            continue;
        access *grown = grow_for_one(h->list, &h->cap, h->n, sizeof *grown, 64);
        if (!grown)
            return eng_set_error(ENG_ENOMEM, "out of memory recording the Vulkan schedule");
        h->list = grown;
        const vk_region *rg = &m->regions[region];
        h->list[h->n++] = (access){rg->block, writes, rg->offset, rg->offset + rg->size};
    }
    return 0;
}

/* The bindings of a dispatch that hold fp16 (the pipeline's HALF_BINDINGS). */
static unsigned half_bindings(const vk_memory *m, const vk_step *st)
{
    unsigned half = 0;
    for (int i = 0; i < VK_BINDINGS; i++)
        if (st->regions[i] >= 0 && m->regions[st->regions[i]].half)
            half |= 1u << i;
    return half;
}

static int allocate_sets(vk_ctx *ctx, vk_recording *r, int nsets, VkDescriptorSet *sets)
{
    VkDescriptorPoolSize size = {VK_DESCRIPTOR_TYPE_STORAGE_BUFFER,
                                 (uint32_t)nsets * (VK_BINDINGS + 1)};
    VkDescriptorPoolCreateInfo pool_info = {
        .sType = VK_STRUCTURE_TYPE_DESCRIPTOR_POOL_CREATE_INFO,
        .maxSets = (uint32_t)nsets,
        .poolSizeCount = 1,
        .pPoolSizes = &size,
    };
    VkResult res = vkCreateDescriptorPool(ctx->device, &pool_info, NULL, &r->descriptor_pool);
    if (res != VK_SUCCESS)
        return vk_fail(res, "vkCreateDescriptorPool");
    VkDescriptorSetLayout *layouts = malloc((size_t)nsets * sizeof *layouts);
    if (!layouts)
        return eng_set_error(ENG_ENOMEM, "out of memory recording the Vulkan schedule");
    for (int i = 0; i < nsets; i++)
        layouts[i] = ctx->set_layout;
    VkDescriptorSetAllocateInfo alloc = {
        .sType = VK_STRUCTURE_TYPE_DESCRIPTOR_SET_ALLOCATE_INFO,
        .descriptorPool = r->descriptor_pool,
        .descriptorSetCount = (uint32_t)nsets,
        .pSetLayouts = layouts,
    };
    res = vkAllocateDescriptorSets(ctx->device, &alloc, sets);
    free(layouts);
    return res == VK_SUCCESS ? 0 : vk_fail(res, "vkAllocateDescriptorSets");
}

static void write_set(vk_ctx *ctx, const vk_memory *m, const vk_step *st, int dummy,
                      VkDescriptorSet set)
{
    VkDescriptorBufferInfo infos[VK_BINDINGS + 1];
    for (int i = 0; i < VK_BINDINGS; i++) {
        const vk_region *rg = &m->regions[st->regions[i] >= 0 ? st->regions[i] : dummy];
        infos[i] = (VkDescriptorBufferInfo){m->blocks[rg->block].buffer, rg->offset, rg->size};
    }
    infos[VK_BINDINGS] = (VkDescriptorBufferInfo){m->params, 0, VK_WHOLE_SIZE};
    VkWriteDescriptorSet write = {
        .sType = VK_STRUCTURE_TYPE_WRITE_DESCRIPTOR_SET,
        .dstSet = set,
        .dstBinding = 0,
        .descriptorCount = VK_BINDINGS + 1,
        .descriptorType = VK_DESCRIPTOR_TYPE_STORAGE_BUFFER,
        .pBufferInfo = infos,
    };
    vkUpdateDescriptorSets(ctx->device, 1, &write, 0, NULL);
}

/* With a profile: a timestamp closing the group of steps [group, i). */
static void profile_close(vk_recording *r, VkCommandBuffer cb, const vk_steps *s, int group, int i)
{
    vk_profile_mark(r->profile, cb, s->steps[group].family, s->steps[group].gemm, i - group);
}

/* With a profile: a timestamp where the steps' family or conv GEMM changes. */
static void profile_mark(vk_recording *r, VkCommandBuffer cb, const vk_steps *s, int i, int *group)
{
    if (!r->profile || i == *group)
        return;
    const vk_step *a = &s->steps[*group], *b = &s->steps[i];
    if (a->family != b->family || a->gemm != b->gemm) {
        profile_close(r, cb, s, *group, i);
        *group = i;
    }
}

/* Steps [from, to) into cb as segment k; *set counts the descriptor sets used so far. */
static int record_steps(vk_ctx *ctx, const vk_memory *m, const vk_steps *s,
                        const VkDescriptorSet *sets, int *set, hazards *h, vk_recording *r,
                        int k, int from, int to)
{
    VkCommandBuffer cb = r->segments[k];
    if (r->profile)
        vk_profile_begin(r->profile, cb, k, to - from);
    vk_full_barrier(cb);
    r->counts.barriers += 2; /* this one and the closing one */
    h->n = 0;
    int group = from;
    for (int i = from; i < to; i++) {
        const vk_step *st = &s->steps[i];
        profile_mark(r, cb, s, i, &group);
        if (needs_barrier(h, m, st)) {
            barrier(cb);
            r->counts.barriers++;
            r->counts.barriers_dependent++;
            h->n = 0;
        }
        if (note_access(h, m, st))
            return ENG_ENOMEM;
        r->counts.dispatches += st->kind == VK_STEP_DISPATCH;
        r->counts.fills += st->kind == VK_STEP_FILL;
        if (st->kind == VK_STEP_FILL) {
            const vk_region *rg = &m->regions[st->regions[0]];
            vkCmdFillBuffer(cb, m->blocks[rg->block].buffer, rg->offset, rg->size,
                            vk_fill_pattern(rg, st->fill_value));
            continue;
        }
        vkCmdBindPipeline(cb, VK_PIPELINE_BIND_POINT_COMPUTE,
                          ctx->pipelines[st->kernel][st->variant][half_bindings(m, st)]);
        vkCmdBindDescriptorSets(cb, VK_PIPELINE_BIND_POINT_COMPUTE, ctx->pipeline_layout, 0, 1,
                                &sets[(*set)++], 0, NULL);
        vkCmdPushConstants(cb, ctx->pipeline_layout, VK_SHADER_STAGE_COMPUTE_BIT, 0,
                           sizeof st->push, st->push);
        vkCmdDispatch(cb, st->groups[0], st->groups[1], st->groups[2]);
    }
    if (r->profile && to > from) /* the last group ends with the segment */
        profile_close(r, cb, s, group, to);
    vk_full_barrier(cb);
    return 0;
}

/* The copy of region to the start of the staging buffer, made visible to the host. */
static int record_readback(VkCommandBuffer cb, const vk_memory *m, int region, vk_recording *r)
{
    const vk_region *rg = &m->regions[region];
    if (rg->size > m->staging_size)
        return eng_set_error(ENG_EBACKEND, "vulkan: %llu bytes to read back after each run, "
                             "over the staging buffer's %llu", (unsigned long long)rg->size,
                             (unsigned long long)m->staging_size);
    VkBufferCopy copy = {.srcOffset = rg->offset, .dstOffset = 0, .size = rg->size};
    vkCmdCopyBuffer(cb, m->blocks[rg->block].buffer, m->staging, 1, &copy);
    VkMemoryBarrier to_host = {
        .sType = VK_STRUCTURE_TYPE_MEMORY_BARRIER,
        .srcAccessMask = VK_ACCESS_TRANSFER_WRITE_BIT,
        .dstAccessMask = VK_ACCESS_HOST_READ_BIT,
    };
    vkCmdPipelineBarrier(cb, VK_PIPELINE_STAGE_TRANSFER_BIT, VK_PIPELINE_STAGE_HOST_BIT, 0, 1,
                         &to_host, 0, NULL, 0, NULL);
    r->counts.barriers++;
    return 0;
}

int vk_record(vk_ctx *ctx, vk_memory *m, const vk_steps *s, int dummy_region, int readback,
              vk_recording *r)
{
    memset(r, 0, sizeof *r);
    int ndispatch = 0;
    for (int i = 0; i < s->nsteps; i++) {
        const vk_step *st = &s->steps[i];
        if (st->kind != VK_STEP_DISPATCH)
            continue;
        ndispatch++;
        int status = vk_pipeline_prepare(ctx, st->kernel, st->variant, half_bindings(m, st));
        if (status)
            return status;
    }
    int nsets = ndispatch ? ndispatch : 1;
    VkDescriptorSet *sets = malloc((size_t)nsets * sizeof *sets);
    hazards h = {.dummy = dummy_region};
    int status = sets
                     ? 0
                     : eng_set_error(ENG_ENOMEM, "out of memory recording the Vulkan schedule");
    if (status == 0)
        status = vk_profile_new(ctx, s, &r->profile);
    if (status == 0)
        status = allocate_sets(ctx, r, nsets, sets);
    for (int i = 0, set = 0; i < s->nsteps && status == 0; i++)
        if (s->steps[i].kind == VK_STEP_DISPATCH)
            write_set(ctx, m, &s->steps[i], dummy_region, sets[set++]);
    r->nsegments = s->ncuts + 1;
    r->segments = calloc((size_t)r->nsegments, sizeof *r->segments);
    if (status == 0 && !r->segments)
        status = eng_set_error(ENG_ENOMEM, "out of memory recording the Vulkan schedule");
    VkCommandBufferAllocateInfo alloc = {
        .sType = VK_STRUCTURE_TYPE_COMMAND_BUFFER_ALLOCATE_INFO,
        .commandPool = ctx->command_pool,
        .level = VK_COMMAND_BUFFER_LEVEL_PRIMARY,
        .commandBufferCount = (uint32_t)r->nsegments,
    };
    VkResult res = VK_SUCCESS;
    if (status == 0 && (res = vkAllocateCommandBuffers(ctx->device, &alloc,
                                                       r->segments)) != VK_SUCCESS)
        status = vk_fail(res, "vkAllocateCommandBuffers");
    VkCommandBufferBeginInfo begin = {.sType = VK_STRUCTURE_TYPE_COMMAND_BUFFER_BEGIN_INFO};
    for (int k = 0, set = 0; k < r->nsegments && status == 0; k++) {
        VkCommandBuffer cb = r->segments[k];
        if ((res = vkBeginCommandBuffer(cb, &begin)) != VK_SUCCESS) {
            status = vk_fail(res, "vkBeginCommandBuffer");
            break;
        }
        status = record_steps(ctx, m, s, sets, &set, &h, r, k, k ? s->cuts[k - 1] : 0,
                              k < s->ncuts ? s->cuts[k] : s->nsteps);
        if (status == 0 && readback >= 0 && k == r->nsegments - 1)
            status = record_readback(cb, m, readback, r);
        if ((res = vkEndCommandBuffer(cb)) != VK_SUCCESS && status == 0)
            status = vk_fail(res, "vkEndCommandBuffer");
    }
    VkFenceCreateInfo fence_info = {.sType = VK_STRUCTURE_TYPE_FENCE_CREATE_INFO};
    if (status == 0 && (res = vkCreateFence(ctx->device, &fence_info, NULL, &r->fence)) != VK_SUCCESS)
        status = vk_fail(res, "vkCreateFence");
    free(sets);
    free(h.list);
    return status;
}

void vk_recording_free(vk_ctx *ctx, vk_recording *r)
{
    if (r->profile)
        vk_profile_free(ctx, r->profile);
    if (r->fence)
        vkDestroyFence(ctx->device, r->fence, NULL);
    if (r->segments && r->segments[0])
        vkFreeCommandBuffers(ctx->device, ctx->command_pool, (uint32_t)r->nsegments,
                             r->segments);
    free(r->segments);
    if (r->descriptor_pool)
        vkDestroyDescriptorPool(ctx->device, r->descriptor_pool, NULL);
    memset(r, 0, sizeof *r);
}

int vk_submit_segment(vk_ctx *ctx, vk_recording *r, int k)
{
    VkSubmitInfo submit = {
        .sType = VK_STRUCTURE_TYPE_SUBMIT_INFO,
        .commandBufferCount = 1,
        .pCommandBuffers = &r->segments[k],
    };
    VkResult res = vkResetFences(ctx->device, 1, &r->fence);
    if (res == VK_SUCCESS)
        res = vkQueueSubmit(ctx->queue, 1, &submit, r->fence);
    if (res == VK_SUCCESS)
        res = vkWaitForFences(ctx->device, 1, &r->fence, VK_TRUE, UINT64_MAX);
    return res == VK_SUCCESS ? 0 : vk_fail(res, "running the schedule");
}
