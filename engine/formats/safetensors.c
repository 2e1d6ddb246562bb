/* safetensors reader: validates an untrusted file completely before handing out any tensor.
 * The writer lives in safetensors_write.c. */
#include "engine/safetensors.h"
#include "engine/engine.h"
#include "engine/util/file_map.h"
#include "engine/formats/safetensors_internal.h"

#include <cjson/cJSON.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "safetensors data is little-endian; this code reads it in place"
#endif

#define ST_MAX_HEADER (100u * 1024u * 1024u)
/* Largest integer a JSON number (a double) represents exactly. */
#define ST_MAX_EXACT_INT 9007199254740992.0

static const char *const dtype_names[] = {"F32", "F16", "BF16", "F64", "I64", "I32", "U8", "BOOL"};
static const size_t dtype_sizes[] = {4, 2, 2, 8, 8, 4, 1, 1};

const char *st_dtype_name(st_dtype d)
{
    return (unsigned)d < sizeof dtype_names / sizeof *dtype_names ? dtype_names[d] : NULL;
}

size_t st_dtype_size(st_dtype d)
{
    return (unsigned)d < sizeof dtype_sizes / sizeof *dtype_sizes ? dtype_sizes[d] : 0;
}

static int dtype_from_name(const char *s, st_dtype *out)
{
    for (int i = 0; i < (int)(sizeof dtype_names / sizeof *dtype_names); i++)
        if (strcmp(s, dtype_names[i]) == 0) {
            *out = (st_dtype)i;
            return 0;
        }
    return -1;
}

/* A JSON number that is a non-negative integer exactly representable as a double. */
static int json_uint(const cJSON *j, uint64_t *out)
{
    if (!cJSON_IsNumber(j))
        return -1;
    double d = j->valuedouble;
    if (!(d >= 0.0) || d > ST_MAX_EXACT_INT || floor(d) != d)
        return -1;
    *out = (uint64_t)d;
    return 0;
}

/* Shape as text for messages: "[4,4]" (truncated if very long). */
static void shape_text(const st_tensor *t, char *buf, size_t len)
{
    size_t used = (size_t)snprintf(buf, len, "[");
    for (int i = 0; i < t->ndim && used < len; i++)
        used += (size_t)snprintf(buf + used, len - used, "%s%" PRId64, i ? "," : "", t->shape[i]);
    if (used < len)
        snprintf(buf + used, len - used, "]");
}

static int parse_shape(const cJSON *shape, st_tensor *t, const char *name)
{
    if (!cJSON_IsArray(shape)) {
        eng_set_error(-1, "tensor '%s': shape is not an array", name);
        return -1;
    }
    int ndim = cJSON_GetArraySize(shape);
    if (ndim > ST_MAX_DIMS) {
        eng_set_error(-1, "tensor '%s': %d dimensions (at most %d)", name, ndim, ST_MAX_DIMS);
        return -1;
    }
    t->ndim = ndim;
    size_t numel = 1;
    int overflow = 0;
    int i = 0;
    for (const cJSON *d = shape->child; d; d = d->next, i++) {
        uint64_t v;
        if (json_uint(d, &v) != 0) {
            eng_set_error(-1, "tensor '%s': shape dimension %d is not a non-negative integer", name,
                          i);
            return -1;
        }
        t->shape[i] = (int64_t)v;
        if (v != 0 && numel > SIZE_MAX / v)
            overflow = 1; /* keep going: a later zero dimension would still make it valid */
        else
            numel *= (size_t)v;
    }
    for (i = 0; i < ndim; i++)
        if (t->shape[i] == 0)
            overflow = 0, numel = 0;
    size_t esize = dtype_sizes[t->dtype];
    if (overflow || numel > SIZE_MAX / esize) {
        char s[128];
        shape_text(t, s, sizeof s);
        eng_set_error(-1, "tensor '%s': shape %s overflows the element count", name, s);
        return -1;
    }
    t->numel = numel;
    t->nbytes = numel * esize;
    return 0;
}

static int parse_offsets(const cJSON *offs, st_tensor *t, const char *name, const uint8_t *data,
                         size_t data_size)
{
    uint64_t begin, end;
    if (!cJSON_IsArray(offs) || cJSON_GetArraySize(offs) != 2 ||
        json_uint(offs->child, &begin) != 0 || json_uint(offs->child->next, &end) != 0) {
        eng_set_error(-1, "tensor '%s': data_offsets is not a pair of non-negative integers", name);
        return -1;
    }
    if (begin > end || end > data_size) {
        eng_set_error(-1,
                      "tensor '%s': data_offsets [%" PRIu64 ",%" PRIu64
                      "] outside the data area of %zu bytes",
                      name, begin, end, data_size);
        return -1;
    }
    if (end - begin != t->nbytes) {
        char s[128];
        shape_text(t, s, sizeof s);
        eng_set_error(-1,
                      "tensor '%s': data_offsets [%" PRIu64 ",%" PRIu64
                      "] do not match shape %s of %s "
                      "(%zu bytes)",
                      name, begin, end, s, dtype_names[t->dtype], t->nbytes);
        return -1;
    }
    t->data = data + begin;
    return 0;
}

static int parse_tensor(const cJSON *entry, st_tensor *t, const uint8_t *data, size_t data_size)
{
    const char *name = entry->string;
    if (!cJSON_IsObject(entry)) {
        eng_set_error(-1, "tensor '%s': entry is not an object", name);
        return -1;
    }
    const cJSON *dtype = cJSON_GetObjectItemCaseSensitive(entry, "dtype");
    if (!cJSON_IsString(dtype)) {
        eng_set_error(-1, "tensor '%s': missing dtype", name);
        return -1;
    }
    if (dtype_from_name(dtype->valuestring, &t->dtype) != 0) {
        eng_set_error(-1, "tensor '%s': unknown dtype '%.32s'", name, dtype->valuestring);
        return -1;
    }
    const cJSON *shape = cJSON_GetObjectItemCaseSensitive(entry, "shape");
    if (!shape) {
        eng_set_error(-1, "tensor '%s': missing shape", name);
        return -1;
    }
    if (parse_shape(shape, t, name) != 0)
        return -1;
    const cJSON *offs = cJSON_GetObjectItemCaseSensitive(entry, "data_offsets");
    if (!offs) {
        eng_set_error(-1, "tensor '%s': missing data_offsets", name);
        return -1;
    }
    return parse_offsets(offs, t, name, data, data_size);
}

static int parse_metadata(st_file *f, const cJSON *meta)
{
    if (!cJSON_IsObject(meta)) {
        eng_set_error(-1, "__metadata__ is not an object");
        return -1;
    }
    int n = cJSON_GetArraySize(meta);
    f->meta_keys = calloc((size_t)n + 1, sizeof *f->meta_keys);
    f->meta_values = calloc((size_t)n + 1, sizeof *f->meta_values);
    if (!f->meta_keys || !f->meta_values) {
        eng_set_error(-1, "out of memory");
        return -1;
    }
    for (const cJSON *m = meta->child; m; m = m->next) {
        if (!cJSON_IsString(m)) {
            eng_set_error(-1, "__metadata__ value of '%s' is not a string", m->string);
            return -1;
        }
        f->meta_keys[f->meta_count] = strdup(m->string);
        f->meta_values[f->meta_count] = strdup(m->valuestring);
        if (!f->meta_keys[f->meta_count] || !f->meta_values[f->meta_count]) {
            free(f->meta_keys[f->meta_count]);
            free(f->meta_values[f->meta_count]);
            eng_set_error(-1, "out of memory");
            return -1;
        }
        f->meta_count++;
    }
    return 0;
}

static int compare_names(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

int st_check_unique_names(const st_file *f)
{
    int n = f->count > f->meta_count ? f->count : f->meta_count;
    const char **sorted = malloc(((size_t)n + 1) * sizeof *sorted);
    if (!sorted) {
        eng_set_error(-1, "out of memory");
        return -1;
    }
    int rc = 0;
    for (int pass = 0; pass < 2 && rc == 0; pass++) {
        int count = pass == 0 ? f->count : f->meta_count;
        for (int i = 0; i < count; i++)
            sorted[i] = pass == 0 ? f->tensors[i].name : f->meta_keys[i];
        qsort(sorted, (size_t)count, sizeof *sorted, compare_names);
        for (int i = 1; i < count && rc == 0; i++)
            if (strcmp(sorted[i - 1], sorted[i]) == 0) {
                eng_set_error(-1, "%s '%s' appears twice",
                              pass == 0 ? "tensor" : "__metadata__ key", sorted[i]);
                rc = -1;
            }
    }
    free(sorted);
    return rc;
}

static int compare_places(const void *a, const void *b)
{
    const st_tensor *x = *(const st_tensor *const *)a, *y = *(const st_tensor *const *)b;
    const uint8_t *px = x->data, *py = y->data;
    if (px != py)
        return px < py ? -1 : 1;
    return x->nbytes < y->nbytes ? -1 : x->nbytes > y->nbytes;
}

/* The tensors' byte ranges must tile the data area, in any order, as the reference library
 * requires: no byte shared by two tensors, none belonging to no tensor. */
static int check_tiling(const st_file *f, const uint8_t *data, size_t data_size)
{
    const st_tensor **sorted = malloc(((size_t)f->count + 1) * sizeof *sorted);
    if (!sorted) {
        eng_set_error(-1, "out of memory");
        return -1;
    }
    for (int i = 0; i < f->count; i++)
        sorted[i] = &f->tensors[i];
    qsort(sorted, (size_t)f->count, sizeof *sorted, compare_places);
    size_t end = 0;
    int rc = 0;
    for (int i = 0; i < f->count && !rc; i++) {
        const st_tensor *t = sorted[i], *prev = i ? sorted[i - 1] : NULL;
        size_t begin = (size_t)((const uint8_t *)t->data - data);
        if (begin < end)
            eng_set_error(-1,
                          "tensors '%s' and '%s' overlap: data_offsets [%zu,%zu] and "
                          "[%zu,%zu]",
                          prev->name, t->name, end - prev->nbytes, end, begin, begin + t->nbytes);
        else if (begin > end)
            eng_set_error(-1,
                          "bytes %zu to %zu of the data area belong to no tensor (the "
                          "next is '%s')",
                          end, begin, t->name);
        rc = begin == end ? 0 : -1;
        end = begin + t->nbytes;
    }
    if (!rc && end != data_size) {
        eng_set_error(-1, "the data area's last %zu bytes belong to no tensor", data_size - end);
        rc = -1;
    }
    free(sorted);
    return rc;
}

static int parse_header(st_file *f, const cJSON *root, const uint8_t *data, size_t data_size)
{
    int entries = cJSON_GetArraySize(root);
    f->tensors = calloc((size_t)entries + 1, sizeof *f->tensors);
    if (!f->tensors) {
        eng_set_error(-1, "out of memory");
        return -1;
    }
    const cJSON *meta = NULL;
    for (const cJSON *e = root->child; e; e = e->next) {
        if (strcmp(e->string, "__metadata__") == 0) {
            if (meta) {
                eng_set_error(-1, "__metadata__ appears twice");
                return -1;
            }
            meta = e;
            if (parse_metadata(f, e) != 0)
                return -1;
            continue;
        }
        st_tensor *t = &f->tensors[f->count];
        if (parse_tensor(e, t, data, data_size) != 0)
            return -1;
        t->name = strdup(e->string);
        if (!t->name) {
            eng_set_error(-1, "out of memory");
            return -1;
        }
        f->count++;
    }
    if (st_check_unique_names(f))
        return -1;
    return check_tiling(f, data, data_size);
}

/* The little-endian header length of the first 8 bytes. */
static uint64_t header_length(const uint8_t *buf)
{
    uint64_t hlen = 0;
    for (int i = 7; i >= 0; i--)
        hlen = hlen << 8 | buf[i];
    return hlen;
}

int st_probe(const uint8_t *head, size_t n, uint64_t size)
{
    return n >= ST_PROBE_BYTES && size >= n &&
           (head[8] == '{' || header_length(head) <= size - 8);
}

/* Takes ownership of buf (malloc'ed, or mapped). */
static st_file *parse_owned(uint8_t *buf, size_t size, int mapped)
{
    st_file *f = calloc(1, sizeof *f);
    if (!f) {
        file_map_close(&(file_map){buf, size, mapped});
        eng_set_error(-1, "out of memory");
        return NULL;
    }
    f->buf = buf;
    f->size = size;
    f->mapped = mapped;
    if (size < 8) {
        eng_set_error(-1, "truncated: %zu bytes, the header length alone needs 8", size);
        goto fail;
    }
    uint64_t hlen = header_length(buf);
    if (hlen > size - 8) {
        eng_set_error(-1, "truncated: header length %" PRIu64 " exceeds the %zu bytes after it",
                      hlen, size - 8);
        goto fail;
    }
    if (hlen > ST_MAX_HEADER) {
        eng_set_error(-1, "header length %" PRIu64 " exceeds the %u byte limit", hlen,
                      ST_MAX_HEADER);
        goto fail;
    }
    const char *json = (const char *)buf + 8;
    const char *end = NULL;
    cJSON *root = cJSON_ParseWithLengthOpts(json, (size_t)hlen, &end, 0);
    if (!root) {
        eng_set_error(-1, "header is not valid JSON (near byte %zu)",
                      end ? (size_t)(end - json) : (size_t)0);
        goto fail;
    }
    /* The reference writer pads with spaces; anything else after the object is garbage. */
    for (const char *p = end; p < json + hlen; p++)
        if (*p != ' ' && *p != '\n' && *p != '\r' && *p != '\t') {
            cJSON_Delete(root);
            eng_set_error(-1, "header has trailing bytes after the JSON object");
            goto fail;
        }
    if (!cJSON_IsObject(root)) {
        cJSON_Delete(root);
        eng_set_error(-1, "header is not a JSON object");
        goto fail;
    }
    int rc = parse_header(f, root, buf + 8 + hlen, size - 8 - (size_t)hlen);
    cJSON_Delete(root);
    if (rc != 0)
        goto fail;
    return f;
fail:
    st_close(f);
    return NULL;
}

st_file *st_parse(const uint8_t *buf, size_t size)
{
    uint8_t *copy = malloc(size ? size : 1);
    if (!copy) {
        eng_set_error(-1, "out of memory (%zu bytes)", size);
        return NULL;
    }
    if (size)
        memcpy(copy, buf, size);
    return parse_owned(copy, size, 0);
}

st_file *st_open(const char *path)
{
    file_map m;
    if (file_map_open(&m, path))
        return NULL;
    st_file *f = parse_owned(m.data, m.size, m.mapped);
    if (!f)
        eng_set_error(-1, "%s: %s", path, eng_last_error());
    return f;
}

void st_close(st_file *f)
{
    if (!f)
        return;
    for (int i = 0; i < f->count; i++)
        free((char *)f->tensors[i].name);
    free(f->tensors);
    for (int i = 0; i < f->meta_count; i++) {
        free(f->meta_keys[i]);
        free(f->meta_values[i]);
    }
    free(f->meta_keys);
    free(f->meta_values);
    file_map_close(&(file_map){f->buf, f->size, f->mapped});
    free(f);
}

void st_release(const st_file *f, const st_tensor *t)
{
    if (!f->mapped || !t->nbytes)
        return;
    long page = sysconf(_SC_PAGESIZE);
    uintptr_t lo = (uintptr_t)t->data & ~(uintptr_t)(page - 1);
    uintptr_t hi = (uintptr_t)t->data + t->nbytes;
    madvise((void *)lo, hi - lo, MADV_DONTNEED); /* a hint: failure changes nothing */
}

int st_count(const st_file *f) { return f->count; }

const st_tensor *st_get(const st_file *f, int index)
{
    return index >= 0 && index < f->count ? &f->tensors[index] : NULL;
}

const st_tensor *st_find(const st_file *f, const char *name)
{
    for (int i = 0; i < f->count; i++)
        if (strcmp(f->tensors[i].name, name) == 0)
            return &f->tensors[i];
    return NULL;
}

const char *st_meta(const st_file *f, const char *key)
{
    for (int i = 0; i < f->meta_count; i++)
        if (strcmp(f->meta_keys[i], key) == 0)
            return f->meta_values[i];
    return NULL;
}

int st_meta_count(const st_file *f) { return f->meta_count; }

const char *st_meta_key(const st_file *f, int index)
{
    return index >= 0 && index < f->meta_count ? f->meta_keys[index] : NULL;
}
