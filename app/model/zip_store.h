/* A zip archive of stored (uncompressed) records written in one pass to a file replaced
 * atomically (base/atomic_file.h), as torch.save lays out its .pth files: each record's data
 * aligned to 64 bytes by padding in its local header's extra field. Records and the archive
 * are each under 4 GiB (no zip64). */
#ifndef APP_MODEL_ZIP_STORE_H
#define APP_MODEL_ZIP_STORE_H

#include <stddef.h>
#include <stdint.h>

#include "base/atomic_file.h"

typedef struct {
    atomic_file file;
    uint64_t offset;     /* bytes written so far */
    uint8_t *central;    /* the central directory, written at the end */
    size_t central_len, central_cap;
    int records;
    int failed;          /* out of memory or past the format's limits */
} zip_store;

/* 0, or -1 with a reason naming path. */
int zip_store_open(zip_store *z, const char *path, char *err, size_t errlen);
/* Appends a record; failures are reported by zip_store_close. */
void zip_store_add(zip_store *z, const char *name, const void *data, size_t len);
/* Writes the central directory and puts the file in place: 0, or -1 with a reason (the
 * previous file untouched). */
int zip_store_close(zip_store *z, char *err, size_t errlen);
/* Gives up: nothing is left behind. */
void zip_store_abandon(zip_store *z);

#endif
