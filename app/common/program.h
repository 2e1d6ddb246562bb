/* The program as the user can run it again, for the messages that print a command to run:
 * argv[0] as it was typed when it names a path (./build/pix2pix), else the bare name that the
 * shell found on PATH; and the words of such a command as a POSIX shell reads them. */
#ifndef APP_PROGRAM_H
#define APP_PROGRAM_H

#include <stddef.h>

/* Called by main with its argv[0]; until then (tests calling the commands) "pix2pix". */
void app_program_set(const char *argv0);
/* The program, as a shell word (app_shell_word). */
const char *app_program(void);
/* s when a shell reads it as one word as it is, else s in single quotes (each ' as '\'')
 * written into buf (len at least 8; a longer s is cut short). */
const char *app_shell_word(const char *s, char *buf, size_t len);

#endif
