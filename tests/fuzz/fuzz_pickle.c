/* libFuzzer target for the restricted unpickler (engine/formats/pth/pickle.h) and the state_dict
 * collection on top of it: any input either loads to a value or is refused with one printable
 * line; a loaded value is either a state_dict whose tensors lie inside their storages, or is
 * refused the same way, in both formats' persistent ids. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "engine/engine.h"
#include "engine/formats/pth/pickle.h"
#include "engine/formats/pth/pth_internal.h"
#include "fuzz_check.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_dict(const pth_dict *d)
{
    for (int i = 0; i < d->nentries; i++) {
        const pth_entry *e = &d->entries[i];
        if (e->storage < 0 || e->storage >= d->nstorages ||
            e->end > d->storages[e->storage].numel ||
            (e->numel && (e->offset > e->end || e->numel > e->end - e->offset)))
            abort();
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    pk_arena *a = pk_arena_new();
    size_t used = 0;
    eng_set_error(0, "%s", "");
    const pk_value *v = pk_load(a, data, size, &used);
    if (!v) {
        fuzz_check_reason(1);
    } else {
        if (!used || used > size)
            abort();
        for (int legacy = 0; legacy < 2; legacy++) {
            pth_dict d;
            eng_set_error(0, "%s", "");
            if (pth_collect(&d, v, legacy))
                fuzz_check_reason(1);
            else
                check_dict(&d);
            pth_dict_free(&d);
        }
    }
    pk_arena_free(a);
    return 0;
}
