/* Reading files whole, for every test area (tests/support, the test_support library). */
#ifndef TESTS_SUPPORT_TEST_FILES_H
#define TESTS_SUPPORT_TEST_FILES_H

#include <stddef.h>
#include <string.h>

/* The file's bytes in a malloc'ed buffer, with a NUL after the last so that text files can be
 * searched as strings; *size is the byte count. NULL (and *size 0) when the file cannot be
 * opened or read whole. */
unsigned char *read_whole_file(const char *path, size_t *size);

/* The same, but a file that cannot be read ends the test (exit status 2, saying why). */
unsigned char *read_whole_file_or_exit(const char *path, size_t *size);

/* Writes size bytes as the file at path (replacing it); a failure ends the test (exit 2). */
void write_whole_file(const char *path, const void *data, size_t size);

/* The same for the file name in the folder dir. */
void write_file_in(const char *dir, const char *name, const void *data, size_t size);

static inline void write_text(const char *path, const char *text)
{
    write_whole_file(path, text, strlen(text));
}

static inline void write_text_in(const char *dir, const char *name, const char *text)
{
    write_file_in(dir, name, text, strlen(text));
}

/* mkdtemp(tmpl) (a path ending in XXXXXX, replaced); a failure ends the test (exit 2). */
void temp_dir(char *tmpl);

/* How many entries the folder holds, not counting hidden ones (0 when it cannot be read). */
int count_dir_entries(const char *dir);

#endif
