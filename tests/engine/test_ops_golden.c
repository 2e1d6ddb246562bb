/* Every differentiable engine op against PyTorch (fixtures from tools/gen_golden.py, the cases
 * of every file of FIXTURES; op_cases.h says which ops must have one): for each
 * case, out = op(leaves), loss = sum(out * R); the output, the gradient of every input and
 * param, and the updated batch norm statistics must match within GOLDEN_TOL. Each case runs
 * on CPU backends of 1, 2 and 3 threads (uneven work splits). Prints the worst error per case
 * and per op. */
#include <cjson/cJSON.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/engine.h"
#include "tests/engine/eltwise_cases.h"
#include "tests/engine/golden.h"
#include "tests/engine/op_cases.h"

#define MAX_LEAVES 8
#define NBACKENDS 3

typedef struct {
    const cJSON *json; /* the case's entry of the "cases" metadata */
    const char *name;
    const char *op;
    const cJSON *args;
    int nleaves;
    eng_node *leaves[MAX_LEAVES];
    const char *leaf_names[MAX_LEAVES];
    int ngrads;
    eng_node *grad_leaves[MAX_LEAVES];
    eng_graph *g;
    eng_node *out, *R;
} golden_case;

static double arg(const golden_case *c, const char *key)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(c->args, key);
    if (!cJSON_IsNumber(v)) {
        fprintf(stderr, "case %s: argument '%s' missing\n", c->name, key);
        exit(1);
    }
    return v->valuedouble;
}

/* The leaf named `leaf` (NULL when the case has none: optional weight/bias). */
static eng_node *leaf(const golden_case *c, const char *name)
{
    for (int i = 0; i < c->nleaves; i++)
        if (strcmp(c->leaf_names[i], name) == 0)
            return c->leaves[i];
    return NULL;
}

/* An ENG_ELTWISE row's case: leaves x, or a and b; an XS row's scalar is the case's one
 * argument (leaky_relu's slope, scale's factor). */
static eng_node *build_eltwise(eng_graph *g, const golden_case *c, eng_op op)
{
    const cJSON *s = c->args ? c->args->child : NULL;
    eng_node *a = leaf(c, "x") ? leaf(c, "x") : leaf(c, "a");
    return eltwise_build(g, op, a, leaf(c, "b"), cJSON_IsNumber(s) ? (float)s->valuedouble : 0.0f);
}

static eng_node *build_op(eng_graph *g, const golden_case *c)
{
    const char *op = c->op;
    eng_node *x = leaf(c, "x");
    if (eltwise_op_named(op) != ENG_OP_COUNT)
        return build_eltwise(g, c, eltwise_op_named(op));
    if (!strcmp(op, "conv2d"))
        return eng_conv2d(g, x, leaf(c, "weight"), leaf(c, "bias"), (int)arg(c, "stride"),
                          (int)arg(c, "pad"));
    if (!strcmp(op, "conv_transpose2d"))
        return eng_conv_transpose2d(g, x, leaf(c, "weight"), leaf(c, "bias"),
                                    (int)arg(c, "stride"), (int)arg(c, "pad"),
                                    (int)arg(c, "out_pad"));
    if (!strcmp(op, "batch_norm2d"))
        return eng_batch_norm2d(g, x, leaf(c, "weight"), leaf(c, "bias"), leaf(c, "running_mean"),
                                leaf(c, "running_var"), leaf(c, "num_batches_tracked"),
                                (int)arg(c, "training"), (float)arg(c, "momentum"),
                                (float)arg(c, "eps"));
    if (!strcmp(op, "instance_norm2d"))
        return eng_instance_norm2d(g, x, leaf(c, "weight"), leaf(c, "bias"), (float)arg(c, "eps"));
    if (!strcmp(op, "reflection_pad2d"))
        return eng_reflection_pad2d(g, x, (int)arg(c, "pad"));
    if (!strcmp(op, "concat"))
        return eng_concat(g, leaf(c, "a"), leaf(c, "b"));
    if (!strcmp(op, "sum"))
        return eng_sum(g, x);
    if (!strcmp(op, "l1_loss"))
        return eng_l1_loss(g, x, leaf(c, "target"));
    if (!strcmp(op, "mse_loss"))
        return eng_mse_loss(g, x, leaf(c, "target"));
    if (!strcmp(op, "bce_with_logits_loss"))
        return eng_bce_with_logits_loss(g, x, leaf(c, "target"));
    if (!strcmp(op, "avg_pool2d"))
        return eng_avg_pool2d(g, x, (int)arg(c, "kernel"), (int)arg(c, "stride"),
                              (int)arg(c, "pad"));
    if (!strcmp(op, "max_pool2d"))
        return eng_max_pool2d(g, x, (int)arg(c, "kernel"), (int)arg(c, "stride"),
                              (int)arg(c, "pad"));
    if (!strcmp(op, "upsample_nearest2d"))
        return eng_upsample_nearest2d(g, x, (int)arg(c, "scale"));
    if (!strcmp(op, "spectral_norm"))
        return eng_spectral_norm(g, leaf(c, "weight"), leaf(c, "u"), leaf(c, "v"),
                                 (float)arg(c, "eps"));
    fprintf(stderr, "case %s: unknown op '%s'\n", c->name, op);
    exit(1);
}

/* Per-op summary of the worst errors seen. */
typedef struct {
    const char *op;
    int cases;
    double out_err, grad_err;
} op_summary;

static op_summary summaries[64];
static int nsummaries;

static void record(const char *op, double out_err, double grad_err)
{
    op_summary *s = NULL;
    for (int i = 0; i < nsummaries; i++)
        if (!strcmp(summaries[i].op, op))
            s = &summaries[i];
    if (!s) {
        s = &summaries[nsummaries++];
        s->op = op;
    }
    s->cases++;
    s->out_err = fmax(s->out_err, out_err);
    s->grad_err = fmax(s->grad_err, grad_err);
}

/* Plans the case's graph on one backend, runs it once and folds its errors into the worst. */
static void run_on_backend(const st_file *f, const golden_case *c, eng_backend *be, int threads,
                           double *out_err, double *grad_err)
{
    char key[256];
    const cJSON *jl;
    eng_plan *p = eng_plan_new(c->g, be);
    if (!p) {
        fprintf(stderr, "case %s: plan failed: %s\n", c->name, eng_last_error());
        exit(1);
    }
    for (int i = 0; i < c->nleaves; i++) {
        snprintf(key, sizeof key, "%s.in.%s", c->name, c->leaf_names[i]);
        golden_write_node(p, c->leaves[i], f, key);
    }
    snprintf(key, sizeof key, "%s.R", c->name);
    golden_write_node(p, c->R, f, key);
    if (eng_plan_run(p) != ENG_OK) {
        fprintf(stderr, "case %s: run failed: %s\n", c->name, eng_last_error());
        exit(1);
    }

    snprintf(key, sizeof key, "%s.out", c->name);
    *out_err = fmax(*out_err, golden_compare_node(p, c->out, 0, f, key));
    for (int i = 0; i < c->ngrads; i++) {
        const eng_node *leaf_node = c->grad_leaves[i];
        snprintf(key, sizeof key, "%s.grad.%s", c->name, leaf_node->name);
        double e = golden_compare_node(p, leaf_node, 1, f, key);
        if (!(e <= GOLDEN_TOL))
            fprintf(stderr, "case %s (%d threads): gradient of %s error %.3g\n", c->name, threads,
                    leaf_node->name, e);
        *grad_err = fmax(*grad_err, e);
    }
    /* Updated persistent state (batch norm running statistics) counts as output. */
    cJSON_ArrayForEach(jl, cJSON_GetObjectItemCaseSensitive(c->json, "states"))
    {
        snprintf(key, sizeof key, "%s.after.%s", c->name, jl->valuestring);
        double e = golden_compare_node(p, leaf(c, jl->valuestring), 0, f, key);
        if (!(e <= GOLDEN_TOL))
            fprintf(stderr, "case %s (%d threads): state %s error %.3g\n", c->name, threads,
                    jl->valuestring, e);
        *out_err = fmax(*out_err, e);
    }
    eng_plan_free(p);
}

static int covered[ENG_OP_COUNT];

/* Runs one case; returns 0 when every comparison is within tolerance. */
static int run_case(const st_file *f, const cJSON *jc, eng_backend *const *be)
{
    golden_case c = {0};
    c.json = jc;
    c.name = cJSON_GetObjectItemCaseSensitive(jc, "name")->valuestring;
    c.op = cJSON_GetObjectItemCaseSensitive(jc, "op")->valuestring;
    c.args = cJSON_GetObjectItemCaseSensitive(jc, "args");
    eng_graph *g = c.g = eng_graph_new();
    char key[256];

    const cJSON *jl;
    cJSON_ArrayForEach(jl, cJSON_GetObjectItemCaseSensitive(jc, "leaves"))
    {
        const char *lname = cJSON_GetArrayItem(jl, 0)->valuestring;
        const char *kind = cJSON_GetArrayItem(jl, 1)->valuestring;
        snprintf(key, sizeof key, "%s.in.%s", c.name, lname);
        int shape[ENG_MAX_DIMS];
        int ndim = golden_shape(golden_tensor(f, key), shape);
        eng_node *n = !strcmp(kind, "param")   ? eng_param(g, lname, ndim, shape)
                      : !strcmp(kind, "state") ? eng_state(g, lname, ndim, shape)
                                               : eng_input(g, lname, ndim, shape);
        c.leaf_names[c.nleaves] = lname;
        c.leaves[c.nleaves++] = n;
    }
    cJSON_ArrayForEach(jl, cJSON_GetObjectItemCaseSensitive(jc, "grads"))
        c.grad_leaves[c.ngrads++] = leaf(&c, jl->valuestring);

    c.out = build_op(g, &c);
    covered[c.out->op]++;
    c.R = eng_input(g, "R", c.out->ndim, c.out->shape);
    eng_node *loss = eng_sum(g, eng_mul(g, c.out, c.R));
    eng_forward(g, loss);
    eng_backward(g, loss, c.grad_leaves, c.ngrads);

    double out_err = 0.0, grad_err = 0.0;
    for (int b = 0; b < NBACKENDS; b++)
        run_on_backend(f, &c, be[b], b + 1, &out_err, &grad_err);
    int ok = out_err <= GOLDEN_TOL && grad_err <= GOLDEN_TOL;
    printf("  %-24s %-22s %10.3g %10.3g  %s\n", c.name, c.op, out_err, grad_err,
           ok ? "ok" : "FAIL");
    record(eng_op_infos[c.out->op].name, out_err, grad_err); /* c.op dies with its fixture */
    eng_graph_free(g);
    return ok ? 0 : 1;
}

static const char *const fixtures[] = {"ops_golden.safetensors", "pool_golden.safetensors",
                                       "upsample_golden.safetensors",
                                       "spectral_golden.safetensors",
                                       "maxpool_golden.safetensors"};

/* Runs the cases of one fixture file; returns the number that failed (or 1 without cases). */
static int run_fixture(const char *name, eng_backend *const *be, int *ncases)
{
    st_file *f = golden_open(name);
    cJSON *cases = cJSON_Parse(st_meta(f, "cases") ? st_meta(f, "cases") : "");
    if (!cJSON_IsArray(cases) || cJSON_GetArraySize(cases) == 0) {
        fprintf(stderr, "%s: no 'cases' metadata\n", name);
        st_close(f);
        cJSON_Delete(cases);
        return 1;
    }
    int failures = 0;
    const cJSON *jc;
    cJSON_ArrayForEach(jc, cases) failures += run_case(f, jc, be);
    *ncases += cJSON_GetArraySize(cases);
    cJSON_Delete(cases);
    st_close(f);
    return failures;
}

int main(void)
{
    eng_backend *be[NBACKENDS];
    for (int b = 0; b < NBACKENDS; b++)
        be[b] = eng_cpu_backend_new(b + 1);
    int failures = 0, ncases = 0;
    printf("worst error |a-b|/max(1,|b|) vs PyTorch, tolerance %g (CPU backend, 1-%d threads)\n",
           GOLDEN_TOL, NBACKENDS);
    printf("  %-24s %-22s %10s %10s\n", "case", "op", "output", "grads");
    for (size_t i = 0; i < sizeof fixtures / sizeof fixtures[0]; i++)
        failures += run_fixture(fixtures[i], be, &ncases);

    printf("\nper op:\n  %-22s %5s %10s %10s\n", "op", "cases", "output", "grads");
    for (int i = 0; i < nsummaries; i++)
        printf("  %-22s %5d %10.3g %10.3g\n", summaries[i].op, summaries[i].cases,
               summaries[i].out_err, summaries[i].grad_err);
    printf("%d of %d cases failed\n", failures, ncases);
    failures += op_cases_check(OP_TEST_GOLDEN, "test_ops_golden", covered);
    for (int b = 0; b < NBACKENDS; b++)
        eng_backend_free(be[b]);
    return failures ? 1 : 0;
}
