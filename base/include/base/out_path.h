/* The rule of every file this program writes: it replaces a regular file or makes a new one,
 * and nothing else. A FIFO, a device, a socket or a folder at the path is refused; a symbolic
 * link is written through (the file it leads to is replaced, the link stays). */
#ifndef BASE_OUT_PATH_H
#define BASE_OUT_PATH_H

#include <stddef.h>

/* The file a write to path replaces or makes: path itself, or the end of its chain of links.
 * 0 with *target malloc'ed, or -1 with a reason that does not repeat path ("not a regular
 * file (a FIFO); refusing to replace it") and errno set (a refused file: EISDIR for a folder,
 * EPERM for the others). */
int out_path_target(const char *path, char **target, char *why, size_t whylen);

#endif
