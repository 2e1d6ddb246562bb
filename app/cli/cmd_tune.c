/* pix2pix tune: measures the conv kernels of a network on this Vulkan device (every candidate
 * tile, split-K factor and cooperative-matrix kernel per distinct conv GEMM, checked against
 * the default kernel) and keeps the fastest correct ones in the device's tuning file, which
 * train, translate and bench read from then on. */
#include <stdio.h>
#include <string.h>

#include "app/cli/choices.h"
#include "app/cli/cli.h"
#include "app/cli/commands.h"
#include "app/cli/net_opts.h"
#include "app/common/backend.h"
#include "app/common/precision.h"
#include "app/model/net_tune.h"

/* What --help says of pix2pix tune: its usage line, and the text below it. */
static const char usage[] = "pix2pix tune [OPTIONS]";
static const char summary[] =
    "Times the conv kernel candidates of a network on this Vulkan device "
    "and writes the fastest correct ones to its tuning file, beside the "
    "pipeline cache; later runs use them (PIX2PIX_VK_TUNING=0: not).\n"
    "\n"
    "Exit status: 0 tuned and written; 1 the device, a measurement or the "
    "file failed; 2 invalid command line (--device cpu included).";

typedef struct {
    const char *device, *precision;
    cli_net_opts net;
    int size, batch, inference, fp16;
    float seconds;
} tune_opts;

static void print_table(const eng_tune *t)
{
    printf("| conv GEMM | default | ms | best | ms | speedup | measured | rejected | skipped |\n"
           "|---|---|---|---|---|---|---|---|---|\n");
    for (int i = 0; i < eng_tune_count(t); i++) {
        const eng_tune_row *r = eng_tune_row_at(t, i);
        printf("| %s | %s | %.2f | %s | %.2f | %.2fx | %d | %d%s%s | %d |\n", r->gemm,
               r->default_choice, r->default_ms, r->best_choice, r->best_ms,
               r->best_ms > 0 ? r->default_ms / r->best_ms : 0.0, r->measured, r->rejected,
               r->rejected ? ": " : "", r->rejects, r->skipped);
    }
}

static int tune(const tune_opts *o, eng_backend *be, eng_graph *g)
{
    char path[4200];
    eng_tune *t = eng_tune_convs(be, g, !o->inference, o->fp16, o->seconds);
    if (!t) {
        fprintf(stderr, "pix2pix tune: %s\n", eng_last_error());
        return 1;
    }
    print_table(t);
    int skipped = 0;
    for (int i = 0; i < eng_tune_count(t); i++)
        skipped += eng_tune_row_at(t, i)->skipped;
    if (skipped)
        printf("%d candidates skipped: past --seconds %.0f (a larger budget measures them)\n",
               skipped, o->seconds);
    int rc = eng_tune_save(be, t, path, sizeof path);
    if (rc)
        fprintf(stderr, "pix2pix tune: %s\n", eng_last_error());
    else
        printf("pix2pix tune: %d conv GEMMs tuned, written to %s\n", eng_tune_count(t), path);
    eng_tune_free(t);
    return rc ? 1 : 0;
}

int cmd_tune(int argc, char **argv)
{
    tune_opts o = {.device = "vulkan", .net = CLI_NET_DEFAULTS, .precision = "fp32", .size = 256,
                   .batch = 1,
                   .seconds = 60};
    const cli_opt opts[] = {
        {"device", CLI_STR, &o.device, "vulkan | vulkan:N (see 'pix2pix devices')"},
        {"precision", CLI_CHOICE, CLI_CHOICE_OF(o.precision, cli_precision_choices),
         APP_PRECISION_HELP},
        {"size", CLI_INT, &o.size, "image side length"},
        {"batch-size", CLI_INT, &o.batch, "images per step"},
        CLI_NET_OPTIONS(o.net),
        {"inference", CLI_FLAG, &o.inference,
         "the generator's forward convs only (else a training step's: G and D, with gradients)"},
        {"seconds", CLI_FLOAT, &o.seconds,
         "time budget: candidates past it are skipped (the defaults stay)"},
    };
    const cli_spec spec = {"tune", usage, summary, opts, (int)(sizeof opts / sizeof *opts), 0};
    int status = cli_exit_status(cli_parse(&spec, argc, argv, NULL, NULL));
    if (status >= 0)
        return status;
    if ((o.fp16 = app_precision_parse("tune", o.precision)) < 0)
        return 2;
    gen_config gc = {0};
    disc_config dc;
    if (cli_net_configs("tune", &o.net, &gc, &dc))
        return 2;
    if (o.size <= 0 || o.size % gen_stride(&gc) || o.batch < 1 || !(o.seconds > 0)) {
        fprintf(stderr, "pix2pix tune: --size must be a positive multiple of %d; --batch-size "
                        "at least 1; --seconds positive\n", gen_stride(&gc));
        return 2;
    }
    eng_backend *be = app_backend_open(o.device, 0, 0);
    if (!be) {
        fprintf(stderr, "pix2pix tune: %s\n", eng_last_error());
        return 2;
    }
    if (strncmp(eng_backend_name(be), "vulkan", 6)) {
        fprintf(stderr, "pix2pix tune: --device %s is the CPU: tuning measures the Vulkan "
                        "kernels (use --device vulkan[:N])\n", o.device);
        eng_backend_free(be);
        return 2;
    }
    eng_graph *g = net_tune_graph("tune", &gc, &dc, o.batch, o.size, o.size, !o.inference);
    int rc = g ? tune(&o, be, g) : 1;
    eng_graph_free(g);
    eng_backend_free(be);
    return rc;
}
