/* Atomic replacement of a file (see atomic_file.h). */
#include "base/atomic_file.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/out_path.h"

int atomic_file_open(atomic_file *f, const char *path, char *err, size_t errlen)
{
    char why[512];
    memset(f, 0, sizeof *f);
    f->path = path;
    if (out_path_target(path, &f->target, why, sizeof why)) {
        int code = errno;
        snprintf(err, errlen, "%s: %s", path, why);
        errno = code;
        return -1;
    }
    size_t tlen = strlen(f->target);
    f->tmp = malloc(tlen + sizeof ".tmp.XXXXXX");
    if (!f->tmp) {
        snprintf(err, errlen, "%s: out of memory", path);
        free(f->target);
        return -1;
    }
    memcpy(f->tmp, f->target, tlen);
    memcpy(f->tmp + tlen, ".tmp.XXXXXX", sizeof ".tmp.XXXXXX");
    f->fd = mkstemp(f->tmp);
    if (f->fd < 0) {
        int code = errno;
        snprintf(err, errlen, "%s: cannot create a temporary file: %s", path, strerror(code));
        free(f->tmp);
        free(f->target);
        f->tmp = f->target = NULL;
        errno = code;
        return -1;
    }
    return 0;
}

static void fail(atomic_file *f, const char *step)
{
    if (!f->failed) {
        f->failed = step;
        f->failed_errno = errno;
    }
}

void atomic_file_write(atomic_file *f, const void *data, size_t n)
{
    const uint8_t *p = data;
    while (n > 0 && !f->failed) {
        ssize_t k = write(f->fd, p, n);
        if (k < 0) {
            if (errno != EINTR)
                fail(f, "write");
            continue;
        }
        p += k;
        n -= (size_t)k;
    }
}

/* fsync of the folder holding path, so the rename itself is durable. */
static int sync_parent_dir(const char *path)
{
    char *dir = strdup(path);
    if (!dir)
        return -1;
    char *slash = strrchr(dir, '/');
    if (!slash)
        strcpy(dir, ".");
    else if (slash == dir)
        dir[1] = '\0';
    else
        *slash = '\0';
    int fd = open(dir, O_RDONLY | O_DIRECTORY);
    free(dir);
    if (fd < 0)
        return -1;
    int rc = fsync(fd);
    close(fd);
    return rc;
}

int atomic_file_commit(atomic_file *f, char *err, size_t errlen)
{
    /* mkstemp creates 0600; the result is an ordinary file. */
    if (!f->failed && fchmod(f->fd, 0644))
        fail(f, "chmod");
    if (!f->failed && fsync(f->fd))
        fail(f, "fsync");
    if (close(f->fd))
        fail(f, "close");
    if (!f->failed && rename(f->tmp, f->target))
        fail(f, "rename");
    int rc = 0;
    if (f->failed) {
        unlink(f->tmp);
        snprintf(err, errlen, "%s: %s failed: %s", f->path, f->failed, strerror(f->failed_errno));
        errno = f->failed_errno;
        rc = -1;
    } else if (sync_parent_dir(f->target)) {
        int code = errno;
        snprintf(err, errlen, "%s: fsync of the folder failed: %s", f->path, strerror(code));
        errno = code;
        rc = -1;
    }
    free(f->tmp);
    free(f->target);
    f->tmp = f->target = NULL;
    return rc;
}

void atomic_file_abandon(atomic_file *f)
{
    close(f->fd);
    unlink(f->tmp);
    free(f->tmp);
    free(f->target);
    f->tmp = f->target = NULL;
}
