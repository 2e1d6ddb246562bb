/* A request body to an image: decoded as translate reads a file (PNG or JPEG told by content;
 * grey and alpha kept; 16-bit samples with depth 16), refused before decoding past
 * max_pixels, with the reason translate prints after the file's path. */
#include <string.h>

#include "app/serve/serve.h"

int serve_body_image(const uint8_t *data, size_t size, long long max_pixels, int depth,
                     image *out, char *err, size_t errlen)
{
    int keep = IMAGE_KEEP_GRAY | IMAGE_KEEP_ALPHA | (depth == 16 ? IMAGE_KEEP_16BIT : 0);
    if (image_decode_as(data, size, max_pixels, keep, out, err, errlen) == 0)
        return 0;
    return strstr(err, "above the limit")  ? 413
           : strstr(err, "not a JPEG or PNG") ? 415
                                              : 400;
}
