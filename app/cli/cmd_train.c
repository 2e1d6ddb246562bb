/* pix2pix train: the command line of a training run. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app/common/backend.h"
#include "app/common/precision.h"
#include "app/cli/cli.h"
#include "app/cli/commands.h"
#include "app/common/resources.h"
#include "app/train/train_run.h"

/* The command line again with --continue, for the message printed when stopping early. */
static char *resume_command(int argc, char **argv)
{
    size_t len = 64;
    for (int i = 1; i < argc; i++)
        len += strlen(argv[i]) + 3;
    char *s = malloc(len);
    if (!s)
        return NULL;
    strcpy(s, "pix2pix train");
    int has_continue = 0;
    for (int i = 1; i < argc; i++) {
        /* Starting weights, the step budget and starting over do not apply to the next run. */
        if (!strcmp(argv[i], "--init-g") || !strcmp(argv[i], "--init-d") ||
            !strcmp(argv[i], "--max-steps")) {
            i++;
            continue;
        }
        if (!strncmp(argv[i], "--init-g=", 9) || !strncmp(argv[i], "--init-d=", 9) ||
            !strncmp(argv[i], "--max-steps=", 12) || !strcmp(argv[i], "--overwrite"))
            continue;
        has_continue |= !strcmp(argv[i], "--continue");
        strcat(s, " ");
        strcat(s, argv[i]);
    }
    if (!has_continue)
        strcat(s, " --continue");
    return s;
}

int cmd_train(int argc, char **argv)
{
    train_config c;
    train_config_defaults(&c);
    const cli_opt opts[] = {
        {"data", CLI_STR, &c.data, "dataset folder: DATA/train (aligned A|B) or DATA/A, DATA/B"},
        {"direction", CLI_STR, &c.direction, "AtoB | BtoA"},
        {"name", CLI_STR, &c.name, "experiment name (checkpoints go to CKDIR/NAME)"},
        {"checkpoints-dir", CLI_STR, &c.checkpoints_dir, "folder of the experiments"},
        {"epochs", CLI_INT, &c.epochs, "epochs at the initial learning rate"},
        {"epochs-decay", CLI_INT, &c.epochs_decay, "epochs of linear decay to zero"},
        {"batch-size", CLI_INT, &c.batch_size, "images per step, 1 to 65536"},
        {"lr", CLI_FLOAT, &c.lr, "initial Adam learning rate, in (0, 1]"},
        {"beta1", CLI_FLOAT, &c.beta1, "Adam beta1, in [0, 1)"},
        {"lambda-l1", CLI_FLOAT, &c.lambda_l1, "weight of the L1 loss, in [0, 1e6]"},
        {"gan-mode", CLI_STR, &c.gan_mode, "vanilla (BCE with logits) | lsgan (MSE)"},
        {"netG", CLI_STR, &c.netG, "unet_256 | unet_128 | resnet_9blocks | resnet_6blocks"},
        {"netD", CLI_STR, &c.netD, "basic (70x70 PatchGAN) | n_layers | pixel"},
        {"n-layers-d", CLI_INT, &c.n_layers_d, "layers of netD n_layers"},
        {"ngf", CLI_INT, &c.ngf, "generator filters in the first layer"},
        {"ndf", CLI_INT, &c.ndf, "discriminator filters in the first layer"},
        {"norm", CLI_STR, &c.norm, "batch | instance | none"},
        {"no-dropout", CLI_FLAG, &c.no_dropout, "no dropout in the generator"},
        {"input-nc", CLI_INT, &c.input_nc, "channels of A (3 or 1)"},
        {"output-nc", CLI_INT, &c.output_nc, "channels of B (3 or 1)"},
        {"load-size", CLI_INT, &c.load_size, "images are scaled to this size"},
        {"crop-size", CLI_INT, &c.crop_size, "then cropped to this size"},
        {"preprocess", CLI_STR, &c.preprocess,
         "resize_and_crop | crop | scale_width | scale_width_and_crop | none"},
        {"no-flip", CLI_FLAG, &c.no_flip, "no random horizontal flips"},
        {"serial-batches", CLI_FLAG, &c.serial_batches, "take the images in order"},
        {"seed", CLI_U64, &c.seed, "seed of the weights, dropout and data order"},
        {"save-epoch-freq", CLI_INT, &c.save_epoch_freq, "keep <epoch>_net_*.safetensors every N epochs"},
        {"continue", CLI_FLAG, &c.continue_train, "resume from the latest checkpoint of NAME"},
        {"overwrite", CLI_FLAG, &c.overwrite,
         "start over in NAME, moving a run there to NAME.old-DATE-TIME (nothing is deleted)"},
        {"init-g", CLI_STR, &c.init_g, "start G from this file (.safetensors or .pth)"},
        {"init-d", CLI_STR, &c.init_d, "start D from this file (.safetensors or .pth)"},
        {"device", CLI_STR, &c.device, APP_DEVICE_HELP},
        {"precision", CLI_STR, &c.precision, APP_PRECISION_HELP},
        {"threads", CLI_INT, &c.threads, "CPU threads (0: all cores)"},
        {"workers", CLI_INT, &c.workers, "image decoding threads (0: 1)"},
        {"display-freq", CLI_INT, &c.display_freq,
         "refresh the report and its images every N steps (0: at the end of each epoch)"},
        {"max-steps", CLI_INT, &c.max_steps, "stop (and save) after N steps (0: no limit)"},
        {"time-limit", CLI_FLOAT, &c.time_limit, "stop (and save) after S seconds (0: no limit)"},
        {"quiet", CLI_FLAG, &c.quiet, "no progress display"},
        {"check-every", CLI_INT, &c.check_every,
         "under mpirun: compare the ranks' weights every N steps (0: never)"},
    };
    const cli_spec spec = {
        "train", "pix2pix train --data DIR [OPTIONS]",
        "Trains a pix2pix model (a U-Net or ResNet generator against a PatchGAN) on paired\n"
        "images. Checkpoints, loss_log.csv, opt.txt and web/index.html go to CKDIR/NAME\n"
        "(NAME a folder name, without '/'), written once the data and options are usable.\n"
        "Ctrl-C finishes the step, saves, and prints how to resume. Unusable images are\n"
        "reported once (path and reason) and skipped.\n"
        "\n"
        "Exit status: 0 trained, or stopped by Ctrl-C, SIGTERM, --max-steps or --time-limit\n"
        "after saving; 1 no usable image, a model file that cannot be loaded, a checkpoint that\n"
        "cannot be written (the previous one is kept), a failed step, a diverged step (NaN or\n"
        "Inf losses: not saved), the experiment in use by another trainer, or a latest set whose\n"
        "files are of different steps; 2 invalid options (including numbers out of range,\n"
        "image sizes the networks cannot take, and options that differ between MPI ranks), or\n"
        "an experiment that already holds a run without --continue or --overwrite.\n"
        "\n"
        "Under mpirun -np N each rank trains on its share of the pairs and the gradients are\n"
        "averaged (see the guide: Training on several GPUs or machines).",
        opts, (int)(sizeof opts / sizeof opts[0]), 0};
    int rc = cli_parse(&spec, argc, argv, NULL, NULL);
    if (rc)
        return rc == CLI_HELP ? 0 : 2;
    if (!c.data) {
        fprintf(stderr, "pix2pix train: --data is required (see --help)\n");
        return 2;
    }
    if (app_cap_threads("train", "--threads", &c.threads) ||
        app_cap_threads("train", "--workers", &c.workers))
        return 2;
    char *json = cli_to_json(&spec), *text = cli_to_text(&spec);
    char *hint = resume_command(argc, argv);
    c.options_json = json;
    c.options_text = text;
    c.resume_hint = hint;
    rc = train_run(&c);
    free(json);
    free(text);
    free(hint);
    return rc;
}
