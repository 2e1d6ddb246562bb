/* torch.save's legacy format (before PyTorch 1.6, or _use_new_zipfile_serialization=False):
 * five pickles one after another (the magic number, the protocol version 1001, the system
 * info, the object, the list of storage keys), then for each key in that order its element
 * count (int64, little-endian) and its bytes. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/engine.h"
#include "engine/formats/pth/pth_internal.h"
#include "engine/formats/safetensors_internal.h"

/* LONG1 of 10 bytes 0x1950a86a20f9469cfc6c, STOP: the magic number pickle after its PROTO. */
static const uint8_t magic[] = {0x8a, 0x0a, 0x6c, 0xfc, 0x9c, 0x46, 0xf9,
                                0x20, 0x6a, 0xa8, 0x50, 0x19, 0x2e};

size_t pth_legacy_magic(const uint8_t *buf, size_t size)
{
    size_t at = 2;
    if (size < at || buf[0] != 0x80 || buf[1] < 2 || buf[1] > 5)
        return 0;
    if (size > at && buf[at] == 0x95) /* protocols 4 and 5 frame it */
        at += 9;
    return size >= at + sizeof magic && !memcmp(buf + at, magic, sizeof magic) ? at + sizeof magic
                                                                               : 0;
}

typedef struct {
    const uint8_t *buf;
    size_t size, pos;
    pk_arena *a;
} reader;

static const pk_value *next_pickle(reader *r, const char *what)
{
    size_t used;
    const pk_value *v = pk_load(r->a, r->buf + r->pos, r->size - r->pos, &used);
    if (!v) {
        /* the state_dict's own refusals stand alone, as the zip format's do */
        const char *why = eng_last_error();
        int refusal = !strncmp(why, "refused", 7);
        eng_set_error(-1, "%s%s%s", refusal ? "" : what, refusal ? "" : ": ", why);
        return NULL;
    }
    r->pos += used;
    return v;
}

/* Magic number, protocol version and a little-endian machine. */
static int read_header(reader *r)
{
    r->pos = pth_legacy_magic(r->buf, r->size);
    if (!r->pos) {
        eng_set_error(-1, "not a torch.save file: no magic number");
        return -1;
    }
    const pk_value *version = next_pickle(r, "protocol version");
    if (!version)
        return -1;
    if (version->kind != PK_INT || version->i != 1001) {
        eng_set_error(-1, "legacy torch.save file of protocol %lld, not 1001",
                      version->kind == PK_INT ? (long long)version->i : -1LL);
        return -1;
    }
    const pk_value *info = next_pickle(r, "system info");
    if (!info)
        return -1;
    const pk_value *little = pk_dict_get(info, "little_endian");
    if (!little || little->kind != PK_BOOL || !little->i) {
        eng_set_error(-1, "written on a big-endian machine (or no system info): not "
                          "supported");
        return -1;
    }
    return 0;
}

static int find_storage(const pth_dict *d, const char *key)
{
    for (int i = 0; i < d->nstorages; i++)
        if (!strcmp(d->storages[i].key, key))
            return i;
    return -1;
}

/* Points each storage at its bytes in the records after the keys. */
static int read_records(reader *r, pth_dict *d, const pk_value *keys)
{
    if (keys->kind != PK_LIST) {
        eng_set_error(-1, "corrupt: the storage keys are %s, not a list", pk_kind_name(keys->kind));
        return -1;
    }
    char k[64];
    for (size_t i = 0; i < keys->n; i++) {
        const pk_value *key = keys->items[i];
        int s = key->kind == PK_STR ? find_storage(d, key->s) : -1;
        pth_storage *st = s >= 0 ? &d->storages[s] : NULL;
        if (!st || st->data) {
            eng_set_error(-1, "corrupt: storage key %s is %s",
                          key->kind == PK_STR ? pk_printable(key->s, k, sizeof k) : "?",
                          st ? "listed twice" : "used by no tensor");
            return -1;
        }
        size_t esize = st_dtype_size(st->dtype), left = r->size - r->pos;
        uint64_t count = 0;
        for (int b = 0; b < 8 && left >= 8; b++)
            count |= (uint64_t)r->buf[r->pos + b] << (8 * b);
        pk_printable(key->s, k, sizeof k);
        if (left >= 8 && count != st->numel) {
            eng_set_error(-1,
                          "corrupt: storage %s holds %llu elements but the tensor "
                          "needs %zu",
                          k, (unsigned long long)count, st->numel);
            return -1;
        }
        if (left < 8 || st->numel > (left - 8) / esize) {
            eng_set_error(-1,
                          "truncated: storage %s should hold %zu elements of %zu "
                          "bytes, %zu bytes are left",
                          k, st->numel, esize, left);
            return -1;
        }
        st->data = r->buf + r->pos + 8;
        r->pos += 8 + st->numel * esize;
    }
    for (int s = 0; s < d->nstorages; s++)
        if (!d->storages[s].data) {
            eng_set_error(-1,
                          "corrupt: storage %s is not in the file's list of storage "
                          "keys",
                          pk_printable(d->storages[s].key, k, sizeof k));
            return -1;
        }
    return 0;
}

st_file *pth_parse_legacy(const uint8_t *buf, size_t size)
{
    reader r = {buf, size, 0, pk_arena_new()};
    if (!r.a) {
        eng_set_error(-1, "out of memory");
        return NULL;
    }
    pth_dict d = {0};
    st_file *f = NULL;
    const pk_value *obj = NULL, *keys = NULL;
    if (!read_header(&r) && (obj = next_pickle(&r, "state_dict")) && !pth_collect(&d, obj, 1) &&
        (keys = next_pickle(&r, "storage keys")) && !read_records(&r, &d, keys))
        f = pth_build(&d, NULL, NULL);
    pth_dict_free(&d);
    pk_arena_free(r.a);
    return f;
}
