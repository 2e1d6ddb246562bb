#include <cjson/cJSON.h>
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app/cli/cli.h"

static void value_text(const cli_opt *o, char *buf, size_t len)
{
    switch (o->type) {
    case CLI_STR: {
        const char *s = *(const char **)o->ptr;
        snprintf(buf, len, "%s", s ? s : "");
        break;
    }
    case CLI_INT: snprintf(buf, len, "%d", *(int *)o->ptr); break;
    case CLI_FLOAT: snprintf(buf, len, "%g", (double)*(float *)o->ptr); break;
    case CLI_FLAG: snprintf(buf, len, "%s", *(int *)o->ptr ? "true" : "false"); break;
    case CLI_U64: snprintf(buf, len, "%" PRIu64, *(uint64_t *)o->ptr); break;
    }
}

static void print_help(const cli_spec *spec)
{
    printf("usage: %s\n\n%s\n\noptions:\n", spec->usage, spec->summary);
    for (int i = 0; i < spec->nopts; i++) {
        const cli_opt *o = &spec->opts[i];
        char def[256], left[64];
        value_text(o, def, sizeof def);
        const char *meta = o->type == CLI_FLAG  ? ""
                           : o->type == CLI_STR ? " S"
                           : o->type == CLI_FLOAT ? " X"
                                                  : " N";
        snprintf(left, sizeof left, "--%s%s", o->name, meta);
        if (o->type == CLI_FLAG || !def[0])
            printf("  %-22s %s\n", left, o->help);
        else
            printf("  %-22s %s (default: %s)\n", left, o->help, def);
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
        case CLI_STR: {
            const char *s = *(const char **)o->ptr;
            if (s)
                cJSON_AddStringToObject(obj, o->name, s);
            else
                cJSON_AddNullToObject(obj, o->name);
            break;
        }
        case CLI_INT: cJSON_AddNumberToObject(obj, o->name, *(int *)o->ptr); break;
        case CLI_FLOAT: cJSON_AddNumberToObject(obj, o->name, (double)*(float *)o->ptr); break;
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
