/* libFuzzer target for pix2pix serve's request path: a request body to an image (as POST
 * /translate decodes it, at 8 or 16 bits) and the JSON error body of its reason. Any input
 * must decode or give a 4xx with a reason: no crash, leak, or undefined behaviour. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "app/serve/serve.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    image img;
    char err[512];
    /* The length's parity picks the bit depth (?bit_depth=16), so that both paths are fed. */
    int depth = size & 1 ? 16 : 8;
    /* A small pixel limit keeps memory bounded: the limit check itself is under test too. */
    int status = serve_body_image(data, size, 1 << 22, depth, &img, err, sizeof err);
    if (status == 0) {
        image_free(&img);
        return 0;
    }
    if (status < 400 || status > 499 || !err[0])
        abort();
    char *json = serve_error_json(status, err);
    if (!json || !strstr(json, "\"error\""))
        abort();
    free(json);
    return 0;
}
