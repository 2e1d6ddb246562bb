/* Images <-> network tensors: 8-bit RGB pixels and [1, C, H, W] floats in [-1, 1]
 * (the reference's ToTensor + Normalize(0.5, 0.5), and tensor2im on the way back). */
#ifndef APP_TENSOR_IMAGE_H
#define APP_TENSOR_IMAGE_H

#include <stddef.h>

#include "datasets/image.h"

/* channels 3: RGB; 1: luma as PIL's convert('L'). dst holds channels * H * W floats. */
void image_to_tensor(const image *img, int channels, float *dst);
/* src: channels * H * W floats; the image gets 3 channels (grey replicated). Returns 0 or -1
 * (out of memory). */
int tensor_to_image(const float *src, int channels, int height, int width, image *out);
/* Writes src (channels * H * W floats) as a PNG image (atomically). 0, or -1 with a reason. */
int tensor_save_png(const char *path, const float *src, int channels, int height, int width,
                    char *err, size_t errlen);
/* The luma (PIL's convert('L')) of an RGB image replicated into 3 channels: a target to
 * compare with the output of a 1-channel generator. Returns 0 or -1 (out of memory). */
int image_luma_rgb(const image *src, image *dst);
/* Mirror-pads src (channels x h x w) to (H x W) >= (h x w) with reflection at the
 * right and bottom edges, repeated as needed for large pads. */
void tensor_reflect_pad(const float *src, int channels, int h, int w, float *dst, int H, int W);
/* The top-left h x w corner of src (channels x H x W). */
void tensor_crop(const float *src, int channels, int H, int W, float *dst, int h, int w);

#endif
