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

int cmd_train(int argc, char **argv);
int cmd_translate(int argc, char **argv);
int cmd_test(int argc, char **argv);
int cmd_inspect(int argc, char **argv);
int cmd_convert(int argc, char **argv);
int cmd_demo(int argc, char **argv);
int cmd_version(int argc, char **argv);
int cmd_dataset(int argc, char **argv);
int cmd_devices(int argc, char **argv);
int cmd_benchmark(int argc, char **argv);
int cmd_tune(int argc, char **argv);
int cmd_export(int argc, char **argv);
int cmd_serve(int argc, char **argv);

#endif
