/* The CPU backend: one arena for every buffer of the graph (transient gradients, reused op
 * outputs and the commands' work areas sharing one region by liveness), a dispatch table of
 * kernels, and a thread pool shared by the element-wise kernels, the small products
 * (gemm_small.c) and direct convolutions (the large GEMMs use OpenBLAS's own threads). */
#include <cblas.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "engine/cpu/cpu_internal.h"
#include "engine/engine.h"

typedef struct {
    int threads;
    cpu_pool *pool;
} cpu_backend;

typedef struct {
    cpu_ctx ctx;
    float *arena;
    size_t shared;        /* floats of the shared region, at the start of the arena */
    size_t *value_offset; /* [node id] offset of its values in the shared region, or NONE */
    size_t *grad_offset;  /* [node id] offset of its transient gradient there, or NONE */
    size_t *scratch_offset; /* [command] offset of its work area there, or NONE */
    cpu_grad_plan grads;
    cpu_profile *profile;
} cpu_plan;

/* From the op table; leaves have no kernels (their commands are never issued). */
static const struct {
    cpu_forward_fn forward;
    cpu_backward_fn backward;
} kernels[] = {
#define ENG_LEAF(id, name) [ENG_OP_##id] = {NULL, NULL},
#define ENG_OP(id, name, kernel, grads, reads, vk)                                                   \
    [ENG_OP_##id] = {cpu_##kernel##_forward, cpu_##kernel##_backward},
#include "engine/ops.def"
#undef ENG_LEAF
#undef ENG_OP
};
_Static_assert(sizeof kernels / sizeof kernels[0] == ENG_OP_COUNT,
               "one CPU kernel entry per op of ops.def");

/* Every op of the table has its kernels. */
static int cpu_supports(eng_backend *be, const eng_node *n)
{
    (void)be;
    return eng_op_is_leaf(n->op) || kernels[n->op].forward != NULL;
}

size_t cpu_scratch_floats(const eng_node *n)
{
    if (n->op == ENG_OP_CONV2D || n->op == ENG_OP_CONV_TRANSPOSE2D)
        return cpu_conv_scratch_floats(n);
    return 0;
}

/* Buffers start on 64-byte boundaries (16 floats) for vector loads. */
static size_t padded(size_t floats)
{
    return (floats + 15) & ~(size_t)15;
}

#define NONE ((size_t)-1)

static void cpu_plan_free(cpu_plan *cp)
{
    cpu_grad_plan_free(&cp->grads);
    free(cp->value_offset);
    free(cp->grad_offset);
    free(cp->scratch_offset);
    free(cp->ctx.data);
    free(cp->ctx.grad);
    free(cp->ctx.aux);
    free(cp->arena);
    free(cp);
}

/* The shared region: reused op outputs, transient gradients and the commands' work areas
 * (alive for their command only), placed together by their lifetimes (value_liveness.c,
 * grad_liveness.c). Returns its size in floats, or NONE when out of memory. */
static size_t place_shared(const eng_graph *g, cpu_plan *cp, const int *vfirst, const int *vlast)
{
    size_t n = (size_t)g->nnodes, max = 2 * n + (size_t)g->ncmds + 1;
    cpu_interval *list = malloc(max * sizeof *list), *tmp = malloc(max * sizeof *tmp);
    if (!list || !tmp) {
        free(list);
        free(tmp);
        return NONE;
    }
    /* ids: 3 * node (values), 3 * node + 1 (gradient), 3 * command + 2 (work area) */
    int count = 0;
    for (size_t id = 0; id < n; id++) {
        size_t size = padded(g->nodes[id]->numel);
        cp->value_offset[id] = cp->grad_offset[id] = NONE;
        if (vfirst[id] >= 0)
            list[count++] = (cpu_interval){0, size, vfirst[id], vlast[id], (int)(3 * id)};
        if (cp->grads.transient[id] && cp->grads.first[id] >= 0)
            list[count++] = (cpu_interval){0, size, cp->grads.first[id], cp->grads.last[id],
                                           (int)(3 * id + 1)};
    }
    for (int i = 0; i < g->ncmds; i++) {
        const eng_cmd *cmd = &g->cmds[i];
        size_t size = cmd->kind == ENG_CMD_FORWARD || cmd->kind == ENG_CMD_BACKWARD
                          ? padded(cpu_scratch_floats(cmd->node))
                          : 0;
        cp->scratch_offset[i] = NONE;
        if (size)
            list[count++] = (cpu_interval){0, size, i, i, 3 * i + 2};
    }
    size_t region = cpu_place_intervals(list, count, tmp);
    for (int k = 0; k < count; k++) {
        size_t *offsets[] = {cp->value_offset, cp->grad_offset, cp->scratch_offset};
        offsets[list[k].id % 3][list[k].id / 3] = list[k].off;
    }
    free(list);
    free(tmp);
    return region;
}

/* Arena layout: the shared region, then each node's own buffers (values, kept gradient, saved
 * values). Fills cp's offsets and gradient plan; returns the arena's size in floats, or NONE
 * when out of memory. Allocates no arena: planning and estimating share it. */
static size_t cpu_layout(const eng_graph *g, cpu_plan *cp)
{
    size_t n = (size_t)g->nnodes, alloc = n ? n : 1;
    cp->value_offset = malloc(alloc * sizeof *cp->value_offset);
    cp->grad_offset = malloc(alloc * sizeof *cp->grad_offset);
    cp->scratch_offset = malloc((g->ncmds ? (size_t)g->ncmds : 1) * sizeof *cp->scratch_offset);
    int *vfirst = malloc(alloc * sizeof *vfirst), *vlast = malloc(alloc * sizeof *vlast);
    int ok = cp->value_offset && cp->grad_offset && cp->scratch_offset && vfirst && vlast;
    if (ok && (cpu_plan_transient_grads(g, &cp->grads) != ENG_OK ||
               cpu_plan_values(g, vfirst, vlast) != ENG_OK))
        ok = 0;
    size_t shared = ok ? place_shared(g, cp, vfirst, vlast) : NONE;
    free(vfirst);
    free(vlast);
    if (shared == NONE)
        return NONE;
    cp->shared = padded(shared);
    size_t total = cp->shared;
    for (int i = 0; i < g->nnodes; i++) {
        const eng_node *node = g->nodes[i];
        if (cp->value_offset[i] == NONE)
            total += padded(node->numel);
        if (node->has_grad && !cp->grads.transient[i])
            total += padded(node->numel);
        total += padded(node->aux_numel);
    }
    return total;
}

static int cpu_estimate(eng_backend *be, const eng_graph *g, size_t *host_bytes)
{
    (void)be;
    cpu_plan *cp = calloc(1, sizeof *cp);
    size_t total = cp ? cpu_layout(g, cp) : NONE;
    if (cp)
        cpu_plan_free(cp);
    if (total == NONE)
        return eng_set_error(ENG_ENOMEM, "out of memory planning the graph");
    *host_bytes = total * sizeof(float);
    return ENG_OK;
}

/* Points every node's values, gradient and saved values into the zeroed arena; fills the
 * constants. */
static void bind_buffers(const eng_graph *g, cpu_plan *cp)
{
    cpu_ctx *c = &cp->ctx;
    float *region = cp->arena, *next = region + cp->shared;
    for (int i = 0; i < g->nnodes; i++) {
        const eng_node *node = g->nodes[i];
        if (cp->value_offset[i] != NONE) {
            c->data[i] = region + cp->value_offset[i];
        } else {
            c->data[i] = next;
            next += padded(node->numel);
        }
        if (cp->grads.transient[i]) {
            c->grad[i] = cp->grad_offset[i] == NONE ? NULL : region + cp->grad_offset[i];
        } else if (node->has_grad) {
            c->grad[i] = next;
            next += padded(node->numel);
        }
        if (node->aux_numel) {
            c->aux[i] = next;
            next += padded(node->aux_numel);
        }
        if (node->op == ENG_OP_CONST)
            for (size_t k = 0; k < node->numel; k++)
                c->data[i][k] = node->arg.scalar.value;
    }
}

static int cpu_plan_graph(eng_backend *be, eng_plan *p)
{
    cpu_backend *cb = be->impl;
    eng_graph *g = p->graph;
    cpu_plan *cp = calloc(1, sizeof *cp);
    if (!cp)
        return eng_set_error(ENG_ENOMEM, "out of memory planning the graph");
    cpu_ctx *c = &cp->ctx;
    size_t alloc = g->nnodes ? (size_t)g->nnodes : 1;
    c->data = calloc(alloc, sizeof *c->data);
    c->grad = calloc(alloc, sizeof *c->grad);
    c->aux = calloc(alloc, sizeof *c->aux);
    size_t total = c->data && c->grad && c->aux ? cpu_layout(g, cp) : NONE;
    if (total == NONE) {
        cpu_plan_free(cp);
        return eng_set_error(ENG_ENOMEM, "out of memory planning the graph");
    }
    cp->arena = aligned_alloc(64, total * sizeof(float) + 64);
    if (!cp->arena) {
        cpu_plan_free(cp);
        return eng_set_error(ENG_ENOMEM, "out of memory: the graph needs %.1f MiB",
                             (double)total * sizeof(float) / 1048576.0);
    }
    memset(cp->arena, 0, total * sizeof(float));
    bind_buffers(g, cp);
    cpu_bind_buckets(&cp->grads, c->grad);
    c->pool = cb->pool;
    c->threads = cb->threads;
    cp->profile = cpu_profile_new(g);
    p->impl = cp;
    p->bytes = total * sizeof(float);
    return ENG_OK;
}

static void cpu_release(eng_plan *p)
{
    cpu_plan *cp = p->impl;
    if (!cp)
        return;
    if (cp->profile) {
        cpu_profile_report(cp->profile);
        cpu_profile_free(cp->profile);
    }
    cpu_plan_free(cp);
    p->impl = NULL;
}

typedef struct {
    float *buf;
} zero_job;

static void zero_range(void *arg, size_t begin, size_t end)
{
    const zero_job *j = arg;
    memset(j->buf + begin, 0, (end - begin) * sizeof(float));
}

/* Large gradients are zeroed by the whole pool (one core does not saturate memory). */
static void zero_grad(cpu_ctx *c, const eng_node *n)
{
    zero_job j = {c->grad[n->id]};
    if (n->numel < 65536)
        memset(j.buf, 0, n->numel * sizeof(float));
    else
        cpu_parallel_for(c->pool, n->numel, zero_range, &j);
}

static int cpu_run(eng_plan *p)
{
    cpu_plan *cp = p->impl;
    cpu_ctx *c = &cp->ctx;
    const eng_graph *g = p->graph;
    c->run_index = p->run_index;
    memset(cp->grads.inflight, 0, (size_t)g->nopts * sizeof *cp->grads.inflight);
    for (int i = 0; i < g->ncmds; i++) {
        const eng_cmd *cmd = &g->cmds[i];
        const eng_node *n = cmd->node;
        double t0 = cp->profile ? cpu_profile_now() : 0.0;
        for (int z = cp->grads.zero_start[i]; z < cp->grads.zero_start[i + 1]; z++)
            zero_grad(c, g->nodes[cp->grads.zero_ids[z]]);
        switch (cmd->kind) {
        case ENG_CMD_FORWARD:
            c->scratch = cp->scratch_offset[i] == NONE ? NULL : cp->arena + cp->scratch_offset[i];
            kernels[n->op].forward(c, n);
            break;
        case ENG_CMD_ZERO_GRAD:
            if (!cp->grads.transient[n->id]) /* transient ones: zeroed at their first touch */
                zero_grad(c, n);
            break;
        case ENG_CMD_SEED_GRAD:
            for (size_t k = 0; k < n->numel; k++)
                c->grad[n->id][k] = 1.0f;
            break;
        case ENG_CMD_BACKWARD:
            c->scratch = cp->scratch_offset[i] == NONE ? NULL : cp->arena + cp->scratch_offset[i];
            c->fresh = cp->grads.fresh[i];
            kernels[n->op].backward(c, n, cmd->mask);
            c->fresh = 0;
            break;
        case ENG_CMD_ADAM: /* its updates run at the points planned for each parameter */
            break;
        }
        if (cp->profile) {
            double t1 = cpu_profile_now();
            cpu_profile_add(cp->profile, cmd, t1 - t0);
            t0 = t1;
        }
        for (int a = cp->grads.adam_start[i]; a < cp->grads.adam_start[i + 1]; a++) {
            const cpu_adam_entry *e = &cp->grads.adam[a];
            if (e->finish >= 0 && cpu_bucket_finish(&cp->grads, e->finish))
                return ENG_EBACKEND;
            cpu_adam_param(c, e->opt, e->index);
        }
        if (cp->grads.nbuckets && cpu_buckets_after(g, &cp->grads, i))
            return ENG_EBACKEND;
        if (cp->profile && cp->grads.adam_start[i] < cp->grads.adam_start[i + 1])
            cpu_profile_add(cp->profile, &(eng_cmd){.kind = ENG_CMD_ADAM}, cpu_profile_now() - t0);
    }
    if (cp->profile)
        cpu_profile_run_done(cp->profile);
    return ENG_OK;
}

/* Values in the shared region are another tensor's between uses: not for the host. */
static int check_value_kept(const cpu_plan *cp, const eng_node *n)
{
    if (cp->value_offset[n->id] == NONE)
        return ENG_OK;
    return eng_set_error(ENG_EINVAL, "the values of %s '%s' are not kept after a run (the graph "
                         "reuses op outputs' memory; mark it with eng_keep_value)",
                         eng_op_infos[n->op].name, n->name);
}

static int cpu_write(eng_plan *p, const eng_node *n, const float *src)
{
    cpu_plan *cp = p->impl;
    if (check_value_kept(cp, n))
        return ENG_EINVAL;
    memcpy(cp->ctx.data[n->id], src, n->numel * sizeof(float));
    return ENG_OK;
}

static int cpu_read(eng_plan *p, const eng_node *n, float *dst, int grad)
{
    cpu_plan *cp = p->impl;
    if (grad && cp->grads.transient[n->id])
        return eng_set_error(ENG_EINVAL, "the gradient of '%s' is not kept after a run (only "
                             "those of inputs and of parameters without an optimizer are)",
                             n->name);
    if (!grad && check_value_kept(cp, n))
        return ENG_EINVAL;
    const float *src = grad ? cp->ctx.grad[n->id] : cp->ctx.data[n->id];
    memcpy(dst, src, n->numel * sizeof(float));
    return ENG_OK;
}

/* OpenBLAS's idle worker threads spin (sched_yield) for 2^28 cycles, a tenth of a second, after
 * each product before they sleep. Products come every few milliseconds here, so they never
 * sleep and take turns on the cores with this backend's pool, which runs the element-wise
 * work, the small products and im2col between them: measured, the spinning costs 5-12% of a
 * unet_256 step at 2 threads. OPENBLAS_THREAD_TIMEOUT=4 (2^4 cycles) makes them sleep at once;
 * OpenBLAS reads it when it starts its threads, so it is set, read, and the threads restarted
 * (lazily, at the next product). A timeout the user set is left alone; the hooks are weak, so
 * a BLAS without them is used as it is. */
extern void openblas_read_env(void) __attribute__((weak));
extern int blas_thread_shutdown_(void) __attribute__((weak));

static void quiet_blas_threads(void)
{
    if (!openblas_read_env || !blas_thread_shutdown_ || getenv("OPENBLAS_THREAD_TIMEOUT"))
        return;
    setenv("OPENBLAS_THREAD_TIMEOUT", "4", 0);
    openblas_read_env();
    unsetenv("OPENBLAS_THREAD_TIMEOUT");
    blas_thread_shutdown_();
}

static pthread_once_t blas_threads_once = PTHREAD_ONCE_INIT;

static void cpu_destroy(eng_backend *be)
{
    cpu_backend *cb = be->impl;
    cpu_pool_free(cb->pool);
    free(cb);
    free(be);
}

eng_backend *eng_cpu_backend_new(int threads)
{
    if (threads <= 0) {
        long cores = sysconf(_SC_NPROCESSORS_ONLN);
        threads = cores > 0 ? (int)cores : 1;
    }
    eng_backend *be = calloc(1, sizeof *be);
    cpu_backend *cb = calloc(1, sizeof *cb);
    if (!be || !cb || !(cb->pool = cpu_pool_new(threads))) {
        free(be);
        free(cb);
        eng_set_error(ENG_ENOMEM, "out of memory creating the CPU backend");
        return NULL;
    }
    cb->threads = threads;
    pthread_once(&blas_threads_once, quiet_blas_threads);
    openblas_set_num_threads(threads);
    if (cpu_reserve_blas_buffers(threads) != ENG_OK) {
        cpu_pool_free(cb->pool);
        free(cb);
        free(be);
        return NULL;
    }
    be->name = "cpu";
    be->impl = cb;
    be->plan = cpu_plan_graph;
    be->estimate = cpu_estimate;
    be->release = cpu_release;
    be->run = cpu_run;
    be->write = cpu_write;
    be->read = cpu_read;
    be->destroy = cpu_destroy;
    be->supports = cpu_supports;
    return be;
}
