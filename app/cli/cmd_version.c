/* pix2pix version: the program's version. */
#include <stdio.h>

#include "app/cli/cli.h"
#include "app/cli/commands.h"

int cmd_version(int argc, char **argv)
{
    const cli_spec spec = {"version", "pix2pix version",
                           "Prints the program's version (also: pix2pix --version).\n"
                           "\n"
                           "Exit status: 0; 2 invalid command line.",
                           NULL, 0, 0};
    int rc = cli_parse(&spec, argc, argv, NULL, NULL);
    if (rc)
        return rc == CLI_HELP ? 0 : 2;
    printf("pix2pix-vk %s\n", PIX2PIX_VERSION);
    return 0;
}
