/* JPEG decoding (any colour space to RGB, or grey kept; EXIF orientation) and encoding with
 * libjpeg-turbo. Errors longjmp back to the caller instead of calling exit(). */
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jpeglib.h>
#include <jerror.h>

#include "image_internal.h"

typedef struct {
    struct jpeg_error_mgr pub;
    jmp_buf jump;
    char msg[JMSG_LENGTH_MAX];
} jpeg_error_ctx;

static void jpeg_fail(j_common_ptr cinfo)
{
    jpeg_error_ctx *e = (jpeg_error_ctx *)cinfo->err;
    cinfo->err->format_message(cinfo, e->msg);
    longjmp(e->jump, 1);
}

/* libjpeg only warns on data that ends early or has corrupt entropy codes and then fills the
 * rest with grey; such a file is broken, so these warnings fail. Benign ones are ignored. */
static void jpeg_message(j_common_ptr cinfo, int level)
{
    if (level >= 0)
        return;
    int code = cinfo->err->msg_code;
    if (code == JWRN_JPEG_EOF || code == JWRN_HUFF_BAD_CODE || code == JWRN_MUST_RESYNC ||
        code == JWRN_BOGUS_PROGRESSION)
        jpeg_fail(cinfo);
}

static int jpeg_orientation(j_decompress_ptr cinfo)
{
    for (jpeg_saved_marker_ptr m = cinfo->marker_list; m; m = m->next)
        if (m->marker == JPEG_APP0 + 1 && m->data_length >= 6 && !memcmp(m->data, "Exif\0\0", 6))
            return image_exif_orientation(m->data + 6, m->data_length - 6);
    return 1;
}

static void cmyk_row_to_rgb(const uint8_t *cmyk, uint8_t *rgb, int width, int inverted)
{
    for (int x = 0; x < width; x++) {
        unsigned k = inverted ? cmyk[4 * x + 3] : 255u - cmyk[4 * x + 3];
        for (int c = 0; c < 3; c++) {
            unsigned v = inverted ? cmyk[4 * x + c] : 255u - cmyk[4 * x + c];
            rgb[3 * x + c] = (uint8_t)((v * k + 127) / 255);
        }
    }
}

int image_decode_jpeg(const uint8_t *data, size_t size, long long max_pixels, int keep,
                      image *out, char *err, size_t errlen)
{
    struct jpeg_decompress_struct cinfo;
    jpeg_error_ctx jerr;
    uint8_t *volatile pixels = NULL;
    uint8_t *volatile cmyk_row = NULL;
    out->pixels = NULL;
    cinfo.err = jpeg_std_error(&jerr.pub);
    jerr.pub.error_exit = jpeg_fail;
    jerr.pub.emit_message = jpeg_message;
    if (setjmp(jerr.jump)) {
        image_set_err(err, errlen, "corrupt JPEG: %s", jerr.msg);
        jpeg_destroy_decompress(&cinfo);
        free(pixels);
        free(cmyk_row);
        return -1;
    }
    jpeg_create_decompress(&cinfo);
    jpeg_mem_src(&cinfo, data, (unsigned long)size);
    jpeg_save_markers(&cinfo, JPEG_APP0 + 1, 0xFFFF);
    jpeg_save_markers(&cinfo, JPEG_APP0 + 14, 0xFFFF);
    jpeg_read_header(&cinfo, TRUE);
    if (image_check_pixels(cinfo.image_width, cinfo.image_height, max_pixels, err, errlen)) {
        jpeg_destroy_decompress(&cinfo);
        return -1;
    }
    int orientation = jpeg_orientation(&cinfo);
    int cmyk = cinfo.jpeg_color_space == JCS_CMYK || cinfo.jpeg_color_space == JCS_YCCK;
    int gray = (keep & IMAGE_KEEP_GRAY) && cinfo.jpeg_color_space == JCS_GRAYSCALE;
    int channels = gray ? 1 : 3;
    cinfo.out_color_space = cmyk ? JCS_CMYK : gray ? JCS_GRAYSCALE : JCS_RGB;
    jpeg_start_decompress(&cinfo);
    int w = (int)cinfo.output_width, h = (int)cinfo.output_height;
    pixels = malloc((size_t)w * h * channels);
    if (cmyk)
        cmyk_row = malloc((size_t)w * 4);
    if (!pixels || (cmyk && !cmyk_row)) {
        snprintf(jerr.msg, sizeof jerr.msg, "out of memory for %dx%d pixels", w, h);
        longjmp(jerr.jump, 1);
    }
    while (cinfo.output_scanline < cinfo.output_height) {
        uint8_t *dst = pixels + (size_t)cinfo.output_scanline * w * channels;
        JSAMPROW row = cmyk ? cmyk_row : dst;
        if (jpeg_read_scanlines(&cinfo, &row, 1) != 1) {
            snprintf(jerr.msg, sizeof jerr.msg, "data ends early");
            longjmp(jerr.jump, 1);
        }
        if (cmyk)
            cmyk_row_to_rgb(cmyk_row, dst, w, cinfo.saw_Adobe_marker);
    }
    jpeg_finish_decompress(&cinfo);
    jpeg_destroy_decompress(&cinfo);
    free(cmyk_row);
    return image_set_decoded(out, pixels, w, h, channels, 8, orientation, err, errlen);
}

int image_encode_jpeg(const image *img, int quality, uint8_t **data, size_t *size, char *err,
                      size_t errlen)
{
    struct jpeg_compress_struct cinfo;
    jpeg_error_ctx jerr;
    unsigned char *volatile buf = NULL;
    unsigned long len = 0;
    *data = NULL;
    *size = 0;
    if ((img->channels != 1 && img->channels != 3) || img->depth == 16) {
        image_set_err(err, errlen, "JPEG takes 8-bit images of 1 or 3 channels, not %d channels "
                      "of %d bits", img->channels, img->depth == 16 ? 16 : 8);
        return -1;
    }
    if (quality < 1 || quality > 100) {
        image_set_err(err, errlen, "JPEG quality %d is outside 1..100", quality);
        return -1;
    }
    cinfo.err = jpeg_std_error(&jerr.pub);
    jerr.pub.error_exit = jpeg_fail;
    if (setjmp(jerr.jump)) {
        image_set_err(err, errlen, "JPEG encoding failed: %s", jerr.msg);
        jpeg_destroy_compress(&cinfo);
        free(buf);
        return -1;
    }
    jpeg_create_compress(&cinfo);
    jpeg_mem_dest(&cinfo, (unsigned char **)&buf, &len);
    cinfo.image_width = (JDIMENSION)img->width;
    cinfo.image_height = (JDIMENSION)img->height;
    cinfo.input_components = img->channels;
    cinfo.in_color_space = img->channels == 1 ? JCS_GRAYSCALE : JCS_RGB;
    jpeg_set_defaults(&cinfo);
    jpeg_set_quality(&cinfo, quality, TRUE);
    jpeg_start_compress(&cinfo, TRUE);
    while (cinfo.next_scanline < cinfo.image_height) {
        JSAMPROW row = img->pixels + (size_t)cinfo.next_scanline * img->width * img->channels;
        jpeg_write_scanlines(&cinfo, &row, 1);
    }
    jpeg_finish_compress(&cinfo);
    jpeg_destroy_compress(&cinfo);
    *data = buf;
    *size = len;
    return 0;
}
