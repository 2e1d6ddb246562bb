/* pix2pix: paired image-to-image translation. Dispatches to the commands. */
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "app/cli/commands.h"
#include "app/common/program.h"

/* One line per command; each lives in app/cmd_<name>.c. */
static const app_command commands[] = {
    {"train", "train a pix2pix model on a paired dataset", cmd_train},
    {"translate", "translate images with a trained generator", cmd_translate},
    {"test", "translate a dataset split and score it (L1, PSNR, SSIM)", cmd_test},
    {"inspect", "describe a model file", cmd_inspect},
    {"convert", "write a model file (a PyTorch .pth) as safetensors", cmd_convert},
    {"demo", "generate a small dataset, train briefly, translate it", cmd_demo},
    {"version", "print the version", cmd_version},
    {"dataset", "build, check and benchmark paired datasets", cmd_dataset},
    {"devices", "list the Vulkan devices and their capabilities", cmd_devices},
    {"bench", "time inference and a training step, with memory", cmd_benchmark},
    {"tune", "measure the conv kernels on this Vulkan device, keep the fastest", cmd_tune},
    {"export", "write a generator as an ONNX model", cmd_export},
    {"serve", "serve a generator over HTTP, with a page to draw on", cmd_serve},
};
static const int ncommands = (int)(sizeof commands / sizeof commands[0]);

static void usage(FILE *f)
{
    fprintf(f, "usage: pix2pix COMMAND [OPTIONS]\n\ncommands:\n");
    for (int i = 0; i < ncommands; i++)
        fprintf(f, "  %-10s %s\n", commands[i].name, commands[i].summary);
    fprintf(f, "\n'pix2pix COMMAND --help' describes a command's options.\n");
}

int main(int argc, char **argv)
{
    /* Past a file size limit (ulimit -f) a write then fails with EFBIG and is reported like a
     * full disk, instead of SIGXFSZ killing the process with a temporary file left behind. */
    signal(SIGXFSZ, SIG_IGN);
    app_program_set(argv[0]); /* the commands it prints to run again start the same way */
    if (argc < 2) {
        usage(stderr);
        return 2;
    }
    if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help")) {
        usage(stdout);
        return 0;
    }
    if (!strcmp(argv[1], "--version"))
        return cmd_version(argc - 1, argv + 1);
    for (int i = 0; i < ncommands; i++)
        if (!strcmp(argv[1], commands[i].name))
            return commands[i].run(argc - 1, argv + 1);
    fprintf(stderr, "pix2pix: unknown command '%s'\n\n", argv[1]);
    usage(stderr);
    return 2;
}
