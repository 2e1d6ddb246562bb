/* libFuzzer target for the safetensors reader: header length, JSON, dtypes, shapes (including
 * products that overflow), offsets and truncated data. Any input must either parse or fail
 * with a reason; a parsed file's tensors must lie inside the buffer and convert to floats. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "engine/engine.h"
#include "engine/safetensors.h"
#include "fuzz_check.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    eng_set_error(0, "%s", ""); /* cleared: a failure must give its own reason */
    st_file *f = fuzz_check_parsed(st_parse(data, size), 0);
    for (int i = 0; f && i < st_meta_count(f); i++)
        if (!st_meta(f, st_meta_key(f, i)))
            abort();
    st_close(f);
    return 0;
}
