/* The memory planner: the arena's layout (the shared region placed by liveness, then each
 * node's own buffers) and the steps that run, from the liveness of values
 * (value_liveness.c) and gradients (grad_liveness.c). */
#include <stdlib.h>
#include <string.h>

#include "base/grow.h"
#include "engine/engine.h"
#include "engine/memplan/memplan.h"

size_t eng_memplan_align(const eng_plan_facts *facts, size_t floats)
{
    size_t a = facts->align ? facts->align : 1;
    return (floats + a - 1) / a * a;
}

static size_t tensor_floats(const eng_plan_facts *facts, const eng_node *n, int grad)
{
    size_t floats = facts->tensor_floats ? facts->tensor_floats(facts->backend, n, grad) : n->numel;
    return eng_memplan_align(facts, floats);
}

static size_t scratch_of(const eng_plan_facts *facts, const eng_cmd *cmd)
{
    if (!facts->scratch_floats || (cmd->kind != ENG_CMD_FORWARD && cmd->kind != ENG_CMD_BACKWARD))
        return 0;
    return facts->scratch_floats(facts->backend, cmd->node, cmd->kind);
}

/* The shared region: reused op outputs, transient gradients and the commands' work areas
 * (alive for their command only), placed together by their lifetimes. scratch[cmd] gets the
 * work areas' offsets. Returns its size in floats, or ENG_NO_OFFSET when out of memory. */
static size_t place_shared(const eng_graph *g, const eng_plan_facts *facts, eng_memplan *mp,
                           const int *vfirst, const int *vlast, size_t *scratch)
{
    size_t n = (size_t)g->nnodes, max = 2 * n + (size_t)g->ncmds + 1;
    eng_interval *list = malloc(max * sizeof *list), *tmp = malloc(max * sizeof *tmp);
    if (!list || !tmp) {
        free(list);
        free(tmp);
        return ENG_NO_OFFSET;
    }
    /* ids: 3 * node (values), 3 * node + 1 (gradient), 3 * command + 2 (work area) */
    int count = 0;
    for (size_t id = 0; id < n; id++) {
        const eng_node *node = g->nodes[id];
        mp->value_off[id] = mp->grad_off[id] = ENG_NO_OFFSET;
        if (vfirst[id] >= 0)
            list[count++] = (eng_interval){0, tensor_floats(facts, node, 0), vfirst[id],
                                           vlast[id], (int)(3 * id)};
        if (mp->grads.transient[id] && mp->grads.first[id] >= 0)
            list[count++] = (eng_interval){0, tensor_floats(facts, node, 1), mp->grads.first[id],
                                           mp->grads.last[id], (int)(3 * id + 1)};
    }
    for (int i = 0; i < g->ncmds; i++) {
        size_t size = eng_memplan_align(facts, scratch_of(facts, &g->cmds[i]));
        scratch[i] = ENG_NO_OFFSET;
        if (size)
            list[count++] = (eng_interval){0, size, i, i, 3 * i + 2};
    }
    size_t region = eng_place_intervals(list, count, tmp);
    for (int k = 0; k < count; k++) {
        size_t *offsets[] = {mp->value_off, mp->grad_off, scratch};
        offsets[list[k].id % 3][list[k].id / 3] = list[k].off;
    }
    free(list);
    free(tmp);
    return region;
}

/* After the shared region, each node's own buffers: values, kept gradient, saved values. */
static void place_own(const eng_graph *g, const eng_plan_facts *facts, eng_memplan *mp)
{
    size_t next = mp->shared;
    for (int i = 0; i < g->nnodes; i++) {
        const eng_node *node = g->nodes[i];
        mp->aux_off[i] = ENG_NO_OFFSET;
        if (mp->value_off[i] == ENG_NO_OFFSET) {
            mp->value_off[i] = next;
            next += tensor_floats(facts, node, 0);
        }
        if (node->has_grad && !mp->grads.transient[i]) {
            mp->grad_off[i] = next;
            next += tensor_floats(facts, node, 1);
        }
        if (node->aux_numel) {
            mp->aux_off[i] = next;
            next += eng_memplan_align(facts, node->aux_numel);
        }
    }
    mp->total = next;
}

/* ---- the steps ------------------------------------------------------------------------------ */
static int add_step(eng_memplan *mp, int *cap, eng_step step)
{
    eng_step *grown = grow_for_one(mp->steps, cap, mp->nsteps, sizeof *grown, 64);
    if (!grown)
        return -1;
    mp->steps = grown;
    mp->steps[mp->nsteps++] = step;
    return 0;
}

/* Command i's steps: the zeroes moved before it, itself, then the updates and reductions
 * planned after it. */
static int command_steps(const eng_graph *g, const eng_plan_facts *facts, eng_memplan *mp,
                         const size_t *scratch, int i, int *cap)
{
    const eng_grad_plan *gp = &mp->grads;
    const eng_cmd *c = &g->cmds[i];
    int rc = 0;
    for (int z = gp->zero_start[i]; z < gp->zero_start[i + 1] && !rc; z++)
        rc = add_step(mp, cap, (eng_step){.kind = ENG_STEP_ZERO, .cmd = i,
                                          .node = g->nodes[gp->zero_ids[z]], .index = -1,
                                          .finish = -1, .scratch = ENG_NO_OFFSET});
    eng_step s = {.cmd = i, .node = c->node, .mask = c->mask, .index = -1, .finish = -1,
                  .scratch = scratch[i], .scratch_floats = scratch_of(facts, c)};
    switch (c->kind) {
    case ENG_CMD_FORWARD: s.kind = ENG_STEP_FORWARD; break;
    case ENG_CMD_ZERO_GRAD: s.kind = ENG_STEP_ZERO; break;
    case ENG_CMD_SEED_GRAD: s.kind = ENG_STEP_SEED; break;
    case ENG_CMD_BACKWARD:
        s.kind = ENG_STEP_BACKWARD;
        s.fresh = gp->fresh[i];
        break;
    case ENG_CMD_ADAM: s.node = NULL; break; /* its updates: the ADAM steps */
    }
    /* a transient gradient's ZERO_GRAD moved to its first touch (above) */
    int skip = c->kind == ENG_CMD_ADAM ||
               (c->kind == ENG_CMD_ZERO_GRAD && gp->transient[c->node->id]);
    if (!skip && !rc)
        rc = add_step(mp, cap, s);
    for (int a = gp->adam_start[i]; a < gp->adam_start[i + 1] && !rc; a++) {
        const eng_adam_entry *e = &gp->adam[a];
        rc = add_step(mp, cap, (eng_step){.kind = ENG_STEP_ADAM, .cmd = e->adam_cmd, .opt = e->opt,
                                          .index = e->index, .finish = e->finish,
                                          .scratch = ENG_NO_OFFSET});
    }
    if (gp->nbuckets && !rc)
        rc = add_step(mp, cap, (eng_step){.kind = ENG_STEP_BUCKETS, .cmd = i, .index = -1,
                                          .finish = -1, .scratch = ENG_NO_OFFSET});
    return rc;
}

static int plan_steps(const eng_graph *g, const eng_plan_facts *facts, eng_memplan *mp,
                      const size_t *scratch)
{
    int cap = 0;
    for (int i = 0; i < g->ncmds; i++)
        if (command_steps(g, facts, mp, scratch, i, &cap))
            return -1;
    return 0;
}

int eng_memplan_new(const eng_graph *g, const eng_plan_facts *facts, eng_memplan *mp)
{
    memset(mp, 0, sizeof *mp);
    size_t n = g->nnodes ? (size_t)g->nnodes : 1, nc = g->ncmds ? (size_t)g->ncmds : 1;
    mp->value_off = malloc(n * sizeof *mp->value_off);
    mp->grad_off = malloc(n * sizeof *mp->grad_off);
    mp->aux_off = malloc(n * sizeof *mp->aux_off);
    size_t *scratch = malloc(nc * sizeof *scratch);
    int *vfirst = malloc(n * sizeof *vfirst), *vlast = malloc(n * sizeof *vlast);
    int ok = mp->value_off && mp->grad_off && mp->aux_off && scratch && vfirst && vlast;
    if (ok && (eng_plan_transient_grads(g, facts, &mp->grads) != ENG_OK ||
               eng_plan_values(g, vfirst, vlast) != ENG_OK))
        ok = 0;
    size_t shared = ok ? place_shared(g, facts, mp, vfirst, vlast, scratch) : ENG_NO_OFFSET;
    ok = shared != ENG_NO_OFFSET;
    if (ok) {
        mp->shared = eng_memplan_align(facts, shared);
        place_own(g, facts, mp);
        ok = plan_steps(g, facts, mp, scratch) == 0;
    }
    free(scratch);
    free(vfirst);
    free(vlast);
    if (!ok) {
        eng_memplan_free(mp);
        return eng_set_error(ENG_ENOMEM, "out of memory planning the graph's buffers");
    }
    return ENG_OK;
}

void eng_memplan_free(eng_memplan *mp)
{
    eng_grad_plan_free(&mp->grads);
    free(mp->value_off);
    free(mp->grad_off);
    free(mp->aux_off);
    free(mp->steps);
    memset(mp, 0, sizeof *mp);
}

int eng_memplan_check_kept(const eng_memplan *mp, const eng_node *n, int grad)
{
    if (grad && mp->grads.transient[n->id])
        return eng_set_error(ENG_EINVAL, "the gradient of '%s' is not kept after a run (only "
                             "those of inputs and of parameters without an optimizer are)",
                             n->name);
    if (!grad && eng_memplan_value_shared(mp, n->id))
        return eng_set_error(ENG_EINVAL, "the values of %s '%s' are not kept after a run (the "
                             "graph reuses op outputs' memory; mark it with eng_keep_value)",
                             eng_op_infos[n->op].name, n->name);
    return ENG_OK;
}
