/* Minimal assertions for the app tests: failures are counted and reported, main returns
 * the count. */
#ifndef TESTS_APP_TEST_H
#define TESTS_APP_TEST_H

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "engine/device.h"
#include "engine/engine.h"
#include "engine/safetensors.h"
#include "test_files.h" /* read_whole_file, write_text */

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

/* main's ending: prints "NAME: ok" (or FAILED) and returns the exit status. */
static inline int test_result(const char *name)
{
    printf("%s: %s\n", name, test_failures ? "FAILED" : "ok");
    return test_failures != 0;
}

/* What the last run_captured printed on stdout and stderr. */
static char out_text[65536];

/* Between capture_begin and capture_end, stdout and stderr go to a temporary file; the end
 * puts them back and copies what was written into out_text. */
typedef struct {
    char path[24];
    int fd, saved_out, saved_err;
} capture;

static inline void capture_begin(capture *c)
{
    snprintf(c->path, sizeof c->path, "/tmp/p2p_out_XXXXXX");
    c->fd = mkstemp(c->path);
    fflush(stdout);
    fflush(stderr);
    c->saved_out = dup(1);
    c->saved_err = dup(2);
    dup2(c->fd, 1);
    dup2(c->fd, 2);
}

static inline void capture_end(capture *c)
{
    fflush(stdout);
    fflush(stderr);
    dup2(c->saved_out, 1);
    dup2(c->saved_err, 2);
    close(c->saved_out);
    close(c->saved_err);
    lseek(c->fd, 0, SEEK_SET);
    ssize_t n = read(c->fd, out_text, sizeof out_text - 1);
    out_text[n > 0 ? n : 0] = '\0';
    close(c->fd);
    unlink(c->path);
}

/* Runs a command function (cmd_translate...) with stdout and stderr captured into out_text;
 * args ends with NULL. Returns the command's exit status. */
static inline int run_captured(int (*cmd)(int, char **), char **args)
{
    int argc = 0;
    while (args[argc])
        argc++;
    capture c;
    capture_begin(&c);
    int rc = cmd(argc, args);
    capture_end(&c);
    return rc;
}

/* Whether every tensor of file NAME in experiments A and B of folder CKPT holds the same
 * bytes (each that differs named in a failed CHECK); prints "NAME after HOW: bit-exact" or
 * "... differs". */
static inline int same_tensors(const char *ckpt, const char *exp_a, const char *exp_b,
                               const char *name, const char *how)
{
    char a[1024], b[1024], what[1200];
    snprintf(a, sizeof a, "%s/%s/%s", ckpt, exp_a, name);
    snprintf(b, sizeof b, "%s/%s/%s", ckpt, exp_b, name);
    snprintf(what, sizeof what, "%s after %s", name, how);
    st_file *fa = st_open(a), *fb = fa ? st_open(b) : NULL;
    CHECK(fa && fb, "%s", eng_last_error());
    int differ = !fa || !fb;
    for (int i = 0; fa && fb && i < st_count(fa); i++) {
        const st_tensor *x = st_get(fa, i), *y = st_find(fb, x->name);
        int same = y && y->dtype == x->dtype && y->nbytes == x->nbytes &&
                   !memcmp(x->data, y->data, x->nbytes);
        CHECK(same, "%s: %s differs", what, x->name);
        differ += !same;
    }
    CHECK(!fa || !fb || st_count(fa) == st_count(fb), "%s: tensor counts differ", what);
    differ += fa && fb && st_count(fa) != st_count(fb);
    printf("%s: %s\n", what, differ ? "differs" : "bit-exact");
    if (fa)
        st_close(fa);
    if (fb)
        st_close(fb);
    return !differ;
}

/* Opens a committed fixture or exits. */
static inline st_file *fixture_open(const char *name)
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

/* The device a test runs on: device, or ends the test with 77 ("skipped: why") when it cannot
 * be opened. */
static inline const char *device_or_skip(const char *device)
{
    eng_backend *probe = eng_backend_open(device, 1);
    if (!probe) {
        printf("skipped: %s\n", eng_last_error());
        exit(77);
    }
    eng_backend_free(probe);
    return device;
}

#endif
