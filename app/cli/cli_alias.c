/* Another program's options translated into a command's own (cli_alias.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app/cli/cli_alias.h"

/* Whether the len characters at arg name option. */
static int names(const char *option, const char *arg, size_t len)
{
    return strlen(option) == len && !strncmp(option, arg, len);
}

static const cli_opt *own_option(const cli_spec *spec, const char *name, size_t len)
{
    for (int k = 0; k < spec->nopts; k++)
        if (names(spec->opts[k].name, name, len))
            return &spec->opts[k];
    return NULL;
}

static const cli_alias *find_alias(const cli_aliases *a, const char *name, size_t len)
{
    for (int k = 0; k < a->count; k++)
        if (names(a->items[k].name, name, len))
            return &a->items[k];
    return NULL;
}

/* The command line being translated: the new argv, and the strings it owns. */
typedef struct {
    const cli_spec *spec;
    const cli_aliases *aliases;
    char **args, **owned;
    int n, nowned;
    unsigned char *noted; /* per alias: an ignored one was given */
} translation;

static void push(translation *t, char *arg)
{
    t->args[t->n++] = arg;
}

/* The option's value: after '=' or the next argument (*i moves past it); NULL after saying
 * that it is missing. */
static const char *value_of(const char *command, const char *opt, const char *eq, int argc,
                            char **argv, int *i)
{
    if (eq)
        return eq + 1;
    if (*i + 1 < argc)
        return argv[++*i];
    fprintf(stderr, "pix2pix %s: --%s needs a value\n", command, opt);
    return NULL;
}

/* Puts alias al (argv[*i], value after eq when given) into t as what it means here. */
static int translate(translation *t, const cli_alias *al, const char *eq, int argc, char **argv,
                     int *i)
{
    const char *cmd = t->spec->command;
    const cli_opt *target = al->kind == CLI_ALIAS_OF
                                ? own_option(t->spec, al->target, strlen(al->target))
                                : NULL;
    int takes_value = target ? target->type != CLI_FLAG : al->takes_value;
    if (eq && !takes_value) {
        fprintf(stderr, "pix2pix %s: --%s takes no value\n", cmd, al->name);
        return -1;
    }
    const char *v = takes_value ? value_of(cmd, al->name, eq, argc, argv, i) : NULL;
    if (takes_value && !v)
        return -1;
    switch (al->kind) {
    case CLI_ALIAS_OF: {
        char *name = malloc(strlen(al->target) + 3);
        if (!name || !target) { /* a target missing from the spec is a bug of the table */
            free(name);
            fprintf(stderr, "pix2pix %s: --%s: no option --%s\n", cmd, al->name, al->target);
            return -1;
        }
        sprintf(name, "--%s", al->target);
        t->owned[t->nowned++] = name;
        push(t, name);
        if (v && al->convert && !(v = al->convert(cmd, v)))
            return -1;
        if (v)
            push(t, (char *)v);
        return 0;
    }
    case CLI_ALIAS_IGNORED: t->noted[al - t->aliases->items] = 1; return 0;
    case CLI_ALIAS_ONLY:
        if (!strcmp(v, al->target))
            return 0;
        fprintf(stderr, "pix2pix %s: --%s %s: %s\n", cmd, al->name, v, al->text);
        return -1;
    case CLI_ALIAS_REFUSED: break;
    }
    fprintf(stderr, "pix2pix %s: --%s: %s\n", cmd, al->name, al->text);
    return -1;
}

/* Whether aliases j and k (not CLI_ALIAS_OF: they have a reason) go on one line. */
static int same_reason(const cli_aliases *a, int j, int k)
{
    return a->items[j].kind == a->items[k].kind && !strcmp(a->items[j].text, a->items[k].text);
}

/* Whether alias k is the first of those picked (all when picked is NULL) with its reason. */
static int first_with_text(const cli_aliases *a, const unsigned char *picked, int k)
{
    for (int j = 0; j < k; j++)
        if ((!picked || picked[j]) && same_reason(a, j, k))
            return 0;
    return 1;
}

/* "--a, --b, --c": the picked aliases (all when NULL) of alias k's kind and reason. */
static void print_names(FILE *f, const cli_aliases *a, const unsigned char *picked, int k)
{
    for (int j = k; j < a->count; j++)
        if ((!picked || picked[j]) && same_reason(a, j, k))
            fprintf(f, "%s--%s", j == k ? "" : ", ", a->items[j].name);
}

/* One note per reason: "note: --display_id, --display_port ignored: <why>". */
static void print_notes(const translation *t)
{
    for (int k = 0; k < t->aliases->count; k++) {
        if (!t->noted[k] || !first_with_text(t->aliases, t->noted, k))
            continue;
        fprintf(stderr, "pix2pix %s: note: ", t->spec->command);
        print_names(stderr, t->aliases, t->noted, k);
        fprintf(stderr, " ignored: %s\n", t->aliases->items[k].text);
    }
}

/* argv with the aliases put as spec's options, into t. 0 or -1 (said why). */
static int translate_all(translation *t, int argc, char **argv)
{
    push(t, argv[0]);
    for (int i = 1; i < argc; i++) {
        const char *arg = argv[i];
        if (strncmp(arg, "--", 2) || !strcmp(arg, "--")) {
            push(t, argv[i]);
            continue;
        }
        const char *name = arg + 2, *eq = strchr(name, '=');
        size_t len = eq ? (size_t)(eq - name) : strlen(name);
        const cli_opt *own = own_option(t->spec, name, len);
        const cli_alias *al = own ? NULL : find_alias(t->aliases, name, len);
        if (!al) { /* ours (its value too), or unknown: cli_parse says so */
            push(t, argv[i]);
            if (own && own->type != CLI_FLAG && !eq && i + 1 < argc)
                push(t, argv[++i]);
            continue;
        }
        if (translate(t, al, eq, argc, argv, &i))
            return -1;
    }
    t->args[t->n] = NULL;
    return 0;
}

/* The aliases after the help: each one of ours by its name there, then the others by reason. */
static void print_aliases(const cli_aliases *a)
{
    printf("\noptions of %s, also accepted:\n  the same: %s\n", a->program, a->same);
    for (int k = 0; k < a->count; k++) {
        const cli_alias *al = &a->items[k];
        char left[64];
        snprintf(left, sizeof left, "--%s", al->name);
        if (al->kind == CLI_ALIAS_OF)
            printf("  %-22s = --%s%s%s\n", left, al->target, al->text ? ": " : "",
                   al->text ? al->text : "");
    }
    static const char *const heads[] = {"", "ignored", "only", "refused"};
    for (int k = 0; k < a->count; k++) {
        const cli_alias *al = &a->items[k];
        if (al->kind == CLI_ALIAS_OF || !first_with_text(a, NULL, k))
            continue;
        printf("  %s ", heads[al->kind]);
        if (al->kind == CLI_ALIAS_ONLY)
            printf("--%s %s", al->name, al->target);
        else
            print_names(stdout, a, NULL, k);
        printf(":\n      %s\n", al->text);
    }
}

int cli_parse_aliased(const cli_spec *spec, const cli_aliases *aliases, int argc, char **argv)
{
    translation t = {spec, aliases, calloc((size_t)argc * 2 + 1, sizeof(char *)),
                     calloc((size_t)argc + 1, sizeof(char *)), 0, 0,
                     calloc((size_t)aliases->count + 1, 1)};
    int rc = CLI_ERROR;
    if (!t.args || !t.owned || !t.noted)
        fprintf(stderr, "pix2pix %s: out of memory\n", spec->command);
    else if (!translate_all(&t, argc, argv))
        rc = cli_parse(spec, t.n, t.args, NULL, NULL);
    if (rc == CLI_HELP)
        print_aliases(aliases);
    if (rc == CLI_OK)
        print_notes(&t);
    for (int k = 0; k < t.nowned; k++)
        free(t.owned[k]);
    free(t.args);
    free(t.owned);
    free(t.noted);
    return rc;
}
