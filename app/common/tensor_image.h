/* Images <-> network tensors: pixels and [1, C, H, W] floats in [-1, 1] (the reference's
 * ToTensor + Normalize(0.5, 0.5), and tensor2im on the way back). Images of 1 to 4 channels
 * (alpha last) and 8 or 16 bits are read; the network sees alpha composited on white. */
#ifndef APP_TENSOR_IMAGE_H
#define APP_TENSOR_IMAGE_H

#include <stddef.h>

#include "datasets/image.h"

/* The network input (channels 3: RGB, grey replicated; 1: luma as PIL's convert('L')) for the
 * w x h region of img at (x0, y0), mirrored past the right and bottom edges (edge not
 * repeated, as often as needed): dst holds channels x h x w floats. */
void image_region_to_tensor(const image *img, int channels, int x0, int y0, int w, int h,
                            float *dst);
/* The colours of an 8-bit img (1 to 4 channels) as image_load gives them: RGB, alpha
 * composited on white. 0, or -1 (out of memory, or 16 bits). */
int image_flatten_rgb8(const image *img, image *rgb);
/* Writes rows [0, rows) of src (channels planes, element (c, y, x) at c * plane + y * stride
 * + x) into rows y0.. of out, whose colour samples (all but a 2nd or 4th channel, alpha, left
 * as it is) get the channel, or the one channel replicated. 8 or 16 bits, rounded, clipped. */
void tensor_rows_to_image(const float *src, int channels, size_t plane, int stride, int rows,
                          image *out, int y0);
/* Copies the alpha channel of src (2 or 4 channels) into out's (same size and layout), at
 * out's depth. */
void image_copy_alpha(const image *src, image *out);
/* src: channels * H * W floats; the image gets 3 channels (grey replicated), 8 bits. Returns
 * 0 or -1 (out of memory). */
int tensor_to_image(const float *src, int channels, int height, int width, image *out);
/* Writes src (channels * H * W floats) as a PNG image (atomically). 0, or -1 with a reason. */
int tensor_save_png(const char *path, const float *src, int channels, int height, int width,
                    char *err, size_t errlen);
/* The luma (PIL's convert('L')) of an RGB image replicated into 3 channels: a target to
 * compare with the output of a 1-channel generator. Returns 0 or -1 (out of memory). */
int image_luma_rgb(const image *src, image *dst);

#endif
