/* The program as the user can run it again, for the messages that print a command to run:
 * argv[0] as it was typed when it names a path (./build/pix2pix), else the bare name that the
 * shell found on PATH. */
#ifndef APP_PROGRAM_H
#define APP_PROGRAM_H

/* Called by main with its argv[0]; until then (tests calling the commands) "pix2pix". */
void app_program_set(const char *argv0);
/* The program: argv[0] when a shell reads it as one word as it is, else quoted when it is a
 * path (a folder with a space), else "pix2pix". */
const char *app_program(void);

#endif
