/* GPU time per op family and per conv GEMM from timestamp queries (vk_internal.h): each
 * segment of the recording resets its range of one query pool, writes a timestamp first and
 * one after each group of steps of one family and GEMM; after the segment ran, the differences
 * of consecutive timestamps (timestampValidBits wide, in timestampPeriod nanoseconds) add to
 * the families and GEMMs. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/env.h"
#include "engine/vulkan/vk_internal.h"

struct vk_profile {
    VkQueryPool pool;
    uint32_t *seg_first, *seg_used; /* [segment] its first query and those written */
    int *family;                    /* [query] the family of the group it closes, or -1 */
    int *gemm;                      /* [query] the conv GEMM of that group, or -1 */
    uint64_t *ticks;                /* [query] the last results read */
    int cur;                        /* the segment being recorded */
    uint64_t mask;                  /* timestampValidBits */
    double ns_per_tick;
    int steps[VK_FAMILIES];
    double ms[VK_FAMILIES];
    vk_gemm_label *gemms; /* [ngemms] a copy of the plan's */
    double *gemm_ms;      /* [ngemms] */
    int ngemms;
    unsigned runs;
};

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
    if (!env_flag("PIX2PIX_PROFILE"))
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
        pr->gemm = malloc(nqueries * sizeof *pr->gemm);
        pr->ticks = malloc(nqueries * sizeof *pr->ticks);
        pr->ngemms = s->ngemms;
        pr->gemms = malloc((size_t)(s->ngemms + 1) * sizeof *pr->gemms);
        pr->gemm_ms = calloc((size_t)s->ngemms + 1, sizeof *pr->gemm_ms);
    }
    if (!pr || !pr->seg_first || !pr->seg_used || !pr->family || !pr->gemm || !pr->ticks ||
        !pr->gemms || !pr->gemm_ms) {
        vk_profile_free(ctx, pr);
        return eng_set_error(ENG_ENOMEM, "out of memory for the Vulkan profile");
    }
    if (s->ngemms)
        memcpy(pr->gemms, s->gemms, (size_t)s->ngemms * sizeof *pr->gemms);
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

static void write_timestamp(vk_profile *pr, VkCommandBuffer cb, int family, int gemm)
{
    uint32_t q = next_query(pr);
    pr->family[q] = family;
    pr->gemm[q] = gemm;
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
    write_timestamp(pr, cb, -1, -1);
}

void vk_profile_mark(vk_profile *pr, VkCommandBuffer cb, int family, int gemm, int steps)
{
    write_timestamp(pr, cb, family, gemm);
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
        double ms = (double)ticks * pr->ns_per_tick / 1e6;
        pr->ms[pr->family[q]] += ms;
        if (pr->gemm[q] >= 0)
            pr->gemm_ms[pr->gemm[q]] += ms;
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

int vk_profile_gemms(const vk_profile *pr) { return pr->ngemms; }

void vk_profile_gemm(const vk_profile *pr, int i, const vk_gemm_label **label, double *ms)
{
    *label = &pr->gemms[i];
    *ms = pr->runs ? pr->gemm_ms[i] / pr->runs : 0.0;
}

/* The conv GEMMs' table: each one's kernel, time, rate and share of the device's FP32 FMA
 * peak (measured here, once per device, for a quarter of a second). */
static void report_gemms(vk_ctx *ctx, const vk_profile *pr)
{
    if (!pr->ngemms)
        return;
    if (ctx->peak_flops == 0.0 && vk_peak_flops(ctx, 0, 0.25, &ctx->peak_flops))
        ctx->peak_flops = -1.0; /* not measurable: no share printed */
    if (ctx->peak_flops > 0)
        fprintf(stderr, "  conv GEMMs (peak: %.1f GFLOP/s FP32 FMA, measured)\n",
                ctx->peak_flops / 1e9);
    else
        fprintf(stderr, "  conv GEMMs (peak not measured: its shader failed)\n");
    fprintf(stderr, "  %-40s %-26s %9s %8s %6s\n", "GEMM", "kernel", "ms", "GFLOP/s", "peak");
    for (int i = 0; i < pr->ngemms; i++) {
        const vk_gemm_label *g = &pr->gemms[i];
        double ms = pr->gemm_ms[i] / pr->runs, rate = ms > 0 ? g->flops / (ms * 1e6) : 0.0;
        fprintf(stderr, "  %-40s %-26s %9.3f %8.2f", g->product, g->kernel, ms, rate);
        if (ctx->peak_flops > 0)
            fprintf(stderr, " %5.1f%%", 100.0 * rate * 1e9 / ctx->peak_flops);
        fputc('\n', stderr);
    }
}

static void report(vk_ctx *ctx, const vk_profile *pr)
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
    report_gemms(ctx, pr);
}

void vk_profile_free(vk_ctx *ctx, vk_profile *pr)
{
    if (!pr)
        return;
    if (pr->runs)
        report(ctx, pr);
    if (pr->pool)
        vkDestroyQueryPool(ctx->device, pr->pool, NULL);
    free(pr->seg_first);
    free(pr->seg_used);
    free(pr->family);
    free(pr->gemm);
    free(pr->ticks);
    free(pr->gemms);
    free(pr->gemm_ms);
    free(pr);
}
