/* safetensors writer: header in the reference library's layout (metadata first, padded with
 * spaces to a multiple of 8), tensors in the order added, saved atomically. */
#include "base/atomic_file.h"
#include "engine/safetensors.h"
#include "engine/engine.h"
#include "engine/formats/safetensors_internal.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    char *name;
    st_dtype dtype;
    int ndim;
    int64_t shape[ST_MAX_DIMS];
    size_t nbytes;
    const void *data;
    st_fill_fn fill; /* instead of data: fills the bytes while saving */
    void *fill_ctx;
} st_entry;

struct st_writer {
    st_entry *entries;
    int count, cap;
    char **meta_keys, **meta_values;
    int meta_count, meta_cap;
};

/* Growable text buffer for the JSON header. */
typedef struct {
    char *s;
    size_t len, cap;
    int failed;
} text;

static void text_put(text *t, const char *s, size_t n)
{
    if (t->failed)
        return;
    if (t->len + n + 1 > t->cap) {
        size_t cap = t->cap ? t->cap : 256;
        while (cap < t->len + n + 1)
            cap *= 2;
        char *p = realloc(t->s, cap);
        if (!p) {
            t->failed = 1;
            return;
        }
        t->s = p;
        t->cap = cap;
    }
    memcpy(t->s + t->len, s, n);
    t->len += n;
    t->s[t->len] = '\0';
}

static void text_printf(text *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void text_printf(text *t, const char *fmt, ...)
{
    char buf[128];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    if (n < 0 || (size_t)n >= sizeof buf)
        t->failed = 1;
    else
        text_put(t, buf, (size_t)n);
}

/* JSON string literal; bytes >= 0x80 pass through (names are UTF-8). */
static void text_json_string(text *t, const char *s)
{
    text_put(t, "\"", 1);
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\') {
            char esc[2] = {'\\', (char)c};
            text_put(t, esc, 2);
        } else if (c < 0x20) {
            text_printf(t, "\\u%04x", c);
        } else {
            text_put(t, (const char *)&c, 1);
        }
    }
    text_put(t, "\"", 1);
}

st_writer *st_writer_new(void) { return calloc(1, sizeof(st_writer)); }

void st_writer_free(st_writer *w)
{
    if (!w)
        return;
    for (int i = 0; i < w->count; i++)
        free(w->entries[i].name);
    free(w->entries);
    for (int i = 0; i < w->meta_count; i++) {
        free(w->meta_keys[i]);
        free(w->meta_values[i]);
    }
    free(w->meta_keys);
    free(w->meta_values);
    free(w);
}

/* Adds an entry whose bytes come from data, or from fill when data is NULL. */
static int add_entry(st_writer *w, const char *name, st_dtype dtype, int ndim,
                     const int64_t *shape, const void *data, st_fill_fn fill, void *fill_ctx)
{
    size_t esize = st_dtype_size(dtype);
    if (!name || !*name || strcmp(name, "__metadata__") == 0 || esize == 0 || ndim < 0 ||
        ndim > ST_MAX_DIMS || (ndim > 0 && !shape))
        return -1;
    for (int i = 0; i < w->count; i++)
        if (strcmp(w->entries[i].name, name) == 0)
            return -1;
    size_t numel = 1;
    for (int i = 0; i < ndim; i++) {
        if (shape[i] < 0 || (shape[i] > 0 && numel > SIZE_MAX / (uint64_t)shape[i]))
            return -1;
        numel *= (size_t)shape[i];
    }
    if (numel > SIZE_MAX / esize || (numel > 0 && !data && !fill))
        return -1;
    if (w->count == w->cap) {
        int cap = w->cap ? 2 * w->cap : 16;
        st_entry *p = realloc(w->entries, (size_t)cap * sizeof *p);
        if (!p)
            return -1;
        w->entries = p;
        w->cap = cap;
    }
    st_entry *e = &w->entries[w->count];
    memset(e, 0, sizeof *e);
    e->name = strdup(name);
    if (!e->name)
        return -1;
    e->dtype = dtype;
    e->ndim = ndim;
    for (int i = 0; i < ndim; i++)
        e->shape[i] = shape[i];
    e->nbytes = numel * esize;
    e->data = data;
    e->fill = fill;
    e->fill_ctx = fill_ctx;
    w->count++;
    return 0;
}

int st_writer_add(st_writer *w, const char *name, st_dtype dtype, int ndim, const int64_t *shape,
                  const void *data)
{
    return add_entry(w, name, dtype, ndim, shape, data, NULL, NULL);
}

int st_writer_add_fill(st_writer *w, const char *name, st_dtype dtype, int ndim,
                       const int64_t *shape, st_fill_fn fill, void *ctx)
{
    return fill ? add_entry(w, name, dtype, ndim, shape, NULL, fill, ctx) : -1;
}

int st_writer_meta(st_writer *w, const char *key, const char *value)
{
    if (!key || !value)
        return -1;
    for (int i = 0; i < w->meta_count; i++)
        if (strcmp(w->meta_keys[i], key) == 0) {
            char *v = strdup(value);
            if (!v)
                return -1;
            free(w->meta_values[i]);
            w->meta_values[i] = v;
            return 0;
        }
    if (w->meta_count == w->meta_cap) {
        int cap = w->meta_cap ? 2 * w->meta_cap : 8;
        char **k = realloc(w->meta_keys, (size_t)cap * sizeof *k);
        if (!k)
            return -1;
        w->meta_keys = k;
        char **v = realloc(w->meta_values, (size_t)cap * sizeof *v);
        if (!v)
            return -1;
        w->meta_values = v;
        w->meta_cap = cap;
    }
    char *k = strdup(key), *v = strdup(value);
    if (!k || !v) {
        free(k);
        free(v);
        return -1;
    }
    w->meta_keys[w->meta_count] = k;
    w->meta_values[w->meta_count] = v;
    w->meta_count++;
    return 0;
}

/* The JSON header padded with spaces to a multiple of 8 bytes. NULL when out of memory. */
static char *build_header(const st_writer *w, size_t *len)
{
    text t = {0};
    text_put(&t, "{", 1);
    int first = 1;
    if (w->meta_count > 0) {
        text_put(&t, "\"__metadata__\":{", 16);
        for (int i = 0; i < w->meta_count; i++) {
            if (i)
                text_put(&t, ",", 1);
            text_json_string(&t, w->meta_keys[i]);
            text_put(&t, ":", 1);
            text_json_string(&t, w->meta_values[i]);
        }
        text_put(&t, "}", 1);
        first = 0;
    }
    uint64_t offset = 0;
    for (int i = 0; i < w->count; i++) {
        const st_entry *e = &w->entries[i];
        if (!first)
            text_put(&t, ",", 1);
        first = 0;
        text_json_string(&t, e->name);
        text_printf(&t, ":{\"dtype\":\"%s\",\"shape\":[", st_dtype_name(e->dtype));
        for (int d = 0; d < e->ndim; d++)
            text_printf(&t, "%s%" PRId64, d ? "," : "", e->shape[d]);
        text_printf(&t, "],\"data_offsets\":[%" PRIu64 ",%" PRIu64 "]}", offset,
                    offset + (uint64_t)e->nbytes);
        offset += e->nbytes;
    }
    text_put(&t, "}", 1);
    while (!t.failed && t.len % 8 != 0)
        text_put(&t, " ", 1);
    if (t.failed) {
        free(t.s);
        return NULL;
    }
    *len = t.len;
    return t.s;
}

/* The tensors' bytes in order. Filled entries share one buffer the size of the largest, so a
 * file of filled tensors needs memory for one tensor, not for the whole file. */
static int write_entries(const st_writer *w, atomic_file *f)
{
    size_t largest = 0;
    for (int i = 0; i < w->count; i++)
        if (w->entries[i].fill && w->entries[i].nbytes > largest)
            largest = w->entries[i].nbytes;
    void *buf = largest ? malloc(largest) : NULL;
    if (largest && !buf) {
        eng_set_error(-1, "%s: out of memory (%zu bytes for one tensor)", f->path, largest);
        return -1;
    }
    int rc = 0;
    for (int i = 0; i < w->count && !rc; i++) {
        const st_entry *e = &w->entries[i];
        if (e->fill && (rc = e->fill(e->fill_ctx, buf, e->nbytes)) != 0) {
            eng_set_error(-1, "%s: %s", f->path, eng_last_error());
            break;
        }
        atomic_file_write(f, e->fill ? buf : e->data, e->nbytes);
    }
    free(buf);
    return rc ? -1 : 0;
}

int st_writer_save(st_writer *w, const char *path)
{
    size_t hlen = 0;
    char *header = build_header(w, &hlen);
    if (!header) {
        eng_set_error(-1, "%s: out of memory building the header", path);
        return -1;
    }
    atomic_file f;
    char err[512]; /* the base library's reasons, passed on */
    if (atomic_file_open(&f, path, err, sizeof err)) {
        free(header);
        return eng_set_error(-1, "%s", err);
    }
    uint8_t lenbytes[8];
    for (int i = 0; i < 8; i++)
        lenbytes[i] = (uint8_t)((uint64_t)hlen >> (8 * i));
    atomic_file_write(&f, lenbytes, 8);
    atomic_file_write(&f, header, hlen);
    free(header);
    if (write_entries(w, &f)) {
        atomic_file_abandon(&f);
        return -1;
    }
    return atomic_file_commit(&f, err, sizeof err) ? eng_set_error(-1, "%s", err) : 0;
}
