/* pix2pix version: the program's version and the libraries it was built with. */
#include <stdio.h>

#include "app/cli/commands.h"

int cmd_version(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    printf("pix2pix-vk %s\n", PIX2PIX_VERSION);
    return 0;
}
