/* pix2pix bench: times the generator's inference (eval mode and the default train-mode
 * statistics) and one full training step (the trainer's graph: G forward, D update, G update)
 * on random data, with achieved GFLOP/s and peak resident memory per phase. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "app/common/backend.h"
#include "app/common/precision.h"
#include "app/cli/choices.h"
#include "app/cli/cli.h"
#include "app/cli/commands.h"
#include "app/cli/net_opts.h"
#include "app/model/net_tune.h"
#include "app/common/resources.h"
#include "app/train/train.h"

/* What --help says of pix2pix bench: its usage line, and the text below it. */
static const char usage[] = "pix2pix bench [OPTIONS]";
static const char summary[] =
    "Times generator inference and one training step on random data.\n"
    "\n"
    "Exit status: 0 timed; 1 a plan failed to build or run; 2 invalid "
    "command line, or the device cannot be opened.";

typedef struct {
    const char *device, *precision, *tune;
    cli_net_opts net;
    int size, batch, iters, warmup, threads, json, no_dropout, schedule, profile, fp16;
    int plan_only;
    float lambda_feat; /* the training step with feature matching (0: without) */
} bench_opts;

typedef struct {
    double ms;          /* median time of one run */
    double min_ms;
    double cpu_ms;      /* process CPU time (all threads) per run: spinning shows up here */
    double gflop;       /* convolution work of one run */
    double peak_mib;    /* resident high-water mark during the phase */
    double plan_mib;    /* the plan's buffers (eng_plan_bytes) */
    eng_counters counts; /* dispatches, barriers, submits of one run (eng_plan_counters) */
    int fp16;           /* the plan ran with fp16 storage */
} phase_result;

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

/* Resets the kernel's resident high-water mark (VmHWM), so each phase reports its own peak. */
static void reset_peak_rss(void)
{
    FILE *f = fopen("/proc/self/clear_refs", "w");
    if (f) {
        fputs("5", f);
        fclose(f);
    }
}

static double peak_rss_mib(void)
{
    FILE *f = fopen("/proc/self/status", "r");
    char line[256];
    double kib = 0.0;
    while (f && fgets(line, sizeof line, f))
        if (!strncmp(line, "VmHWM:", 6))
            kib = atof(line + 6);
    if (f)
        fclose(f);
    return kib / 1024.0;
}

/* The convolution work of one run of the recorded schedule. */
static double schedule_gflop(const eng_graph *g)
{
    return eng_graph_flops(g) / 1e9;
}

static double cpu_time_ms(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return (ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1e3 +
           (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e3;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Runs step() warmup + iters times; the median and the fastest of the timed runs. */
static int time_runs(const bench_opts *o, int (*step)(void *), void *arg, phase_result *r)
{
    double *t = calloc((size_t)o->iters, sizeof *t);
    if (!t)
        return -1;
    double cpu0 = 0.0;
    for (int i = 0; i < o->warmup + o->iters; i++) {
        if (i == o->warmup)
            cpu0 = cpu_time_ms();
        double t0 = now_ms();
        if (step(arg)) {
            free(t);
            return -1;
        }
        if (i >= o->warmup)
            t[i - o->warmup] = now_ms() - t0;
    }
    r->cpu_ms = (cpu_time_ms() - cpu0) / o->iters;
    qsort(t, (size_t)o->iters, sizeof *t, cmp_double);
    r->ms = o->iters % 2 ? t[o->iters / 2] : 0.5 * (t[o->iters / 2 - 1] + t[o->iters / 2]);
    r->min_ms = t[0];
    free(t);
    return 0;
}

static void fill_uniform(float *v, size_t n, uint32_t seed)
{
    for (size_t i = 0; i < n; i++) {
        seed = seed * 1664525u + 1013904223u;
        v[i] = (float)(seed >> 8) / 8388608.0f - 1.0f;
    }
}

/* ---- inference ---------------------------------------------------------------------------- */
typedef struct {
    eng_plan *plan;
    eng_node *in, *out;
    float *x, *y;
} infer_job;

static int infer_step(void *arg)
{
    infer_job *j = arg;
    return eng_plan_write(j->plan, j->in, j->x) || eng_plan_run(j->plan) ||
           eng_plan_read(j->plan, j->out, j->y);
}

static int bench_infer(const bench_opts *o, eng_backend *be, const gen_config *gc, int eval,
                       phase_result *r)
{
    reset_peak_rss();
    eng_graph *g = eng_graph_new();
    net G;
    infer_job j = {0};
    int status = -1;
    j.in = eng_input4(g, "input", o->batch, gc->input_nc, o->size, o->size);
    net_init_struct(&G, g, "", !eval, !eval && gc->use_dropout, 1);
    j.out = net_generator(&G, gc, j.in);
    eng_forward(g, j.out);
    eng_reuse_values(g); /* as translate does */
    app_precision_apply(g, o->fp16);
    char what[64], err[512];
    snprintf(what, sizeof what, "inference at %dx%d", o->size, o->size);
    size_t io_bytes = sizeof(float) * (eng_node_numel(j.in) + eng_node_numel(j.out));
    if (app_plan_check(g, be, io_bytes, what, err, sizeof err)) {
        fprintf(stderr, "pix2pix bench: %s (see --size/--batch-size)\n", err);
    } else {
        j.plan = eng_plan_new(g, be);
        app_precision_note(j.plan, be, o->fp16, 0);
        r->fp16 = j.plan && eng_plan_fp16(j.plan);
        j.x = malloc(eng_node_numel(j.in) * sizeof *j.x);
        j.y = malloc(eng_node_numel(j.out) * sizeof *j.y);
        if (j.plan && j.x && j.y && !net_init_weights(&G, j.plan, 1)) {
            r->plan_mib = (double)eng_plan_bytes(j.plan) / 1048576.0;
            eng_plan_counters(j.plan, &r->counts);
            fill_uniform(j.x, eng_node_numel(j.in), 7);
            status = o->plan_only ? 0 : time_runs(o, infer_step, &j, r);
        }
        if (status)
            fprintf(stderr, "pix2pix bench: inference failed: %s\n", eng_last_error());
    }
    r->gflop = schedule_gflop(g);
    r->peak_mib = peak_rss_mib();
    free(j.x);
    free(j.y);
    if (j.plan)
        eng_plan_free(j.plan);
    net_release(&G);
    eng_graph_free(g);
    return status;
}

/* ---- training step ------------------------------------------------------------------------ */
typedef struct {
    trainer t;
    float *a, *b;
} train_job;

static int train_step(void *arg)
{
    train_job *j = arg;
    float losses[LOSS_COUNT];
    return trainer_step(&j->t, j->a, j->b, losses);
}

static int bench_train(const bench_opts *o, eng_backend *be, const gen_config *gc,
                       const disc_config *dc, phase_result *r)
{
    reset_peak_rss();
    trainer_opts to = {.gen = *gc, .disc = *dc, .batch = o->batch, .height = o->size,
                       .width = o->size, .lr = 2e-4f, .beta1 = 0.5f, .lambda_l1 = 100.0f,
                       .seed = 1, .fp16 = o->fp16, .lambda_feat = o->lambda_feat};
    train_job j = {0};
    char what[64], err[512];
    size_t na = (size_t)o->batch * gc->input_nc * o->size * o->size;
    size_t nb = (size_t)o->batch * gc->output_nc * o->size * o->size;
    snprintf(what, sizeof what, "a training step at %dx%d", o->size, o->size);
    if (trainer_memory_check(&to, be, sizeof(float) * (na + nb), what, err, sizeof err)) {
        fprintf(stderr, "pix2pix bench: %s (see --size/--batch-size)\n", err);
        return -1;
    }
    if (trainer_init(&j.t, &to, be, err, sizeof err)) {
        fprintf(stderr, "pix2pix bench: %s\n", err);
        trainer_free(&j.t);
        return -1;
    }
    j.a = malloc(na * sizeof *j.a);
    j.b = malloc(nb * sizeof *j.b);
    int status = -1;
    r->plan_mib = (double)eng_plan_bytes(j.t.plan) / 1048576.0;
    r->fp16 = eng_plan_fp16(j.t.plan);
    eng_plan_counters(j.t.plan, &r->counts);
    if (j.a && j.b) {
        fill_uniform(j.a, na, 11);
        fill_uniform(j.b, nb, 13);
        status = o->plan_only ? 0 : time_runs(o, train_step, &j, r);
    }
    if (status)
        fprintf(stderr, "pix2pix bench: training step failed: %s\n", eng_last_error());
    r->gflop = schedule_gflop(j.t.g);
    r->peak_mib = peak_rss_mib();
    free(j.a);
    free(j.b);
    trainer_free(&j.t);
    return status;
}

/* GFLOP/s of a phase; 0 when it was not timed (--plan-only). */
static double rate(const phase_result *r)
{
    return r->ms > 0 ? r->gflop / (r->ms / 1e3) : 0.0;
}

static void print_phase(const char *what, const phase_result *r)
{
    printf("%-24s %8.1f ms (min %.1f, CPU %.1f)  %5.1f GFLOP  %6.1f GFLOP/s  peak RSS %7.1f MiB"
           "  plan %7.1f MiB\n", what, r->ms, r->min_ms, r->cpu_ms, r->gflop,
           rate(r), r->peak_mib, r->plan_mib);
    const eng_counters *c = &r->counts;
    printf("%-24s %d dispatches, %d fills, %d barriers (%d between dependent steps), "
           "%d submits per run\n", "", c->dispatches, c->fills, c->barriers,
           c->barriers_dependent, c->submits);
}

int cmd_benchmark(int argc, char **argv)
{
    bench_opts o = {.device = app_default_device(), .net = CLI_NET_DEFAULTS, .precision = "fp32",
                    .tune = NET_TUNE_DEFAULT,
                    .size = 256, .batch = 1, .iters = 5, .warmup = 2, .threads = 0};
    const cli_opt opts[] = {
        {"device", CLI_STR, &o.device, APP_DEVICE_HELP},
        {"precision", CLI_CHOICE, CLI_CHOICE_OF(o.precision, cli_precision_choices),
         APP_PRECISION_HELP},
        {"tune", CLI_CHOICE, CLI_CHOICE_OF(o.tune, cli_tune_choices), NET_TUNE_HELP},
        {"size", CLI_INT, &o.size, "image side length"},
        {"batch-size", CLI_INT, &o.batch, "images per step"},
        CLI_NET_OPTIONS(o.net),
        {"no-dropout", CLI_FLAG, &o.no_dropout, "no dropout in the generator"},
        {"lambda-feat", CLI_FLOAT, &o.lambda_feat,
         "time the training step with feature matching (as train --lambda-feat; 0: without)"},
        {"iters", CLI_INT, &o.iters, "timed runs per measurement (the median is reported)"},
        {"warmup", CLI_INT, &o.warmup, "untimed runs first"},
        {"threads", CLI_INT, &o.threads, "CPU threads (0: all cores)"},
        {"json", CLI_FLAG, &o.json, "end with one JSON line of the results"},
        {"plan-only", CLI_FLAG, &o.plan_only,
         "plan without running: the plans' memory and counters (times are 0)"},
        {"schedule", CLI_FLAG, &o.schedule, "print each plan's steps to stderr (ENG_SCHEDULE=1)"},
        {"profile", CLI_FLAG, &o.profile,
         "print each plan's time per op to stderr (PIX2PIX_PROFILE=1; on Vulkan GPU timestamps, "
         "and each conv GEMM's kernel, GFLOP/s and share of the device's measured peak)"},
    };
    const cli_spec spec = {"bench", usage, summary, opts, (int)(sizeof opts / sizeof *opts), 0};
    int status = cli_exit_status(cli_parse(&spec, argc, argv, NULL, NULL));
    if (status >= 0)
        return status;
    if (app_cap_threads("bench", "--threads", &o.threads) ||
        (o.fp16 = app_precision_parse("bench", o.precision)) < 0)
        return 2;
    if (o.schedule)
        setenv("ENG_SCHEDULE", "1", 1);
    if (o.profile)
        setenv("PIX2PIX_PROFILE", "1", 1);

    gen_config gc = {.use_dropout = !o.no_dropout};
    disc_config dc;
    if (cli_net_configs("bench", &o.net, &gc, &dc))
        return 2;
    if (o.size <= 0 || o.size % gen_stride(&gc) || o.batch < 1 || o.iters < 1 || o.warmup < 0 ||
        !(o.lambda_feat >= 0)) {
        fprintf(stderr, "pix2pix bench: --size must be a positive multiple of %d; --batch-size "
                        "and --iters at least 1; --lambda-feat 0 or more\n", gen_stride(&gc));
        return 2;
    }
    eng_backend *be = app_backend_open(o.device, o.threads, 0);
    if (!be) {
        fprintf(stderr, "pix2pix bench: %s\n", eng_last_error());
        return 2;
    }
    if (!strcmp(o.tune, "auto") && net_tune_auto("bench", be, &gc, &dc, o.batch, o.size, o.size, 1, o.fp16)) {
        eng_backend_free(be);
        return 1;
    }
    phase_result eval = {0}, infer = {0}, train = {0};
    int failed = bench_infer(&o, be, &gc, 1, &eval) || bench_infer(&o, be, &gc, 0, &infer) ||
                 bench_train(&o, be, &gc, &dc, &train);
    eng_backend_free(be);
    if (failed)
        return 1;
    const char *ran = train.fp16 ? "fp16" : "fp32";
    printf("pix2pix bench: %s, %s + %s, %dx%d, batch %d, %s, median of %d runs\n", o.device,
           o.net.netG, o.net.netD, o.size, o.size, o.batch, ran, o.iters);
    print_phase("inference (eval)", &eval);
    print_phase("inference (train stats)", &infer);
    print_phase("training step", &train);
    if (o.json)
        printf("{\"device\": \"%s\", \"precision\": \"%s\", \"infer_ms\": %.2f, "
               "\"infer_eval_ms\": %.2f, "
               "\"train_step_ms\": %.2f, \"gflops_infer\": %.2f, \"gflops_train\": %.2f, "
               "\"gflop_infer\": %.4f, \"gflop_train\": %.4f, "
               "\"peak_rss_mib\": %.1f, \"peak_rss_infer_mib\": %.1f, \"infer_cpu_ms\": %.2f, "
               "\"train_step_cpu_ms\": %.2f, \"plan_mib_infer\": %.1f, \"plan_mib_train\": %.1f, "
               "\"dispatches\": %d, \"fills\": %d, \"barriers\": %d, \"barriers_dependent\": %d, "
               "\"submits\": %d, \"infer_dispatches\": %d, \"infer_barriers\": %d, "
               "\"infer_submits\": %d}\n",
               o.device, ran, infer.ms, eval.ms, train.ms, rate(&infer), rate(&train), infer.gflop,
               train.gflop,
               train.peak_mib,
               infer.peak_mib > eval.peak_mib ? infer.peak_mib : eval.peak_mib, infer.cpu_ms,
               train.cpu_ms, infer.plan_mib, train.plan_mib, train.counts.dispatches,
               train.counts.fills, train.counts.barriers, train.counts.barriers_dependent,
               train.counts.submits, infer.counts.dispatches, infer.counts.barriers,
               infer.counts.submits);
    return 0;
}
