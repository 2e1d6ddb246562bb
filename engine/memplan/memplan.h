/* The memory planner (engine-internal, shared by the backends, not by the engine's users).
 *
 * From a graph and a few facts about the backend it decides where every buffer lives and what
 * actually runs: op outputs reused by liveness (eng_reuse_values), transient gradients, the
 * commands' work areas, moved ZERO_GRADs and the gradients a backward overwrites instead of
 * adding into zeroes, and each parameter's Adam update placed right after its gradient is
 * complete. The result is one arena of floats (a shared region placed by liveness, then each
 * node's own buffers) and the list of steps that runs, in order. ENG_SCHEDULE=1 prints it. */
#ifndef ENGINE_MEMPLAN_H
#define ENGINE_MEMPLAN_H

#include <stddef.h>

#include "engine/graph.h"

#define ENG_NO_OFFSET ((size_t)-1)

/* What the planner needs to know of a backend. */
typedef struct {
    /* Can the backward of n write src k's gradient instead of adding into it (saving the
     * zeroing pass)? NULL: never. */
    int (*can_overwrite)(const void *backend, const eng_node *n, int k);
    /* Floats of work area a FORWARD or BACKWARD command of n needs for itself; NULL: none. */
    size_t (*scratch_floats)(const void *backend, const eng_node *n, eng_cmd_kind kind);
    /* Floats of storage of n's values (grad 0) or gradient (grad 1); NULL: its numel. */
    size_t (*tensor_floats)(const void *backend, const eng_node *n, int grad);
    /* Every optimizer updates at its ADAM command, once all its gradients are complete (loss
     * scaling checks them all first), not parameter by parameter during backward. */
    int deferred_updates;
    size_t align; /* floats: every offset and size is a multiple (at least 1) */
    const void *backend; /* the backend's own data, handed to the hooks (may be NULL) */
} eng_plan_facts;

/* ---- the steps that run --------------------------------------------------------------------- */
typedef enum {
    ENG_STEP_ZERO,     /* node's gradient = 0 */
    ENG_STEP_SEED,     /* node's gradient = 1 (the loss) */
    ENG_STEP_FORWARD,  /* node from its srcs */
    ENG_STEP_BACKWARD, /* add (or, for srcs in fresh, write) d/dsrc into the srcs in mask */
    ENG_STEP_ADAM,     /* opt's parameter index (finishing bucket finish first, if >= 0) */
    ENG_STEP_BUCKETS,  /* start the reducer buckets complete after command cmd, progress others */
} eng_step_kind;

typedef struct {
    eng_step_kind kind;
    int cmd;              /* the recorded command it comes from (ADAM: the ADAM command) */
    eng_node *node;       /* not for ADAM and BUCKETS */
    unsigned mask, fresh;
    const eng_adam *opt;
    int index, finish;
    size_t scratch;       /* its work area in the arena, or ENG_NO_OFFSET */
    size_t scratch_floats;
} eng_step;

/* ---- memory sharing by liveness (interval_place.c) ----------------------------------------
 * Buffers of size floats alive from command first to last (inclusive); id is the caller's.
 * Sets each off so that buffers alive at the same time never overlap; returns the region's
 * size. Reorders list; tmp holds n entries. */
typedef struct {
    size_t off, size;
    int first, last, id;
} eng_interval;
size_t eng_place_intervals(eng_interval *list, int n, eng_interval *tmp);
/* An op's output (not a leaf: input, param, state or const): the buffers that may be shared. */
int eng_is_op_output(const eng_node *n);

/* ---- reused op outputs (value_liveness.c) --------------------------------------------------
 * With eng_reuse_values: [first, last] the commands through which op output id must keep its
 * values in the shared region; first -1 for nodes with buffers of their own (all of them
 * without it). */
int eng_plan_values(const eng_graph *g, int *first, int *last);

/* ---- transient gradients (grad_liveness.c) ------------------------------------------------
 * Gradients of op outputs and of optimized parameters live only through the commands that
 * touch them; their ZERO_GRAD commands move to the command that first touches them after it,
 * and each parameter's Adam update runs right after the last command that uses the
 * parameter. */
typedef struct {
    const eng_adam *opt;
    int index;            /* parameter index in opt */
    int finish;           /* bucket (index into eng_grad_plan.buckets) to finish first, or -1 */
    int adam_cmd;         /* the optimizer's ADAM command */
} eng_adam_entry;

/* A bucket of gradients handed to its optimizer's reducer (eng_reducer, grad_buckets.c). */
typedef struct {
    const eng_adam *opt;
    int slot;             /* opt's index in graph->opts */
    int index;            /* the bucket's number among opt's buckets (its start order) */
    int ready;            /* the command after which all its gradients are complete */
    int n;
    int *ids;             /* the parameters' node ids */
    float **grads;        /* their gradient buffers in host memory (eng_bind_buckets) */
    size_t *counts;
} eng_bucket;

typedef struct {
    char *transient;      /* [node id] gradient lives in the shared region */
    int *first, *last;    /* [node id] the commands a transient gradient lives through
                           * (first -1: never touched, no buffer) */
    int *zero_start;      /* [cmd .. cmd+1): indices into zero_ids of grads zeroed before cmd */
    int *zero_ids;
    unsigned char *fresh; /* [cmd] srcs whose gradients the backward overwrites, not adds to */
    int *adam_start;      /* [cmd .. cmd+1): indices into adam of the updates run after cmd */
    eng_adam_entry *adam;
    eng_bucket *buckets;  /* of the optimizers with a reducer, whose updates all run at their
                           * ADAM command, bucket after bucket */
    int nbuckets;
    int *bucket_start;    /* [cmd .. cmd+1): indices into bucket_ids of those started after cmd */
    int *bucket_ids;
    int *inflight;        /* [opt slot] buckets started and not finished in the current run */
} eng_grad_plan;
int eng_plan_transient_grads(const eng_graph *g, const eng_plan_facts *facts, eng_grad_plan *gp);
void eng_grad_plan_free(eng_grad_plan *gp);
/* The last command before ADAM command adam_cmd that uses p (its values or gradient): where
 * p's gradient is complete. adam_cmd itself when there is none (grad_complete.c). */
int eng_grad_complete_point(const eng_graph *g, int adam_cmd, const eng_node *p);

/* ---- gradient buckets (grad_buckets.c) ------------------------------------------------------
 * eng_plan_buckets adds the buckets of the optimizer of ADAM command adam_cmd (which has a
 * reducer) and writes its parameter indices in bucket order to order, and to finish, for each,
 * the bucket to finish before its update (-1: the same as the previous one's). Once every
 * optimizer is planned, eng_index_buckets lists the buckets by start command. The rest is for
 * backends whose gradients are in host memory. */
int eng_plan_buckets(const eng_graph *g, int adam_cmd, eng_grad_plan *gp, int *order, int *finish);
int eng_index_buckets(const eng_graph *g, eng_grad_plan *gp);
void eng_bind_buckets(eng_grad_plan *gp, float *const *grad);
/* After command i of a run: starts the buckets complete there, lets those in flight progress.
 * Before an update: finishes its bucket. ENG_OK or ENG_EBACKEND. */
int eng_buckets_after(const eng_graph *g, eng_grad_plan *gp, int i);
int eng_bucket_finish(eng_grad_plan *gp, int bucket);
void eng_buckets_free(eng_grad_plan *gp);

/* ---- the plan (memplan.c) -------------------------------------------------------------------- */
typedef struct {
    eng_grad_plan grads;
    size_t shared;        /* floats of the shared region, at the start of the arena */
    size_t total;         /* floats of the whole arena */
    size_t *value_off;    /* [node id] its values (in the shared region when < shared) */
    size_t *grad_off;     /* [node id] its gradient, or ENG_NO_OFFSET (none, or never touched) */
    size_t *aux_off;      /* [node id] its saved values, or ENG_NO_OFFSET */
    eng_step *steps;
    int nsteps;
} eng_memplan;

/* Plans g for a backend with these facts; ENG_OK or ENG_ENOMEM (message set). */
int eng_memplan_new(const eng_graph *g, const eng_plan_facts *facts, eng_memplan *mp);
void eng_memplan_free(eng_memplan *mp);
/* Rounds floats up to the plan's alignment. */
size_t eng_memplan_align(const eng_plan_facts *facts, size_t floats);
/* Does the value of node id live in the shared region (another tensor's between its uses)? */
static inline int eng_memplan_value_shared(const eng_memplan *mp, int id)
{
    return mp->value_off[id] < mp->shared;
}
/* Whether the plan keeps n's values (grad 0) or gradient (grad 1) for reading and writing
 * after a run: ENG_OK, or ENG_EINVAL with the reason set (a value in the shared region, a
 * transient gradient). */
int eng_memplan_check_kept(const eng_memplan *mp, const eng_node *n, int grad);
/* With ENG_SCHEDULE set (and not 0) in the environment: prints the plan's layout and steps,
 * with their offsets, to stderr (memplan_dump.c). Backends call it once a plan is made. */
void eng_memplan_trace(const eng_graph *g, const eng_memplan *mp, const char *backend);

#endif
