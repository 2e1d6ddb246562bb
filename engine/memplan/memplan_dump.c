/* ENG_SCHEDULE=1: the steps that run, as the memory planner made them, on stderr. One line
 * per step: its number, kind, the recorded command it comes from, the node (op and name) or
 * the optimizer's parameter, the masks, and the offsets (in floats from the arena's start;
 * "-" for none) of the buffers it touches. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/env.h"
#include "engine/engine.h"
#include "engine/memplan/memplan.h"

static const char *step_name(eng_step_kind k)
{
    switch (k) {
    case ENG_STEP_ZERO: return "zero";
    case ENG_STEP_SEED: return "seed";
    case ENG_STEP_FORWARD: return "forward";
    case ENG_STEP_BACKWARD: return "backward";
    case ENG_STEP_ADAM: return "adam";
    case ENG_STEP_BUCKETS: return "buckets";
    }
    return "?";
}

static void print_offset(const char *what, size_t off)
{
    if (off == ENG_NO_OFFSET)
        fprintf(stderr, " %s=-", what);
    else
        fprintf(stderr, " %s=%zu", what, off);
}

static void print_step(const eng_memplan *mp, int k)
{
    const eng_step *s = &mp->steps[k];
    fprintf(stderr, "%5d %-8s cmd=%-5d", k, step_name(s->kind), s->cmd);
    if (s->kind == ENG_STEP_ADAM) {
        const eng_node *p = s->opt->params[s->index];
        fprintf(stderr, " param %s", p->name);
        print_offset("value", mp->value_off[p->id]);
        print_offset("grad", mp->grad_off[p->id]);
        if (s->finish >= 0)
            fprintf(stderr, " finish=bucket%d", s->finish);
    } else if (s->node) {
        const eng_node *n = s->node;
        fprintf(stderr, " %s %s", eng_op_infos[n->op].name, n->name);
        if (s->kind == ENG_STEP_BACKWARD)
            fprintf(stderr, " mask=0x%x fresh=0x%x", s->mask, s->fresh);
        print_offset("value", mp->value_off[n->id]);
        print_offset("grad", mp->grad_off[n->id]);
        if (s->scratch != ENG_NO_OFFSET)
            fprintf(stderr, " scratch=%zu+%zu", s->scratch, s->scratch_floats);
    }
    fputc('\n', stderr);
}

void eng_memplan_trace(const eng_graph *g, const eng_memplan *mp, const char *backend)
{
    if (!env_flag("ENG_SCHEDULE"))
        return;
    fprintf(stderr, "schedule (%s): %d commands, %d steps; arena %zu floats (%.1f MiB), shared "
            "region %zu floats; reuse_values %d, keep_grads %d\n", backend, g->ncmds, mp->nsteps,
            mp->total, (double)mp->total * sizeof(float) / 1048576.0, mp->shared,
            g->reuse_values, g->keep_grads);
    for (int k = 0; k < mp->nsteps; k++)
        print_step(mp, k);
}
