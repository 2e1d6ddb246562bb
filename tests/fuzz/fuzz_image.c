/* libFuzzer target for the image decoders (JPEG, PNG, EXIF orientation). Any input must
 * either decode or fail with a reason: no crash, leak, or undefined behaviour. */
#include <stddef.h>
#include <stdint.h>

#include "datasets/image.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    image img;
    char err[256];
    /* A small pixel limit keeps memory bounded: the limit check itself is under test too. */
    if (image_decode(data, size, 1 << 22, &img, err, sizeof err) == 0)
        image_free(&img);
    image_exif_orientation(data, size);
    return 0;
}
