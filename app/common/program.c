#include "app/common/program.h"

#include <stdio.h>
#include <string.h>

static char program[4200] = "pix2pix";

const char *app_shell_word(const char *s, char *buf, size_t len)
{
    static const char plain[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                                "0123456789_+-./,:@=";
    if (*s && strspn(s, plain) == strlen(s))
        return s;
    char *out = buf, *last = buf + len - 6; /* room for '\'' and the closing quote */
    *out++ = '\'';
    for (; *s && out < last; s++) {
        if (*s == '\'') {
            memcpy(out, "'\\''", 4);
            out += 4;
        } else {
            *out++ = *s;
        }
    }
    *out++ = '\'';
    *out = '\0';
    return buf;
}

void app_program_set(const char *argv0)
{
    /* Without a '/', the shell found the name on PATH: it runs the same way again. */
    char word[sizeof program];
    snprintf(program, sizeof program, "%s", app_shell_word(argv0, word, sizeof word));
}

const char *app_program(void)
{
    return program;
}
