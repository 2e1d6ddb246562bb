/* A restricted unpickler for PyTorch state_dicts (torch.save's data.pkl, and the pickles of the
 * legacy format). It builds values and never runs anything: the only globals it accepts are
 * collections.OrderedDict, torch._utils._rebuild_tensor_v2 (and _rebuild_tensor, of files saved
 * before PyTorch 0.4) and the storage types; the only calls it evaluates are OrderedDict() and
 * those rebuilds, which it records as tensors. Any other opcode or global is refused with one
 * line naming it. Knows nothing of any network. */
#ifndef ENGINE_PTH_PICKLE_H
#define ENGINE_PTH_PICKLE_H

#include <stddef.h>
#include <stdint.h>

#include "engine/safetensors.h"

typedef enum {
    PK_NONE, PK_BOOL, PK_INT, PK_FLOAT, PK_STR, PK_TUPLE, PK_LIST, PK_DICT, PK_GLOBAL,
    PK_PERSID, PK_TENSOR
} pk_kind;

typedef struct pk_value pk_value;

/* A tensor as _rebuild_tensor_v2 would make it: where its elements lie in a storage. */
typedef struct {
    const pk_value *storage; /* the storage's persistent id (a PK_PERSID) */
    int64_t offset;          /* in elements */
    int ndim;
    int64_t size[ST_MAX_DIMS], stride[ST_MAX_DIMS];
} pk_tensor;

struct pk_value {
    pk_kind kind;
    int64_t i;        /* PK_BOOL, PK_INT */
    double f;         /* PK_FLOAT */
    char *s;          /* PK_STR (text or bytes, NUL-terminated; len bytes), PK_GLOBAL
                       * ("module.name") */
    size_t len;
    pk_value **items; /* PK_TUPLE, PK_LIST: n items; PK_DICT: n pairs, key then value;
                       * PK_PERSID: one, the id the pickler gave */
    size_t n, cap;
    pk_tensor t;      /* PK_TENSOR */
};

/* What one pickle may hold: past these limits a pickle is refused, naming the limit, before
 * it makes us hold more than some 35 MB (a value takes about 250 bytes). Measured on the
 * reference's networks saved by torch.save: a unet_256 G (82 tensors) pushes 1979 values, at
 * most 172 on the stack at once, 3 nested MARKs, 771 memo entries, strings of at most 89
 * bytes; a resnet_64blocks G (800 tensors, the largest network pix2pix builds) 19191 values,
 * 1608 on the stack, 7467 memo entries. The limits leave 20 to 700 times a unet_256's needs,
 * and 6 to 20 times a resnet_64blocks'. */
#define PK_MAX_PUSHES (1u << 17) /* values pushed in all (GETs of the memo included) */
#define PK_MAX_STACK (1u << 15)  /* values on the stack at once */
#define PK_MAX_MARKS 64u         /* MARKs open at once */
#define PK_MAX_MEMO (1u << 17)   /* memo entries */
#define PK_MAX_STRING (1u << 16) /* bytes of one string (a key is under 100) */

/* Owns every value of the pickles loaded into it. */
typedef struct pk_arena pk_arena;
pk_arena *pk_arena_new(void);
void pk_arena_free(pk_arena *a);

/* Runs the pickle at buf to its STOP and returns what it built; *used gets the pickle's length
 * (a legacy file holds several one after another). NULL with a one-line reason when the pickle
 * is refused ("refused: ...") or corrupt. */
const pk_value *pk_load(pk_arena *a, const uint8_t *buf, size_t size, size_t *used);

/* A dict's value under a string key (NULL when absent, or d is not a dict). */
const pk_value *pk_dict_get(const pk_value *d, const char *key);
/* "a dict", "an int", ... for messages. */
const char *pk_kind_name(pk_kind k);
/* The dtype of a storage type global (torch.FloatStorage...); -1 for any other name. */
int pk_storage_dtype(const char *global, st_dtype *dtype);
/* s with bytes outside printable ASCII replaced by '?' and cut to fit out: a file's text goes
 * into one-line messages. */
const char *pk_printable(const char *s, char *out, size_t outlen);

#endif
