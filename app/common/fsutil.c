#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "app/common/fsutil.h"
#include "base/atomic_file.h"
#include "base/grow.h"

int fs_mkdirs(const char *path)
{
    char buf[4096];
    if (snprintf(buf, sizeof buf, "%s", path) >= (int)sizeof buf) {
        errno = ENAMETOOLONG;
        return -1;
    }
    for (char *p = buf + 1; *p; p++) {
        if (*p != '/')
            continue;
        *p = '\0';
        if (mkdir(buf, 0777) && errno != EEXIST)
            return -1;
        *p = '/';
    }
    if (mkdir(buf, 0777) && errno != EEXIST)
        return -1;
    return fs_is_dir(buf) ? 0 : (errno = ENOTDIR, -1);
}

int fs_is_dir(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

int fs_is_file(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

int fs_exists(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0;
}

int fs_same_file(const char *a, const char *b)
{
    struct stat sa, sb;
    return stat(a, &sa) == 0 && stat(b, &sb) == 0 && sa.st_dev == sb.st_dev &&
           sa.st_ino == sb.st_ino;
}

static int is_image_name(const char *name)
{
    const char *dot = strrchr(name, '.');
    return dot && (!strcasecmp(dot, ".png") || !strcasecmp(dot, ".jpg") ||
                   !strcasecmp(dot, ".jpeg"));
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

typedef struct {
    char **v;
    int n, cap, failed;
    int skipped; /* images in the folder skipped */
} str_list;

static void push(str_list *l, const char *dir, const char *name)
{
    char **v = grow_for_one(l->v, &l->cap, l->n, sizeof *v, 64);
    if (!v) {
        l->failed = 1;
        return;
    }
    l->v = v;
    size_t len = strlen(dir) + strlen(name) + 2;
    if (!(l->v[l->n] = malloc(len))) {
        l->failed = 1;
        return;
    }
    snprintf(l->v[l->n++], len, "%s/%s", dir, name);
}

/* Appends dir's images, sorted; with tree, then those of its subfolders (not through links,
 * not skip, whose images are counted), one after another in name order. -1 when dir cannot
 * be read. */
static int list_dir(const char *dir, int tree, const char *skip, str_list *out)
{
    DIR *d = opendir(dir);
    if (!d)
        return -1;
    str_list dirs = {0};
    int first = out->n;
    for (struct dirent *e; (e = readdir(d)) != NULL && !out->failed;) {
        if (e->d_name[0] == '.')
            continue;
        if (is_image_name(e->d_name)) {
            push(out, dir, e->d_name);
        } else if (tree) {
            struct stat st;
            push(&dirs, dir, e->d_name);
            if (dirs.failed || lstat(dirs.v[dirs.n - 1], &st) || !S_ISDIR(st.st_mode)) {
                free(dirs.v[--dirs.n]);
            } else if (skip && fs_same_file(dirs.v[dirs.n - 1], skip)) {
                str_list inside = {0};
                list_dir(dirs.v[dirs.n - 1], tree, NULL, &inside);
                out->skipped += inside.n;
                fs_free_list(inside.v, inside.n);
                free(dirs.v[--dirs.n]);
            }
        }
    }
    closedir(d);
    if (out->n > first) /* else out->v may be NULL, which qsort must not get */
        qsort(out->v + first, (size_t)(out->n - first), sizeof *out->v, cmp_str);
    if (dirs.n)
        qsort(dirs.v, (size_t)dirs.n, sizeof *dirs.v, cmp_str);
    for (int i = 0; i < dirs.n; i++) {
        if (!out->failed)
            list_dir(dirs.v[i], tree, skip, out); /* an unreadable subfolder has no images */
        free(dirs.v[i]);
    }
    out->failed |= dirs.failed;
    free(dirs.v);
    return 0;
}

static char **list_images(const char *dir, int tree, const char *skip, int *count,
                          int *skipped)
{
    str_list l = {0};
    *count = 0;
    int failed = list_dir(dir, tree, skip, &l) || l.failed;
    *skipped = l.skipped;
    if (failed || !l.n) {
        fs_free_list(l.v, l.n);
        return NULL;
    }
    *count = l.n;
    return l.v;
}

char **fs_list_images(const char *dir, int *count)
{
    int skipped;
    return list_images(dir, 0, NULL, count, &skipped);
}

char **fs_list_images_tree(const char *dir, const char *skip, int *count, int *skipped)
{
    return list_images(dir, 1, skip, count, skipped);
}

void fs_free_list(char **list, int count)
{
    for (int i = 0; i < count; i++)
        free(list[i]);
    free(list);
}

void fs_stem(const char *path, char *out, size_t len)
{
    const char *slash = strrchr(path, '/');
    const char *name = slash ? slash + 1 : path;
    const char *dot = strrchr(name, '.');
    size_t n = dot && dot != name ? (size_t)(dot - name) : strlen(name);
    snprintf(out, len, "%.*s", (int)n, name);
}

int fs_remove_stale_temps(const char *dir)
{
    DIR *d = opendir(dir);
    if (!d)
        return 0;
    int removed = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (!strstr(e->d_name, ".tmp."))
            continue;
        char path[4400];
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        removed += unlink(path) == 0;
    }
    closedir(d);
    return removed;
}

int fs_sync_dir(const char *dir)
{
    int fd = open(dir, O_RDONLY | O_DIRECTORY);
    if (fd < 0)
        return -1;
    int rc = fsync(fd);
    int saved = errno;
    close(fd);
    errno = saved;
    return rc;
}

int fs_write_atomic(const char *path, const char *text)
{
    atomic_file f;
    char err[64]; /* the callers report errno */
    if (atomic_file_open(&f, path, err, sizeof err))
        return -1;
    atomic_file_write(&f, text, strlen(text));
    return atomic_file_commit(&f, err, sizeof err);
}
