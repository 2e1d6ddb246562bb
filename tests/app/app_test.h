/* Minimal assertions for the app tests: failures are counted and reported, main returns
 * the count. */
#ifndef TESTS_APP_TEST_H
#define TESTS_APP_TEST_H

#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "engine/safetensors.h"

static int test_failures;

#define CHECK(cond, ...)                                                                   \
    do {                                                                                   \
        if (!(cond)) {                                                                     \
            fprintf(stderr, "%s:%d: FAIL %s: ", __FILE__, __LINE__, #cond);               \
            fprintf(stderr, __VA_ARGS__);                                                  \
            fprintf(stderr, "\n");                                                         \
            test_failures++;                                                               \
        }                                                                                  \
    } while (0)

/* Opens a committed fixture or exits. */
static inline st_file *fixture_open(const char *name)
{
    char path[1024], err[512];
    snprintf(path, sizeof path, "%s/%s", FIXTURE_DIR, name);
    st_file *f = st_open(path, err, sizeof err);
    if (!f) {
        fprintf(stderr, "cannot open fixture %s: %s\n", path, err);
        exit(1);
    }
    return f;
}

/* A fixture tensor as floats (caller frees); exits if absent or of another size. */
static inline float *fixture_tensor(const st_file *f, const char *name, size_t numel)
{
    const st_tensor *t = st_find(f, name);
    if (!t || t->numel != numel) {
        fprintf(stderr, "fixture tensor %s missing or of size %zu (want %zu)\n", name,
                t ? t->numel : 0, numel);
        exit(1);
    }
    float *v = malloc(sizeof *v * numel);
    st_to_f32(t, v);
    return v;
}

static inline double max_abs_diff(const float *a, const float *b, size_t n)
{
    double m = 0;
    for (size_t i = 0; i < n; i++) {
        double d = fabs((double)a[i] - (double)b[i]);
        if (!(d <= m))
            m = isnan(d) ? INFINITY : d;
    }
    return m;
}

#endif
