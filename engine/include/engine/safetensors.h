/* safetensors files: an 8-byte little-endian header length, a JSON header naming each tensor's
 * dtype, shape and byte range, then the raw little-endian data. Parsing validates everything
 * (header size, JSON, dtypes, shapes whose products overflow, offsets inside the file, ranges that
 * match the shapes and tile the data area with no overlap or gap) before any tensor is handed
 * out. */
#ifndef ENGINE_SAFETENSORS_H
#define ENGINE_SAFETENSORS_H

#include <stddef.h>
#include <stdint.h>

#define ST_MAX_DIMS 8

typedef enum { ST_F32, ST_F16, ST_BF16, ST_F64, ST_I64, ST_I32, ST_U8, ST_BOOL } st_dtype;

typedef struct {
    const char *name;
    st_dtype dtype;
    int ndim;
    int64_t shape[ST_MAX_DIMS];
    size_t numel;
    const void *data; /* raw little-endian bytes inside the file's buffer */
    size_t nbytes;
} st_tensor;

typedef struct st_file st_file;

/* 1 when a file of size bytes starting with head (n bytes, at least ST_PROBE_BYTES) looks
 * like safetensors: an 8-byte little-endian header length that the file can hold, or one
 * followed by the header's opening brace (a file cut short). */
#define ST_PROBE_BYTES 9
int st_probe(const uint8_t *head, size_t n, uint64_t size);
/* Opens (maps) and validates a whole file. NULL on failure, with a one-line
 * reason in eng_last_error() (engine.h), as for every call here that fails. */
st_file *st_open(const char *path);
/* Validates a buffer (copied). */
st_file *st_parse(const uint8_t *buf, size_t size);
/* A table of tensors built in memory rather than read from a file (another format, decoded):
 * takes buf (malloc'ed, size bytes; freed by st_close, or at once on failure) and copies the
 * count entries and their names. Each entry's data must lie inside buf, its numel and nbytes
 * must match its dtype and shape, and names must be distinct. No metadata. */
st_file *st_from_tensors(uint8_t *buf, size_t size, const st_tensor *tensors, int count);
void st_close(st_file *f);

int st_count(const st_file *f);
const st_tensor *st_get(const st_file *f, int index);
const st_tensor *st_find(const st_file *f, const char *name);
/* __metadata__ string values (NULL if absent). */
const char *st_meta(const st_file *f, const char *key);
int st_meta_count(const st_file *f);
const char *st_meta_key(const st_file *f, int index);
/* Converts any numeric dtype to float32 (numel floats). */
void st_to_f32(const st_tensor *t, float *dst);
/* Done with a tensor's bytes for now: the memory holding them may be given back (a file from
 * st_open is mapped, and its pages are read again if the tensor is used later). */
void st_release(const st_file *f, const st_tensor *t);

typedef struct st_writer st_writer;
st_writer *st_writer_new(void);
void st_writer_free(st_writer *w);
/* The data pointer must stay valid until st_writer_save. */
int st_writer_add(st_writer *w, const char *name, st_dtype dtype, int ndim, const int64_t *shape,
                  const void *data);
/* A tensor whose bytes are produced while saving: fill(ctx, dst, nbytes) writes them to dst
 * and returns 0, or -1 with its reason set by eng_set_error (engine.h), which fails the save
 * ("path: reason"). Only one such tensor is in memory at a time. */
typedef int (*st_fill_fn)(void *ctx, void *dst, size_t nbytes);
int st_writer_add_fill(st_writer *w, const char *name, st_dtype dtype, int ndim,
                       const int64_t *shape, st_fill_fn fill, void *ctx);
int st_writer_meta(st_writer *w, const char *key, const char *value);
/* Writes atomically: a temporary file in the same folder, fsync, rename, fsync of the folder.
 * On failure (-1, the reason naming the file) the previous file at path is untouched and no
 * temporary file is left. */
int st_writer_save(st_writer *w, const char *path);

#endif
