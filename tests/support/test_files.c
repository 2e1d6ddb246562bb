/* Whole-file reads for the tests (contract in test_files.h). */
#include "test_files.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

unsigned char *read_whole_file(const char *path, size_t *size)
{
    *size = 0;
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    unsigned char *data = NULL;
    long n = fseek(f, 0, SEEK_END) == 0 ? ftell(f) : -1;
    if (n >= 0 && fseek(f, 0, SEEK_SET) == 0)
        data = malloc((size_t)n + 1);
    if (data && fread(data, 1, (size_t)n, f) != (size_t)n) {
        free(data);
        data = NULL;
    }
    fclose(f);
    if (data) {
        data[n] = '\0';
        *size = (size_t)n;
    }
    return data;
}

unsigned char *read_whole_file_or_exit(const char *path, size_t *size)
{
    errno = 0;
    unsigned char *data = read_whole_file(path, size);
    if (!data) {
        fprintf(stderr, "cannot read %s: %s\n", path, errno ? strerror(errno) : "short read");
        exit(2);
    }
    return data;
}

void write_whole_file(const char *path, const void *data, size_t size)
{
    FILE *f = fopen(path, "wb");
    if (!f || fwrite(data, 1, size, f) != size || fclose(f)) {
        perror(path);
        exit(2);
    }
}

void write_file_in(const char *dir, const char *name, const void *data, size_t size)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    write_whole_file(path, data, size);
}

void temp_dir(char *tmpl)
{
    if (!mkdtemp(tmpl)) {
        perror(tmpl);
        exit(2);
    }
}

int count_dir_entries(const char *dir)
{
    DIR *d = opendir(dir);
    int n = 0;
    for (struct dirent *e; d && (e = readdir(d));)
        n += e->d_name[0] != '.';
    if (d)
        closedir(d);
    return n;
}
