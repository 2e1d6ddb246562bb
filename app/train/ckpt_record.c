/* Commit records of checkpoint sets: writing, parsing and checking them (see ckpt_record.h). */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "app/train/ckpt_record.h"

#define HEADER "pix2pix-vk checkpoint set "
#define RECORD_MAX 4096 /* a record of CKPT_SET_MAX_FILES names is far smaller */

static int fail(char *why, size_t len, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(why, len, fmt, ap);
    va_end(ap);
    return -1;
}

static int ends_with(const char *s, const char *suffix)
{
    size_t n = strlen(s), k = strlen(suffix);
    return n >= k && !strcmp(s + n - k, suffix);
}

int ckpt_is_staged(const char *name, const char *tag)
{
    size_t tlen = tag ? strlen(tag) : 0;
    return (!tag || (!strncmp(name, tag, tlen) && name[tlen] == '_')) && !strchr(name, '/') &&
           ends_with(name, CKPT_NEXT_SUFFIX);
}

int ckpt_is_record(const char *name, char *tag, size_t len)
{
    if (!ends_with(name, CKPT_COMMIT_SUFFIX))
        return 0;
    snprintf(tag, len, "%.*s", (int)(strlen(name) - strlen(CKPT_COMMIT_SUFFIX)), name);
    return 1;
}

int ckpt_record_format(const ckpt_record *r, const char *tag, char *text, size_t len)
{
    size_t used = (size_t)snprintf(text, len, HEADER "%s of step %lld\n", tag, r->step);
    for (int i = 0; i < r->count && used < len; i++)
        used += (size_t)snprintf(text + used, len - used, "%s %lld\n", r->names[i], r->sizes[i]);
    if (used < len)
        used += (size_t)snprintf(text + used, len - used, "end\n");
    return used < len ? 0 : -1;
}

/* A count written in decimal digits only (no sign, no space), as the record writes it. */
static int parse_count(const char *s, long long *out)
{
    long long v = 0;
    if (!*s)
        return -1;
    for (; *s; s++) {
        if (*s < '0' || *s > '9' || v > (LLONG_MAX - 9) / 10)
            return -1;
        v = 10 * v + (*s - '0');
    }
    *out = v;
    return 0;
}

static int parse_header(const char *line, const char *tag, long long *step)
{
    char expected[128];
    snprintf(expected, sizeof expected, HEADER "%s of step ", tag);
    size_t n = strlen(expected);
    return strncmp(line, expected, n) ? -1 : parse_count(line + n, step);
}

/* "NAME SIZE": a staged file of the set, not named before. */
static int parse_file(char *line, const char *tag, ckpt_record *r)
{
    char *space = strrchr(line, ' ');
    if (!space || r->count == CKPT_SET_MAX_FILES || space - line >= CKPT_NAME_MAX)
        return -1;
    *space = '\0';
    if (!ckpt_is_staged(line, tag) || parse_count(space + 1, &r->sizes[r->count]))
        return -1;
    for (int i = 0; i < r->count; i++)
        if (!strcmp(r->names[i], line))
            return -1;
    snprintf(r->names[r->count++], CKPT_NAME_MAX, "%s", line);
    return 0;
}

/* The whole text of a regular file of at most RECORD_MAX - 1 bytes (never a FIFO's open,
 * which would wait). */
static int read_text(const char *path, char *text, char *why, size_t len)
{
    struct stat st;
    if (lstat(path, &st))
        return fail(why, len, "cannot read: %s", strerror(errno));
    if (!S_ISREG(st.st_mode))
        return fail(why, len, "not a regular file");
    if (st.st_size >= RECORD_MAX)
        return fail(why, len, "%lld bytes, too large for a commit record",
                    (long long)st.st_size);
    FILE *f = fopen(path, "rb");
    if (!f)
        return fail(why, len, "cannot read: %s", strerror(errno));
    size_t n = fread(text, 1, RECORD_MAX - 1, f);
    int bad = ferror(f);
    fclose(f);
    text[n] = '\0';
    if (bad)
        return fail(why, len, "cannot read");
    return strlen(text) == n ? 0 : fail(why, len, "not text");
}

int ckpt_record_read(const char *path, const char *tag, ckpt_record *r, char *why, size_t len)
{
    char text[RECORD_MAX];
    memset(r, 0, sizeof *r);
    if (read_text(path, text, why, len))
        return -1;
    char *line = text, *eol;
    int ended = 0;
    for (int k = 1; (eol = strchr(line, '\n')) != NULL; k++, line = eol + 1) {
        *eol = '\0';
        if (ended)
            return fail(why, len, "text after its end line");
        if (k == 1 && parse_header(line, tag, &r->step))
            return fail(why, len, "not a commit record of set %s (its first line is not '"
                        HEADER "%s of step N')", tag, tag);
        if (k > 1 && !(ended = !strcmp(line, "end")) && parse_file(line, tag, r))
            return fail(why, len, "line %d is not 'FILE SIZE' naming a staged file %s_*"
                        CKPT_NEXT_SUFFIX " once", k, tag);
    }
    if (*line || !ended)
        return fail(why, len, ended ? "text after its end line" : "truncated (no end line)");
    return r->count ? 0 : fail(why, len, "names no file");
}

/* Whether path is a regular file of size bytes recording step (named by its entry name in the
 * reason: the record's folder is named before it). */
static int check_file(const char *path, long long size, long long step, ckpt_step_fn step_of,
                      char *why, size_t len)
{
    const char *name = strrchr(path, '/') + 1;
    struct stat st;
    if (lstat(path, &st))
        return fail(why, len, "%s: %s", name, strerror(errno));
    if (!S_ISREG(st.st_mode))
        return fail(why, len, "%s is not a regular file", name);
    if ((long long)st.st_size != size)
        return fail(why, len, "%s has %lld bytes, the record says %lld", name,
                    (long long)st.st_size, size);
    long long got = step_of(path);
    if (got != step)
        return got < 0 ? fail(why, len, "%s does not record its step", name)
                       : fail(why, len, "%s is of step %lld, the record's set of step %lld", name,
                              got, step);
    return 0;
}

/* Every staged file of tag in dir is named by r. */
static int check_listed(const ckpt_record *r, const char *dir, const char *tag, char *why,
                        size_t len)
{
    DIR *d = opendir(dir);
    if (!d)
        return fail(why, len, "%s: cannot read the folder: %s", dir, strerror(errno));
    struct dirent *e;
    int rc = 0;
    while (!rc && (e = readdir(d)) != NULL) {
        int listed = !ckpt_is_staged(e->d_name, tag);
        for (int i = 0; i < r->count && !listed; i++)
            listed = !strcmp(r->names[i], e->d_name);
        if (!listed)
            rc = fail(why, len, "%s is not in the record", e->d_name);
    }
    closedir(d);
    return rc;
}

int ckpt_record_check(const ckpt_record *r, const char *dir, const char *tag,
                      ckpt_step_fn step_of, char *why, size_t len)
{
    for (int i = 0; i < r->count; i++) {
        char staged[CKPT_PATH_MAX], final[CKPT_PATH_MAX];
        snprintf(staged, sizeof staged, "%s/%s", dir, r->names[i]);
        snprintf(final, sizeof final, "%.*s", (int)(strlen(staged) - strlen(".next")), staged);
        struct stat st;
        int moved = lstat(staged, &st) && errno == ENOENT;
        if (moved && check_file(final, r->sizes[i], r->step, step_of, why, len))
            return fail(why, len, "%s is missing", r->names[i]);
        if (!moved && check_file(staged, r->sizes[i], r->step, step_of, why, len))
            return -1;
    }
    return check_listed(r, dir, tag, why, len);
}
