/* libFuzzer target for torch.save files (engine/pth/pth.h): the zip archive (libzip), the
 * legacy layout, the pickles inside. Any input either reads as a table whose tensors lie in its
 * buffer and convert to floats, or is refused with one printable line. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "engine/engine.h"
#include "engine/pth/pth.h"
#include "fuzz_check.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    eng_set_error(0, "%s", ""); /* cleared: a failure must give its own reason */
    st_close(fuzz_check_parsed(pth_parse(data, size), 1));
    return 0;
}
