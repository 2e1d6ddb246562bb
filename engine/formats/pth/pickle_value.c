/* The unpickler's values: their arena, containers and the helpers messages use (opcode names
 * among them). */
#include <stdlib.h>
#include <string.h>

#include "engine/formats/pth/pickle.h"
#include "engine/formats/pth/pickle_internal.h"

struct pk_arena {
    pk_value **values;
    size_t n, cap;
};

pk_arena *pk_arena_new(void)
{
    return calloc(1, sizeof(pk_arena));
}

void pk_arena_free(pk_arena *a)
{
    if (!a)
        return;
    for (size_t i = 0; i < a->n; i++) {
        free(a->values[i]->s);
        free(a->values[i]->items);
        free(a->values[i]);
    }
    free(a->values);
    free(a);
}

pk_value *pk_new(pk_arena *a, pk_kind kind)
{
    if (a->n == a->cap) {
        size_t cap = a->cap ? 2 * a->cap : 256;
        pk_value **v = realloc(a->values, cap * sizeof *v);
        if (!v)
            return NULL;
        a->values = v;
        a->cap = cap;
    }
    pk_value *v = calloc(1, sizeof *v);
    if (v) {
        v->kind = kind;
        a->values[a->n++] = v;
    }
    return v;
}

int pk_append(pk_value *c, pk_value *item)
{
    if (c->n == c->cap) {
        size_t cap = c->cap ? 2 * c->cap : 4;
        pk_value **items = realloc(c->items, cap * sizeof *items);
        if (!items)
            return -1;
        c->items = items;
        c->cap = cap;
    }
    c->items[c->n++] = item;
    return 0;
}

const pk_value *pk_dict_get(const pk_value *d, const char *key)
{
    if (!d || d->kind != PK_DICT)
        return NULL;
    for (size_t i = 0; i + 1 < d->n; i += 2)
        if (d->items[i]->kind == PK_STR && !strcmp(d->items[i]->s, key))
            return d->items[i + 1];
    return NULL;
}

const char *pk_kind_name(pk_kind k)
{
    static const char *const names[] = {"None", "a bool", "an int", "a float", "a string",
                                        "a tuple", "a list", "a dict", "a global",
                                        "a persistent id", "a tensor"};
    return (unsigned)k < sizeof names / sizeof *names ? names[k] : "a value";
}

static const struct {
    const char *name;
    st_dtype dtype;
} storage_types[] = {
    {"torch.FloatStorage", ST_F32}, {"torch.HalfStorage", ST_F16},
    {"torch.BFloat16Storage", ST_BF16}, {"torch.DoubleStorage", ST_F64},
    {"torch.LongStorage", ST_I64}, {"torch.IntStorage", ST_I32},
    {"torch.ByteStorage", ST_U8}, {"torch.BoolStorage", ST_BOOL},
};

int pk_storage_dtype(const char *global, st_dtype *dtype)
{
    for (size_t i = 0; i < sizeof storage_types / sizeof *storage_types; i++)
        if (!strcmp(global, storage_types[i].name)) {
            *dtype = storage_types[i].dtype;
            return 0;
        }
    return -1;
}

const char *pk_printable(const char *s, char *out, size_t outlen)
{
    size_t n = 0;
    for (; s[n] && n + 1 < outlen; n++)
        out[n] = s[n] >= 0x20 && s[n] < 0x7f ? s[n] : '?';
    if (outlen)
        out[n < outlen ? n : outlen - 1] = '\0';
    return out;
}

static const struct {
    uint8_t code;
    const char *name;
} opnames[] = {
    {'(', "MARK"}, {'.', "STOP"}, {'0', "POP"}, {'1', "POP_MARK"}, {'2', "DUP"},
    {'F', "FLOAT"}, {'I', "INT"}, {'J', "BININT"}, {'K', "BININT1"}, {'L', "LONG"},
    {'M', "BININT2"}, {'N', "NONE"}, {'P', "PERSID"}, {'Q', "BINPERSID"}, {'R', "REDUCE"},
    {'S', "STRING"}, {'T', "BINSTRING"}, {'U', "SHORT_BINSTRING"}, {'V', "UNICODE"},
    {'X', "BINUNICODE"}, {'a', "APPEND"}, {'b', "BUILD"}, {'c', "GLOBAL"}, {'d', "DICT"},
    {'}', "EMPTY_DICT"}, {'e', "APPENDS"}, {'g', "GET"}, {'h', "BINGET"}, {'i', "INST"},
    {'j', "LONG_BINGET"}, {'l', "LIST"}, {']', "EMPTY_LIST"}, {'o', "OBJ"}, {'p', "PUT"},
    {'q', "BINPUT"}, {'r', "LONG_BINPUT"}, {'s', "SETITEM"}, {'t', "TUPLE"},
    {')', "EMPTY_TUPLE"}, {'u', "SETITEMS"}, {'G', "BINFLOAT"}, {0x80, "PROTO"},
    {0x81, "NEWOBJ"}, {0x82, "EXT1"}, {0x83, "EXT2"}, {0x84, "EXT4"}, {0x85, "TUPLE1"},
    {0x86, "TUPLE2"}, {0x87, "TUPLE3"}, {0x88, "NEWTRUE"}, {0x89, "NEWFALSE"},
    {0x8a, "LONG1"}, {0x8b, "LONG4"}, {'B', "BINBYTES"}, {'C', "SHORT_BINBYTES"},
    {0x8c, "SHORT_BINUNICODE"}, {0x8d, "BINUNICODE8"}, {0x8e, "BINBYTES8"},
    {0x8f, "EMPTY_SET"}, {0x90, "ADDITEMS"}, {0x91, "FROZENSET"}, {0x92, "NEWOBJ_EX"},
    {0x93, "STACK_GLOBAL"}, {0x94, "MEMOIZE"}, {0x95, "FRAME"}, {0x96, "BYTEARRAY8"},
    {0x97, "NEXT_BUFFER"}, {0x98, "READONLY_BUFFER"},
};

const char *pk_op_name(uint8_t op)
{
    for (size_t i = 0; i < sizeof opnames / sizeof *opnames; i++)
        if (opnames[i].code == op)
            return opnames[i].name;
    return NULL;
}
