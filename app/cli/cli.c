#include <cjson/cJSON.h>
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "app/cli/cli.h"
#include "app/common/float_text.h"

/* Where a string option's value goes. */
static const char **string_of(const cli_opt *o)
{
    return o->type == CLI_CHOICE ? ((const cli_choice *)o->ptr)->value : (const char **)o->ptr;
}

/* The accepted values as "a, b, c" (and the choices' description of the others). */
static void print_choices(FILE *f, const cli_choices *c)
{
    for (int i = 0; c->names[i]; i++)
        fprintf(f, "%s%s", i ? ", " : "", c->names[i]);
    if (c->more)
        fprintf(f, "%s%s", c->names[0] ? ", " : "", c->more);
}

int cli_choose(const char *command, const char *option, const cli_choices *c, const char *text,
               const char **value)
{
    const char *found = NULL;
    int folded = 0;
    for (int i = 0; c->names[i]; i++) {
        if (!strcmp(text, c->names[i])) {
            *value = c->names[i];
            return 0;
        }
        if (!strcasecmp(text, c->names[i])) {
            found = c->names[i];
            folded++;
        }
    }
    if (folded == 1 || (!folded && c->accepts && c->accepts(text))) {
        *value = folded ? found : text;
        return 0;
    }
    fprintf(stderr, "pix2pix %s: unknown --%s '%s' (accepted: ", command, option, text);
    print_choices(stderr, c);
    fprintf(stderr, ")\n");
    return -1;
}

static void value_text(const cli_opt *o, char *buf, size_t len)
{
    switch (o->type) {
    case CLI_STR:
    case CLI_CHOICE: {
        const char *s = *string_of(o);
        snprintf(buf, len, "%s", s ? s : "");
        break;
    }
    case CLI_INT: snprintf(buf, len, "%d", *(int *)o->ptr); break;
    case CLI_FLOAT: float_text(*(float *)o->ptr, buf, len); break;
    case CLI_FLAG: snprintf(buf, len, "%s", *(int *)o->ptr ? "true" : "false"); break;
    case CLI_U64: snprintf(buf, len, "%" PRIu64, *(uint64_t *)o->ptr); break;
    }
}

/* The placeholder of an option's value in the help, which its text refers to: S a string,
 * N a count, X a number, NAME one of the accepted values. */
static const char *placeholder(cli_type type)
{
    switch (type) {
    case CLI_STR: return " S";
    case CLI_INT:
    case CLI_U64: return " N";
    case CLI_FLOAT: return " X";
    case CLI_CHOICE: return " NAME";
    case CLI_FLAG: break;
    }
    return "";
}

/* One help format for every command: usage, summary, then each option with its placeholder,
 * its accepted values and its default. */
static void print_help(const cli_spec *spec)
{
    printf("usage: %s\n\n%s\n\noptions:\n", spec->usage, spec->summary);
    for (int i = 0; i < spec->nopts; i++) {
        const cli_opt *o = &spec->opts[i];
        char def[256], left[64];
        value_text(o, def, sizeof def);
        snprintf(left, sizeof left, "--%s%s", o->name, placeholder(o->type));
        printf("  %-22s %s", left, o->help);
        int has_default = o->type != CLI_FLAG && def[0];
        if (o->type == CLI_CHOICE) {
            printf(" (accepted: ");
            print_choices(stdout, ((const cli_choice *)o->ptr)->choices);
            printf("%s", has_default ? "; " : ")");
        }
        if (has_default)
            printf("%sdefault: %s)", o->type == CLI_CHOICE ? "" : " (", def);
        printf("\n");
    }
    printf("  %-22s %s\n", "--help", "show this help");
}

int cli_parse_count(const char *command, const char *option, const char *text, int *value)
{
    char *end = NULL;
    errno = 0;
    long x = strtol(text, &end, 10);
    if (*end || end == text || errno || x > INT_MAX) {
        fprintf(stderr, "pix2pix %s: --%s: invalid value '%s' (a whole number, 0 to %d)\n",
                command, option, text, INT_MAX);
        return -1;
    }
    if (x < 0) {
        fprintf(stderr, "pix2pix %s: --%s must be 0 or more, not %ld (see --help)\n", command,
                option, x);
        return -1;
    }
    *value = (int)x;
    return 0;
}

static int set_value(const cli_spec *spec, const cli_opt *o, const char *v)
{
    char *end = NULL;
    errno = 0;
    switch (o->type) {
    case CLI_STR: *(const char **)o->ptr = v; return 0;
    case CLI_CHOICE: {
        const cli_choice *c = o->ptr;
        return cli_choose(spec->command, o->name, c->choices, v, c->value);
    }
    case CLI_INT: return cli_parse_count(spec->command, o->name, v, (int *)o->ptr);
    case CLI_FLOAT: {
        float x = strtof(v, &end);
        if (*end || end == v || errno || !isfinite(x)) /* no option takes NaN or Inf */
            break;
        *(float *)o->ptr = x;
        return 0;
    }
    case CLI_U64: {
        unsigned long long x = strtoull(v, &end, 10);
        if (*end || end == v || errno || v[0] == '-')
            break;
        *(uint64_t *)o->ptr = x;
        return 0;
    }
    case CLI_FLAG: break;
    }
    fprintf(stderr, "pix2pix %s: --%s: invalid value '%s'%s\n", spec->command, o->name, v,
            o->type == CLI_FLOAT ? " (a finite number is needed)" : "");
    return -1;
}

int cli_parse(const cli_spec *spec, int argc, char **argv, const char **pos, int *npos)
{
    int np = 0;
    for (int i = 1; i < argc; i++) {
        const char *arg = argv[i];
        if (!strcmp(arg, "--help") || !strcmp(arg, "-h")) {
            print_help(spec);
            return CLI_HELP;
        }
        if (strncmp(arg, "--", 2) != 0) {
            if (np >= spec->max_positional) {
                fprintf(stderr, "pix2pix %s: unexpected argument '%s' (see --help)\n",
                        spec->command, arg);
                return CLI_ERROR;
            }
            pos[np++] = arg;
            continue;
        }
        const char *name = arg + 2, *eq = strchr(name, '=');
        size_t len = eq ? (size_t)(eq - name) : strlen(name);
        const cli_opt *o = NULL;
        for (int k = 0; k < spec->nopts && !o; k++)
            if (strlen(spec->opts[k].name) == len && !strncmp(spec->opts[k].name, name, len))
                o = &spec->opts[k];
        if (!o) {
            fprintf(stderr, "pix2pix %s: unknown option '%s' (see --help)\n", spec->command, arg);
            return CLI_ERROR;
        }
        if (o->type == CLI_FLAG) {
            if (eq) {
                fprintf(stderr, "pix2pix %s: --%s takes no value\n", spec->command, o->name);
                return CLI_ERROR;
            }
            *(int *)o->ptr = 1;
            continue;
        }
        const char *v = eq ? eq + 1 : NULL;
        if (!v) {
            if (i + 1 >= argc) {
                fprintf(stderr, "pix2pix %s: --%s needs a value\n", spec->command, o->name);
                return CLI_ERROR;
            }
            v = argv[++i];
        }
        if (set_value(spec, o, v))
            return CLI_ERROR;
    }
    if (npos)
        *npos = np;
    return CLI_OK;
}

char *cli_to_json(const cli_spec *spec)
{
    cJSON *obj = cJSON_CreateObject();
    for (int i = 0; obj && i < spec->nopts; i++) {
        const cli_opt *o = &spec->opts[i];
        switch (o->type) {
        case CLI_STR:
        case CLI_CHOICE: {
            const char *s = *string_of(o);
            if (s)
                cJSON_AddStringToObject(obj, o->name, s);
            else
                cJSON_AddNullToObject(obj, o->name);
            break;
        }
        case CLI_INT: cJSON_AddNumberToObject(obj, o->name, *(int *)o->ptr); break;
        case CLI_FLOAT: /* 0.0002, not the float's double 0.000199999994947575 */
            cJSON_AddNumberToObject(obj, o->name, float_decimal(*(float *)o->ptr));
            break;
        case CLI_FLAG: cJSON_AddBoolToObject(obj, o->name, *(int *)o->ptr); break;
        case CLI_U64: cJSON_AddNumberToObject(obj, o->name, (double)*(uint64_t *)o->ptr); break;
        }
    }
    char *text = obj ? cJSON_PrintUnformatted(obj) : NULL;
    cJSON_Delete(obj);
    return text;
}

char *cli_to_text(const cli_spec *spec)
{
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    if (!f)
        return NULL;
    fprintf(f, "----------------- Options ---------------\n");
    for (int i = 0; i < spec->nopts; i++) {
        char v[1024];
        value_text(&spec->opts[i], v, sizeof v);
        fprintf(f, "%22s: %s\n", spec->opts[i].name, v);
    }
    fprintf(f, "----------------- End -------------------\n");
    fclose(f);
    return text;
}

int cli_exit_status(int parsed)
{
    return parsed == CLI_OK ? -1 : parsed == CLI_HELP ? 0 : 2;
}
