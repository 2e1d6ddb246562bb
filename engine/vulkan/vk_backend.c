/* The Vulkan eng_backend: plan = lay out by the memory planner (memplan.h), allocate,
 * initialise, lower its steps and record once; run = update the per-run parameters and
 * re-submit the recorded command buffer (in segments, with the host reducing gradients between
 * them, where an optimizer has a reducer). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/engine.h"
#include "engine/vulkan/vk_internal.h"
#include "engine/vulkan/vulkan_backend.h"

#define PARAMS_HEADER_BYTES 16 /* run_index + padding, before the vec4 Adam slots */

typedef struct {
    eng_memplan mp; /* where the buffers live (the shared region: one arena) and what runs */
    vk_memory memory;
    vk_layout layout;
    vk_steps steps;
    vk_recording recording;
    vk_reduction *reductions; /* [steps.ncuts] */
    float run_scale;          /* the loss scale of the last run: what its gradients hold */
} vk_plan;

static vk_ctx *ctx_of(const eng_plan *p) { return p->backend->impl; }

static void release(eng_plan *p)
{
    vk_plan *vp = p->impl;
    if (!vp)
        return;
    vk_ctx *ctx = ctx_of(p);
    vkDeviceWaitIdle(ctx->device);
    vk_recording_free(ctx, &vp->recording);
    vk_reductions_free(vp->reductions, vp->steps.ncuts);
    vk_steps_free(&vp->steps);
    vk_layout_free(&vp->layout);
    vk_memory_free(ctx, &vp->memory);
    eng_memplan_free(&vp->mp);
    free(vp);
    p->impl = NULL;
}

/* Zeroes every buffer and fills the constants. */
static int initialise(vk_ctx *ctx, vk_plan *vp, const eng_graph *g)
{
    int *regions = malloc((size_t)(g->nnodes ? g->nnodes : 1) * sizeof *regions);
    float *values = malloc((size_t)(g->nnodes ? g->nnodes : 1) * sizeof *values);
    int count = 0, status;
    if (regions && values) {
        for (int id = 0; id < g->nnodes; id++)
            if (g->nodes[id]->op == ENG_OP_CONST) {
                regions[count] = vp->layout.data[id];
                values[count++] = g->nodes[id]->arg.scalar.value;
            }
        status = vk_memory_fill(ctx, &vp->memory, regions, values, count);
    } else {
        status = eng_set_error(ENG_ENOMEM, "out of memory planning Vulkan buffers");
    }
    free(regions);
    free(values);
    return status;
}

static size_t params_bytes(const vk_layout *l)
{
    return PARAMS_HEADER_BYTES + 4 * sizeof(float) * (size_t)l->nadam_slots;
}

/* A plan of g on ctx's device: fp16 storage when the graph asks for it and the device has it
 * (and, for loss scaling's flags, a graph of at most 32 optimizer updates). */
static vk_plan_kind plan_kind(const vk_ctx *ctx, const eng_graph *g)
{
    int updates = 0;
    for (int i = 0; i < g->ncmds; i++)
        updates += g->cmds[i].kind == ENG_CMD_ADAM;
    return (vk_plan_kind){&ctx->tuning, g->mixed_precision && ctx->storage_16bit && updates <= 32};
}

/* A software device (lavapipe) keeps its "device" memory in host memory. */
static int estimate(eng_backend *be, const eng_graph *g, size_t *bytes, size_t *host_bytes)
{
    vk_ctx *ctx = be->impl;
    vk_layout layout = {0};
    vk_memory memory = {0};
    size_t host = 0;
    vk_plan_kind kind = plan_kind(ctx, g);
    eng_plan_facts facts = vk_plan_facts(ctx, &kind);
    eng_memplan mp;
    int status = eng_memplan_new(g, &facts, &mp);
    if (status != 0)
        return status;
    status = vk_layout_reserve(&layout, &memory, g, &mp, &facts);
    if (status == 0)
        status = vk_memory_estimate(ctx, &memory, params_bytes(&layout), bytes, &host);
    vk_layout_free(&layout);
    vk_memory_free(ctx, &memory);
    eng_memplan_free(&mp);
    if (status == 0)
        *host_bytes = ctx->props.deviceType == VK_PHYSICAL_DEVICE_TYPE_CPU ? *bytes : host;
    return status;
}

static int plan(eng_backend *be, eng_plan *p)
{
    vk_ctx *ctx = be->impl;
    vk_plan *vp = calloc(1, sizeof *vp);
    if (!vp)
        return eng_set_error(ENG_ENOMEM, "out of memory creating a Vulkan plan");
    p->impl = vp;
    vk_plan_kind kind = plan_kind(ctx, p->graph);
    eng_plan_facts facts = vk_plan_facts(ctx, &kind);
    int status = eng_memplan_new(p->graph, &facts, &vp->mp);
    if (status == 0)
        status = vk_layout_reserve(&vp->layout, &vp->memory, p->graph, &vp->mp, &facts);
    if (status == 0)
        status = vk_memory_allocate(ctx, &vp->memory, params_bytes(&vp->layout));
    if (status == 0)
        status = initialise(ctx, vp, p->graph);
    if (status == 0)
        status = vk_lower_schedule(&vp->steps, &vp->layout, p->graph, &vp->mp, &ctx->tuning);
    if (status == 0)
        status = vk_order_steps(&vp->steps, &vp->memory, vp->layout.dummy);
    if (status == 0)
        status = vk_reductions_new(&vp->steps, &vp->reductions);
    if (status == 0)
        status = vk_record(ctx, &vp->memory, &vp->steps, vp->layout.dummy,
                           vp->layout.flags ? vp->layout.all_flags : -1, &vp->recording);
    if (status != 0) {
        release(p);
        return status;
    }
    p->bytes = vk_memory_bytes(&vp->memory);
    p->fp16 = vp->layout.fp16;
    p->loss_scaling = vp->layout.loss_scaling;
    eng_memplan_trace(p->graph, &vp->mp, be->name);
    return 0;
}

/* The values the pre-recorded command buffer cannot hold: the run counter for dropout and,
 * per Adam command, lr / (1 - beta1^t) and sqrt(1 - beta2^t) (computed in double as PyTorch). */
static void write_run_params(const eng_plan *p, vk_plan *vp)
{
    char *base = vp->memory.params_map;
    float scale = p->loss_scaling ? p->loss_scale : 1.0f, inverse = 1.0f / scale;
    vp->run_scale = scale;
    uint32_t header[4] = {p->run_index, 0, 0, 0};
    memcpy(&header[1], &scale, sizeof scale);
    memcpy(&header[2], &inverse, sizeof inverse);
    memcpy(base, header, sizeof header);
    float *slots = (float *)(base + PARAMS_HEADER_BYTES);
    int slot = 0;
    for (int i = 0; i < p->graph->ncmds; i++) {
        const eng_adam *opt = p->graph->cmds[i].opt;
        if (p->graph->cmds[i].kind != ENG_CMD_ADAM)
            continue;
        double t = (double)eng_adam_cmd_step(&p->graph->cmds[i]);
        double bc1 = 1.0 - pow((double)opt->beta1, t), bc2 = 1.0 - pow((double)opt->beta2, t);
        float v[4] = {(float)((double)opt->lr / bc1), (float)sqrt(bc2), 0.0f, 0.0f};
        memcpy(slots + 4 * slot++, v, sizeof v);
    }
}

static int run(eng_plan *p)
{
    vk_plan *vp = p->impl;
    write_run_params(p, vp);
    int status = 0;
    vk_profile *profile = vp->recording.profile;
    for (int k = 0; k < vp->recording.nsegments && !status; k++) {
        status = vk_submit_segment(ctx_of(p), &vp->recording, k);
        if (!status && profile)
            status = vk_profile_collect(ctx_of(p), profile, k);
        if (!status && k < vp->steps.ncuts)
            status = vk_reduce(ctx_of(p), &vp->memory, &vp->layout, &vp->reductions[k]);
    }
    if (!status && profile)
        vk_profile_run_done(profile);
    if (!status)
        vk_read_nonfinite(&vp->memory, &vp->layout, &p->nonfinite, &p->nonfinite_state);
    return status;
}

/* The submissions of a transfer of region's bytes through the staging buffer. */
static int transfer_submits(const vk_memory *m, int region)
{
    VkDeviceSize size = m->regions[region].size;
    return (int)((size + m->staging_size - 1) / m->staging_size);
}

/* The recording's, and per cut the reducer's copies out and back (vk_reduce). */
static void counters(const eng_plan *p, eng_counters *c)
{
    const vk_plan *vp = p->impl;
    *c = vp->recording.counts;
    c->submits = vp->recording.nsegments;
    for (int k = 0; k < vp->steps.ncuts; k++) {
        const eng_adam *opt = vp->steps.cut_opts[k];
        for (int i = 0; i < opt->nparams; i++)
            c->submits += 2 * transfer_submits(&vp->memory, vp->layout.grad[opt->params[i]->id]);
    }
}

/* Values in the shared region are another tensor's between uses: not for the host. */
/* The master weights of an optimized parameter in a loss-scaled plan, or -1. */
static int master_of(const vk_plan *vp, const eng_node *n)
{
    return vp->layout.loss_scaling ? vp->layout.master[n->id] : -1;
}

/* A parameter with master weights gets both them and their fp16 copy. */
static int write(eng_plan *p, const eng_node *n, const float *src)
{
    vk_plan *vp = p->impl;
    if (eng_memplan_check_kept(&vp->mp, n, 0))
        return ENG_EINVAL;
    int master = master_of(vp, n);
    int status = master < 0 ? 0 : vk_memory_upload(ctx_of(p), &vp->memory, master, src);
    return status ? status : vk_memory_upload(ctx_of(p), &vp->memory, vp->layout.data[n->id], src);
}

static int read(eng_plan *p, const eng_node *n, float *dst, int grad)
{
    vk_plan *vp = p->impl;
    if (eng_memplan_check_kept(&vp->mp, n, grad))
        return ENG_EINVAL;
    int region = grad ? vp->layout.grad[n->id] : vp->layout.data[n->id];
    if (!grad && master_of(vp, n) >= 0)
        region = master_of(vp, n);
    if (region < 0)
        return eng_set_error(ENG_EINVAL, "tensor '%s' has no gradient", n->name);
    int status = vk_memory_download(ctx_of(p), &vp->memory, region, dst);
    if (!status && grad && p->loss_scaling && vp->run_scale != 0.0f) /* read unscaled */
        for (size_t i = 0; i < n->numel; i++)
            dst[i] /= vp->run_scale;
    return status;
}

static size_t memory_budget(eng_backend *be)
{
    return vk_memory_budget(be->impl);
}

static int supports(eng_backend *be, const eng_node *n)
{
    (void)be;
    return vk_lowers_op(n->op);
}

static void destroy(eng_backend *be)
{
    vk_ctx *ctx = be->impl;
    vk_ctx_destroy(ctx);
    free(ctx);
    free(be);
}

eng_backend *eng_vulkan_backend_new(int device_index, int allow_software)
{
    eng_backend *be = calloc(1, sizeof *be);
    vk_ctx *ctx = calloc(1, sizeof *ctx);
    if (!be || !ctx) {
        free(be);
        free(ctx);
        eng_set_error(-1, "out of memory creating the Vulkan backend");
        return NULL;
    }
    if (vk_ctx_create(ctx, device_index, allow_software) != 0) {
        free(be);
        free(ctx);
        return NULL;
    }
    *be = (eng_backend){
        .name = ctx->backend_name,
        .impl = ctx,
        .plan = plan,
        .estimate = estimate,
        .release = release,
        .run = run,
        .write = write,
        .read = read,
        .destroy = destroy,
        .memory_budget = memory_budget,
        .supports = supports,
        .counters = counters,
        .has_fp16 = ctx->storage_16bit,
    };
    return be;
}

int eng_vulkan_validation_errors(const eng_backend *be)
{
    return ((const vk_ctx *)be->impl)->validation_errors;
}

const struct vk_profile *eng_vulkan_plan_profile(const eng_plan *p)
{
    return ((const vk_plan *)p->impl)->recording.profile;
}
