/* libFuzzer target for torch.save files (engine/pth/pth.h): the zip archive (libzip), the
 * legacy layout, the pickles inside. Any input either reads as a table whose tensors lie in its
 * buffer and convert to floats, or is refused with one printable line. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "engine/engine.h"
#include "engine/pth/pth.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    eng_set_error(0, "%s", ""); /* cleared: a failure must give its own reason */
    st_file *f = pth_parse(data, size);
    if (!f) {
        const char *err = eng_last_error();
        if (!strcmp(err, "no error"))
            abort();
        for (const char *p = err; *p; p++)
            if (*p < 0x20 || *p > 0x7e)
                abort();
        return 0;
    }
    for (int i = 0; i < st_count(f); i++) {
        const st_tensor *t = st_get(f, i);
        if (st_find(f, t->name) != t)
            abort();
        /* Reading every value makes ASan check that the tensor lies inside the table. */
        float *v = malloc(sizeof *v * (t->numel ? t->numel : 1));
        if (v)
            st_to_f32(t, v);
        free(v);
    }
    st_close(f);
    return 0;
}
