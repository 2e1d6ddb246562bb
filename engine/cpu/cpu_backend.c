/* The CPU backend: one arena for every buffer of the graph, laid out by the memory planner
 * (memplan.h: transient gradients, reused op outputs and the commands' work areas sharing one
 * region by liveness) whose steps it runs, a dispatch table of kernels, and a thread pool
 * shared by the element-wise kernels, the small products (gemm_small.c) and direct
 * convolutions (the large GEMMs use OpenBLAS's own threads). */
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
    eng_memplan mp; /* the layout of the arena and the steps that run */
    cpu_profile *profile;
} cpu_plan;

/* From the op table; leaves have no kernels (their commands are never issued). */
static const struct {
    cpu_forward_fn forward;
    cpu_backward_fn backward;
} kernels[] = {
#define ENG_LEAF(id, name) [ENG_OP_##id] = {NULL, NULL},
#define ENG_OP(id, name, kind, kernel, grads, reads, vk, macs)                                   \
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
    return eng_op_kind_of(n->op) == ENG_KIND_CONV ? cpu_conv_scratch_floats(n) : 0;
}

/* The backward of an im2col convolution (not the direct one) can write its weight gradient
 * with the product instead of adding it (beta 0), saving the zeroing pass. */
static int cpu_can_overwrite(const void *backend, const eng_node *n, int k)
{
    (void)backend;
    return k == 1 && ((n->op == ENG_OP_CONV2D && !cpu_conv2d_is_direct(n)) ||
                      n->op == ENG_OP_CONV_TRANSPOSE2D);
}

static size_t cpu_command_scratch(const void *backend, const eng_node *n, eng_cmd_kind kind)
{
    (void)backend;
    (void)kind;
    return cpu_scratch_floats(n);
}

/* Buffers start on 64-byte boundaries (16 floats) for vector loads. */
const eng_plan_facts cpu_plan_facts = {.can_overwrite = cpu_can_overwrite,
                                       .scratch_floats = cpu_command_scratch,
                                       .align = 16};

static void cpu_plan_free(cpu_plan *cp)
{
    eng_memplan_free(&cp->mp);
    free(cp->ctx.data);
    free(cp->ctx.grad);
    free(cp->ctx.aux);
    free(cp->arena);
    free(cp);
}

static int cpu_estimate(eng_backend *be, const eng_graph *g, size_t *bytes, size_t *host_bytes)
{
    (void)be;
    eng_memplan mp;
    int status = eng_memplan_new(g, &cpu_plan_facts, &mp);
    if (status != ENG_OK)
        return status;
    *bytes = *host_bytes = mp.total * sizeof(float);
    eng_memplan_free(&mp);
    return ENG_OK;
}

/* Points every node's values, gradient and saved values into the zeroed arena; fills the
 * constants. */
static void bind_buffers(const eng_graph *g, cpu_plan *cp)
{
    cpu_ctx *c = &cp->ctx;
    const eng_memplan *mp = &cp->mp;
    for (int i = 0; i < g->nnodes; i++) {
        const eng_node *node = g->nodes[i];
        c->data[i] = cp->arena + mp->value_off[i];
        c->grad[i] = mp->grad_off[i] == ENG_NO_OFFSET ? NULL : cp->arena + mp->grad_off[i];
        c->aux[i] = mp->aux_off[i] == ENG_NO_OFFSET ? NULL : cp->arena + mp->aux_off[i];
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
    if (!c->data || !c->grad || !c->aux) {
        cpu_plan_free(cp);
        return eng_set_error(ENG_ENOMEM, "out of memory planning the graph");
    }
    int status = eng_memplan_new(g, &cpu_plan_facts, &cp->mp);
    if (status != ENG_OK) {
        cpu_plan_free(cp);
        return status;
    }
    size_t total = cp->mp.total;
    cp->arena = aligned_alloc(64, total * sizeof(float) + 64);
    if (!cp->arena) {
        cpu_plan_free(cp);
        return eng_set_error(ENG_ENOMEM, "out of memory: the graph needs %.1f MiB",
                             (double)total * sizeof(float) / 1048576.0);
    }
    memset(cp->arena, 0, total * sizeof(float));
    bind_buffers(g, cp);
    eng_bind_buckets(&cp->mp.grads, c->grad);
    eng_memplan_trace(g, &cp->mp, be->name);
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

static float *scratch_of(cpu_plan *cp, const eng_step *st)
{
    return st->scratch == ENG_NO_OFFSET ? NULL : cp->arena + st->scratch;
}

/* The ordinal of ADAM command cmd among the graph's ADAM commands. */
static int adam_slot(const eng_graph *g, int cmd)
{
    int slot = 0;
    for (int i = 0; i < cmd; i++)
        slot += g->cmds[i].kind == ENG_CMD_ADAM;
    return slot;
}

/* Records the ADAM_BAD_* bits of an update of ADAM command cmd (a bit per command, up to 32). */
static void note_nonfinite(eng_plan *p, int cmd, int bad)
{
    int slot = bad ? adam_slot(p->graph, cmd) : 32;
    if (slot >= 32)
        return;
    if (bad & ADAM_BAD_GRAD)
        p->nonfinite |= 1u << slot;
    if (bad & ADAM_BAD_STATE)
        p->nonfinite_state |= 1u << slot;
}

static int run_step(cpu_plan *cp, eng_plan *p, const eng_step *st)
{
    const eng_graph *g = p->graph;
    cpu_ctx *c = &cp->ctx;
    const eng_node *n = st->node;
    switch (st->kind) {
    case ENG_STEP_ZERO: zero_grad(c, n); break;
    case ENG_STEP_SEED:
        for (size_t k = 0; k < n->numel; k++)
            c->grad[n->id][k] = 1.0f;
        break;
    case ENG_STEP_FORWARD:
        c->scratch = scratch_of(cp, st);
        kernels[n->op].forward(c, n);
        break;
    case ENG_STEP_BACKWARD:
        c->scratch = scratch_of(cp, st);
        c->fresh = st->fresh;
        kernels[n->op].backward(c, n, st->mask);
        c->fresh = 0;
        break;
    case ENG_STEP_ADAM:
        if (st->finish >= 0 && eng_bucket_finish(&cp->mp.grads, st->finish))
            return ENG_EBACKEND;
        note_nonfinite(p, st->cmd, cpu_adam_param(c, st->opt, st->index,
                                                  eng_adam_cmd_step(&g->cmds[st->cmd])));
        break;
    case ENG_STEP_BUCKETS: return eng_buckets_after(g, &cp->mp.grads, st->cmd);
    }
    return ENG_OK;
}

/* The command a step is timed as (PIX2PIX_PROFILE): its own, or *tmp filled in. */
static const eng_cmd *profiled_as(const eng_graph *g, const eng_step *st, eng_cmd *tmp)
{
    switch (st->kind) {
    case ENG_STEP_FORWARD:
    case ENG_STEP_BACKWARD: return &g->cmds[st->cmd];
    case ENG_STEP_ZERO:
    case ENG_STEP_SEED: *tmp = (eng_cmd){.kind = ENG_CMD_ZERO_GRAD, .node = st->node}; break;
    case ENG_STEP_ADAM:
    case ENG_STEP_BUCKETS: *tmp = (eng_cmd){.kind = ENG_CMD_ADAM}; break;
    }
    return tmp;
}

static int cpu_run(eng_plan *p)
{
    cpu_plan *cp = p->impl;
    const eng_graph *g = p->graph;
    cp->ctx.run_index = p->run_index;
    memset(cp->mp.grads.inflight, 0, (size_t)g->nopts * sizeof *cp->mp.grads.inflight);
    for (int k = 0; k < cp->mp.nsteps; k++) {
        const eng_step *st = &cp->mp.steps[k];
        double t0 = cp->profile ? cpu_profile_now() : 0.0;
        if (run_step(cp, p, st) != ENG_OK)
            return ENG_EBACKEND;
        if (cp->profile) {
            eng_cmd tmp;
            cpu_profile_add(cp->profile, profiled_as(g, st, &tmp), cpu_profile_now() - t0);
        }
    }
    if (cp->profile)
        cpu_profile_run_done(cp->profile);
    return ENG_OK;
}

/* Values in the shared region are another tensor's between uses: not for the host. */
static int cpu_write(eng_plan *p, const eng_node *n, const float *src)
{
    cpu_plan *cp = p->impl;
    if (eng_memplan_check_kept(&cp->mp, n, 0))
        return ENG_EINVAL;
    memcpy(cp->ctx.data[n->id], src, n->numel * sizeof(float));
    return ENG_OK;
}

static int cpu_read(eng_plan *p, const eng_node *n, float *dst, int grad)
{
    cpu_plan *cp = p->impl;
    if (eng_memplan_check_kept(&cp->mp, n, grad))
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
