/* A whole file in memory for the model readers: mapped read-only, or read when it cannot be
 * mapped (an empty file, a file system without mmap). Only regular files are accepted, and
 * opening never waits (a FIFO is refused). */
#ifndef ENGINE_FILE_MAP_H
#define ENGINE_FILE_MAP_H

#include <stddef.h>
#include <stdint.h>

typedef struct {
    uint8_t *data;
    size_t size;
    int mapped; /* data is a mapping (else malloc'ed) */
} file_map;

/* 0, or -1 with "path: reason" in eng_last_error(). */
int file_map_open(file_map *m, const char *path);
/* Unmaps or frees data (also for a file_map filled by hand). */
void file_map_close(file_map *m);

#endif
