/* Helpers for the PyTorch-parity tests. */
#include "tests/engine/golden.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>

st_file *golden_open(const char *name)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", FIXTURE_DIR, name);
    st_file *f = st_open(path);
    if (!f) {
        fprintf(stderr, "cannot open fixture: %s\n", eng_last_error());
        exit(1);
    }
    return f;
}

const st_tensor *golden_tensor(const st_file *f, const char *name)
{
    const st_tensor *t = st_find(f, name);
    if (!t) {
        fprintf(stderr, "fixture tensor '%s' is missing\n", name);
        exit(1);
    }
    return t;
}

float *golden_floats(const st_file *f, const char *name)
{
    const st_tensor *t = golden_tensor(f, name);
    float *v = malloc((t->numel ? t->numel : 1) * sizeof *v);
    if (!v) {
        fprintf(stderr, "out of memory reading '%s'\n", name);
        exit(1);
    }
    st_to_f32(t, v);
    return v;
}

int golden_shape(const st_tensor *t, int *shape)
{
    if (t->ndim > ENG_MAX_DIMS) {
        fprintf(stderr, "fixture tensor '%s' has %d dims\n", t->name, t->ndim);
        exit(1);
    }
    for (int i = 0; i < t->ndim; i++) {
        if (t->shape[i] > (1 << 24)) {
            fprintf(stderr, "fixture tensor '%s' is too large\n", t->name);
            exit(1);
        }
        shape[i] = (int)t->shape[i];
    }
    /* A 0-dim tensor (a scalar) is an engine [1]. */
    if (t->ndim == 0) {
        shape[0] = 1;
        return 1;
    }
    return t->ndim;
}

double golden_error(const float *a, const float *b, size_t n)
{
    double worst = 0.0;
    for (size_t i = 0; i < n; i++) {
        double d = fabs((double)a[i] - (double)b[i]) / fmax(1.0, fabs((double)b[i]));
        if (isnan(d))
            return INFINITY;
        if (d > worst)
            worst = d;
    }
    return worst;
}

double golden_compare_node(eng_plan *p, const eng_node *n, int grad, const st_file *f,
                           const char *expected)
{
    const st_tensor *t = golden_tensor(f, expected);
    if (t->numel != n->numel) {
        fprintf(stderr, "'%s': engine has %zu elements, fixture %zu\n", expected, n->numel,
                t->numel);
        return INFINITY;
    }
    float *want = golden_floats(f, expected);
    float *got = malloc(n->numel * sizeof *got);
    int rc = got ? (grad ? eng_plan_read_grad(p, n, got) : eng_plan_read(p, n, got)) : ENG_ENOMEM;
    double err = INFINITY;
    if (rc != ENG_OK)
        fprintf(stderr, "'%s': read failed: %s\n", expected, eng_last_error());
    else
        err = golden_error(got, want, n->numel);
    free(got);
    free(want);
    return err;
}

void golden_write_node(eng_plan *p, const eng_node *n, const st_file *f, const char *name)
{
    const st_tensor *t = golden_tensor(f, name);
    if (t->numel != n->numel) {
        fprintf(stderr, "'%s': engine has %zu elements, fixture %zu\n", name, n->numel, t->numel);
        exit(1);
    }
    float *v = golden_floats(f, name);
    if (eng_plan_write(p, n, v) != ENG_OK) {
        fprintf(stderr, "'%s': write failed: %s\n", name, eng_last_error());
        exit(1);
    }
    free(v);
}
