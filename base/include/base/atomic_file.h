/* Files replaced atomically: the data goes to a temporary file beside the target
 * (TARGET.tmp.XXXXXX), then fsync, rename over TARGET and fsync of the folder. TARGET is PATH,
 * or the file its symbolic links lead to, by the outputs' rule (out_path.h): a FIFO, device,
 * socket or folder is refused before anything is written. On any failure the previous file is
 * untouched and the temporary file removed. Reasons name PATH. */
#ifndef BASE_ATOMIC_FILE_H
#define BASE_ATOMIC_FILE_H

#include <stddef.h>

typedef struct {
    const char *path;
    char *target; /* the file replaced: path, or where its links lead */
    char *tmp;
    int fd;
    const char *failed; /* the first step that failed ("write", ...), NULL while none has */
    int failed_errno;
} atomic_file;

/* 0, or -1 with a reason (nothing is left behind). */
int atomic_file_open(atomic_file *f, const char *path, char *err, size_t errlen);
/* Appends n bytes; after a failure it does nothing, and atomic_file_commit reports it. */
void atomic_file_write(atomic_file *f, const void *data, size_t n);
/* Puts the file in place: 0, or -1 with a reason (TARGET unchanged, except when only the
 * folder's fsync failed: the file is then complete and in place). */
int atomic_file_commit(atomic_file *f, char *err, size_t errlen);
/* Gives up: removes the temporary file. */
void atomic_file_abandon(atomic_file *f);

#endif
