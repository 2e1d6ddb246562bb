/* Table-driven option parsing shared by the commands: --name VALUE or --name=VALUE, flags
 * without value, --help listing every option with its default (the value set before parsing). */
#ifndef APP_CLI_H
#define APP_CLI_H

#include <stdint.h>

/* CLI_INT is a count: every integer option of the commands is 0 or more (0 means what its help
 * says: no limit, all, never); a negative value is refused by the parser, naming the option.
 * Options that need 1 or more, or have an upper bound, are checked by their command. */
typedef enum { CLI_STR, CLI_INT, CLI_FLOAT, CLI_FLAG, CLI_U64, CLI_CHOICE } cli_type;

/* The values an enumerated option accepts. A value equal to a name, or to exactly one name
 * but for case, is taken as that name's spelling ("btoa" is BtoA); accepts, when set, takes
 * more values (unet_N), which more describes for the help and the error messages. */
typedef struct {
    const char *const *names; /* NULL-terminated */
    int (*accepts)(const char *value);
    const char *more;
} cli_choices;

typedef struct {
    const char *name; /* without the leading dashes */
    cli_type type;
    void *ptr;        /* const char **, int *, float *, int * (flag), uint64_t *, cli_choice * */
    const char *help;
} cli_opt;

/* The ptr of a CLI_CHOICE option: where its value goes (a const char *), and its values. */
typedef struct {
    const char **value;
    const cli_choices *choices;
} cli_choice;
#define CLI_CHOICE_OF(var, choices) (&(cli_choice){&(var), &(choices)})

typedef struct {
    const char *command;   /* "train" */
    const char *usage;     /* "pix2pix train --data DIR [OPTIONS]" */
    const char *summary;   /* one paragraph */
    const cli_opt *opts;
    int nopts;
    int max_positional;    /* positional arguments accepted */
} cli_spec;

enum { CLI_OK = 0, CLI_HELP = 1, CLI_ERROR = 2 };
/* Parses argv[1..]; positional arguments are stored in pos (max_positional entries).
 * CLI_HELP: --help was printed (exit 0); CLI_ERROR: a message was printed (exit 2). */
int cli_parse(const cli_spec *spec, int argc, char **argv, const char **pos, int *npos);
/* What a command does with cli_parse's result: -1 to go on (CLI_OK), else the exit status it
 * returns now, 0 after --help and 2 after a message about the command line (every command's
 * "Exit status" help says so). */
int cli_exit_status(int parsed);
/* Parses text, the value of a count option of command (e.g. "dataset synth"), into *value:
 * 0 to INT_MAX. Returns 0, or -1 after printing why (naming the option and the range). */
int cli_parse_count(const char *command, const char *option, const char *text, int *value);
/* Sets *value to the accepted value that text names (see cli_choices). Returns 0, or -1 after
 * "pix2pix COMMAND: unknown --OPTION 'text' (accepted: ...)" on stderr. */
int cli_choose(const char *command, const char *option, const cli_choices *c, const char *text,
               const char **value);
/* The options and their current values as a JSON object (caller frees). */
char *cli_to_json(const cli_spec *spec);
/* The options as "name: value" lines (opt.txt; caller frees). */
char *cli_to_text(const cli_spec *spec);

#endif
