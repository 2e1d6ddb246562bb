/* Format detection, file reading and atomic file writing around the JPEG and PNG codecs. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/out_path.h"
#include "image_internal.h"

int image_decode(const uint8_t *data, size_t size, long long max_pixels, image *out, char *err,
                 size_t errlen)
{
    return image_decode_as(data, size, max_pixels, 0, out, err, errlen);
}

int image_decode_as(const uint8_t *data, size_t size, long long max_pixels, int keep,
                    image *out, char *err, size_t errlen)
{
    static const uint8_t png_magic[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
    out->pixels = NULL;
    if (size == 0) {
        image_set_err(err, errlen, "empty file (0 bytes)");
        return -1;
    }
    if (size >= 3 && data[0] == 0xFF && data[1] == 0xD8 && data[2] == 0xFF)
        return image_decode_jpeg(data, size, max_pixels, keep, out, err, errlen);
    if (size >= 8 && !memcmp(data, png_magic, 8))
        return image_decode_png(data, size, max_pixels, keep, out, err, errlen);
    image_set_err(err, errlen, "not a JPEG or PNG image (unrecognised content)");
    return -1;
}

/* The file is mapped, not read into a buffer, so that an oversized image is refused from its
 * header before its bytes take any memory. */
int image_load(const char *path, long long max_pixels, image *out, char *err, size_t errlen)
{
    return image_load_as(path, max_pixels, 0, out, err, errlen);
}

int image_load_as(const char *path, long long max_pixels, int keep, image *out, char *err,
                  size_t errlen)
{
    out->pixels = NULL;
    /* O_NONBLOCK: opening a FIFO must not wait for a writer (it is refused below). */
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
    if (fd < 0) {
        image_set_err(err, errlen, "cannot open: %s", strerror(errno));
        return -1;
    }
    struct stat st;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        image_set_err(err, errlen, "not a regular file");
        close(fd);
        return -1;
    }
    size_t size = (size_t)st.st_size;
    if (size == 0) {
        close(fd);
        return image_decode_as(NULL, 0, max_pixels, keep, out, err, errlen);
    }
    void *data = mmap(NULL, size, PROT_READ, MAP_PRIVATE, fd, 0);
    close(fd);
    if (data == MAP_FAILED) {
        image_set_err(err, errlen, "cannot map %zu bytes: %s", size, strerror(errno));
        return -1;
    }
    int rc = image_decode_as(data, size, max_pixels, keep, out, err, errlen);
    munmap(data, size);
    return rc;
}

/* Temporary file in the target's folder, fsync, rename: a reader never sees half a file. The
 * target: path, or where its links lead; never a FIFO, device or folder (base/out_path.h). */
static int write_file_atomic(const char *path, const uint8_t *data, size_t size, char *err,
                             size_t errlen)
{
    char *target, why[512];
    if (out_path_target(path, &target, why, sizeof why)) {
        image_set_err(err, errlen, "%s", why);
        return -1;
    }
    size_t n = strlen(target);
    char *tmp = malloc(n + 16);
    if (!tmp) {
        image_set_err(err, errlen, "out of memory");
        free(target);
        return -1;
    }
    snprintf(tmp, n + 16, "%s.tmp.XXXXXX", target);
    int fd = mkstemp(tmp);
    if (fd < 0) {
        image_set_err(err, errlen, "cannot create a temporary file next to it: %s", strerror(errno));
        free(tmp);
        free(target);
        return -1;
    }
    size_t done = 0;
    while (done < size) {
        ssize_t w = write(fd, data + done, size - done);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            break;
        done += (size_t)w;
    }
    int ok = done == size && fchmod(fd, 0644) == 0 && fsync(fd) == 0;
    int saved = errno;
    ok = (close(fd) == 0) && ok;
    int renamed = ok && rename(tmp, target) == 0;
    if (ok && !renamed)
        saved = errno;
    if (!renamed) {
        image_set_err(err, errlen, "write failed: %s", strerror(saved));
        unlink(tmp);
    }
    free(tmp);
    free(target);
    return renamed ? 0 : -1;
}

int image_save_png(const char *path, const image *img, char *err, size_t errlen)
{
    uint8_t *data;
    size_t size;
    if (image_encode_png(img, &data, &size, err, errlen))
        return -1;
    int rc = write_file_atomic(path, data, size, err, errlen);
    free(data);
    return rc;
}

int image_save_jpeg(const char *path, const image *img, int quality, char *err, size_t errlen)
{
    uint8_t *data;
    size_t size;
    if (image_encode_jpeg(img, quality, &data, &size, err, errlen))
        return -1;
    int rc = write_file_atomic(path, data, size, err, errlen);
    free(data);
    return rc;
}
