/* Translating one image file with a loaded generator (used by translate, test and demo). */
#ifndef APP_TRANSLATE_H
#define APP_TRANSLATE_H

#include <stddef.h>

#include "app/generator.h"
#include "datasets/image.h"

/* The output has the input's size. Default: the image is resized (bicubic) to the model's
 * size, translated, and the result resized back; full_res: translated at its own size,
 * mirror-padded to a multiple of the network stride and cropped back. */
int translate_image(generator *r, const image *in, int full_res, image *out, char *err,
                    size_t errlen);

#endif
