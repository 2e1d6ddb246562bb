/* The outputs' rule (see out_path.h). */
#include "base/out_path.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* As the kernel gives up on a path (ELOOP). */
#define MAX_LINKS 40

static const char *kind_of(mode_t mode)
{
    return S_ISFIFO(mode)                    ? "a FIFO"
           : S_ISCHR(mode) || S_ISBLK(mode) ? "a device"
           : S_ISSOCK(mode)                  ? "a socket"
           : S_ISDIR(mode)                   ? "a folder"
                                             : "not a file";
}

/* What the link at path names: its text, relative to the link's folder unless absolute.
 * NULL with errno set. */
static char *read_link(const char *path, off_t size)
{
    size_t cap = (size_t)(size > 0 ? size : 255) + 1;
    char *text = malloc(cap);
    ssize_t n = text ? readlink(path, text, cap) : -1;
    if (n < 0 || (size_t)n >= cap) { /* changed since lstat: treated as unreadable */
        if (n >= 0)
            errno = EAGAIN;
        free(text);
        return NULL;
    }
    text[n] = '\0';
    const char *slash = strrchr(path, '/');
    if (text[0] == '/' || !slash)
        return text;
    size_t dir = (size_t)(slash - path) + 1, len = dir + (size_t)n + 1;
    char *joined = malloc(len);
    if (joined)
        snprintf(joined, len, "%.*s%s", (int)dir, path, text);
    free(text);
    return joined;
}

enum { IS_TARGET, IS_LINK, REFUSED };

/* One file of the chain: IS_TARGET (missing or regular), IS_LINK (*next: what it names), or
 * REFUSED with the errno in *code and the reason. */
static int look_at(const char *cur, char **next, int *code, char *reason, size_t len)
{
    struct stat st;
    if (lstat(cur, &st)) {
        *code = errno;
        snprintf(reason, len, "cannot check it: %s", strerror(*code));
        return *code == ENOENT ? IS_TARGET : REFUSED;
    }
    if (S_ISREG(st.st_mode))
        return IS_TARGET;
    if (!S_ISLNK(st.st_mode)) {
        *code = S_ISDIR(st.st_mode) ? EISDIR : EPERM;
        snprintf(reason, len, "not a regular file (%s); refusing to replace it",
                 kind_of(st.st_mode));
        return REFUSED;
    }
    if (!(*next = read_link(cur, st.st_size))) {
        *code = errno;
        snprintf(reason, len, "cannot read the link: %s", strerror(*code));
        return REFUSED;
    }
    return IS_LINK;
}

int out_path_target(const char *path, char **target, char *why, size_t whylen)
{
    char *cur = strdup(path), reason[128] = "out of memory";
    int code = ENOMEM, links = 0;
    while (cur) {
        char *next = NULL;
        int kind = links > MAX_LINKS ? REFUSED
                                     : look_at(cur, &next, &code, reason, sizeof reason);
        if (kind == IS_TARGET) {
            *target = cur;
            return 0;
        }
        if (kind == REFUSED)
            break;
        free(cur);
        cur = next;
        links++;
    }
    if (links > MAX_LINKS) {
        code = ELOOP;
        snprintf(why, whylen, "more than %d links in a row", MAX_LINKS);
    } else if (cur && links) { /* the file refused is not the one named */
        snprintf(why, whylen, "leads to %s: %s", cur, reason);
    } else {
        snprintf(why, whylen, "%s", reason);
    }
    free(cur);
    errno = code;
    return -1;
}
