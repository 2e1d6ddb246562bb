/* The pix2pix program's commands: each takes the arguments after its name (argv[0] is the
 * command name) and returns the process exit status. */
#ifndef APP_COMMANDS_H
#define APP_COMMANDS_H

#define PIX2PIX_VERSION "0.1.0"

typedef struct {
    const char *name;
    const char *summary;
    int (*run)(int argc, char **argv);
} app_command;

/* int cmd_train(int argc, char **argv); and so on, one per row of commands.def. */
#define APP_COMMAND(name, function, summary) int function(int argc, char **argv);
#include "app/cli/commands.def"
#undef APP_COMMAND

#endif
