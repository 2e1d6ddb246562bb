/* pix2pix version: the program's version. */
#include <stdio.h>

#include "app/cli/cli.h"
#include "app/cli/commands.h"

/* What --help says of pix2pix version: its usage line, and the text below it. */
static const char usage[] = "pix2pix version";
static const char summary[] =
    "Prints the program's version (also: pix2pix --version).\n"
    "\n"
    "Exit status: 0; 2 invalid command line.";

int cmd_version(int argc, char **argv)
{
    const cli_spec spec = {"version", usage, summary, NULL, 0, 0};
    int status = cli_exit_status(cli_parse(&spec, argc, argv, NULL, NULL));
    if (status >= 0)
        return status;
    printf("pix2pix-vk %s\n", PIX2PIX_VERSION);
    return 0;
}
