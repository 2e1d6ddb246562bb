/* Model files of either format (see model_file.h). */
#include "app/model/model_file.h"

#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include "engine/engine.h"
#include "engine/pth/pth.h"

st_file *model_file_open(const char *path)
{
    uint8_t head[PTH_PROBE_BYTES];
    ssize_t n = -1;
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
    struct stat st;
    if (fd >= 0 && !fstat(fd, &st) && S_ISREG(st.st_mode))
        n = read(fd, head, sizeof head);
    if (fd >= 0)
        close(fd);
    if (n > 0 && pth_probe(head, (size_t)n))
        return pth_open(path);
    /* A file that cannot be read, or too short for any signature, goes to the safetensors
     * reader too: its messages say why it cannot be used. */
    if (n < ST_PROBE_BYTES || st_probe(head, (size_t)n, (uint64_t)st.st_size))
        return st_open(path);
    if (head[0] == 0x80) /* a pickle's PROTO: the .pth reader says what it is */
        return pth_open(path);
    eng_set_error(-1,
                  "%s: not a model file: neither safetensors, a PyTorch zip archive nor "
                  "a legacy PyTorch file",
                  path);
    return NULL;
}
