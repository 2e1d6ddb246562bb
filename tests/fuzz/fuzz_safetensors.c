/* libFuzzer target for the safetensors reader: header length, JSON, dtypes, shapes (including
 * products that overflow), offsets and truncated data. Any input must either parse or fail
 * with a reason; a parsed file's tensors must lie inside the buffer and convert to floats. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "engine/engine.h"
#include "engine/safetensors.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    eng_set_error(0, "%s", ""); /* cleared: a failure must give its own reason */
    st_file *f = st_parse(data, size);
    if (!f) {
        if (!strcmp(eng_last_error(), "no error"))
            abort(); /* a failure must come with a reason */
        return 0;
    }
    for (int i = 0; i < st_count(f); i++) {
        const st_tensor *t = st_get(f, i);
        if (st_find(f, t->name) != t)
            abort();
        /* Reading every byte makes ASan check the range lies inside the parsed buffer. */
        float *v = malloc(sizeof *v * (t->numel ? t->numel : 1));
        if (v) {
            st_to_f32(t, v);
            free(v);
        }
    }
    for (int i = 0; i < st_meta_count(f); i++)
        if (!st_meta(f, st_meta_key(f, i)))
            abort();
    st_close(f);
    return 0;
}
