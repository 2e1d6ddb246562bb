/* torch.save's zip format (PyTorch >= 1.6), read with libzip: NAME/data.pkl holds the pickle,
 * NAME/data/KEY the bytes of storage KEY, NAME/byteorder (PyTorch >= 2.1) "little" or "big". */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zip.h>

#include "engine/engine.h"
#include "engine/formats/pth/pth_internal.h"
#include "engine/formats/safetensors_internal.h"

/* The most deflate expands (1032:1): an entry claiming more is forged. */
#define DEFLATE_MAX_RATIO 1032
/* data.pkl is read whole: a unet_256 G's is 14.8 KB, a resnet_64blocks G's (800 tensors, the
 * largest network pix2pix builds) 118 KB. More is refused before it is inflated. */
#define PTH_MAX_PICKLE_BYTES ((size_t)4 << 20)

typedef struct {
    zip_t *za;
    char prefix[256];       /* "NAME/" */
    zip_uint64_t *index;    /* each storage's entry */
    uint8_t *buf;           /* the storage read last */
    size_t cap;
} archive;

/* The uncompressed size of entry index, checked against its compressed size. */
static int entry_size(archive *z, zip_uint64_t index, const char *name, size_t *size)
{
    zip_stat_t st;
    zip_stat_init(&st);
    const zip_uint64_t need = ZIP_STAT_SIZE | ZIP_STAT_COMP_SIZE | ZIP_STAT_COMP_METHOD;
    char shown[128];
    pk_printable(name, shown, sizeof shown); /* names of the file's go into messages */
    if (zip_stat_index(z->za, index, 0, &st) || (st.valid & need) != need) {
        eng_set_error(-1, "archive entry %s: %s", shown, zip_strerror(z->za));
        return -1;
    }
    int stored = st.comp_method == ZIP_CM_STORE;
    if (!stored && st.comp_method != ZIP_CM_DEFLATE) {
        eng_set_error(-1,
                      "archive entry %s: compression method %d (torch.save stores "
                      "entries)",
                      shown, (int)st.comp_method);
        return -1;
    }
    if (stored ? st.size != st.comp_size : st.size / DEFLATE_MAX_RATIO > st.comp_size) {
        eng_set_error(-1, "corrupt archive: entry %s claims %llu bytes from %llu", shown,
                      (unsigned long long)st.size, (unsigned long long)st.comp_size);
        return -1;
    }
    *size = (size_t)st.size;
    return 0;
}

/* Reads entry index (size bytes) whole into dst; libzip checks its CRC at the end. */
static int read_entry(archive *z, zip_uint64_t index, const char *name, uint8_t *dst, size_t size)
{
    char shown[128];
    pk_printable(name, shown, sizeof shown);
    zip_file_t *zf = zip_fopen_index(z->za, index, 0);
    if (!zf) {
        eng_set_error(-1, "archive entry %s: %s", shown, zip_strerror(z->za));
        return -1;
    }
    size_t got = 0;
    zip_int64_t n = 1;
    while (got < size && (n = zip_fread(zf, dst + got, size - got)) > 0)
        got += (size_t)n;
    uint8_t extra;
    if (got == size)
        n = zip_fread(zf, &extra, 1); /* 0 at the end, once the CRC matched */
    int rc = got == size && n == 0 ? 0 : -1;
    if (rc)
        eng_set_error(-1, "archive entry %s: %s", shown,
                      n < 0 ? zip_file_strerror(zf) : "shorter or longer than its size");
    zip_fclose(zf);
    return rc;
}

/* Finds NAME/data.pkl: the archive's one record folder. */
static int find_prefix(archive *z)
{
    zip_int64_t n = zip_get_num_entries(z->za, 0);
    int found = 0;
    for (zip_int64_t i = 0; i < n; i++) {
        const char *name = zip_get_name(z->za, (zip_uint64_t)i, ZIP_FL_ENC_RAW);
        const char *slash = name ? strchr(name, '/') : NULL;
        if (!slash || strcmp(slash, "/data.pkl") || (size_t)(slash - name) + 2 > sizeof z->prefix)
            continue;
        if (found++) {
            eng_set_error(-1, "corrupt archive: two data.pkl records");
            return -1;
        }
        snprintf(z->prefix, sizeof z->prefix, "%.*s/", (int)(slash - name), name);
    }
    if (!found)
        eng_set_error(-1, "a zip archive without NAME/data.pkl: not a torch.save file");
    return found ? 0 : -1;
}

/* Entry PREFIX+name, read whole (at most max bytes) into a new buffer. */
static uint8_t *read_record(archive *z, const char *name, size_t max, size_t *size)
{
    char path[512], shown[128];
    snprintf(path, sizeof path, "%s%s", z->prefix, name);
    pk_printable(path, shown, sizeof shown);
    zip_int64_t index = zip_name_locate(z->za, path, ZIP_FL_ENC_RAW);
    if (index < 0) {
        eng_set_error(-1, "archive entry %s missing", shown);
        return NULL;
    }
    if (entry_size(z, (zip_uint64_t)index, path, size))
        return NULL;
    if (*size > max) {
        eng_set_error(-1, "refused: archive entry %s: %zu bytes, more than its limit of %zu", shown,
                      *size, max);
        return NULL;
    }
    uint8_t *buf = malloc(*size + 1);
    if (!buf)
        eng_set_error(-1, "out of memory");
    if (buf && read_entry(z, (zip_uint64_t)index, path, buf, *size)) {
        free(buf);
        buf = NULL;
    }
    return buf;
}

/* Data written on a big-endian machine is refused (files before PyTorch 2.1 say nothing:
 * those are little-endian in practice). */
static int check_byteorder(archive *z)
{
    char path[512];
    snprintf(path, sizeof path, "%sbyteorder", z->prefix);
    if (zip_name_locate(z->za, path, ZIP_FL_ENC_RAW) < 0)
        return 0;
    size_t n;
    uint8_t *text = read_record(z, "byteorder", 16, &n);
    if (!text)
        return -1;
    int little = n == 6 && !memcmp(text, "little", 6);
    free(text);
    char shown[128];
    if (!little)
        eng_set_error(-1, "written on a big-endian machine (%s): not supported",
                      pk_printable(path, shown, sizeof shown));
    return little ? 0 : -1;
}

/* Finds every storage's entry and checks its size against the pickle's element count. */
static int locate_storages(archive *z, const pth_dict *d)
{
    z->index = calloc((size_t)d->nstorages + 1, sizeof *z->index);
    if (!z->index) {
        eng_set_error(-1, "out of memory");
        return -1;
    }
    for (int i = 0; i < d->nstorages; i++) {
        const pth_storage *s = &d->storages[i];
        char path[512], k[64];
        snprintf(path, sizeof path, "%sdata/%s", z->prefix, s->key);
        zip_int64_t index = zip_name_locate(z->za, path, ZIP_FL_ENC_RAW);
        size_t size, esize = st_dtype_size(s->dtype);
        if (index < 0) {
            eng_set_error(-1, "corrupt archive: no entry for storage %s",
                          pk_printable(path, k, sizeof k));
            return -1;
        }
        if (entry_size(z, (zip_uint64_t)index, path, &size))
            return -1;
        if (s->numel > SIZE_MAX / esize || size != s->numel * esize) {
            eng_set_error(-1,
                          "corrupt archive: entry %s has %zu bytes, the pickle says "
                          "%zu elements of %zu",
                          pk_printable(path, k, sizeof k), size, s->numel, esize);
            return -1;
        }
        z->index[i] = (zip_uint64_t)index;
    }
    return 0;
}

static int load_storage(void *ctx, pth_storage *s, int i)
{
    archive *z = ctx;
    size_t size = s->numel * st_dtype_size(s->dtype);
    if (size > z->cap) {
        free(z->buf);
        z->cap = 0;
        if (!(z->buf = malloc(size))) {
            eng_set_error(-1, "out of memory (%zu bytes for a storage)", size);
            return -1;
        }
        z->cap = size;
    }
    char path[512];
    snprintf(path, sizeof path, "%sdata/%s", z->prefix, s->key);
    s->data = z->buf;
    return read_entry(z, z->index[i], path, z->buf, size);
}

/* The pickle, its tensors, then the table. */
static st_file *read_archive(archive *z)
{
    size_t n;
    uint8_t *pkl = NULL;
    if (find_prefix(z) || check_byteorder(z) ||
        !(pkl = read_record(z, "data.pkl", PTH_MAX_PICKLE_BYTES, &n)))
        return NULL;
    pk_arena *a = pk_arena_new();
    const pk_value *obj = a ? pk_load(a, pkl, n, &n) : NULL;
    if (!a)
        eng_set_error(-1, "out of memory");
    pth_dict d = {0};
    st_file *f = NULL;
    if (obj && !pth_collect(&d, obj, 0) && !locate_storages(z, &d))
        f = pth_build(&d, load_storage, z);
    pth_dict_free(&d);
    pk_arena_free(a);
    free(pkl);
    return f;
}

st_file *pth_parse_zip(const uint8_t *buf, size_t size)
{
    zip_error_t ze;
    zip_error_init(&ze);
    zip_source_t *src = zip_source_buffer_create(buf, size, 0, &ze);
    archive z = {0};
    /* Not ZIP_CHECKCONS: each entry's CRC is checked as it is read, and stricter header
     * checks could refuse archives that torch reads. */
    z.za = src ? zip_open_from_source(src, ZIP_RDONLY, &ze) : NULL;
    if (!z.za) {
        eng_set_error(-1, "not a readable zip archive: %s", zip_error_strerror(&ze));
        zip_source_free(src);
        zip_error_fini(&ze);
        return NULL;
    }
    zip_error_fini(&ze);
    st_file *f = read_archive(&z);
    zip_discard(z.za);
    free(z.index);
    free(z.buf);
    return f;
}
