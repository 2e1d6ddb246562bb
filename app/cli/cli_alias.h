/* Another program's options (the PyTorch reference's) on a command's line: each one is taken
 * as one of the command's own options under another name, accepted and ignored with a note,
 * accepted for one value only, or refused saying why. The command line is translated into the
 * command's own options before cli_parse reads it, so that the options keep one meaning and one
 * set of checks whatever name they were given under. */
#ifndef APP_CLI_ALIAS_H
#define APP_CLI_ALIAS_H

#include "app/cli/cli.h"

typedef enum {
    CLI_ALIAS_OF,      /* our option target, the same meaning */
    CLI_ALIAS_IGNORED, /* accepted; text says why it has no effect here */
    CLI_ALIAS_ONLY,    /* accepted with the value target only; text says why not others */
    CLI_ALIAS_REFUSED  /* text says why, and what to use instead */
} cli_alias_kind;

typedef struct {
    const char *name;       /* its name there, without dashes ("dataroot") */
    cli_alias_kind kind;
    const char *target;     /* OF: our option's name; ONLY: the value accepted */
    const char *text;       /* IGNORED, ONLY, REFUSED: why */
    int takes_value;        /* IGNORED, ONLY, REFUSED: whether a value follows it */
    /* OF: our value for its value (NULL: the value as it is); returns NULL after printing
     * why the value cannot be taken. */
    const char *(*convert)(const char *command, const char *value);
} cli_alias;

typedef struct {
    const char *program;    /* "pytorch-CycleGAN-and-pix2pix", for the help */
    const char *same;       /* its options named as ours ("--name, --lr"), for the help */
    const cli_alias *items;
    int count;
} cli_aliases;

/* cli_parse of argv with the aliases' options translated into spec's (its own names first: an
 * alias never hides one of them). Notes for the ignored options go to stderr, one per reason;
 * --help lists the aliases after the options. Returns as cli_parse. */
int cli_parse_aliased(const cli_spec *spec, const cli_aliases *aliases, int argc, char **argv);

#endif
