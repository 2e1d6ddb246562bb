/* The ONNX writer out of memory (engine/onnx.h): with the first, then the second, ... of its
 * allocations failing, eng_onnx_write returns ENG_ENOMEM with "out of memory" in
 * eng_last_error(), leaves no file, and the process goes on; with memory enough the same
 * graph is written. The pieces of the model come from calloc, which this program defines for
 * itself (the C library's, unless armed to fail): it is built without the sanitizers, whose
 * allocator is their own. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "engine/engine.h"
#include "engine/onnx.h"

void *__libc_calloc(size_t n, size_t size); /* glibc's calloc, under its other name */

static long fail_in = -1; /* the calloc call that fails, counting down; -1: none */

void *calloc(size_t n, size_t size)
{
    if (fail_in >= 0 && fail_in-- == 0)
        return NULL;
    return __libc_calloc(n, size);
}

static int failures;

static void check(int ok, const char *what, long at)
{
    if (!ok) {
        printf("FAIL %s (allocation %ld): %s\n", what, at, eng_last_error());
        failures++;
    }
}

/* x -> conv -> relu -> tanh, planned on the CPU. */
static eng_plan *small_plan(eng_graph *g, eng_backend *be, eng_node **x, eng_node **y)
{
    *x = eng_input(g, "x", 4, (const int[]){1, 2, 8, 8});
    eng_node *w = eng_param(g, "w", 4, (const int[]){3, 2, 3, 3});
    eng_node *b = eng_param(g, "b", 1, (const int[]){3});
    *y = eng_tanh(g, eng_relu(g, eng_conv2d(g, *x, w, b, 1, 1)));
    eng_forward(g, *y);
    return eng_plan_new(g, be);
}

int main(void)
{
    char dir[] = "/tmp/p2p_onnx_oom_XXXXXX", path[128];
    if (!mkdtemp(dir))
        return 1;
    snprintf(path, sizeof path, "%s/m.onnx", dir);
    eng_graph *g = eng_graph_new();
    eng_backend *be = eng_cpu_backend_new(1);
    eng_node *x, *y;
    eng_plan *p = small_plan(g, be, &x, &y);
    if (!p) {
        printf("FAIL: no plan: %s\n", eng_last_error());
        return 1;
    }
    eng_onnx_value in = {x, "x", {NULL, NULL, "H", "W"}}, out = {y, "y", {NULL, NULL, "H", "W"}};
    eng_onnx_info info = {"test", "1.0", "oom", NULL, NULL, 0};
    long at = 0;
    int rc;
    do {
        fail_in = at;
        rc = eng_onnx_write(p, &in, &out, &info, path);
        int failed = fail_in < 0; /* the armed call came */
        fail_in = -1;
        if (failed) {
            check(rc == ENG_ENOMEM && strstr(eng_last_error(), "out of memory"),
                  "out of memory is ENG_ENOMEM with its message", at);
            check(access(path, F_OK) != 0, "no file left", at);
        } else {
            check(rc == 0, "written once no allocation fails", at);
        }
        at++;
    } while (rc != 0 && at < 100000);
    printf("%ld allocations failed in turn, each refused without ending the process\n", at - 1);
    check(at > 10, "the writer allocates its pieces with calloc", at);
    unlink(path);
    rmdir(dir);
    eng_plan_free(p);
    eng_backend_free(be);
    eng_graph_free(g);
    printf("%d failure(s)\n", failures);
    return failures ? 1 : 0;
}
