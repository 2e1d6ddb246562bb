#include "test_common.h"

#include <ftw.h>
#include <jpeglib.h>
#include <png.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

void make_temp_dir(char *buf)
{
    strcpy(buf, "/tmp/pix2pix_test_XXXXXX");
    temp_dir(buf);
}

static int remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st;
    (void)flag;
    (void)ftw;
    return remove(path);
}

void remove_tree(const char *path)
{
    nftw(path, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
}

typedef struct {
    uint8_t *data;
    size_t size;
} mem_sink;

static void sink_write(png_structp png, png_bytep in, size_t len)
{
    mem_sink *s = png_get_io_ptr(png);
    s->data = realloc(s->data, s->size + len);
    memcpy(s->data + s->size, in, len);
    s->size += len;
}

static void sink_flush(png_structp png)
{
    (void)png;
}

uint8_t *png_write_raw(int width, int height, const png_spec *spec, const uint8_t *rows,
                       size_t rowbytes, size_t *size)
{
    mem_sink sink = {NULL, 0};
    png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, NULL, NULL, NULL);
    png_infop info = png_create_info_struct(png);
    if (setjmp(png_jmpbuf(png))) {
        fprintf(stderr, "test PNG writer failed\n");
        exit(2);
    }
    png_set_write_fn(png, &sink, sink_write, sink_flush);
    png_set_IHDR(png, info, (png_uint_32)width, (png_uint_32)height, spec->bit_depth,
                 spec->color_type, spec->interlace ? PNG_INTERLACE_ADAM7 : PNG_INTERLACE_NONE,
                 PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
    if (spec->palette) {
        png_color pal[256];
        for (int i = 0; i < spec->npalette; i++) {
            pal[i].red = spec->palette[3 * i];
            pal[i].green = spec->palette[3 * i + 1];
            pal[i].blue = spec->palette[3 * i + 2];
        }
        png_set_PLTE(png, info, pal, spec->npalette);
    }
    if (spec->trns)
        png_set_tRNS(png, info, spec->trns, spec->ntrns, NULL);
    if (spec->exif)
        png_set_eXIf_1(png, info, (png_uint_32)spec->exif_len, (png_bytep)spec->exif);
    png_write_info(png, info);
    png_bytep *rp = malloc(sizeof(png_bytep) * height);
    for (int y = 0; y < height; y++)
        rp[y] = (png_bytep)rows + (size_t)y * rowbytes;
    png_write_image(png, rp);
    png_write_end(png, info);
    png_destroy_write_struct(&png, &info);
    free(rp);
    *size = sink.size;
    return sink.data;
}

uint8_t *jpeg_write_raw(int width, int height, const jpeg_spec *spec, const uint8_t *pixels,
                        size_t *size)
{
    struct jpeg_compress_struct cinfo;
    struct jpeg_error_mgr jerr;
    unsigned char *buf = NULL;
    unsigned long len = 0;
    cinfo.err = jpeg_std_error(&jerr);
    jpeg_create_compress(&cinfo);
    jpeg_mem_dest(&cinfo, &buf, &len);
    cinfo.image_width = (JDIMENSION)width;
    cinfo.image_height = (JDIMENSION)height;
    cinfo.input_components = spec->components;
    cinfo.in_color_space = (J_COLOR_SPACE)spec->in_space;
    jpeg_set_defaults(&cinfo);
    if (spec->jpeg_space)
        jpeg_set_colorspace(&cinfo, (J_COLOR_SPACE)spec->jpeg_space);
    if (spec->adobe_marker >= 0)
        cinfo.write_Adobe_marker = spec->adobe_marker ? TRUE : FALSE;
    jpeg_set_quality(&cinfo, spec->quality, TRUE);
    if (spec->progressive)
        jpeg_simple_progression(&cinfo);
    jpeg_start_compress(&cinfo, TRUE);
    if (spec->app1)
        jpeg_write_marker(&cinfo, JPEG_APP0 + 1, spec->app1, (unsigned)spec->app1_len);
    while (cinfo.next_scanline < cinfo.image_height) {
        JSAMPROW row = (JSAMPROW)pixels + (size_t)cinfo.next_scanline * width * spec->components;
        jpeg_write_scanlines(&cinfo, &row, 1);
    }
    jpeg_finish_compress(&cinfo);
    jpeg_destroy_compress(&cinfo);
    *size = len;
    return buf;
}

size_t exif_app1(uint8_t *b, int orientation, int big_endian)
{
    static const uint8_t le[] = {'E', 'x', 'i', 'f', 0, 0, 'I', 'I', 42, 0, 8, 0, 0, 0,
                                 2,   0,   /* two entries: a decoy tag, then orientation */
                                 0x0F, 0x01, 2, 0, 4, 0, 0, 0, 'a', 'b', 'c', 0,
                                 0x12, 0x01, 3, 0, 1, 0, 0, 0, 0, 0, 0, 0,
                                 0, 0, 0, 0};
    static const uint8_t be[] = {'E', 'x', 'i', 'f', 0, 0, 'M', 'M', 0, 42, 0, 0, 0, 8,
                                 0,   2,
                                 0x01, 0x0F, 0, 2, 0, 0, 0, 4, 'a', 'b', 'c', 0,
                                 0x01, 0x12, 0, 3, 0, 0, 0, 1, 0, 0, 0, 0,
                                 0, 0, 0, 0};
    memcpy(b, big_endian ? be : le, sizeof le);
    /* The SHORT value sits at the start of the value field (byte 36): low byte first in
     * little-endian files, high byte first in big-endian ones. */
    b[big_endian ? 37 : 36] = (uint8_t)orientation;
    return sizeof le;
}
