/* Helpers shared by the dataset tests: checks, temporary folders, and JPEG/PNG writers that
 * call libjpeg and libpng directly (independent of the encoders under test). */
#ifndef TESTS_DATASETS_TEST_COMMON_H
#define TESTS_DATASETS_TEST_COMMON_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "test_check.h" /* CHECK, TEST_RESULT */
#include "test_files.h" /* read_whole_file, write_whole_file */

/* A fresh folder under /tmp (path in buf, at least 64 bytes); removed with remove_tree. */
void make_temp_dir(char *buf);
void remove_tree(const char *path);

typedef struct {
    int color_type, bit_depth, interlace;
    const uint8_t *palette; /* npalette RGB triples */
    int npalette;
    const uint8_t *trns;    /* palette alpha entries */
    int ntrns;
    const uint8_t *exif;    /* eXIf chunk (TIFF block) */
    int exif_len;
} png_spec;

/* rows: height rows of packed libpng sample data (rowbytes each, big-endian 16-bit). */
uint8_t *png_write_raw(int width, int height, const png_spec *spec, const uint8_t *rows,
                       size_t rowbytes, size_t *size);

typedef struct {
    int components;       /* 1, 3 or 4 */
    int in_space;         /* J_COLOR_SPACE of the input samples */
    int jpeg_space;       /* stored colour space, 0 for the library default */
    int adobe_marker;     /* -1 library default, else forced on/off */
    int quality, progressive;
    const uint8_t *app1;  /* APP1 payload ("Exif\0\0..."), or NULL */
    size_t app1_len;
} jpeg_spec;

uint8_t *jpeg_write_raw(int width, int height, const jpeg_spec *spec, const uint8_t *pixels,
                        size_t *size);

/* An APP1 payload "Exif\0\0" + TIFF with one IFD0 entry: orientation. */
size_t exif_app1(uint8_t *buf, int orientation, int big_endian);

#endif
