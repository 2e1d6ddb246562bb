/* pix2pix train: the command line of a training run. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app/common/backend.h"
#include "app/common/precision.h"
#include "app/cli/choices.h"
#include "app/cli/cli.h"
#include "app/cli/commands.h"
#include "app/cli/ref_opts.h"
#include "app/common/program.h"
#include "app/common/resources.h"
#include "app/model/net_init.h"
#include "app/model/net_tune.h"
#include "app/train/lr_policy.h"
#include "app/train/train_run.h"

/* What --help says of pix2pix train: its usage line, and the text below it. */
static const char usage[] = "pix2pix train --data DIR [OPTIONS]";
static const char summary[] =
    "Trains a pix2pix model (a U-Net, ResNet or pix2pixHD global or local generator\n"
    "against a PatchGAN) on paired images. Checkpoints, loss_log.csv, opt.txt and\n"
    "web/index.html go to CKDIR/NAME (NAME a folder name, without '/'), written once the\n"
    "data and options are usable. Ctrl-C finishes the step, saves, and prints how to\n"
    "resume. Unusable images are reported once (path and reason) and skipped.\n"
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
    "averaged (see the guide: Training on several GPUs or machines).\n"
    "\n"
    "The options of pytorch-CycleGAN-and-pix2pix's train.py are taken too, with the same\n"
    "meaning (listed after ours), so that its command lines run unchanged.";

/* The command line again with --continue, for the message printed when stopping early. */
static char *resume_command(int argc, char **argv)
{
    size_t len = 64 + strlen(app_program());
    for (int i = 1; i < argc; i++)
        len += 4 * strlen(argv[i]) + 3; /* quoted: each ' as '\'' */
    char *s = malloc(len);
    if (!s)
        return NULL;
    sprintf(s, "%s train", app_program()); /* as the user ran it: ./build/pix2pix */
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
        char word[8192];
        strcat(s, " ");
        strcat(s, app_shell_word(argv[i], word, sizeof word));
    }
    if (!has_continue)
        strcat(s, " --continue");
    return s;
}

static const cli_choices lr_policy_choices = {lr_policy_names, NULL, NULL};
static const cli_choices init_type_choices = {net_init_type_names, NULL, NULL};

int cmd_train(int argc, char **argv)
{
    train_config c;
    train_config_defaults(&c);
    c.norm = NULL; /* batch, or pix2pixHD's instance for --netG global: after parsing */
    const cli_opt opts[] = {
        {"data", CLI_STR, &c.data, "dataset folder: DATA/train (aligned A|B) or DATA/A, DATA/B"},
        {"direction", CLI_CHOICE, CLI_CHOICE_OF(c.direction, cli_direction_choices),
         "A to B, or B to A"},
        {"name", CLI_STR, &c.name, "experiment name (checkpoints go to CKDIR/NAME)"},
        {"checkpoints-dir", CLI_STR, &c.checkpoints_dir, "folder of the experiments"},
        {"split", CLI_STR, &c.split, "the dataset's part to train on: DATA/SPLIT"},
        {"epochs", CLI_INT, &c.epochs, "epochs at the initial learning rate"},
        {"epochs-decay", CLI_INT, &c.epochs_decay, "epochs of linear decay to zero"},
        {"epoch-count", CLI_INT, &c.epoch_count,
         "number of the first epoch of a new run, which ends at --epochs + --epochs-decay"},
        {"lr-policy", CLI_CHOICE, CLI_CHOICE_OF(c.lr_policy, lr_policy_choices),
         "the learning rate by epoch (plateau: on the epoch's mean G_L1)"},
        {"lr-decay-iters", CLI_INT, &c.lr_decay_iters, "--lr-policy step: x0.1 every N epochs"},
        {"batch-size", CLI_INT, &c.batch_size, "images per step, 1 to 65536"},
        {"lr", CLI_FLOAT, &c.lr, "initial Adam learning rate, in (0, 1]"},
        {"beta1", CLI_FLOAT, &c.beta1, "Adam beta1, in [0, 1)"},
        {"lambda-l1", CLI_FLOAT, &c.lambda_l1, "weight of the L1 loss, in [0, 1e6]"},
        {"gan-mode", CLI_CHOICE, CLI_CHOICE_OF(c.gan_mode, cli_gan_mode_choices),
         "vanilla: BCE with logits; lsgan: MSE; hinge: D on relu(1 - D(real)) and relu(1 + "
         "D(fake)), G on -D(fake)"},
        {"d-steps", CLI_INT, &c.d_steps,
         "D updates per G update, 1 to 16, all on the step's batch"},
        {"lambda-mismatch", CLI_FLOAT, &c.lambda_mismatch,
         "weight of D's loss on mismatched pairs, each A with the next pair's B of the batch, "
         "judged fake (0: off; needs --batch-size 2 or more)"},
        {"ema-decay", CLI_FLOAT, &c.ema_decay,
         "keep an average of G's weights, ema = D * ema + (1 - D) * G after each G update, "
         "saved as <tag>_net_G_ema.safetensors (0: off; StyleGAN: 0.999)"},
        {"num-d", CLI_INT, &c.num_d,
         "critics, 1 to 8 (pix2pixHD's multi-scale D): critic i judges the pair downsampled i "
         "times (avg_pool2d 3x3, stride 2); the GAN losses summed over them"},
        {"lambda-feat", CLI_FLOAT, &c.lambda_feat,
         "weight of pix2pixHD's feature matching, in [0, 1e6] (0: none; pix2pixHD: 10): L1 "
         "between the critics' activations on real and fake pairs, logged as G_GAN_Feat"},
        {"spectral-norm", CLI_FLAG, &c.spectral_norm,
         "spectral normalization (Miyato et al., as torch.nn.utils.spectral_norm) on every conv "
         "of the critics: each weight divided by its largest singular value, estimated by one "
         "power iteration per application; keys weight_orig, weight_u, weight_v"},
        {"lambda-vgg", CLI_FLOAT, &c.lambda_vgg,
         "weight of pix2pixHD's VGG loss, in [0, 1e6] (0: none; pix2pixHD: 10): L1 between "
         "VGG19's relu1_1..relu5_1 features of fake and real B, weighted 1/32..1, images fed in "
         "[-1, 1] as pix2pixHD; logged as G_VGG; needs --vgg-weights"},
        {"vgg-weights", CLI_STR, &c.vgg_weights,
         "torchvision's vgg19 state_dict (.pth, e.g. vgg19-dcbb9e9d.pth) for --lambda-vgg: the "
         "program downloads nothing; frozen, not saved in checkpoints"},
        {"netG", CLI_CHOICE, CLI_CHOICE_OF(c.netG, cli_netg_choices), "generator"},
        {"upsample", CLI_CHOICE, CLI_CHOICE_OF(c.upsample, cli_upsample_choices),
         "the generator's upsampling: transposed conv, or nearest 2x + 3x3 conv (resize-conv)"},
        {"netD", CLI_CHOICE, CLI_CHOICE_OF(c.netD, cli_netd_choices),
         "basic: 70x70 PatchGAN; n_layers: --n-layers-d; pixel: 1x1"},
        {"n-layers-d", CLI_INT, &c.n_layers_d, "layers of netD n_layers"},
        {"ngf", CLI_INT, &c.ngf, "generator filters in the first layer"},
        {"n-downsample-global", CLI_INT, &c.n_downsample_global,
         "--netG global/local: the global generator's stride-2 downsamplings (and as many "
         "upsamplings), 1 to 8"},
        {"n-blocks-global", CLI_INT, &c.n_blocks_global,
         "--netG global/local: residual blocks at the global generator's coarsest level, 0 to "
         "64"},
        {"n-local-enhancers", CLI_INT, &c.n_local_enhancers,
         "--netG local: local enhancers, each doubling the resolution, 1 to 3"},
        {"n-blocks-local", CLI_INT, &c.n_blocks_local,
         "--netG local: residual blocks of each enhancer, 0 to 64"},
        {"niter-fix-global", CLI_INT, &c.niter_fix_global,
         "--netG local: the first N epochs train only the finest enhancer, the rest of G "
         "fixed (pix2pixHD's --niter_fix_global; 0: all of G from the start)"},
        {"ndf", CLI_INT, &c.ndf, "discriminator filters in the first layer"},
        {"norm", CLI_CHOICE, CLI_CHOICE_OF(c.norm, cli_norm_choices),
         "normalization layers (default: batch; instance with --netG global or local, as "
         "pix2pixHD)"},
        {"no-dropout", CLI_FLAG, &c.no_dropout,
         "no dropout in the generator (--netG global and local never have any, as pix2pixHD)"},
        {"init-type", CLI_CHOICE, CLI_CHOICE_OF(c.init_type, init_type_choices),
         "initial conv weights"},
        {"init-gain", CLI_FLOAT, &c.init_gain,
         "scale of normal, xavier and orthogonal, and spread of the norm weights around 1"},
        {"input-nc", CLI_INT, &c.input_nc, "channels of A (3 or 1)"},
        {"output-nc", CLI_INT, &c.output_nc, "channels of B (3 or 1)"},
        {"load-size", CLI_INT, &c.load_size, "images are scaled to this size"},
        {"crop-size", CLI_INT, &c.crop_size, "then cropped to this size"},
        {"preprocess", CLI_CHOICE, CLI_CHOICE_OF(c.preprocess, cli_preprocess_choices),
         "how images become --crop-size squares"},
        {"no-flip", CLI_FLAG, &c.no_flip, "no random horizontal flips"},
        {"serial-batches", CLI_FLAG, &c.serial_batches, "take the images in order"},
        {"max-dataset-size", CLI_INT, &c.max_dataset_size,
         "train on the first N pairs in name order (0: all)"},
        {"seed", CLI_U64, &c.seed, "seed of the weights, dropout and data order"},
        {"save-epoch-freq", CLI_INT, &c.save_epoch_freq, "keep <epoch>_net_*.safetensors every N epochs"},
        {"save-latest-freq", CLI_INT, &c.save_latest_freq,
         "also save latest_* every N steps (0: at the end of an epoch 10 minutes or more after "
         "the last save)"},
        {"save-by-iter", CLI_FLAG, &c.save_by_iter,
         "at those saves also keep iter_<step>_net_*.safetensors"},
        {"save-pth", CLI_FLAG, &c.save_pth,
         "at each save also write <tag>_net_G.pth and <tag>_net_D.pth (and <tag>_net_G_ema.pth "
         "with --ema-decay), PyTorch state_dicts as the reference saves them (for scripts that "
         "torch.load them)"},
        {"continue", CLI_FLAG, &c.continue_train, "resume from the latest checkpoint of NAME"},
        {"overwrite", CLI_FLAG, &c.overwrite,
         "start over in NAME, moving a run there to NAME.old-DATE-TIME (nothing is deleted)"},
        {"init-g", CLI_STR, &c.init_g, "start G from this file (.safetensors or .pth)"},
        {"init-d", CLI_STR, &c.init_d, "start D from this file (.safetensors or .pth)"},
        {"device", CLI_STR, &c.device, APP_DEVICE_HELP},
        {"precision", CLI_CHOICE, CLI_CHOICE_OF(c.precision, cli_precision_choices),
         APP_PRECISION_HELP},
        {"tune", CLI_CHOICE, CLI_CHOICE_OF(c.tune, cli_tune_choices), NET_TUNE_HELP},
        {"threads", CLI_INT, &c.threads, "CPU threads (0: all cores)"},
        {"workers", CLI_INT, &c.workers, "image decoding threads (0: 1)"},
        {"display-freq", CLI_INT, &c.display_freq,
         "refresh the report and its images every N steps (0: at the end of each epoch)"},
        {"max-steps", CLI_INT, &c.max_steps, "stop (and save) after N steps (0: no limit)"},
        {"time-limit", CLI_FLOAT, &c.time_limit, "stop (and save) after X seconds (0: no limit)"},
        {"print-freq", CLI_INT, &c.print_freq,
         "print the losses on a line every N steps (0: never)"},
        {"quiet", CLI_FLAG, &c.quiet, "no progress display"},
        {"check-every", CLI_INT, &c.check_every,
         "under mpirun: compare the ranks' weights every N steps (0: never)"},
    };
    const cli_spec spec = {"train", usage, summary, opts, (int)(sizeof opts / sizeof *opts), 0};
    int status = cli_exit_status(cli_parse_aliased(&spec, &ref_train_aliases, argc, argv));
    if (status >= 0)
        return status;
    if (!c.norm)
        c.norm = !strcmp(c.netG, "global") || !strcmp(c.netG, "local") ? "instance" : "batch";
    if (!c.data) {
        fprintf(stderr, "pix2pix train: --data (or --dataroot) is required (see --help)\n");
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
    status = train_run(&c);
    free(json);
    free(text);
    free(hint);
    return status;
}
