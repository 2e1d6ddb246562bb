#include "app/common/program.h"

#include <stdio.h>
#include <string.h>

static char program[4200] = "pix2pix";

/* Whether a shell reads s as one word, as it is. */
static int shell_plain(const char *s)
{
    static const char plain[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                                "0123456789_+-./,:@";
    return *s && strspn(s, plain) == strlen(s);
}

void app_program_set(const char *argv0)
{
    /* Without a '/', the shell found the name on PATH: it runs the same way again. */
    if (shell_plain(argv0))
        snprintf(program, sizeof program, "%s", argv0);
    else if (strchr(argv0, '/') && !strchr(argv0, '\''))
        snprintf(program, sizeof program, "'%s'", argv0); /* a folder with a space */
}

const char *app_program(void)
{
    return program;
}
