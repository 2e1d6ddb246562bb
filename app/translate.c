#include <stdio.h>
#include <stdlib.h>

#include "app/tensor_image.h"
#include "app/translate.h"

/* Runs the network on an image whose sides are multiples of the stride. */
static int run_exact(generator *r, const image *in, image *out, char *err, size_t errlen)
{
    int h = in->height, w = in->width, cin = r->cfg.input_nc, cout = r->cfg.output_nc;
    size_t plane = (size_t)h * w;
    float *x = malloc(sizeof *x * plane * (size_t)cin), *y = malloc(sizeof *y * plane * (size_t)cout);
    int rc = -1;
    if (!x || !y)
        snprintf(err, errlen, "out of memory for a %dx%d image", w, h);
    else {
        image_to_tensor(in, cin, x);
        rc = generator_run(r, x, h, w, y, err, errlen);
        if (!rc && tensor_to_image(y, cout, h, w, out)) {
            snprintf(err, errlen, "out of memory");
            rc = -1;
        }
    }
    free(x);
    free(y);
    return rc;
}

static int run_full_res(generator *r, const image *in, image *out, char *err, size_t errlen)
{
    int stride = gen_stride(&r->cfg), h = in->height, w = in->width;
    int H = (h + stride - 1) / stride * stride, W = (w + stride - 1) / stride * stride;
    H = H < gen_min_side(&r->cfg) ? gen_min_side(&r->cfg) : H;
    W = W < gen_min_side(&r->cfg) ? gen_min_side(&r->cfg) : W;
    int cin = r->cfg.input_nc, cout = r->cfg.output_nc;
    /* The network first: its check counts these buffers and the result image. */
    size_t buffers = sizeof(float) * (size_t)(cin + cout) * ((size_t)h * w + (size_t)H * W) +
                     3 * (size_t)h * w;
    if (generator_prepare(r, H, W, buffers, err, errlen))
        return -1;
    float *x = malloc(sizeof *x * (size_t)h * w * cin);
    float *xp = malloc(sizeof *xp * (size_t)H * W * cin);
    float *yp = malloc(sizeof *yp * (size_t)H * W * cout);
    float *y = malloc(sizeof *y * (size_t)h * w * cout);
    int rc = -1;
    if (!x || !xp || !yp || !y) {
        snprintf(err, errlen, "out of memory for a %dx%d image", w, h);
    } else {
        image_to_tensor(in, cin, x);
        tensor_reflect_pad(x, cin, h, w, xp, H, W);
        rc = generator_run(r, xp, H, W, yp, err, errlen);
        if (!rc) {
            tensor_crop(yp, cout, H, W, y, h, w);
            if (tensor_to_image(y, cout, h, w, out)) {
                snprintf(err, errlen, "out of memory");
                rc = -1;
            }
        }
    }
    free(x);
    free(xp);
    free(yp);
    free(y);
    return rc;
}

int translate_image(generator *r, const image *in, int full_res, image *out, char *err,
                    size_t errlen)
{
    if (full_res)
        return run_full_res(r, in, out, err, errlen);
    int s = r->image_size;
    if (in->width == s && in->height == s)
        return run_exact(r, in, out, err, errlen);
    image small = {0}, result = {0};
    if (image_resize_bicubic(in, s, s, &small)) {
        snprintf(err, errlen, "cannot resize to %dx%d", s, s);
        return -1;
    }
    int rc = run_exact(r, &small, &result, err, errlen);
    image_free(&small);
    if (rc)
        return -1;
    rc = image_resize_bicubic(&result, in->width, in->height, out);
    image_free(&result);
    if (rc)
        snprintf(err, errlen, "cannot resize back to %dx%d", in->width, in->height);
    return rc ? -1 : 0;
}
