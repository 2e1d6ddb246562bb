/* Finite-difference gradient checks of every differentiable op of the CPU backend.
 *
 * Each case builds out = op(leaves...), then loss = sum(out * R) with R random, records
 * backward for the checked leaves and compares each analytic gradient element with the central
 * difference (loss(v + eps) - loss(v - eps)) / (2 eps). The error of an element is
 * |analytic - numeric| / max(|numeric|, 0.1 * the leaf's largest |analytic|), so it is relative
 * whatever the scale of the gradients; a case fails when its worst error exceeds TOLERANCE.
 * Inputs of kinked functions (relu, leaky relu, l1) are kept further than eps from the kink,
 * and max_pool2d's input cells further than 2 eps apart (a permutation of a spaced grid).
 * Dropout's mask depends on the run counter, which the test pins so every run uses one mask.
 * States (leaves that are not checked) are written back before every run: spectral_norm
 * updates its u and v in place, and its gradient is PyTorch's (u and v held constant), which
 * is the derivative only where they are the weight's singular vectors; its cases first run
 * the power iteration to there (gc_case.settle). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/engine.h"
#include "engine/graph.h"
#include "tests/engine/eltwise_cases.h"
#include "tests/engine/op_cases.h"

#define MAX_LEAVES 8
#define MAX_CHECKED_PER_LEAF 300
#define TOLERANCE 2e-3
#define PINNED_RUN 41u

typedef struct {
    eng_node *node;
    float lo, hi;
    int random_sign; /* value = +-uniform(lo, hi), keeps |value| >= lo */
    int check;
    float spacing;   /* > 0: the values are a permutation of multiples of it, centred on 0 */
} leaf_spec;

typedef struct {
    eng_graph *g;
    leaf_spec leaves[MAX_LEAVES];
    int nleaves;
    float eps;
    int settle; /* runs before the check, whose states are kept as the states' values */
} gc_case;

/* ---- deterministic random numbers ---------------------------------------------------------- */
static uint64_t rng_state = 0x853c49e6748fea9bULL;

static float uniform(float lo, float hi)
{
    rng_state = rng_state * 6364136223846793005ULL + 1442695040888963407ULL;
    float u = (float)(rng_state >> 40) / 16777216.0f;
    return lo + (hi - lo) * u;
}

/* ---- case construction --------------------------------------------------------------------- */
static eng_node *add_leaf(gc_case *k, eng_node *n, float lo, float hi, int random_sign, int check)
{
    if (k->nleaves == MAX_LEAVES) {
        fprintf(stderr, "test_gradcheck: too many leaves\n");
        exit(2);
    }
    k->leaves[k->nleaves++] = (leaf_spec){n, lo, hi, random_sign, check, 0.0f};
    return n;
}

static eng_node *in4(gc_case *k, const char *name, int n, int c, int h, int w)
{
    return add_leaf(k, eng_input4(k->g, name, n, c, h, w), -1.0f, 1.0f, 0, 1);
}

/* An input whose elements stay at least `gap` away from zero (for kinked functions). */
static eng_node *in4_away_from_zero(gc_case *k, const char *name, int n, int c, int h, int w,
                                    float gap)
{
    return add_leaf(k, eng_input4(k->g, name, n, c, h, w), gap, 1.0f, 1, 1);
}

/* An input whose elements are all at least spacing apart (for max_pool2d). */
static eng_node *in4_spaced(gc_case *k, const char *name, int n, int c, int h, int w,
                            float spacing)
{
    eng_node *x = in4(k, name, n, c, h, w);
    k->leaves[k->nleaves - 1].spacing = spacing;
    return x;
}

static eng_node *par4(gc_case *k, const char *name, int n, int c, int h, int w)
{
    return add_leaf(k, eng_param4(k->g, name, n, c, h, w), -0.5f, 0.5f, 0, 1);
}

static eng_node *par1(gc_case *k, const char *name, int n, float lo, float hi)
{
    return add_leaf(k, eng_param1(k->g, name, n), lo, hi, 0, 1);
}

static eng_node *state1(gc_case *k, const char *name, int n, float lo, float hi)
{
    return add_leaf(k, eng_state1(k->g, name, n), lo, hi, 0, 0);
}

/* ---- the check ----------------------------------------------------------------------------- */
typedef struct {
    const char *op;
    double worst;
} op_worst;

static op_worst worst_by_op[ENG_OP_COUNT];
static int covered[ENG_OP_COUNT];
static int failures;

static void fill_leaf(eng_plan *p, const leaf_spec *s, float *values)
{
    size_t numel = s->node->numel;
    for (size_t i = 0; i < numel; i++) {
        if (s->spacing > 0) { /* 7919 is prime: i -> 7919 i mod numel permutes */
            values[i] = s->spacing * ((float)(i * 7919 % numel) - 0.5f * (float)numel);
            continue;
        }
        float v = uniform(s->lo, s->hi);
        values[i] = s->random_sign && uniform(0.0f, 1.0f) < 0.5f ? -v : v;
    }
    eng_plan_write(p, s->node, values);
}

static float run_loss(eng_plan *p, const eng_node *loss)
{
    float v;
    p->run_index = PINNED_RUN;
    if (eng_plan_run(p) != ENG_OK) {
        fprintf(stderr, "run failed: %s\n", eng_last_error());
        exit(2);
    }
    eng_plan_read(p, loss, &v);
    return v;
}

/* Writes the states' values back before a run. */
static void restore_states(eng_plan *p, const gc_case *k, float *const *values)
{
    for (int i = 0; i < k->nleaves; i++)
        if (!k->leaves[i].check)
            eng_plan_write(p, k->leaves[i].node, values[i]);
}

/* Prints the worst error of the case over its checked leaves; counts a failure. */
static void gradcheck(const char *label, gc_case *k, eng_node *out, eng_backend *be)
{
    eng_graph *g = k->g;
    eng_node *r = eng_input(g, "R", out->ndim, out->shape);
    eng_node *loss = eng_sum(g, eng_mul(g, out, r));
    eng_node *checked[MAX_LEAVES];
    int nchecked = 0;
    for (int i = 0; i < k->nleaves; i++)
        if (k->leaves[i].check)
            checked[nchecked++] = k->leaves[i].node;
    eng_backward(g, loss, checked, nchecked);
    eng_plan *p = eng_plan_new(g, be);
    if (!p) {
        fprintf(stderr, "plan failed: %s\n", eng_last_error());
        exit(2);
    }
    float *values[MAX_LEAVES];
    for (int i = 0; i < k->nleaves; i++) {
        values[i] = malloc(k->leaves[i].node->numel * sizeof(float));
        fill_leaf(p, &k->leaves[i], values[i]);
    }
    float *rv = malloc(r->numel * sizeof(float));
    fill_leaf(p, &(leaf_spec){r, -1.0f, 1.0f, 0, 0, 0.0f}, rv);
    for (int run = 0; run < k->settle; run++)
        run_loss(p, loss);
    for (int i = 0; i < k->nleaves; i++)
        if (!k->leaves[i].check)
            eng_plan_read(p, k->leaves[i].node, values[i]);
    run_loss(p, loss);
    /* all analytic gradients come from this one run, before any perturbation */
    float *analytic[MAX_LEAVES] = {0};
    for (int i = 0; i < k->nleaves; i++) {
        if (!k->leaves[i].check)
            continue;
        analytic[i] = malloc(k->leaves[i].node->numel * sizeof(float));
        eng_plan_read_grad(p, k->leaves[i].node, analytic[i]);
    }

    double worst = 0.0;
    const char *worst_leaf = "";
    for (int i = 0; i < k->nleaves; i++) {
        const leaf_spec *s = &k->leaves[i];
        if (!s->check)
            continue;
        size_t numel = s->node->numel;
        double scale = 0.0;
        for (size_t e = 0; e < numel; e++)
            scale = fmax(scale, fabs(analytic[i][e]));
        size_t step = numel > MAX_CHECKED_PER_LEAF ? numel / MAX_CHECKED_PER_LEAF + 1 : 1;
        for (size_t e = 0; e < numel; e += step) {
            float saved = values[i][e], hi = saved + k->eps, lo = saved - k->eps;
            values[i][e] = hi;
            eng_plan_write(p, s->node, values[i]);
            restore_states(p, k, values);
            double up = run_loss(p, loss);
            values[i][e] = lo;
            eng_plan_write(p, s->node, values[i]);
            restore_states(p, k, values);
            double down = run_loss(p, loss);
            values[i][e] = saved;
            eng_plan_write(p, s->node, values[i]);
            double numeric = (up - down) / ((double)hi - lo);
            double den = fmax(fabs(numeric), 0.1 * scale);
            double err = den > 0.0 ? fabs(analytic[i][e] - numeric) / den : 0.0;
            if (err > worst) {
                worst = err;
                worst_leaf = s->node->name;
            }
        }
    }
    int ok = worst <= TOLERANCE;
    printf("%-4s %-52s worst %.2e (%s)\n", ok ? "ok" : "FAIL", label, worst, worst_leaf);
    failures += !ok;
    covered[out->op]++;
    op_worst *w = &worst_by_op[out->op];
    w->op = eng_op_infos[out->op].name;
    if (worst > w->worst)
        w->worst = worst;

    for (int i = 0; i < k->nleaves; i++) {
        free(values[i]);
        free(analytic[i]);
    }
    free(rv);
    eng_plan_free(p);
    eng_graph_free(g);
}

static gc_case new_case(float eps)
{
    return (gc_case){.g = eng_graph_new(), .eps = eps};
}

/* ---- cases --------------------------------------------------------------------------------- */
static void check_conv2d(eng_backend *be, int n, int ci, int h, int w, int co, int kh, int kw,
                         int stride, int pad, int bias)
{
    gc_case k = new_case(1e-2f);
    eng_node *x = in4(&k, "x", n, ci, h, w);
    eng_node *wt = par4(&k, "w", co, ci, kh, kw);
    eng_node *b = bias ? par1(&k, "b", co, -0.5f, 0.5f) : NULL;
    char label[96];
    snprintf(label, sizeof label, "conv2d x[%d,%d,%d,%d] k%dx%d s%d p%d%s", n, ci, h, w, kh, kw,
             stride, pad, bias ? " bias" : "");
    gradcheck(label, &k, eng_conv2d(k.g, x, wt, b, stride, pad), be);
}

static void check_conv_transpose2d(eng_backend *be, int n, int ci, int h, int w, int co, int kh,
                                   int kw, int stride, int pad, int out_pad, int bias)
{
    gc_case k = new_case(1e-2f);
    eng_node *x = in4(&k, "x", n, ci, h, w);
    eng_node *wt = par4(&k, "w", ci, co, kh, kw);
    eng_node *b = bias ? par1(&k, "b", co, -0.5f, 0.5f) : NULL;
    char label[96];
    snprintf(label, sizeof label, "conv_transpose2d x[%d,%d,%d,%d] k%dx%d s%d p%d op%d%s", n, ci, h,
             w, kh, kw, stride, pad, out_pad, bias ? " bias" : "");
    gradcheck(label, &k, eng_conv_transpose2d(k.g, x, wt, b, stride, pad, out_pad), be);
}

static void check_batch_norm(eng_backend *be, int training, int affine)
{
    gc_case k = new_case(1e-2f);
    int c = 3;
    eng_node *x = in4(&k, "x", 2, c, 3, 5);
    eng_node *w = affine ? par1(&k, "w", c, 0.5f, 1.5f) : NULL;
    eng_node *b = affine ? par1(&k, "b", c, -0.5f, 0.5f) : NULL;
    eng_node *rm = state1(&k, "rm", c, -0.3f, 0.3f);
    eng_node *rv = state1(&k, "rv", c, 0.5f, 1.5f);
    eng_node *nb = state1(&k, "nb", 1, 0.0f, 0.0f);
    char label[96];
    snprintf(label, sizeof label, "batch_norm2d %s%s", training ? "training" : "eval",
             affine ? " affine" : "");
    gradcheck(label, &k, eng_batch_norm2d(k.g, x, w, b, rm, rv, nb, training, 0.1f, 1e-5f), be);
}

static void check_instance_norm(eng_backend *be, int affine)
{
    gc_case k = new_case(1e-2f);
    int c = 3;
    eng_node *x = in4(&k, "x", 2, c, 4, 5);
    eng_node *w = affine ? par1(&k, "w", c, 0.5f, 1.5f) : NULL;
    eng_node *b = affine ? par1(&k, "b", c, -0.5f, 0.5f) : NULL;
    gradcheck(affine ? "instance_norm2d affine" : "instance_norm2d", &k,
              eng_instance_norm2d(k.g, x, w, b, 1e-5f), be);
}

/* The weight of a conv layer of co outputs, its u and v converged by 300 power iterations. */
static void check_spectral_norm(eng_backend *be, int co, int ci, int kh, int kw)
{
    gc_case k = new_case(1e-2f);
    k.settle = 300;
    eng_node *w = par4(&k, "w", co, ci, kh, kw);
    eng_node *u = state1(&k, "u", co, -1.0f, 1.0f);
    eng_node *v = state1(&k, "v", ci * kh * kw, -1.0f, 1.0f);
    char label[96];
    snprintf(label, sizeof label, "spectral_norm w[%d,%d,%d,%d]", co, ci, kh, kw);
    gradcheck(label, &k, eng_spectral_norm(k.g, w, u, v, 1e-12f), be);
}

static void check_reflection_pad(eng_backend *be, int pad)
{
    gc_case k = new_case(1e-2f);
    eng_node *x = in4(&k, "x", 2, 2, 4, 5);
    char label[64];
    snprintf(label, sizeof label, "reflection_pad2d x[2,2,4,5] pad %d", pad);
    gradcheck(label, &k, eng_reflection_pad2d(k.g, x, pad), be);
}

typedef eng_node *(*unary_fn)(eng_graph *g, eng_node *x);
static eng_node *dropout_half(eng_graph *g, eng_node *x) { return eng_dropout(g, x, 0.5f, 1234u); }

/* count_include_pad=False: odd sizes make edge windows of 4 and 6 cells */
static void check_avg_pool(eng_backend *be, int h, int w, int kernel, int stride, int pad)
{
    gc_case k = new_case(1e-2f);
    eng_node *x = in4(&k, "x", 2, 3, h, w);
    char label[64];
    snprintf(label, sizeof label, "avg_pool2d x[2,3,%d,%d] k%d s%d p%d", h, w, kernel, stride,
             pad);
    gradcheck(label, &k, eng_avg_pool2d(k.g, x, kernel, stride, pad), be);
}

/* the gradient to each window's largest cell; overlapping windows (stride < kernel) give a
 * cell the gradients of several */
static void check_max_pool(eng_backend *be, int h, int w, int kernel, int stride, int pad)
{
    gc_case k = new_case(1e-3f); /* piecewise linear: a small step, values near 0 */
    eng_node *x = in4_spaced(&k, "x", 2, 3, h, w, 5e-3f);
    char label[64];
    snprintf(label, sizeof label, "max_pool2d x[2,3,%d,%d] k%d s%d p%d", h, w, kernel, stride,
             pad);
    gradcheck(label, &k, eng_max_pool2d(k.g, x, kernel, stride, pad), be);
}

static void check_upsample(eng_backend *be, int h, int w, int scale)
{
    gc_case k = new_case(1e-2f);
    eng_node *x = in4(&k, "x", 2, 3, h, w);
    char label[64];
    snprintf(label, sizeof label, "upsample_nearest2d x[2,3,%d,%d] scale %d", h, w, scale);
    gradcheck(label, &k, eng_upsample_nearest2d(k.g, x, scale), be);
}

static void check_unary(eng_backend *be, const char *label, unary_fn op)
{
    gc_case k = new_case(1e-2f);
    gradcheck(label, &k, op(k.g, in4(&k, "x", 2, 3, 3, 5)), be);
}

typedef eng_node *(*binary_fn)(eng_graph *g, eng_node *a, eng_node *b);

/* An ENG_ELTWISE row: X and XS on an input kept away from the kinks at 0 (relu, leaky relu),
 * XS with the scalar s; AB on two inputs, or on one twice (same_leaf). */
static void check_eltwise(eng_backend *be, eng_op op, float s, int same_leaf)
{
    gc_case k = new_case(1e-2f);
    char label[64];
    eng_node *out;
    if (eltwise_operands_of(op) == ELTWISE_AB) {
        eng_node *a = in4(&k, "a", 2, 3, 3, 4), *b = same_leaf ? a : in4(&k, "b", 2, 3, 3, 4);
        out = eltwise_build(k.g, op, a, b, 0);
        snprintf(label, sizeof label, "%s(%s)", eng_op_infos[op].name, same_leaf ? "x, x" : "a, b");
    } else {
        out = eltwise_build(k.g, op, in4_away_from_zero(&k, "x", 2, 3, 3, 5, 0.05f), NULL, s);
        snprintf(label, sizeof label, "%s %g", eng_op_infos[op].name, (double)s);
    }
    gradcheck(label, &k, out, be);
}

/* Every ENG_ELTWISE row; XS with a positive and a negative scalar (leaky_relu's backward reads
 * its output for slopes >= 0, its input below). */
static void check_eltwise_rows(eng_backend *be)
{
    for (int op = 0; op < ENG_OP_COUNT; op++) {
        switch (eltwise_operands_of((eng_op)op)) {
        case ELTWISE_NONE:
            break;
        case ELTWISE_X:
            check_eltwise(be, (eng_op)op, 0.0f, 0);
            break;
        case ELTWISE_XS:
            check_eltwise(be, (eng_op)op, 0.2f, 0);
            check_eltwise(be, (eng_op)op, -1.7f, 0);
            break;
        case ELTWISE_AB:
            check_eltwise(be, (eng_op)op, 0.0f, 0);
            check_eltwise(be, (eng_op)op, 0.0f, 1);
            break;
        }
    }
}

static void check_concat(eng_backend *be, int same_leaf)
{
    gc_case k = new_case(1e-2f);
    eng_node *a = in4(&k, "a", 2, 2, 3, 5);
    eng_node *b = same_leaf ? a : in4(&k, "b", 2, 3, 3, 5);
    gradcheck(same_leaf ? "concat(x, x)" : "concat a[2,2,3,5] b[2,3,3,5]", &k,
              eng_concat(k.g, a, b), be);
}

/* Losses: the target is a non-checked input (it never receives a gradient). */
static void check_loss(eng_backend *be, const char *label, binary_fn loss, float t_lo, float t_hi,
                       int kinked)
{
    /* The mean makes each gradient small against the loss's float rounding: few elements and
     * a larger eps keep the differences well above it. For l1, |x| >= 0.1 and |t| <= 0.04
     * keep x - t further than eps from the kink. */
    gc_case k = new_case(5e-2f);
    eng_node *x = kinked ? in4_away_from_zero(&k, "x", 1, 2, 3, 3, 0.1f)
                         : add_leaf(&k, eng_input4(k.g, "x", 1, 2, 3, 3), -3.0f, 3.0f, 0, 1);
    eng_node *t = add_leaf(&k, eng_input4(k.g, "t", 1, 2, 3, 3), t_lo, t_hi, 0, 0);
    gradcheck(label, &k, loss(k.g, x, t), be);
}

static void check_sum(eng_backend *be)
{
    gc_case k = new_case(1e-2f);
    gradcheck("sum x[2,3,3,5]", &k, eng_sum(k.g, in4(&k, "x", 2, 3, 3, 5)), be);
}

/* ---- non-differential checks: dropout's mask and detach ------------------------------------ */
static int check_dropout_mask(eng_backend *be)
{
    eng_graph *g = eng_graph_new();
    eng_node *x = eng_input(g, "x", 1, (const int[]){4000});
    eng_node *y = eng_dropout(g, x, 0.3f, 99u);
    eng_forward(g, y);
    eng_plan *p = eng_plan_new(g, be);
    float *xv = malloc(4000 * sizeof(float)), *y1 = malloc(4000 * sizeof(float));
    float *y2 = malloc(4000 * sizeof(float));
    for (int i = 0; i < 4000; i++)
        xv[i] = uniform(0.5f, 1.5f);
    eng_plan_write(p, x, xv);
    eng_plan_run(p);
    eng_plan_read(p, y, y1);
    eng_plan_run(p);
    eng_plan_read(p, y, y2);
    int kept = 0, differ = 0, bad = 0;
    for (int i = 0; i < 4000; i++) {
        kept += y1[i] != 0.0f;
        differ += (y1[i] != 0.0f) != (y2[i] != 0.0f);
        bad += y1[i] != 0.0f && y1[i] != xv[i] * (1.0f / 0.7f);
    }
    int ok = kept > 2600 && kept < 3000 && differ > 500 && bad == 0;
    printf("%-4s dropout p=0.3: kept %d/4000, %d differ between runs, %d badly scaled\n",
           ok ? "ok" : "FAIL", kept, differ, bad);
    free(xv);
    free(y1);
    free(y2);
    eng_plan_free(p);
    eng_graph_free(g);
    return !ok;
}

/* loss = sum(detach(x) * x): the gradient flows only through the second factor, so it is x. */
static int check_detach(eng_backend *be)
{
    eng_graph *g = eng_graph_new();
    eng_node *x = eng_input4(g, "x", 1, 2, 3, 3);
    eng_node *loss = eng_sum(g, eng_mul(g, eng_detach(g, x), x));
    eng_backward(g, loss, &x, 1);
    eng_plan *p = eng_plan_new(g, be);
    float xv[18], gx[18];
    for (int i = 0; i < 18; i++)
        xv[i] = uniform(-1.0f, 1.0f);
    eng_plan_write(p, x, xv);
    eng_plan_run(p);
    eng_plan_read_grad(p, x, gx);
    int ok = memcmp(xv, gx, sizeof xv) == 0;
    printf("%-4s detach: gradient equals x (no flow through the detached factor)\n",
           ok ? "ok" : "FAIL");
    eng_plan_free(p);
    eng_graph_free(g);
    return !ok;
}

int main(void)
{
    eng_backend *be = eng_cpu_backend_new(3);
    if (!be) {
        fprintf(stderr, "no CPU backend: %s\n", eng_last_error());
        return 2;
    }
    /* n, ci, h, w, co, kh, kw, stride, pad, bias */
    check_conv2d(be, 2, 3, 7, 6, 2, 3, 3, 1, 1, 1);
    check_conv2d(be, 2, 3, 9, 7, 4, 4, 4, 2, 1, 1);
    check_conv2d(be, 1, 2, 8, 9, 3, 3, 2, 2, 0, 0);
    check_conv2d(be, 2, 2, 5, 5, 3, 1, 1, 1, 0, 1);
    check_conv2d(be, 1, 3, 6, 7, 2, 4, 4, 3, 2, 1);
    /* The CPU backend's other paths: im2col + SGEMM (more than 4 outputs), skinny products
     * (<= 4 output pixels). */
    check_conv2d(be, 2, 3, 9, 7, 6, 4, 4, 2, 1, 1);
    check_conv2d(be, 2, 5, 4, 4, 6, 4, 4, 2, 1, 0);
    /* n, ci, h, w, co, kh, kw, stride, pad, out_pad, bias */
    check_conv_transpose2d(be, 2, 3, 4, 5, 2, 4, 4, 2, 1, 0, 1);
    check_conv_transpose2d(be, 2, 2, 3, 4, 3, 3, 3, 2, 1, 1, 1);
    check_conv_transpose2d(be, 1, 3, 5, 3, 2, 3, 2, 1, 0, 0, 0);
    check_conv_transpose2d(be, 1, 2, 3, 3, 2, 2, 3, 3, 1, 2, 1);
    check_conv_transpose2d(be, 2, 6, 2, 2, 5, 4, 4, 2, 1, 0, 1); /* skinny: 2x2 input */
    check_batch_norm(be, 1, 1);
    check_batch_norm(be, 1, 0);
    check_batch_norm(be, 0, 1);
    check_batch_norm(be, 0, 0);
    check_instance_norm(be, 1);
    check_instance_norm(be, 0);
    check_reflection_pad(be, 1);
    check_reflection_pad(be, 3);
    check_avg_pool(be, 7, 9, 3, 2, 1);
    check_avg_pool(be, 6, 5, 3, 2, 1);
    check_avg_pool(be, 5, 4, 2, 2, 0);
    check_max_pool(be, 8, 6, 2, 2, 0);
    check_max_pool(be, 7, 9, 3, 2, 1);
    check_upsample(be, 3, 5, 2);
    check_upsample(be, 2, 3, 3);
    check_spectral_norm(be, 4, 3, 3, 3);
    check_spectral_norm(be, 6, 2, 4, 4);
    check_spectral_norm(be, 1, 5, 2, 2);
    check_eltwise_rows(be);
    check_unary(be, "dropout p=0.5 (pinned mask)", dropout_half);
    check_concat(be, 0);
    check_concat(be, 1);
    check_sum(be);
    check_loss(be, "l1_loss", eng_l1_loss, -0.04f, 0.04f, 1);
    check_loss(be, "mse_loss", eng_mse_loss, -1.0f, 1.0f, 0);
    check_loss(be, "bce_with_logits_loss", eng_bce_with_logits_loss, 0.0f, 1.0f, 0);
    failures += check_dropout_mask(be);
    failures += check_detach(be);
    covered[ENG_OP_DETACH]++; /* check_detach: exact, no finite differences needed */
    failures += op_cases_check(OP_TEST_GRADCHECK, "test_gradcheck", covered);

    printf("worst finite-difference error per op:\n");
    for (int op = 0; op < ENG_OP_COUNT; op++)
        if (worst_by_op[op].op)
            printf("  %-22s %.2e\n", worst_by_op[op].op, worst_by_op[op].worst);
    eng_backend_free(be);
    if (failures) {
        printf("%d check(s) failed\n", failures);
        return 1;
    }
    return 0;
}
