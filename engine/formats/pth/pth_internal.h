/* Shared by the readers of the two torch.save formats: the state_dict's tensors and the
 * storages they use, collected from the unpickled object, then the table built from them. */
#ifndef ENGINE_PTH_PTH_INTERNAL_H
#define ENGINE_PTH_PTH_INTERNAL_H

#include "engine/formats/pth/pickle.h"
#include "engine/safetensors.h"

typedef struct {
    const char *key;     /* its key in the file */
    st_dtype dtype;      /* as stored */
    size_t numel;
    const uint8_t *data; /* numel elements, set by the format's reader */
} pth_storage;

typedef struct {
    const char *name;    /* the state_dict key */
    int storage;
    size_t offset, end;  /* elements offset..offset+numel of the storage, inside offset..end */
    int ndim;
    int64_t shape[ST_MAX_DIMS];
    size_t numel;
} pth_entry;

typedef struct {
    pth_storage *storages;
    pth_entry *entries;
    int nstorages, nentries;
} pth_dict;

/* The tensors of the state_dict obj (or obj["state_dict"]). legacy: persistent ids are the
 * legacy format's, with view metadata. Names and keys point into obj's arena. */
int pth_collect(pth_dict *d, const pk_value *obj, int legacy);
void pth_dict_free(pth_dict *d);

/* Sets the data of storage index, valid until the next call (NULL when every storage's data is
 * set beforehand). */
typedef int (*pth_loader)(void *ctx, pth_storage *s, int index);
/* The table: each tensor's elements copied out of its storage, floats converted to F32. The
 * reader has checked every storage's size against its data before. */
st_file *pth_build(const pth_dict *d, pth_loader load, void *ctx);

st_file *pth_parse_zip(const uint8_t *buf, size_t size);
st_file *pth_parse_legacy(const uint8_t *buf, size_t size);
/* The length of the legacy format's first pickle (the magic number) at buf; 0 if absent. */
size_t pth_legacy_magic(const uint8_t *buf, size_t size);

#endif
