/* The unpickler's machine: the opcodes of pickle protocols 2 to 5 that a state_dict uses, a
 * stack with marks, the memo. Everything else is refused, naming the opcode. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/engine.h"
#include "engine/formats/pth/pickle.h"
#include "engine/formats/pth/pickle_internal.h"

typedef struct {
    pk_arena *a;
    const uint8_t *buf;
    size_t size, pos, op_at; /* op_at: where the current opcode is */
    uint8_t op;
    pk_value **stack;
    size_t sp, stack_cap;
    size_t pushes; /* values pushed so far, each new one among them */
    size_t *marks; /* stack heights at each MARK */
    size_t nmarks, marks_cap;
    pk_value **memo;
    size_t memo_cap, memo_count;
} vm;

static int corrupt(vm *m, const char *what)
{
    return eng_set_error(-1, "corrupt pickle: %s at byte %zu (%s)", what, m->op_at,
                         pk_op_name(m->op));
}

/* The next n bytes of the pickle. */
static const uint8_t *take(vm *m, size_t n)
{
    if (m->size - m->pos < n) {
        eng_set_error(-1, "truncated pickle: %s at byte %zu needs %zu bytes, %zu are left",
                      pk_op_name(m->op), m->op_at, n, m->size - m->pos);
        return NULL;
    }
    m->pos += n;
    return m->buf + m->pos - n;
}

/* An n-byte little-endian unsigned integer. */
static int take_uint(vm *m, size_t n, uint64_t *v)
{
    const uint8_t *p = take(m, n);
    if (!p)
        return -1;
    *v = 0;
    for (size_t i = 0; i < n; i++)
        *v |= (uint64_t)p[i] << (8 * i);
    return 0;
}

static int grow(void **array, size_t *cap, size_t need, size_t elem)
{
    if (need <= *cap)
        return 0;
    size_t c = *cap ? *cap : 64;
    while (c < need)
        c *= 2;
    void *p = realloc(*array, c * elem);
    if (!p)
        return -1;
    memset((char *)p + *cap * elem, 0, (c - *cap) * elem);
    *array = p;
    *cap = c;
    return 0;
}

/* Refuses what no state_dict needs (the limits of pickle.h). */
static int over_limit(vm *m, const char *what, unsigned limit)
{
    return eng_set_error(-1,
                         "refused: more than %u %s at byte %zu (%s): a state_dict needs far fewer",
                         limit, what, m->op_at, pk_op_name(m->op));
}

static int push(vm *m, pk_value *v)
{
    if (v && ++m->pushes > PK_MAX_PUSHES)
        return over_limit(m, "values pushed by the pickle", PK_MAX_PUSHES);
    if (v && m->sp == PK_MAX_STACK)
        return over_limit(m, "values on the pickle's stack", PK_MAX_STACK);
    if (!v || grow((void **)&m->stack, &m->stack_cap, m->sp + 1, sizeof *m->stack))
        return eng_set_error(-1, "out of memory");
    m->stack[m->sp++] = v;
    return 0;
}

/* The stack's floor: values below the last MARK belong to an enclosing container. */
static size_t fence(const vm *m)
{
    return m->nmarks ? m->marks[m->nmarks - 1] : 0;
}

static pk_value *pop(vm *m)
{
    if (m->sp <= fence(m)) {
        corrupt(m, "stack underflow");
        return NULL;
    }
    return m->stack[--m->sp];
}

static pk_value *top(vm *m)
{
    if (m->sp <= fence(m)) {
        corrupt(m, "stack underflow");
        return NULL;
    }
    return m->stack[m->sp - 1];
}

/* Ends the last MARK: *start gets the stack height it recorded. */
static int pop_mark(vm *m, size_t *start)
{
    if (!m->nmarks)
        return corrupt(m, "no MARK");
    *start = m->marks[--m->nmarks];
    return 0;
}

static pk_value *new_value(vm *m, pk_kind kind)
{
    pk_value *v = pk_new(m->a, kind);
    if (!v)
        eng_set_error(-1, "out of memory");
    return v;
}

static int push_int(vm *m, int64_t i)
{
    pk_value *v = new_value(m, PK_INT);
    if (v)
        v->i = i;
    return push(m, v);
}

/* LONG1 / LONG4: n bytes of two's complement, little-endian; a state_dict's fit 64 bits. */
static int push_long(vm *m, uint64_t n)
{
    if (n > 8)
        return eng_set_error(-1,
                             "refused: an integer of %llu bytes at byte %zu (more than 64 bits)",
                             (unsigned long long)n, m->op_at);
    const uint8_t *p = take(m, (size_t)n);
    if (!p)
        return -1;
    uint64_t u = 0;
    for (size_t i = 0; i < n; i++)
        u |= (uint64_t)p[i] << (8 * i);
    if (n && n < 8 && (p[n - 1] & 0x80))
        u |= ~(uint64_t)0 << (8 * n);
    int64_t i;
    memcpy(&i, &u, sizeof i);
    return push_int(m, i);
}

static int op_number(vm *m)
{
    uint64_t u;
    switch (m->op) {
    case 'J': {
        if (take_uint(m, 4, &u))
            return -1;
        int32_t i;
        uint32_t w = (uint32_t)u;
        memcpy(&i, &w, sizeof i);
        return push_int(m, i);
    }
    case 'K': return take_uint(m, 1, &u) ? -1 : push_int(m, (int64_t)u);
    case 'M': return take_uint(m, 2, &u) ? -1 : push_int(m, (int64_t)u);
    case 0x8a: return take_uint(m, 1, &u) ? -1 : push_long(m, u);
    case 0x8b: return take_uint(m, 4, &u) ? -1 : push_long(m, u);
    default: { /* 'G': a big-endian double */
        const uint8_t *p = take(m, 8);
        if (!p)
            return -1;
        uint64_t bits = 0;
        for (int i = 0; i < 8; i++)
            bits = bits << 8 | p[i];
        pk_value *v = new_value(m, PK_FLOAT);
        if (v)
            memcpy(&v->f, &bits, sizeof v->f);
        return push(m, v);
    }
    }
}

static pk_value *new_string(vm *m, const uint8_t *p, size_t n)
{
    pk_value *v = new_value(m, PK_STR);
    if (v && !(v->s = malloc(n + 1))) {
        eng_set_error(-1, "out of memory");
        return NULL;
    }
    if (v) {
        memcpy(v->s, p, n);
        v->s[n] = '\0';
        v->len = n;
    }
    return v;
}

/* Text and bytes of every width, as strings. */
static int op_string(vm *m)
{
    size_t width = m->op == 'X' || m->op == 'B' || m->op == 'T' ? 4
                   : m->op == 0x8d || m->op == 0x8e           ? 8
                                                              : 1;
    uint64_t n;
    if (take_uint(m, width, &n))
        return -1;
    if (m->op == 'T' && n >> 31) /* BINSTRING's length is signed */
        return corrupt(m, "negative string length");
    if (n > PK_MAX_STRING)
        return over_limit(m, "bytes in a string", PK_MAX_STRING);
    const uint8_t *p = take(m, (size_t)n);
    return p ? push(m, new_string(m, p, (size_t)n)) : -1;
}

/* TUPLE (from the last MARK), EMPTY_TUPLE, TUPLE1..3. */
static int op_tuple(vm *m)
{
    size_t start = 0;
    if (m->op == 't') {
        if (pop_mark(m, &start))
            return -1;
    } else {
        size_t n = m->op == ')' ? 0 : (size_t)(m->op - 0x84);
        if (m->sp - fence(m) < n)
            return corrupt(m, "stack underflow");
        start = m->sp - n;
    }
    pk_value *t = new_value(m, PK_TUPLE);
    for (size_t i = start; t && i < m->sp; i++)
        if (pk_append(t, m->stack[i]))
            return eng_set_error(-1, "out of memory");
    m->sp = start;
    return push(m, t);
}

/* APPEND(S) into a list, SETITEM(S) into a dict: the items above the last MARK, or the top one
 * or two values. */
static int op_fill(vm *m)
{
    int many = m->op == 'e' || m->op == 'u';
    size_t start = m->sp - (m->op == 's' ? 2 : 1); /* wraps when too few: refused below */
    if (many && pop_mark(m, &start))
        return -1;
    if (m->sp < start || start <= fence(m)) /* the container is above the fence too */
        return corrupt(m, "stack underflow");
    pk_value *c = m->stack[start - 1];
    int dict = m->op == 's' || m->op == 'u';
    if (c->kind != (dict ? PK_DICT : PK_LIST))
        return corrupt(m, dict ? "items set on a value that is not a dict"
                               : "items appended to a value that is not a list");
    if (dict && (m->sp - start) % 2)
        return corrupt(m, "a key without a value");
    for (size_t i = start; i < m->sp; i++)
        if (pk_append(c, m->stack[i]))
            return eng_set_error(-1, "out of memory");
    m->sp = start;
    return 0;
}

static int memo_put(vm *m, uint64_t index)
{
    pk_value *v = top(m);
    if (!v)
        return -1;
    /* A pickle numbers its memo entries in order: an index past its length is forged. */
    if (index >= m->size)
        return corrupt(m, "memo index past the pickle's length");
    if (index >= PK_MAX_MEMO)
        return over_limit(m, "memo entries", PK_MAX_MEMO);
    if (grow((void **)&m->memo, &m->memo_cap, (size_t)index + 1, sizeof *m->memo))
        return eng_set_error(-1, "out of memory");
    m->memo_count += !m->memo[index];
    m->memo[index] = v;
    return 0;
}

static int op_memo(vm *m)
{
    uint64_t index = m->memo_count;
    if (m->op != 0x94 && take_uint(m, m->op == 'q' || m->op == 'h' ? 1 : 4, &index))
        return -1;
    if (m->op == 'q' || m->op == 'r' || m->op == 0x94)
        return memo_put(m, index);
    if (index >= m->memo_cap || !m->memo[index])
        return corrupt(m, "memo entry read before it is set");
    return push(m, m->memo[index]);
}

/* GLOBAL "module\nname\n" or STACK_GLOBAL (module and name on the stack): only the names of
 * pickle_calls.c are loaded. */
static int op_global(vm *m)
{
    char name[512];
    if (m->op == 'c') {
        const uint8_t *p = m->buf + m->pos, *nl1, *nl2 = NULL;
        size_t left = m->size - m->pos;
        nl1 = memchr(p, '\n', left);
        if (nl1)
            nl2 = memchr(nl1 + 1, '\n', left - (size_t)(nl1 + 1 - p));
        if (!nl2)
            return eng_set_error(-1, "truncated pickle: GLOBAL at byte %zu has no name", m->op_at);
        if (memchr(p, '\0', (size_t)(nl2 - p)))
            return corrupt(m, "a NUL byte in a global's name");
        snprintf(name, sizeof name, "%.*s.%.*s", (int)(nl1 - p), (const char *)p,
                 (int)(nl2 - nl1 - 1), (const char *)nl1 + 1);
        m->pos += (size_t)(nl2 + 1 - p);
    } else {
        pk_value *n = pop(m), *mod = n ? pop(m) : NULL;
        if (!mod)
            return -1;
        if (n->kind != PK_STR || mod->kind != PK_STR || strlen(n->s) != n->len ||
            strlen(mod->s) != mod->len)
            return corrupt(m, "a global named by a value that is not a string");
        snprintf(name, sizeof name, "%s.%s", mod->s, n->s);
    }
    char shown[128];
    if (pk_global_allowed(name))
        return eng_set_error(-1, "refused: pickle global %s is not part of a state_dict",
                             pk_printable(name, shown, sizeof shown));
    pk_value *g = new_value(m, PK_GLOBAL);
    if (g && !(g->s = strdup(name)))
        return eng_set_error(-1, "out of memory");
    return push(m, g);
}

/* REDUCE, BUILD and BINPERSID: calls and ids, which values only record. */
static int op_object(vm *m)
{
    pk_value *arg = pop(m), *v = NULL;
    if (!arg)
        return -1;
    if (m->op == 'Q') {
        v = new_value(m, PK_PERSID);
        if (v && pk_append(v, arg))
            return eng_set_error(-1, "out of memory");
        return push(m, v);
    }
    pk_value *obj = pop(m);
    if (!obj)
        return -1;
    if (m->op == 'R')
        return (v = pk_call(m->a, obj, arg)) ? push(m, v) : -1;
    /* BUILD: an OrderedDict's attributes (a state_dict's _metadata), not needed */
    if (obj->kind != PK_DICT)
        return eng_set_error(-1, "refused: pickle BUILD of %s is not part of a state_dict",
                             pk_kind_name(obj->kind));
    return push(m, obj);
}

/* Opcodes that take no argument bytes (or only PROTO's and FRAME's). */
static int op_simple(vm *m)
{
    uint64_t u;
    switch (m->op) {
    case 0x80:
        if (take_uint(m, 1, &u))
            return -1;
        return u <= 5 ? 0 : eng_set_error(-1, "unsupported pickle protocol %u", (unsigned)u);
    case 0x95: return take_uint(m, 8, &u); /* FRAME: a length hint */
    case '(':
        if (m->nmarks == PK_MAX_MARKS)
            return over_limit(m, "nested MARKs", PK_MAX_MARKS);
        if (grow((void **)&m->marks, &m->marks_cap, m->nmarks + 1, sizeof *m->marks))
            return eng_set_error(-1, "out of memory");
        m->marks[m->nmarks++] = m->sp;
        return 0;
    case '0': return pop(m) ? 0 : -1;
    case '1': {
        size_t start = 0;
        if (pop_mark(m, &start))
            return -1;
        m->sp = start;
        return 0;
    }
    case 'N': return push(m, new_value(m, PK_NONE));
    case ']': return push(m, new_value(m, PK_LIST));
    case '}': return push(m, new_value(m, PK_DICT));
    default: { /* NEWTRUE, NEWFALSE */
        pk_value *v = new_value(m, PK_BOOL);
        if (v)
            v->i = m->op == 0x88;
        return push(m, v);
    }
    }
}

static int step(vm *m)
{
    switch (m->op) {
    case 'J': case 'K': case 'M': case 0x8a: case 0x8b: case 'G': return op_number(m);
    case 'X': case 0x8c: case 0x8d: case 'T': case 'U': case 'B': case 'C': case 0x8e:
        return op_string(m);
    case 't': case ')': case 0x85: case 0x86: case 0x87: return op_tuple(m);
    case 'a': case 'e': case 's': case 'u': return op_fill(m);
    case 'q': case 'r': case 0x94: case 'h': case 'j': return op_memo(m);
    case 'c': case 0x93: return op_global(m);
    case 'R': case 'b': case 'Q': return op_object(m);
    case 0x80: case 0x95: case '(': case '0': case '1': case 'N': case ']': case '}':
    case 0x88: case 0x89:
        return op_simple(m);
    }
    if (pk_op_name(m->op))
        return eng_set_error(-1,
                             "refused: pickle opcode %s at byte %zu is not part of a state_dict",
                             pk_op_name(m->op), m->op_at);
    return eng_set_error(-1, "corrupt pickle: byte 0x%02x at %zu is not an opcode", m->op,
                         m->op_at);
}

const pk_value *pk_load(pk_arena *a, const uint8_t *buf, size_t size, size_t *used)
{
    vm m = {.a = a, .buf = buf, .size = size};
    pk_value *result = NULL;
    int rc = 0;
    while (!rc) {
        m.op_at = m.pos;
        if (m.pos >= m.size) {
            rc = eng_set_error(-1, "truncated pickle: no STOP in %zu bytes", size);
            break;
        }
        m.op = buf[m.pos++];
        if (m.op == '.') {
            result = pop(&m); /* values left below it are ignored, as Python does */
            break;
        }
        rc = step(&m);
    }
    free(m.stack);
    free(m.marks);
    free(m.memo);
    if (result)
        *used = m.pos;
    return result;
}
