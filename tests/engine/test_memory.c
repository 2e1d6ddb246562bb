/* A small conv net (conv, batch norm, leaky relu, conv transpose, tanh, L1 loss, Adam) trained
 * for 100 steps in one plan: eng_plan_estimate must foresee the plan's bytes, resident memory
 * and the plan's bytes must not grow after warm-up, and the loss must go down (the steps
 * really train). */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif

#include "engine/engine.h"
#include "engine/graph.h"

#define STEPS 100
#define WARMUP 10
/* Resident memory may move by a few pages (stdio buffers, allocator bookkeeping). */
#define SLACK_PAGES 16

/* Heap bytes in use: catches leaks far smaller than a page per step (glibc only). */
static size_t heap_bytes(void)
{
#ifdef __GLIBC__
    return mallinfo2().uordblks;
#else
    return 0;
#endif
}

static long resident_pages(void)
{
    FILE *f = fopen("/proc/self/statm", "r");
    long size = 0, resident = -1;
    if (f) {
        if (fscanf(f, "%ld %ld", &size, &resident) != 2)
            resident = -1;
        fclose(f);
    }
    return resident;
}

/* Deterministic values in [-scale, scale). */
static void fill(float *v, size_t n, float scale, uint32_t *state)
{
    for (size_t i = 0; i < n; i++) {
        *state = *state * 1664525u + 1013904223u;
        v[i] = ((float)(*state >> 8) / 16777216.0f * 2.0f - 1.0f) * scale;
    }
}

static void write_random(eng_plan *p, const eng_node *n, float scale, uint32_t *state)
{
    float *v = malloc(n->numel * sizeof *v);
    if (!v) {
        fprintf(stderr, "out of memory\n");
        exit(1);
    }
    fill(v, n->numel, scale, state);
    if (eng_plan_write(p, n, v) != ENG_OK) {
        fprintf(stderr, "write of '%s' failed: %s\n", n->name, eng_last_error());
        exit(1);
    }
    free(v);
}

int main(void)
{
    eng_graph *g = eng_graph_new();
    eng_node *x = eng_input4(g, "x", 2, 3, 16, 16);
    eng_node *target = eng_input4(g, "target", 2, 3, 16, 16);
    eng_node *w1 = eng_param4(g, "down.weight", 8, 3, 4, 4);
    eng_node *b1 = eng_param1(g, "down.bias", 8);
    eng_node *bn_w = eng_param1(g, "norm.weight", 8);
    eng_node *bn_b = eng_param1(g, "norm.bias", 8);
    eng_node *mean = eng_state1(g, "norm.running_mean", 8);
    eng_node *var = eng_state1(g, "norm.running_var", 8);
    eng_node *count = eng_state1(g, "norm.num_batches_tracked", 1);
    eng_node *w2 = eng_param4(g, "up.weight", 8, 3, 4, 4);
    eng_node *b2 = eng_param1(g, "up.bias", 3);

    eng_node *h = eng_conv2d(g, x, w1, b1, 2, 1);
    h = eng_batch_norm2d(g, h, bn_w, bn_b, mean, var, count, 1, 0.1f, 1e-5f);
    h = eng_leaky_relu(g, h, 0.2f);
    eng_node *y = eng_tanh(g, eng_conv_transpose2d(g, h, w2, b2, 2, 1, 0));
    eng_node *loss = eng_l1_loss(g, y, target);
    eng_node *params[] = {w1, b1, bn_w, bn_b, w2, b2};
    int nparams = (int)(sizeof params / sizeof *params);
    eng_forward(g, loss);
    eng_backward(g, loss, params, nparams);
    eng_adam_step(g, eng_adam_new(g, params, nparams, 2e-3f, 0.5f, 0.999f, 1e-8f));

    eng_backend *be = eng_cpu_backend_new(2);
    size_t estimate = 0;
    if (eng_plan_estimate(g, be, NULL, &estimate) != ENG_OK) {
        fprintf(stderr, "estimate failed: %s\n", eng_last_error());
        return 1;
    }
    eng_plan *p = eng_plan_new(g, be);
    if (!p) {
        fprintf(stderr, "plan failed: %s\n", eng_last_error());
        return 1;
    }
    /* What callers compare against their memory limit before planning. */
    if (estimate != eng_plan_bytes(p)) {
        fprintf(stderr, "estimated %zu bytes, the plan holds %zu\n", estimate, eng_plan_bytes(p));
        return 1;
    }
    uint32_t rng = 12345;
    write_random(p, x, 1.0f, &rng);
    write_random(p, target, 0.8f, &rng);
    write_random(p, w1, 0.2f, &rng);
    write_random(p, b1, 0.1f, &rng);
    write_random(p, w2, 0.2f, &rng);
    write_random(p, b2, 0.1f, &rng);
    float ones[8] = {1, 1, 1, 1, 1, 1, 1, 1};
    eng_plan_write(p, bn_w, ones);
    eng_plan_write(p, var, ones);

    float first_loss = 0.0f, last_loss = 0.0f;
    long rss_warm = 0, rss_max = 0;
    size_t bytes_warm = 0, heap_warm = 0;
    for (int step = 0; step < STEPS; step++) {
        if (eng_plan_run(p) != ENG_OK || eng_plan_read(p, loss, &last_loss) != ENG_OK) {
            fprintf(stderr, "step %d failed: %s\n", step, eng_last_error());
            return 1;
        }
        if (step == 0)
            first_loss = last_loss;
        long rss = resident_pages();
        if (step == WARMUP - 1) {
            rss_warm = rss;
            bytes_warm = eng_plan_bytes(p);
            heap_warm = heap_bytes();
        }
        if (step >= WARMUP && rss > rss_max)
            rss_max = rss;
    }
    size_t bytes_end = eng_plan_bytes(p);
    size_t heap_end = heap_bytes();
    long page_kb = sysconf(_SC_PAGESIZE) / 1024;
    printf("loss %.5f -> %.5f over %d steps; resident %ld KB after warm-up, at most %ld KB "
           "after; heap in use %zu -> %zu bytes; plan %zu bytes\n",
           first_loss, last_loss, STEPS, rss_warm * page_kb, rss_max * page_kb, heap_warm,
           heap_end, bytes_end);

    int failures = 0;
    if (rss_warm <= 0) {
        fprintf(stderr, "cannot read /proc/self/statm\n");
        failures++;
    }
#ifdef __SANITIZE_ADDRESS__
    /* AddressSanitizer's own bookkeeping grows the resident set; its leak check covers this. */
    printf("resident memory not checked under AddressSanitizer\n");
    rss_max = rss_warm;
#endif
    if (rss_max > rss_warm + SLACK_PAGES) {
        fprintf(stderr, "resident memory grew by %ld pages after warm-up (slack %d)\n",
                rss_max - rss_warm, SLACK_PAGES);
        failures++;
    }
    if (heap_end > heap_warm) {
        fprintf(stderr, "heap in use grew by %zu bytes after warm-up\n", heap_end - heap_warm);
        failures++;
    }
    if (bytes_end != bytes_warm || bytes_end == 0) {
        fprintf(stderr, "plan bytes changed: %zu after warm-up, %zu at the end\n", bytes_warm,
                bytes_end);
        failures++;
    }
    if (!(last_loss < 0.9f * first_loss)) {
        fprintf(stderr, "training did not lower the loss: %g -> %g\n", first_loss, last_loss);
        failures++;
    }
    eng_plan_free(p);
    eng_backend_free(be);
    eng_graph_free(g);
    return failures ? 1 : 0;
}
