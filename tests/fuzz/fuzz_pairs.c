/* libFuzzer target for decoding a dataset pair: an aligned A|B file split into its halves, or
 * an A file and its B partner, then the reference's preprocessing with options taken from the
 * input. Each pair either yields two images of the preprocessed size or fails with a reason.
 * Input: 8 option bytes, then the file bytes (split in two files at a position given by the
 * options when the pair is not aligned). */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "datasets/pairs.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* An in-memory file named by /proc/self/fd/N, so the real file path is exercised. */
static int mem_file(const uint8_t *data, size_t size, char *path, size_t len)
{
    int fd = memfd_create("pair", 0);
    if (fd < 0)
        abort();
    if (size && write(fd, data, size) != (ssize_t)size)
        abort();
    snprintf(path, len, "/proc/self/fd/%d", fd);
    return fd;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 8)
        return 0;
    const uint8_t *o = data;
    pair_transform t = {0};
    t.pre.mode = (preprocess_mode)(o[0] % 5);
    t.pre.no_flip = o[0] >> 7;
    t.pre.load_size = 1 + o[1] % 64;
    t.pre.crop_size = 1 + o[2] % 64;
    t.direction_btoa = o[3] & 1;
    t.input_nc = o[3] & 2 ? 1 : 3;
    t.output_nc = o[3] & 4 ? 1 : 3;
    int separate = o[3] & 8;
    t.max_pixels = 1 << 20;
    uint64_t rng = (uint64_t)o[4] * 0x9E3779B97F4A7C15ull;
    size_t split = ((size_t)o[5] << 8 | o[6]) % (size - 8 + 1);
    data += 8;
    size -= 8;

    char a_path[64], b_path[64], name[] = "fuzz";
    int fa = mem_file(data, separate ? split : size, a_path, sizeof a_path), fb = -1;
    if (separate)
        fb = mem_file(data + split, size - split, b_path, sizeof b_path);
    pair_entry e = {a_path, separate ? b_path : NULL, name};
    image in, tg;
    char err[512];
    if (pair_decode(&t, &e, rng, &in, &tg, err, sizeof err) == 0) {
        if (in.width != tg.width || in.height != tg.height ||
            in.channels != (t.input_nc == 1 ? 1 : 3) || tg.channels != (t.output_nc == 1 ? 1 : 3))
            abort();
        image_free(&in);
        image_free(&tg);
    } else if (!err[0]) {
        abort();
    }
    close(fa);
    if (fb >= 0)
        close(fb);
    return 0;
}
