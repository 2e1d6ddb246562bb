/* pix2pix test: translate a dataset split and score it against the targets. */
#include <stdio.h>
#include <string.h>

#include "app/cli/choices.h"
#include "app/common/backend.h"
#include "app/common/fsutil.h"
#include "app/common/precision.h"
#include "app/cli/cli.h"
#include "app/cli/commands.h"
#include "app/cli/ref_opts.h"
#include "app/common/resources.h"
#include "app/translate/test_run.h"
#include "base/text_line.h"

/* What --help says of pix2pix test: its usage line, and the text below it. */
static const char usage[] = "pix2pix test --data DIR (--model FILE | --name NAME) [OPTIONS]";
static const char summary[] =
    "Translates every pair of a split and reports the mean L1, PSNR and SSIM of the outputs\n"
    "against the targets (0..255 images; SSIM with an 11x11 Gaussian window, sigma 1.5),\n"
    "with an HTML page of input | output | target rows, worst first:\n"
    "RESULTS/index.html and RESULTS/images/<name>_{real_A,fake_B,real_B}.png. With --name\n"
    "the model and the folder are where the reference's test.py has them:\n"
    "CKDIR/NAME/latest_net_G and RESULTS/NAME/test_latest/. The options of\n"
    "pytorch-CycleGAN-and-pix2pix's test.py are taken too (listed after ours).\n"
    "\n"
    "Exit status: 0 every pair scored; 1 a pair failed (reported; the others are scored),\n"
    "or the data, model or results folder could not be used; 2 invalid command line.";

/* Where the reference's test.py looks, with --name: the model
 * CKDIR/NAME/<epoch or iter_N>_net_G (ours, .safetensors, or its .pth) and the results
 * RESULTS/NAME/<split>_<epoch>[_iterN]; with --ema, G's average of train --ema-decay,
 * <epoch or iter_N>_net_G_ema.safetensors, and the results in <split>_<epoch>[_iterN]_ema. */
typedef struct {
    const char *name, *checkpoints_dir, *epoch;
    int load_iter, ema;
    char model[4400], results[4400];
} test_names;

/* The model file of an experiment: ours first, then the reference's. 0, or 1 after saying
 * which files are missing. */
static int find_model(test_names *n)
{
    char tag[64];
    if (n->load_iter > 0)
        snprintf(tag, sizeof tag, "iter_%d", n->load_iter);
    else
        snprintf(tag, sizeof tag, "%s", n->epoch);
    const char *ext[] = {"safetensors", "pth"};
    const char *net = n->ema ? "net_G_ema" : "net_G";
    for (int i = 0; i < 2 - n->ema; i++) { /* an average is ours only */
        snprintf(n->model, sizeof n->model, "%s/%s/%s_%s.%s", n->checkpoints_dir, n->name, tag,
                 net, ext[i]);
        if (fs_exists(n->model))
            return 0;
    }
    if (n->ema)
        text_line(stderr, "pix2pix test: no average of G for --name %s: no %s/%s/%s_%s."
                  "safetensors (trained without --ema-decay? see --epoch, --load-iter)", n->name,
                  n->checkpoints_dir, n->name, tag, net);
    else
        text_line(stderr, "pix2pix test: no model for --name %s: neither %s/%s/%s_%s.safetensors "
                  "nor .pth (see --checkpoints-dir, --epoch, --load-iter, or give --model FILE)",
                  n->name, n->checkpoints_dir, n->name, tag, net);
    return 1;
}

/* --model as the reference means it (pix2pix, cycle_gan, ...) when no such file exists:
 * pix2pix names no file; the others are refused. 0, or 2 after saying why. */
static int reference_model(const char **model)
{
    if (!*model || !ref_model_name(*model) || fs_exists(*model))
        return 0;
    if (strcmp(*model, "pix2pix")) {
        fprintf(stderr, "pix2pix test: --model %s: %s\n", *model, REF_PIX2PIX_ONLY);
        return 2;
    }
    *model = NULL;
    return 0;
}

/* The model file and the results folder, from --model and --results, or from --name as the
 * reference finds them. 0 or the exit status. */
static int resolve(test_config *c, test_names *n)
{
    if (reference_model(&c->model))
        return 2;
    if (!c->data || (!c->model && !n->name)) {
        fprintf(stderr, "pix2pix test: --data (or --dataroot), and --model FILE or --name NAME "
                "(the model in --checkpoints-dir/NAME), are required (see --help)\n");
        return 2;
    }
    if (n->ema && (!n->name || c->model)) {
        fprintf(stderr, "pix2pix test: --ema picks the average of --name's run; with --model, "
                "give its _net_G_ema.safetensors file instead\n");
        return 2;
    }
    if (!n->name)
        return 0;
    if (!n->name[0] || strchr(n->name, '/') || !strcmp(n->name, ".") || !strcmp(n->name, "..")) {
        fprintf(stderr, "pix2pix test: --name '%s' must be a folder name, without '/'\n",
                n->name);
        return 2;
    }
    if (!c->model && find_model(n))
        return 1;
    c->model = c->model ? c->model : n->model;
    int len = snprintf(n->results, sizeof n->results, "%s/%s/%s_%s", c->results, n->name,
                       c->split, n->epoch);
    if (n->load_iter > 0 && len > 0 && (size_t)len < sizeof n->results)
        len += snprintf(n->results + len, sizeof n->results - (size_t)len, "_iter%d",
                        n->load_iter);
    if (n->ema && len > 0 && (size_t)len < sizeof n->results)
        snprintf(n->results + len, sizeof n->results - (size_t)len, "_ema");
    c->results = n->results;
    return 0;
}

int cmd_test(int argc, char **argv)
{
    test_config c = {.split = "test", .results = "./results", .device = app_default_device()};
    test_names n = {.checkpoints_dir = "./checkpoints", .epoch = "latest"};
    const char *precision = "fp32";
    const cli_opt opts[] = {
        {"data", CLI_STR, &c.data, "dataset folder with DATA/<split>/ aligned A|B images"},
        {"model", CLI_STR, &c.model, "generator file: .safetensors, or a PyTorch .pth state_dict"},
        {"name", CLI_STR, &n.name,
         "experiment: the model CKDIR/NAME/<epoch>_net_G (.safetensors, else .pth) unless "
         "--model, the results in RESULTS/NAME/<split>_<epoch>"},
        {"checkpoints-dir", CLI_STR, &n.checkpoints_dir, "folder of the experiments (CKDIR)"},
        {"epoch", CLI_STR, &n.epoch, "with --name: which model, latest or an epoch number"},
        {"ema", CLI_FLAG, &n.ema,
         "with --name: score G's average (train --ema-decay), <epoch>_net_G_ema, into "
         "RESULTS/NAME/<split>_<epoch>_ema"},
        {"load-iter", CLI_INT, &n.load_iter,
         "with --name: the model iter_N_net_G instead (0: --epoch's)"},
        {"split", CLI_STR, &c.split, "train | val | test"},
        {"results", CLI_STR, &c.results, "folder for images/ and index.html (RESULTS)"},
        {"num-test", CLI_INT, &c.num_test, "the first N pairs (0: all)"},
        {"direction", CLI_CHOICE, CLI_CHOICE_OF(c.direction, cli_direction_choices),
         "A to B, or B to A (default: as the model was trained)"},
        {"eval", CLI_FLAG, &c.eval, "BatchNorm running statistics and no dropout"},
        {"seed", CLI_U64, &c.seed, "dropout seed (without --eval)"},
        {"device", CLI_STR, &c.device, APP_DEVICE_HELP},
        {"precision", CLI_CHOICE, CLI_CHOICE_OF(precision, cli_precision_choices),
         APP_PRECISION_HELP},
        {"threads", CLI_INT, &c.threads, "CPU threads (0: all cores)"},
        {"quiet", CLI_FLAG, &c.quiet, "no progress display"},
    };
    const cli_spec spec = {"test", usage, summary, opts, (int)(sizeof opts / sizeof *opts), 0};
    int status = cli_exit_status(cli_parse_aliased(&spec, &ref_test_aliases, argc, argv));
    if (status >= 0)
        return status;
    if ((c.fp16 = app_precision_parse("test", precision)) < 0)
        return 2;
    if ((status = resolve(&c, &n)) != 0)
        return status;
    if (app_cap_threads("test", "--threads", &c.threads))
        return 2;
    return test_run(&c, NULL);
}
