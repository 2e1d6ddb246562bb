/* Whole files mapped or read into memory (see file_map.h). */
#include "engine/util/file_map.h"
#include "engine/engine.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

/* Reads what could not be mapped. */
static int read_all(file_map *m, FILE *fp, const char *path)
{
    m->data = malloc(m->size ? m->size : 1);
    if (!m->data) {
        eng_set_error(-1, "%s: out of memory (%zu bytes)", path, m->size);
        return -1;
    }
    size_t got = fread(m->data, 1, m->size, fp);
    if (got != m->size || ferror(fp)) {
        eng_set_error(-1, "%s: read error", path);
        free(m->data);
        m->data = NULL;
        return -1;
    }
    return 0;
}

int file_map_open(file_map *m, const char *path)
{
    memset(m, 0, sizeof *m);
    /* O_NONBLOCK: opening a FIFO must not wait for a writer (it is refused below). */
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
    FILE *fp = fd < 0 ? NULL : fdopen(fd, "rb");
    if (!fp) {
        eng_set_error(-1, "%s: %s", path, strerror(errno));
        if (fd >= 0)
            close(fd);
        return -1;
    }
    struct stat st;
    if (fstat(fileno(fp), &st) != 0 || !S_ISREG(st.st_mode)) {
        eng_set_error(-1, "%s: not a regular file", path);
        fclose(fp);
        return -1;
    }
    m->size = (size_t)st.st_size;
    /* Mapped rather than read: a reader can give the pages of what it has used back. */
    void *p = m->size ? mmap(NULL, m->size, PROT_READ, MAP_PRIVATE, fileno(fp), 0) : MAP_FAILED;
    m->mapped = p != MAP_FAILED;
    int rc = 0;
    if (m->mapped)
        m->data = p;
    else
        rc = read_all(m, fp, path);
    fclose(fp);
    return rc;
}

void file_map_close(file_map *m)
{
    if (m->mapped)
        munmap(m->data, m->size);
    else
        free(m->data);
    memset(m, 0, sizeof *m);
}
