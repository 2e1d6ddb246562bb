/* pix2pix: paired image-to-image translation. Dispatches to the commands. */
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "app/cli/commands.h"
#include "app/common/program.h"

/* The rows of commands.def; each command lives in app/cli/cmd_<name>.c. */
static const app_command commands[] = {
#define APP_COMMAND(name, function, summary) {#name, summary, function},
#include "app/cli/commands.def"
#undef APP_COMMAND
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
