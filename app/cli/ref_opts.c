/* The reference's options on pix2pix train and pix2pix test (ref_opts.h). Every option of its
 * base_options.py, train_options.py and test_options.py (and pix2pix_model.py's --lambda_L1) is
 * listed here unless it has the same name as ours (--name, --direction, --netG, --lr, ...). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app/cli/ref_opts.h"
#include "app/common/name_list.h"
#include "app/parallel/dist.h"
#include "app/parallel/dist_device.h"

#define AS(ref, ours) {.name = ref, .kind = CLI_ALIAS_OF, .target = ours}
#define IGNORED(ref, value, why)                                                                 \
    {.name = ref, .kind = CLI_ALIAS_IGNORED, .text = why, .takes_value = value}
#define ONLY(ref, v, why)                                                                        \
    {.name = ref, .kind = CLI_ALIAS_ONLY, .target = v, .text = why, .takes_value = 1}
#define REFUSED(ref, value, why)                                                                 \
    {.name = ref, .kind = CLI_ALIAS_REFUSED, .text = why, .takes_value = value}

#define PROGRAM "pytorch-CycleGAN-and-pix2pix"
#define VISDOM                                                                                   \
    "pix2pix-vk has no visdom display: the training report is CKDIR/NAME/web/index.html"
#define ARCHITECTURE                                                                             \
    "test reads the architecture from the model file ('pix2pix inspect FILE' shows it)"
#define TEST_SETS                                                                                \
    "the reference's test.py sets these itself (batch 1, no threads, in order, no flips)"
#define TEST_SIZE                                                                                \
    "test translates each image whole, at its own size (the network's stride permitting), "      \
    "where the reference's test.py resizes and crops as its training did"
#define DATASET_MODE                                                                             \
    "pix2pix-vk reads aligned A|B files (or DATA/A, DATA/B folders of the same names): the "     \
    "reference's 'aligned'"
#define WANDB                                                                                    \
    "pix2pix-vk logs to no Weights & Biases project: the losses are in CKDIR/NAME/loss_log.csv " \
    "and its report"
#define SUFFIX "write the whole experiment name in --name"
#define VERBOSE "'pix2pix inspect FILE' describes a model's networks"

/* --gpu_ids N: the machine's N-th GPU, counted as CUDA counts them (software devices such as
 * lavapipe left out), as the device vulkan:INDEX; -1 the CPU. NULL after saying there is none. */
static const char *one_gpu(const char *command, long id)
{
    static char device[32];
    if (id < 0)
        return "cpu";
    int index = dist_local_gpu((int)id, (int)id + 1);
    if (index >= 0) {
        snprintf(device, sizeof device, "vulkan:%d", index);
        return device;
    }
    fprintf(stderr, "pix2pix %s: --gpu_ids %ld: this machine has no GPU %ld ('pix2pix devices' "
            "lists its Vulkan devices; --gpu_ids -1 runs on the CPU, --device vulkan:N on any "
            "device)\n", command, id, id);
    return NULL;
}

/* --gpu_ids: one id (one_gpu), or a list 0,1,...,n-1 under mpirun: the K-th GPU for rank K,
 * which the default device already is there. */
static const char *gpu_ids_device(const char *command, const char *value)
{
    char *end;
    long id = strtol(value, &end, 10);
    if (end != value && !*end && id >= -1 && id < 1024)
        return one_gpu(command, id);
    int in_order = 1;
    const char *p = value;
    for (long want = 0; *p && in_order; want++) {
        id = strtol(p, &end, 10);
        in_order = end != p && id == want && (*end == ',' || !*end);
        p = *end ? end + 1 : end;
    }
    if (in_order && strchr(value, ',') && dist_launched_by_mpi())
        return "auto";
    fprintf(stderr, "pix2pix %s: --gpu_ids %s: a process runs on one device: a GPU number or -1 "
            "(the CPU); for several GPUs run under 'mpirun -np N' with --gpu_ids 0,1,...,N-1 or "
            "none: rank K takes the K-th GPU (see the guide: Training on several GPUs or "
            "machines)\n", command, value);
    return NULL;
}

#define GPU_IDS                                                                                  \
    {.name = "gpu_ids", .kind = CLI_ALIAS_OF, .target = "device", .convert = gpu_ids_device,    \
     .text = "-1 is cpu, N the N-th GPU; 0,1,... only under mpirun (rank K: the K-th GPU)"}

static const cli_alias train_items[] = {
    /* base_options.py */
    AS("dataroot", "data"),
    GPU_IDS,
    AS("checkpoints_dir", "checkpoints-dir"),
    ONLY("model", "pix2pix", REF_PIX2PIX_ONLY),
    AS("input_nc", "input-nc"),
    AS("output_nc", "output-nc"),
    AS("n_layers_D", "n-layers-d"),
    AS("init_type", "init-type"),
    AS("init_gain", "init-gain"),
    AS("no_dropout", "no-dropout"),
    ONLY("dataset_mode", "aligned", DATASET_MODE),
    AS("serial_batches", "serial-batches"),
    AS("num_threads", "workers"),
    AS("batch_size", "batch-size"),
    AS("load_size", "load-size"),
    AS("crop_size", "crop-size"),
    AS("max_dataset_size", "max-dataset-size"),
    AS("no_flip", "no-flip"),
    IGNORED("display_winsize", 1, VISDOM),
    ONLY("epoch", "latest",
         "train --continue resumes from latest_*; to start from N_net_G and N_net_D use "
         "--init-g and --init-d"),
    ONLY("load_iter", "0",
         "train --continue resumes from latest_*; to start from other files use --init-g and "
         "--init-d"),
    IGNORED("verbose", 0, VERBOSE),
    REFUSED("suffix", 1, SUFFIX),
    /* train_options.py */
    AS("display_freq", "display-freq"),
    IGNORED("display_ncols", 1, VISDOM),
    IGNORED("display_id", 1, VISDOM),
    IGNORED("display_server", 1, VISDOM),
    IGNORED("display_env", 1, VISDOM),
    IGNORED("display_port", 1, VISDOM),
    IGNORED("update_html_freq", 1,
            "the training report web/index.html is rewritten every --display-freq steps"),
    AS("print_freq", "print-freq"),
    IGNORED("no_html", 0, "the training report web/index.html is always written"),
    AS("save_latest_freq", "save-latest-freq"),
    AS("save_epoch_freq", "save-epoch-freq"),
    AS("save_by_iter", "save-by-iter"),
    AS("continue_train", "continue"),
    AS("epoch_count", "epoch-count"),
    AS("phase", "split"),
    AS("n_epochs", "epochs"),
    AS("n_epochs_decay", "epochs-decay"),
    AS("niter", "epochs"),             /* their names before 2020 */
    AS("niter_decay", "epochs-decay"),
    AS("gan_mode", "gan-mode"),
    ONLY("pool_size", "0",
         "pix2pix-vk keeps no pool of generated images: the reference's pix2pix uses none (0); "
         "a pool is for its CycleGAN"),
    AS("lr_policy", "lr-policy"),
    AS("lr_decay_iters", "lr-decay-iters"),
    IGNORED("use_wandb", 0, WANDB),
    IGNORED("wandb_project_name", 1, WANDB),
    /* pix2pix_model.py */
    AS("lambda_L1", "lambda-l1"),
};

static const cli_alias test_items[] = {
    /* base_options.py */
    AS("dataroot", "data"),
    GPU_IDS,
    AS("checkpoints_dir", "checkpoints-dir"),
    IGNORED("input_nc", 1, ARCHITECTURE),
    IGNORED("output_nc", 1, ARCHITECTURE),
    IGNORED("ngf", 1, ARCHITECTURE),
    IGNORED("ndf", 1, ARCHITECTURE),
    IGNORED("netD", 1, ARCHITECTURE),
    IGNORED("netG", 1, ARCHITECTURE),
    IGNORED("n_layers_D", 1, ARCHITECTURE),
    IGNORED("norm", 1, ARCHITECTURE),
    IGNORED("init_type", 1, ARCHITECTURE),
    IGNORED("init_gain", 1, ARCHITECTURE),
    IGNORED("no_dropout", 0, ARCHITECTURE),
    ONLY("dataset_mode", "aligned", DATASET_MODE),
    IGNORED("serial_batches", 0, TEST_SETS),
    IGNORED("num_threads", 1, TEST_SETS),
    IGNORED("batch_size", 1, TEST_SETS),
    IGNORED("no_flip", 0, TEST_SETS),
    IGNORED("load_size", 1, TEST_SIZE),
    IGNORED("crop_size", 1, TEST_SIZE),
    IGNORED("preprocess", 1, TEST_SIZE),
    AS("max_dataset_size", "num-test"),
    IGNORED("display_winsize", 1, "the results page sizes its images itself"),
    AS("load_iter", "load-iter"),
    IGNORED("verbose", 0, VERBOSE),
    REFUSED("suffix", 1, SUFFIX),
    /* test_options.py */
    AS("results_dir", "results"),
    IGNORED("aspect_ratio", 1, "the result images keep the shape of their inputs"),
    AS("phase", "split"),
    AS("num_test", "num-test"),
};

const cli_aliases ref_train_aliases = {
    PROGRAM,
    "--name, --direction, --netG, --netD, --ngf, --ndf, --norm, --preprocess, --lr, --beta1",
    train_items, (int)(sizeof train_items / sizeof train_items[0])};
const cli_aliases ref_test_aliases = {
    PROGRAM, "--name, --model pix2pix, --direction, --epoch, --eval", test_items,
    (int)(sizeof test_items / sizeof test_items[0])};

int ref_model_name(const char *s)
{
    static const char *const names[] = {"pix2pix", "cycle_gan", "test", "colorization",
                                        "template", NULL};
    return name_index(names, s) >= 0;
}
