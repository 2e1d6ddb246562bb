/* Optional per-op timing of the CPU backend: with PIX2PIX_PROFILE=1 in the environment, each
 * plan adds up the wall time of its commands by op and direction and prints the table to
 * stderr when it is freed (per run averages), so the biggest costs can be seen without a
 * profiler. PIX2PIX_PROFILE=2 also lists every convolution command with its GFLOP/s. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/clock.h"
#include "engine/cpu/cpu_internal.h"
#include "engine/flops.h"

enum { SLOT_ZERO = ENG_OP_COUNT, SLOT_ADAM, SLOT_COUNT };

struct cpu_profile {
    double ms[SLOT_COUNT][2]; /* [op or slot][forward, backward] */
    double total_ms;
    unsigned runs;
    const eng_graph *graph;
    double *cmd_ms; /* [command], only with PIX2PIX_PROFILE=2 */
};

cpu_profile *cpu_profile_new(const eng_graph *g)
{
    const char *env = getenv("PIX2PIX_PROFILE");
    if (!env || !*env || !strcmp(env, "0"))
        return NULL;
    cpu_profile *pr = calloc(1, sizeof(cpu_profile));
    if (pr && !strcmp(env, "2")) {
        pr->graph = g;
        pr->cmd_ms = calloc((size_t)g->ncmds, sizeof(double));
    }
    return pr;
}

void cpu_profile_free(cpu_profile *pr)
{
    if (pr)
        free(pr->cmd_ms);
    free(pr);
}

double cpu_profile_now(void)
{
    return clock_ms();
}

void cpu_profile_add(cpu_profile *pr, const eng_cmd *cmd, double ms)
{
    if (pr->cmd_ms && cmd >= pr->graph->cmds && cmd < pr->graph->cmds + pr->graph->ncmds)
        pr->cmd_ms[cmd - pr->graph->cmds] += ms;
    switch (cmd->kind) {
    case ENG_CMD_FORWARD: pr->ms[cmd->node->op][0] += ms; break;
    case ENG_CMD_BACKWARD: pr->ms[cmd->node->op][1] += ms; break;
    case ENG_CMD_ZERO_GRAD:
    case ENG_CMD_SEED_GRAD: pr->ms[SLOT_ZERO][1] += ms; break;
    case ENG_CMD_ADAM: pr->ms[SLOT_ADAM][1] += ms; break;
    }
    pr->total_ms += ms;
}

void cpu_profile_run_done(cpu_profile *pr)
{
    pr->runs++;
}

static void report_convolutions(const cpu_profile *pr)
{
    fprintf(stderr, "  per convolution (bwd: x and w grads)                    ms  GFLOP/s\n");
    for (int i = 0; i < pr->graph->ncmds; i++) {
        const eng_cmd *cmd = &pr->graph->cmds[i];
        const eng_node *n = cmd->node;
        if ((cmd->kind != ENG_CMD_FORWARD && cmd->kind != ENG_CMD_BACKWARD) ||
            eng_op_kind_of(n->op) != ENG_KIND_CONV)
            continue;
        double ms = pr->cmd_ms[i] / pr->runs, gflop = eng_cmd_flops(cmd) / 1e9;
        const eng_node *x = n->src[0];
        fprintf(stderr, "  %s %-16s %4dx%-3dx%-3d -> %4dx%-3dx%-3d %8.2f %8.1f\n",
                cmd->kind == ENG_CMD_FORWARD ? "fwd" : "bwd", eng_op_infos[n->op].name,
                x->shape[1], x->shape[2], x->shape[3], n->shape[1], n->shape[2], n->shape[3], ms,
                ms > 0 ? gflop / ms * 1e3 : 0.0);
    }
}

void cpu_profile_report(cpu_profile *pr)
{
    if (!pr->runs)
        return;
    double n = pr->runs;
    fprintf(stderr, "cpu profile: %u runs, %.1f ms per run\n", pr->runs, pr->total_ms / n);
    fprintf(stderr, "  %-22s %10s %10s %6s\n", "op", "fwd ms", "bwd ms", "share");
    for (int i = 0; i < SLOT_COUNT; i++) {
        double f = pr->ms[i][0] / n, b = pr->ms[i][1] / n;
        if (f + b < 0.05)
            continue;
        const char *name = i == SLOT_ZERO ? "(zero/seed grads)"
                           : i == SLOT_ADAM ? "(adam)"
                                            : eng_op_infos[i].name;
        fprintf(stderr, "  %-22s %10.1f %10.1f %5.1f%%\n", name, f, b,
                100.0 * (f + b) / (pr->total_ms / n));
    }
    if (pr->cmd_ms)
        report_convolutions(pr);
}
