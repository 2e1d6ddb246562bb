/* onnx_ref MODEL IMAGE IN.f32 OUT.f32: the generator's input and output tensors for an image
 * whose sides are multiples of the network's stride, computed as translate --eval --full-res
 * computes them (image_region_to_tensor, then the eval-mode generator on the CPU), written as raw
 * little-endian floats for tests/app/cli/onnx_runtime.py. */
#include <stdio.h>
#include <stdlib.h>

#include "app/model/generator.h"
#include "app/common/tensor_image.h"

static int write_floats(const char *path, const float *v, size_t n)
{
    FILE *f = fopen(path, "wb");
    int ok = f && fwrite(v, sizeof *v, n, f) == n;
    if (f && fclose(f))
        ok = 0;
    if (!ok)
        perror(path);
    return ok ? 0 : -1;
}

int main(int argc, char **argv)
{
    if (argc != 5) {
        fprintf(stderr, "usage: onnx_ref MODEL IMAGE IN.f32 OUT.f32\n");
        return 2;
    }
    char err[1024];
    image img = {0};
    if (image_load(argv[2], 0, &img, err, sizeof err)) {
        fprintf(stderr, "%s\n", err);
        return 1;
    }
    eng_backend *be = eng_cpu_backend_new(0);
    generator r;
    if (generator_open(&r, argv[1], be, 1, 0, err, sizeof err)) {
        fprintf(stderr, "%s\n", err);
        return 1;
    }
    int h = img.height, w = img.width;
    size_t nin = (size_t)r.cfg.input_nc * h * w, nout = (size_t)r.cfg.output_nc * h * w;
    float *x = malloc(sizeof *x * nin), *y = malloc(sizeof *y * nout);
    int rc = !x || !y;
    if (!rc) {
        image_region_to_tensor(&img, r.cfg.input_nc, 0, 0, w, h, x);
        rc = generator_run(&r, x, h, w, y, err, sizeof err);
        if (rc)
            fprintf(stderr, "%s: %s\n", argv[2], err);
    }
    rc = rc || write_floats(argv[3], x, nin) || write_floats(argv[4], y, nout);
    free(x);
    free(y);
    image_free(&img);
    generator_close(&r);
    eng_backend_free(be);
    return rc ? 1 : 0;
}
