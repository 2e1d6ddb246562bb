/* The CPU backend: one arena for every buffer of the graph, a dispatch table of kernels, and
 * a thread pool shared by the element-wise kernels (the GEMMs use OpenBLAS's own threads). */
#include <cblas.h>
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
} cpu_plan;

static const struct {
    cpu_forward_fn forward;
    cpu_backward_fn backward;
} kernels[ENG_OP_COUNT] = {
#define K(op, name) [op] = {cpu_##name##_forward, cpu_##name##_backward}
    K(ENG_OP_CONV2D, conv2d),
    K(ENG_OP_CONV_TRANSPOSE2D, conv_transpose2d),
    K(ENG_OP_BATCH_NORM2D, batch_norm2d),
    K(ENG_OP_INSTANCE_NORM2D, instance_norm2d),
    K(ENG_OP_REFLECTION_PAD2D, reflection_pad2d),
    K(ENG_OP_RELU, relu),
    K(ENG_OP_LEAKY_RELU, leaky_relu),
    K(ENG_OP_TANH, tanh),
    K(ENG_OP_SIGMOID, sigmoid),
    K(ENG_OP_CONCAT, concat),
    K(ENG_OP_DROPOUT, dropout),
    K(ENG_OP_ADD, add),
    K(ENG_OP_MUL, mul),
    K(ENG_OP_SCALE, scale),
    K(ENG_OP_DETACH, detach),
    K(ENG_OP_SUM, sum),
    K(ENG_OP_L1_LOSS, l1_loss),
    K(ENG_OP_MSE_LOSS, mse_loss),
    K(ENG_OP_BCE_LOGITS_LOSS, bce_logits_loss),
#undef K
};

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

static int cpu_plan_graph(eng_backend *be, eng_plan *p)
{
    cpu_backend *cb = be->impl;
    eng_graph *g = p->graph;
    cpu_plan *cp = calloc(1, sizeof *cp);
    if (!cp)
        return eng_set_error(ENG_ENOMEM, "out of memory planning the graph");
    cpu_ctx *c = &cp->ctx;
    size_t n = (size_t)g->nnodes;
    c->data = calloc(n, sizeof *c->data);
    c->grad = calloc(n, sizeof *c->grad);
    c->aux = calloc(n, sizeof *c->aux);
    size_t total = 0, scratch = 0;
    for (int i = 0; i < g->nnodes; i++) {
        const eng_node *node = g->nodes[i];
        total += padded(node->numel);
        if (node->has_grad)
            total += padded(node->numel);
        total += padded(node->aux_numel);
        size_t s = cpu_scratch_floats(node);
        if (s > scratch)
            scratch = s;
    }
    total += padded(scratch);
    if (c->data && c->grad && c->aux)
        cp->arena = aligned_alloc(64, total * sizeof(float) + 64);
    if (!cp->arena) {
        free(c->data);
        free(c->grad);
        free(c->aux);
        free(cp);
        return eng_set_error(ENG_ENOMEM, "out of memory: the graph needs %.1f MiB",
                             (double)total * sizeof(float) / 1048576.0);
    }
    memset(cp->arena, 0, total * sizeof(float));
    float *next = cp->arena;
    for (int i = 0; i < g->nnodes; i++) {
        const eng_node *node = g->nodes[i];
        c->data[i] = next;
        next += padded(node->numel);
        if (node->has_grad) {
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
    c->scratch = scratch ? next : NULL;
    c->scratch_floats = scratch;
    c->pool = cb->pool;
    c->threads = cb->threads;
    p->impl = cp;
    p->bytes = total * sizeof(float);
    return ENG_OK;
}

static void cpu_release(eng_plan *p)
{
    cpu_plan *cp = p->impl;
    if (!cp)
        return;
    free(cp->arena);
    free(cp->ctx.data);
    free(cp->ctx.grad);
    free(cp->ctx.aux);
    free(cp);
    p->impl = NULL;
}

static int cpu_run(eng_plan *p)
{
    cpu_plan *cp = p->impl;
    cpu_ctx *c = &cp->ctx;
    const eng_graph *g = p->graph;
    c->run_index = p->run_index;
    for (int i = 0; i < g->ncmds; i++) {
        const eng_cmd *cmd = &g->cmds[i];
        const eng_node *n = cmd->node;
        switch (cmd->kind) {
        case ENG_CMD_FORWARD:
            kernels[n->op].forward(c, n);
            break;
        case ENG_CMD_ZERO_GRAD:
            memset(c->grad[n->id], 0, n->numel * sizeof(float));
            break;
        case ENG_CMD_SEED_GRAD:
            for (size_t k = 0; k < n->numel; k++)
                c->grad[n->id][k] = 1.0f;
            break;
        case ENG_CMD_BACKWARD:
            kernels[n->op].backward(c, n, cmd->mask);
            break;
        case ENG_CMD_ADAM:
            cpu_adam_step(c, cmd->opt);
            break;
        }
    }
    return ENG_OK;
}

static int cpu_write(eng_plan *p, const eng_node *n, const float *src)
{
    cpu_plan *cp = p->impl;
    memcpy(cp->ctx.data[n->id], src, n->numel * sizeof(float));
    return ENG_OK;
}

static int cpu_read(eng_plan *p, const eng_node *n, float *dst, int grad)
{
    cpu_plan *cp = p->impl;
    const float *src = grad ? cp->ctx.grad[n->id] : cp->ctx.data[n->id];
    memcpy(dst, src, n->numel * sizeof(float));
    return ENG_OK;
}

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
    openblas_set_num_threads(threads);
    be->name = "cpu";
    be->impl = cb;
    be->plan = cpu_plan_graph;
    be->release = cpu_release;
    be->run = cpu_run;
    be->write = cpu_write;
    be->read = cpu_read;
    be->destroy = cpu_destroy;
    return be;
}
