/* GPU time per op family from timestamp queries (vk_internal.h): each segment of the
 * recording resets its range of one query pool, writes a timestamp first and one after each
 * group of steps of one family; after the segment ran, the differences of consecutive
 * timestamps (timestampValidBits wide, in timestampPeriod nanoseconds) add to the families. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/vulkan/vk_internal.h"

struct vk_profile {
    VkQueryPool pool;
    uint32_t *seg_first, *seg_used; /* [segment] its first query and those written */
    int *family;                    /* [query] the family of the group it closes, or -1 */
    uint64_t *ticks;                /* [query] the last results read */
    int cur;                        /* the segment being recorded */
    uint64_t mask;                  /* timestampValidBits */
    double ns_per_tick;
    int steps[VK_FAMILIES];
    double ms[VK_FAMILIES];
    unsigned runs;
};

static int wanted(void)
{
    const char *env = getenv("PIX2PIX_PROFILE");
    return env && *env && strcmp(env, "0") != 0;
}

static uint32_t timestamp_bits(const vk_ctx *ctx)
{
    uint32_t n = 0;
    vkGetPhysicalDeviceQueueFamilyProperties(ctx->physical, &n, NULL);
    VkQueueFamilyProperties *families = malloc((size_t)n * sizeof *families);
    uint32_t bits = 0;
    if (families) {
        vkGetPhysicalDeviceQueueFamilyProperties(ctx->physical, &n, families);
        bits = ctx->queue_family < n ? families[ctx->queue_family].timestampValidBits : 0;
    }
    free(families);
    return bits;
}

int vk_profile_new(vk_ctx *ctx, const vk_steps *s, vk_profile **out)
{
    *out = NULL;
    if (!wanted())
        return 0;
    uint32_t bits = timestamp_bits(ctx);
    if (bits == 0) {
        fprintf(stderr, "vulkan profile: %s has no timestamps on its compute queue: no GPU "
                "times\n", ctx->name);
        return 0;
    }
    int nsegments = s->ncuts + 1;
    uint32_t nqueries = (uint32_t)(s->nsteps + nsegments); /* at most a group per step */
    vk_profile *pr = calloc(1, sizeof *pr);
    if (pr) {
        pr->seg_first = calloc((size_t)nsegments, sizeof *pr->seg_first);
        pr->seg_used = calloc((size_t)nsegments, sizeof *pr->seg_used);
        pr->family = malloc(nqueries * sizeof *pr->family);
        pr->ticks = malloc(nqueries * sizeof *pr->ticks);
    }
    if (!pr || !pr->seg_first || !pr->seg_used || !pr->family || !pr->ticks) {
        vk_profile_free(ctx, pr);
        return eng_set_error(ENG_ENOMEM, "out of memory for the Vulkan profile");
    }
    pr->mask = bits >= 64 ? UINT64_MAX : (UINT64_C(1) << bits) - 1;
    pr->ns_per_tick = ctx->props.limits.timestampPeriod;
    VkQueryPoolCreateInfo info = {
        .sType = VK_STRUCTURE_TYPE_QUERY_POOL_CREATE_INFO,
        .queryType = VK_QUERY_TYPE_TIMESTAMP,
        .queryCount = nqueries,
    };
    VkResult res = vkCreateQueryPool(ctx->device, &info, NULL, &pr->pool);
    if (res != VK_SUCCESS) {
        vk_profile_free(ctx, pr);
        return vk_fail(res, "vkCreateQueryPool");
    }
    *out = pr;
    return 0;
}

static uint32_t next_query(const vk_profile *pr)
{
    return pr->seg_first[pr->cur] + pr->seg_used[pr->cur];
}

static void write_timestamp(vk_profile *pr, VkCommandBuffer cb, int family)
{
    uint32_t q = next_query(pr);
    pr->family[q] = family;
    vkCmdWriteTimestamp(cb, VK_PIPELINE_STAGE_BOTTOM_OF_PIPE_BIT, pr->pool, q);
    pr->seg_used[pr->cur]++;
}

void vk_profile_begin(vk_profile *pr, VkCommandBuffer cb, int k, int nsteps)
{
    if (k > 0)
        pr->seg_first[k] = next_query(pr);
    pr->cur = k;
    /* Recorded in the command buffer, so that every submission starts from reset queries. */
    vkCmdResetQueryPool(cb, pr->pool, pr->seg_first[k], (uint32_t)nsteps + 1);
    write_timestamp(pr, cb, -1);
}

void vk_profile_mark(vk_profile *pr, VkCommandBuffer cb, int family, int steps)
{
    write_timestamp(pr, cb, family);
    pr->steps[family] += steps;
}

int vk_profile_collect(vk_ctx *ctx, vk_profile *pr, int k)
{
    uint32_t first = pr->seg_first[k], n = pr->seg_used[k];
    VkResult res = vkGetQueryPoolResults(ctx->device, pr->pool, first, n,
                                         n * sizeof *pr->ticks, pr->ticks + first,
                                         sizeof *pr->ticks,
                                         VK_QUERY_RESULT_64_BIT | VK_QUERY_RESULT_WAIT_BIT);
    if (res != VK_SUCCESS)
        return vk_fail(res, "vkGetQueryPoolResults");
    for (uint32_t q = first + 1; q < first + n; q++) {
        uint64_t ticks = (pr->ticks[q] - pr->ticks[q - 1]) & pr->mask; /* wraps at mask */
        pr->ms[pr->family[q]] += (double)ticks * pr->ns_per_tick / 1e6;
    }
    return 0;
}

void vk_profile_run_done(vk_profile *pr)
{
    pr->runs++;
}

const char *vk_family_name(int family, char *buf, size_t len)
{
    if (family == VK_FAMILY_GRAD_FILL)
        return "(zero/seed grads)";
    if (family == VK_FAMILY_ADAM)
        return "(adam)";
    snprintf(buf, len, "%s %s", eng_op_infos[family / 2].name, family % 2 ? "bwd" : "fwd");
    return buf;
}

void vk_profile_family(const vk_profile *pr, int family, int *steps, double *ms)
{
    *steps = pr->steps[family];
    *ms = pr->runs ? pr->ms[family] / pr->runs : 0.0;
}

static void report(const vk_profile *pr)
{
    double total = 0.0;
    for (int f = 0; f < VK_FAMILIES; f++)
        total += pr->ms[f] / pr->runs;
    fprintf(stderr, "vulkan profile: %u runs, %.2f ms of GPU time per run (timestamps)\n",
            pr->runs, total);
    fprintf(stderr, "  %-26s %10s %10s %6s\n", "family", "dispatches", "ms", "share");
    for (int f = 0; f < VK_FAMILIES; f++) {
        if (!pr->steps[f])
            continue;
        char buf[64];
        double ms = pr->ms[f] / pr->runs;
        fprintf(stderr, "  %-26s %10d %10.3f %5.1f%%\n", vk_family_name(f, buf, sizeof buf),
                pr->steps[f], ms, total > 0 ? 100.0 * ms / total : 0.0);
    }
}

void vk_profile_free(vk_ctx *ctx, vk_profile *pr)
{
    if (!pr)
        return;
    if (pr->runs)
        report(pr);
    if (pr->pool)
        vkDestroyQueryPool(ctx->device, pr->pool, NULL);
    free(pr->seg_first);
    free(pr->seg_used);
    free(pr->family);
    free(pr->ticks);
    free(pr);
}
