/* Times each convolution of unet_256's generator at 256x256, batch 1, fp32, forward only, one
 * graph per layer: the 8 conv2d of the encoder and the 8 conv_transpose2d of the decoder (whose
 * input channels are doubled by the skip concatenation), all 4x4, stride 2, padding 1, as
 * app/model/net_unet.c builds them. Prints one row per layer (useful GFLOP as engine/flops.c
 * counts them, median ms, GFLOP/s), then each family's totals.
 *
 * It uses only the engine's public API (engine/include), the part of it that older commits
 * have too, so that tools/bench_ggml.sh can build it against a past checkout and compare.
 * Usage: bench_conv_layers [--device cpu|vulkan|vulkan:N] [--iters N] [--warmup N] [--json]
 *                          [--layers I,J,...]  (only those rows, 1 to 16, and no totals) */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "engine/device.h"
#include "engine/engine.h"

typedef struct {
    int transposed, cin, cout, in_size, bias;
} conv_layer;

/* Input sizes are those of a 256x256 image; each layer halves (conv2d) or doubles them. */
static const conv_layer LAYERS[] = {
    {0, 3, 64, 256, 0},     {0, 64, 128, 128, 0},   {0, 128, 256, 64, 0},
    {0, 256, 512, 32, 0},   {0, 512, 512, 16, 0},   {0, 512, 512, 8, 0},
    {0, 512, 512, 4, 0},    {0, 512, 512, 2, 0},    {1, 512, 512, 1, 0},
    {1, 1024, 512, 2, 0},   {1, 1024, 512, 4, 0},   {1, 1024, 512, 8, 0},
    {1, 1024, 256, 16, 0},  {1, 512, 128, 32, 0},   {1, 256, 64, 64, 0},
    {1, 128, 3, 128, 1},
};
#define NLAYERS ((int)(sizeof LAYERS / sizeof LAYERS[0]))
#define KERNEL 4

typedef struct {
    const char *device;
    int iters, warmup, json;
    uint32_t only; /* --layers: bit i for row i + 1; 0: every row */
} bench_opts;

typedef struct {
    double gflop, ms;
} layer_result;

/* Its own clock (not base/clock.h): tools/bench_ggml.sh builds this file in past checkouts,
 * which have no base/. */
static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

/* The device, or NULL after printing why. Checkouts before the engine's one error convention
 * (tools/bench_ggml.sh defines BENCH_OPEN_TAKES_ERR for them) took a message buffer. */
static eng_backend *open_device(const char *spec)
{
#ifdef BENCH_OPEN_TAKES_ERR
    char why[512];
    eng_backend *be = eng_backend_open(spec, 0, why, sizeof why);
#else
    eng_backend *be = eng_backend_open(spec, 0);
    const char *why = be ? "" : eng_last_error();
#endif
    if (!be)
        fprintf(stderr, "bench_conv_layers: --device %s: %s\n", spec, why);
    return be;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static int out_size(const conv_layer *l)
{
    return l->transposed ? 2 * l->in_size : l->in_size / 2;
}

/* Values in [-0.5, 0.5) from a fixed sequence: the same inputs on every device and commit. */
static int write_values(eng_plan *p, const eng_node *n)
{
    size_t count = eng_node_numel(n);
    float *v = malloc(count * sizeof *v);
    if (!v)
        return ENG_ENOMEM;
    uint32_t s = 12345u;
    for (size_t i = 0; i < count; i++) {
        s = s * 1664525u + 1013904223u;
        v[i] = (float)(s >> 8) / 16777216.0f - 0.5f;
    }
    int status = eng_plan_write(p, n, v);
    free(v);
    return status;
}

/* The median of the timed runs of one layer's graph, after the warmup runs. */
static int time_plan(const bench_opts *o, eng_plan *p, double *median_ms)
{
    double *t = calloc((size_t)o->iters, sizeof *t);
    if (!t)
        return ENG_ENOMEM;
    for (int i = 0; i < o->warmup + o->iters; i++) {
        double t0 = now_ms();
        int status = eng_plan_run(p);
        if (status) {
            free(t);
            return status;
        }
        if (i >= o->warmup)
            t[i - o->warmup] = now_ms() - t0;
    }
    qsort(t, (size_t)o->iters, sizeof *t, cmp_double);
    *median_ms = o->iters % 2 ? t[o->iters / 2] : 0.5 * (t[o->iters / 2 - 1] + t[o->iters / 2]);
    free(t);
    return 0;
}

static int bench_layer(const bench_opts *o, eng_backend *be, const conv_layer *l,
                       layer_result *r)
{
    eng_graph *g = eng_graph_new();
    eng_node *x = eng_input4(g, "x", 1, l->cin, l->in_size, l->in_size);
    eng_node *w = l->transposed ? eng_param4(g, "w", l->cin, l->cout, KERNEL, KERNEL)
                                : eng_param4(g, "w", l->cout, l->cin, KERNEL, KERNEL);
    eng_node *b = l->bias ? eng_param1(g, "b", l->cout) : NULL;
    eng_node *y = l->transposed ? eng_conv_transpose2d(g, x, w, b, 2, 1, 0)
                                : eng_conv2d(g, x, w, b, 2, 1);
    eng_forward(g, y);
    r->gflop = eng_graph_flops(g) / 1e9;
    eng_plan *p = eng_plan_new(g, be);
    int status = p ? 0 : ENG_EBACKEND;
    if (!status)
        status = write_values(p, x);
    if (!status)
        status = write_values(p, w);
    if (!status)
        status = time_plan(o, p, &r->ms);
    eng_plan_free(p);
    eng_graph_free(g);
    return status;
}

static void print_row(const bench_opts *o, const conv_layer *l, const layer_result *r, int last)
{
    const char *op = l->transposed ? "conv_transpose2d" : "conv2d";
    int out = out_size(l);
    if (o->json)
        printf("    {\"op\": \"%s\", \"cin\": %d, \"cout\": %d, \"in\": %d, \"out\": %d, "
               "\"gflop\": %.6f, \"ms\": %.4f, \"gflops\": %.4f}%s\n",
               op, l->cin, l->cout, l->in_size, out, r->gflop, r->ms, r->gflop / r->ms * 1e3,
               last ? "" : ",");
    else
        printf("%-17s %4d->%-4d %3d->%-3d %9.4f %11.3f %9.3f\n", op, l->cin, l->cout,
               l->in_size, out, r->gflop, r->ms, r->gflop / r->ms * 1e3);
}

static void print_totals(const bench_opts *o, const layer_result *r)
{
    double gflop[2] = {0, 0}, ms[2] = {0, 0};
    for (int i = 0; i < NLAYERS; i++) {
        gflop[LAYERS[i].transposed] += r[i].gflop;
        ms[LAYERS[i].transposed] += r[i].ms;
    }
    static const char *const names[2] = {"conv2d", "conv_transpose2d"};
    for (int f = 0; f < 2; f++) {
        if (o->json)
            printf("  \"%s_total\": {\"gflop\": %.6f, \"ms\": %.4f, \"gflops\": %.4f}%s\n",
                   names[f], gflop[f], ms[f], gflop[f] / ms[f] * 1e3, f ? "" : ",");
        else
            printf("total %-16s %9.4f GFLOP %11.3f ms %9.3f GFLOP/s\n", names[f], gflop[f],
                   ms[f], gflop[f] / ms[f] * 1e3);
    }
}

static int parse_int(const char *option, const char *value, int min, int *out)
{
    char *end;
    long v = value ? strtol(value, &end, 10) : 0;
    if (!value || *end || v < min || v > 1000000) {
        fprintf(stderr, "bench_conv_layers: %s needs an integer >= %d\n", option, min);
        return -1;
    }
    *out = (int)v;
    return 0;
}

/* --layers I,J,...: 1-based rows. */
static int parse_layers(const char *value, uint32_t *only)
{
    char *end;
    for (const char *s = value; s && *s; s = *end == ',' ? end + 1 : end) {
        long i = strtol(s, &end, 10);
        if (end == s || i < 1 || i > NLAYERS || (*end && *end != ',')) {
            fprintf(stderr, "bench_conv_layers: --layers needs row numbers 1 to %d, e.g. 1,6\n",
                    NLAYERS);
            return -1;
        }
        *only |= 1u << (i - 1);
    }
    return value ? 0 : -1;
}

static int parse_args(int argc, char **argv, bench_opts *o)
{
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(a, "--json")) {
            o->json = 1;
            continue;
        }
        if (!strcmp(a, "--device") && v)
            o->device = v;
        else if (!strcmp(a, "--iters")) {
            if (parse_int(a, v, 1, &o->iters))
                return -1;
        } else if (!strcmp(a, "--warmup")) {
            if (parse_int(a, v, 0, &o->warmup))
                return -1;
        } else if (!strcmp(a, "--layers")) {
            if (parse_layers(v, &o->only))
                return -1;
        } else {
            fprintf(stderr, "bench_conv_layers: unknown option or missing value: %s\nusage: "
                    "bench_conv_layers [--device SPEC] [--iters N] [--warmup N] [--json | --layers "
                    "I,J,...]\n", a);
            return -1;
        }
        i++;
    }
    if (o->json && o->only) {
        fprintf(stderr, "bench_conv_layers: --json reports every row; it does not take --layers\n");
        return -1;
    }
    return 0;
}

int main(int argc, char **argv)
{
    bench_opts o = {.device = "vulkan", .iters = 5, .warmup = 2};
    if (parse_args(argc, argv, &o))
        return 2;
    eng_backend *be = open_device(o.device);
    if (!be)
        return 1;
    if (o.json)
        printf("{\n  \"device\": \"%s\", \"iters\": %d, \"warmup\": %d,\n  \"layers\": [\n",
               eng_backend_name(be), o.iters, o.warmup);
    else
        printf("bench_conv_layers: unet_256 convolutions, 256x256, batch 1, fp32, forward, on %s, "
               "median of %d runs\n%-17s %-9s %-7s %9s %11s %9s\n", eng_backend_name(be),
               o.iters, "op", "channels", "size", "GFLOP", "median_ms", "GFLOP/s");
    layer_result r[NLAYERS];
    for (int i = 0; i < NLAYERS; i++) {
        if (o.only && !(o.only >> i & 1u))
            continue;
        int status = bench_layer(&o, be, &LAYERS[i], &r[i]);
        if (status) {
            fprintf(stderr, "bench_conv_layers: layer %d on %s failed: %s\n", i + 1, o.device,
                    eng_last_error());
            eng_backend_free(be);
            return 1;
        }
        print_row(&o, &LAYERS[i], &r[i], i == NLAYERS - 1);
        fflush(stdout);
    }
    if (o.json)
        printf("  ],\n");
    if (!o.only)
        print_totals(&o, r);
    if (o.json)
        printf("}\n");
    eng_backend_free(be);
    return 0;
}
