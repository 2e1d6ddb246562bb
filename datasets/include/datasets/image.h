/* Image decoding and encoding: JPEG (libjpeg-turbo) and PNG (libpng), detected by content. */
#ifndef DATASETS_IMAGE_H
#define DATASETS_IMAGE_H

#include <stddef.h>
#include <stdint.h>

/* Interleaved pixels, row-major, channels 3 (RGB) unless stated (1 grey, 2 grey + alpha,
 * 4 RGBA). 8 bits per sample, unless depth is 16: then the samples are uint16_t in the host's
 * byte order (only image_load_as with IMAGE_KEEP_16BIT makes such images). */
typedef struct {
    int width, height, channels;
    uint8_t *pixels;
    int depth; /* bits per sample: 8 (also when 0) or 16 */
} image;

/* What image_load_as keeps as it is stored instead of converting it (flags). */
enum {
    IMAGE_KEEP_GRAY = 1,  /* grey stays one channel (else expanded to RGB) */
    IMAGE_KEEP_ALPHA = 2, /* alpha stays a channel (else composited on white) */
    IMAGE_KEEP_16BIT = 4, /* 16-bit PNG samples stay 16-bit (else their high byte) */
};

#define IMAGE_DEFAULT_MAX_PIXELS 100000000LL

/* Decodes a JPEG or PNG file to 8-bit RGB (grayscale expanded, alpha composited on white,
 * 16-bit reduced, palette expanded, CMYK converted, EXIF orientation applied).
 * max_pixels <= 0 means IMAGE_DEFAULT_MAX_PIXELS. Returns 0, or -1 with a one-line reason
 * in err (without the path; callers prefix it).
 *
 * Details of the conversions:
 * - the format comes from the magic bytes (FF D8 FF: JPEG, 89 'PNG': PNG), never the name;
 * - the declared width x height is checked against max_pixels before any pixel buffer exists;
 * - alpha (RGBA, gray+alpha, tRNS) is composited on white: c' = (c*a + 255*(255-a)) / 255,
 *   rounded (the reference's convert('RGB') would drop alpha and keep hidden colours);
 * - 16-bit PNG samples keep their high byte (as PIL reads them);
 * - CMYK and YCCK JPEG: R = (255-C)(255-K)/255 etc., with Adobe's inverted CMYK (any file
 *   carrying an Adobe APP14 marker, as Photoshop writes them) un-inverted first;
 * - EXIF orientation 1..8 (JPEG APP1 "Exif", PNG eXIf) is applied as PIL's exif_transpose;
 * - a JPEG whose data ends early or has corrupt entropy data is an error, not a grey fill. */
int image_load(const char *path, long long max_pixels, image *out, char *err, size_t errlen);
int image_decode(const uint8_t *data, size_t size, long long max_pixels, image *out, char *err,
                 size_t errlen);
/* The same with some of the conversions left out (keep: IMAGE_KEEP_* flags; 0 is image_load):
 * 1 to 4 channels, 8 or 16 bits. Palettes are still expanded (tRNS to alpha), grey below
 * 8 bits widened, CMYK converted and the EXIF orientation applied. */
int image_load_as(const char *path, long long max_pixels, int keep, image *out, char *err,
                  size_t errlen);
int image_decode_as(const uint8_t *data, size_t size, long long max_pixels, int keep,
                    image *out, char *err, size_t errlen);
/* Writes atomically (temporary file in the same folder, fsync, rename). quality 1..100.
 * channels 1 (gray) or 3 (RGB); PNG also takes 2 and 4 (with alpha) and 16-bit images. */
int image_save_png(const char *path, const image *img, char *err, size_t errlen);
int image_save_jpeg(const char *path, const image *img, int quality, char *err, size_t errlen);
/* The same encoders into a malloc'ed buffer (free() it). */
int image_encode_png(const image *img, uint8_t **data, size_t *size, char *err, size_t errlen);
/* zlib_level 1 (fastest: about 3x faster than the default 6 on photos, 5% larger) to 9;
 * -1 is zlib's default, as image_encode_png. */
int image_encode_png_level(const image *img, int zlib_level, uint8_t **data, size_t *size,
                           char *err, size_t errlen);
int image_encode_jpeg(const image *img, int quality, uint8_t **data, size_t *size, char *err,
                      size_t errlen);
/* Allocates an uninitialised image (8 bits; image_alloc_depth: 8 or 16); -1 on overflow or
 * out of memory. */
int image_alloc(image *img, int width, int height, int channels);
int image_alloc_depth(image *img, int width, int height, int channels, int depth);
/* Bytes of one sample: 1, or 2 for a 16-bit image. */
static inline int image_sample_bytes(const image *img)
{
    return img->depth == 16 ? 2 : 1;
}
void image_free(image *img);

/* Bicubic resize as PIL's Image.resize(BICUBIC) (the reference's transform). 8-bit only. */
int image_resize_bicubic(const image *src, int width, int height, image *dst);
/* The same filter on float planes (channels x h x w, planar) without PIL's rounding to 8 bits
 * after each pass: dst holds channels x height x width. Returns 0 or -1 (out of memory). */
int image_resize_bicubic_f32(const float *src, int channels, int w, int h, float *dst,
                             int width, int height);
/* PIL's convert('L') of an RGB image: L = (19595 R + 38470 G + 7471 B + 0x8000) >> 16, the
 * fixed-point form of R*299/1000 + G*587/1000 + B*114/1000 that PIL computes. */
int image_to_gray(const image *src, image *dst);
/* Applies an EXIF orientation (1..8) in place, as PIL's ImageOps.exif_transpose (any
 * channels and depth). */
int image_apply_orientation(image *img, int orientation);
/* Orientation tag (1..8) of a TIFF/EXIF block (starting at "II"/"MM"), 1 when absent. */
int image_exif_orientation(const uint8_t *tiff, size_t size);

#endif
