/* Folder listing in natural order, path helpers. */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "datasets/file_list.h"

int natural_compare(const char *a, const char *b)
{
    const char *pa = a, *pb = b;
    while (*pa && *pb) {
        if (isdigit((unsigned char)*pa) && isdigit((unsigned char)*pb)) {
            while (*pa == '0')
                pa++;
            while (*pb == '0')
                pb++;
            size_t la = 0, lb = 0;
            while (isdigit((unsigned char)pa[la]))
                la++;
            while (isdigit((unsigned char)pb[lb]))
                lb++;
            if (la != lb)
                return la < lb ? -1 : 1;
            int c = strncmp(pa, pb, la);
            if (c)
                return c;
            pa += la;
            pb += lb;
        } else {
            if (*pa != *pb)
                return (unsigned char)*pa < (unsigned char)*pb ? -1 : 1;
            pa++;
            pb++;
        }
    }
    if (*pa || *pb)
        return *pa ? 1 : -1;
    return strcmp(a, b);
}

static int compare_names(const void *x, const void *y)
{
    return natural_compare(*(char *const *)x, *(char *const *)y);
}

char *path_join(const char *a, const char *b)
{
    size_t n = strlen(a) + strlen(b) + 2;
    char *p = malloc(n);
    if (p)
        snprintf(p, n, "%s/%s", a, b);
    return p;
}

int is_directory(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

void name_list_free(name_list *l)
{
    for (size_t i = 0; i < l->count; i++)
        free(l->names[i]);
    free(l->names);
    l->names = NULL;
    l->count = 0;
}

int list_files(const char *dir, name_list *out, char *err, size_t errlen)
{
    out->names = NULL;
    out->count = 0;
    DIR *d = opendir(dir);
    if (!d) {
        snprintf(err, errlen, "cannot open folder %s: %s", dir, strerror(errno));
        return -1;
    }
    size_t cap = 0;
    struct dirent *e;
    while ((e = readdir(d))) {
        if (e->d_name[0] == '.')
            continue;
        char *full = path_join(dir, e->d_name);
        /* Folders are skipped; anything else is a candidate, so that a dangling link or a
         * FIFO is reported as unusable by the loader rather than silently left out. */
        struct stat st;
        int skip = !full || (stat(full, &st) == 0 && S_ISDIR(st.st_mode));
        free(full);
        if (skip)
            continue;
        if (out->count == cap) {
            cap = cap ? 2 * cap : 64;
            char **grown = realloc(out->names, cap * sizeof *grown);
            if (!grown)
                goto oom;
            out->names = grown;
        }
        if (!(out->names[out->count] = strdup(e->d_name)))
            goto oom;
        out->count++;
    }
    closedir(d);
    if (out->count > 1)
        qsort(out->names, out->count, sizeof *out->names, compare_names);
    return 0;
oom:
    closedir(d);
    name_list_free(out);
    snprintf(err, errlen, "out of memory listing %s", dir);
    return -1;
}

int name_list_contains(const name_list *l, const char *name)
{
    size_t lo = 0, hi = l->count;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        int c = natural_compare(l->names[mid], name);
        if (!c)
            return 1;
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return 0;
}

int make_dirs(const char *path, char *err, size_t errlen)
{
    char *p = strdup(path);
    if (!p) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    for (char *s = p + 1;; s++) {
        if (*s != '/' && *s)
            continue;
        char saved = *s;
        *s = 0;
        if (mkdir(p, 0755) != 0 && errno != EEXIST) {
            snprintf(err, errlen, "cannot create folder %s: %s", p, strerror(errno));
            free(p);
            return -1;
        }
        if (!saved)
            break;
        *s = saved;
    }
    free(p);
    if (!is_directory(path)) {
        snprintf(err, errlen, "%s exists and is not a folder", path);
        return -1;
    }
    return 0;
}
