/* conv2d and conv_transpose2d: im2col / col2im per batch element plus a matrix product (gemm.c).
 *
 * Both ops share one geometry: an "image" [C, img_h, img_w] and its "columns"
 * [C*kh*kw, col_h*col_w], where column (oy, ox) of row (c, ki, kj) holds
 * image[c, oy*stride - pad + ki, ox*stride - pad + kj] (zero outside the image).
 * conv2d: image = input, columns indexed by output positions.
 * conv_transpose2d is the adjoint: image = output, columns indexed by input positions. */
#include <string.h>

#include "engine/cpu/cpu_internal.h"

/* im2col is compiled for the widest vector unit found at run time: the stride-2 gathers then
 * vectorize (measured: the 64 -> 128 channel conv at 128x128 input, 2 threads, 10.2-10.8 ->
 * 8.8-10.0 ms; col2im showed no gain). */
#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__) && defined(__linux__)
#define VECTOR_CLONES __attribute__((target_clones("avx512f", "avx2", "default")))
#else
#define VECTOR_CLONES
#endif

typedef struct {
    int channels, img_h, img_w, kh, kw, stride, pad, col_h, col_w;
} conv_geom;

typedef struct {
    const conv_geom *g;
    const float *src;
    float *dst;
} geom_job;

/* Output positions o in [*lo, *hi) whose image index o*stride + offset lies in [0, n_img). */
static void valid_range(int n_col, int stride, int offset, int n_img, int *lo, int *hi)
{
    int l = offset >= 0 ? 0 : (-offset + stride - 1) / stride;
    int h = n_img - 1 - offset < 0 ? 0 : (n_img - 1 - offset) / stride + 1;
    *lo = l < n_col ? l : n_col;
    *hi = h < n_col ? h : n_col;
    if (*hi < *lo)
        *hi = *lo;
}

/* Rows [begin, end) of the column matrix from the image. */
VECTOR_CLONES static void im2col_rows(void *arg, size_t begin, size_t end)
{
    const geom_job *j = arg;
    const conv_geom *g = j->g;
    size_t col_hw = (size_t)g->col_h * g->col_w;
    for (size_t r = begin; r < end; r++) {
        int c = (int)(r / ((size_t)g->kh * g->kw));
        int ki = (int)(r / g->kw % g->kh);
        int kj = (int)(r % g->kw);
        const float *img = j->src + (size_t)c * g->img_h * g->img_w;
        float *row = j->dst + r * col_hw;
        int y_lo, y_hi, x_lo, x_hi;
        valid_range(g->col_h, g->stride, ki - g->pad, g->img_h, &y_lo, &y_hi);
        valid_range(g->col_w, g->stride, kj - g->pad, g->img_w, &x_lo, &x_hi);
        memset(row, 0, (size_t)y_lo * g->col_w * sizeof(float));
        for (int oy = y_lo; oy < y_hi; oy++) {
            float *out = row + (size_t)oy * g->col_w;
            const float *in = img + (size_t)(oy * g->stride + ki - g->pad) * g->img_w;
            int ix = x_lo * g->stride + kj - g->pad;
            memset(out, 0, (size_t)x_lo * sizeof(float));
            if (g->stride == 1) {
                memcpy(out + x_lo, in + ix, (size_t)(x_hi - x_lo) * sizeof(float));
            } else {
                for (int ox = x_lo; ox < x_hi; ox++, ix += g->stride)
                    out[ox] = in[ix];
            }
            memset(out + x_hi, 0, (size_t)(g->col_w - x_hi) * sizeof(float));
        }
        memset(row + (size_t)y_hi * g->col_w, 0, (size_t)(g->col_h - y_hi) * g->col_w * sizeof(float));
    }
}

/* Image rows [begin, end) (all channels, c * img_h + y) += the columns scattered back. Each
 * task owns whole rows, so overlapping windows never race and the row being summed stays in
 * L1; rows (not channels) balance the threads even for 3-channel images. */
static void col2im_rows(void *arg, size_t begin, size_t end)
{
    const geom_job *j = arg;
    const conv_geom *g = j->g;
    size_t col_hw = (size_t)g->col_h * g->col_w;
    for (size_t r = begin; r < end; r++) {
        size_t c = r / (size_t)g->img_h;
        int y = (int)(r % (size_t)g->img_h);
        float *out = j->dst + r * g->img_w;
        for (int ki = 0; ki < g->kh; ki++) {
            int t = y + g->pad - ki; /* = oy * stride for the column row oy feeding image row y */
            if (t < 0 || t % g->stride || t / g->stride >= g->col_h)
                continue;
            int oy = t / g->stride;
            for (int kj = 0; kj < g->kw; kj++) {
                const float *in = j->src + ((c * g->kh + ki) * g->kw + kj) * col_hw +
                                  (size_t)oy * g->col_w;
                int x_lo, x_hi;
                valid_range(g->col_w, g->stride, kj - g->pad, g->img_w, &x_lo, &x_hi);
                int ix = x_lo * g->stride + kj - g->pad;
                for (int ox = x_lo; ox < x_hi; ox++, ix += g->stride)
                    out[ix] += in[ox];
            }
        }
    }
}

static void im2col(cpu_ctx *c, const conv_geom *g, const float *img, float *col)
{
    geom_job j = {g, img, col};
    cpu_parallel_for(c->pool, (size_t)g->channels * g->kh * g->kw, im2col_rows, &j);
}

static void col2im_add(cpu_ctx *c, const conv_geom *g, const float *col, float *img)
{
    geom_job j = {g, col, img};
    cpu_parallel_for(c->pool, (size_t)g->channels * g->img_h, col2im_rows, &j);
}

/* ---- bias: fill output planes, reduce gradient planes ----------------------------------- */
typedef struct {
    const float *bias;
    float *planes;
    const float *gplanes;
    float *gbias;
    size_t plane, nplanes; /* plane size, planes per batch element (channels) */
    int batch;
} bias_job;

static void bias_fill_rows(void *arg, size_t begin, size_t end)
{
    const bias_job *j = arg;
    for (size_t r = begin; r < end; r++) {
        float v = j->bias ? j->bias[r % j->nplanes] : 0.0f;
        float *p = j->planes + r * j->plane;
        for (size_t i = 0; i < j->plane; i++)
            p[i] = v;
    }
}

static void bias_grad_channels(void *arg, size_t begin, size_t end)
{
    const bias_job *j = arg;
    for (size_t ch = begin; ch < end; ch++) {
        double s = 0.0;
        for (int b = 0; b < j->batch; b++) {
            const float *p = j->gplanes + ((size_t)b * j->nplanes + ch) * j->plane;
            for (size_t i = 0; i < j->plane; i++)
                s += p[i];
        }
        j->gbias[ch] += (float)s;
    }
}

/* out[N, C, plane] = bias[C] (or 0 when bias is NULL). */
static void bias_fill(cpu_ctx *c, float *out, const float *bias, int batch, int channels, size_t plane)
{
    bias_job j = {.bias = bias, .planes = out, .plane = plane, .nplanes = (size_t)channels};
    cpu_parallel_for(c->pool, (size_t)batch * channels, bias_fill_rows, &j);
}

static void bias_grad(cpu_ctx *c, float *gbias, const float *gy, int batch, int channels, size_t plane)
{
    bias_job j = {.gplanes = gy, .gbias = gbias, .plane = plane, .nplanes = (size_t)channels,
                  .batch = batch};
    cpu_parallel_for(c->pool, (size_t)channels, bias_grad_channels, &j);
}

/* ---- conv2d: x [N,Ci,H,W], w [Co,Ci,kh,kw] -> [N,Co,Ho,Wo] --------------------------------- */
static conv_geom conv2d_geom(const eng_node *n)
{
    const eng_node *x = n->src[0], *w = n->src[1];
    return (conv_geom){x->shape[1], x->shape[2], x->shape[3], w->shape[2], w->shape[3],
                       n->arg.conv.stride, n->arg.conv.pad, n->shape[2], n->shape[3]};
}

/* ---- conv_transpose2d: x [N,Ci,H,W], w [Ci,Co,kh,kw] -> [N,Co,Ho,Wo] ---------------------- */
static conv_geom conv_transpose2d_geom(const eng_node *n)
{
    const eng_node *x = n->src[0], *w = n->src[1];
    return (conv_geom){n->shape[1], n->shape[2], n->shape[3], w->shape[2], w->shape[3],
                       n->arg.conv.stride, n->arg.conv.pad, x->shape[2], x->shape[3]};
}

size_t cpu_conv_scratch_floats(const eng_node *n)
{
    if (cpu_conv2d_is_direct(n))
        return 0;
    conv_geom g = n->op == ENG_OP_CONV2D ? conv2d_geom(n) : conv_transpose2d_geom(n);
    size_t rows = (size_t)g.channels * g.kh * g.kw, pixels = (size_t)g.col_h * g.col_w;
    return rows * pixels + cpu_gemm_tmp_floats(pixels, rows);
}

/* A convolution as one GEMM per image over the im2col columns of its geometry (the input's for
 * conv2d, the output's for the transposed one): its operands, sizes and strides. */
typedef struct {
    conv_geom g;
    const eng_node *x, *w, *b;
    int batch, ci, co;
    int k, p;                  /* the columns: k rows (channels x kernel) of p pixels */
    size_t x_stride, y_stride; /* floats per image */
    float *tmp;                /* skinny products' transposes, after the columns in scratch */
} conv_gemm;

static conv_gemm conv_gemm_of(const cpu_ctx *c, const eng_node *n, conv_geom g)
{
    const eng_node *x = n->src[0];
    int batch = x->shape[0], k = g.channels * g.kh * g.kw, p = g.col_h * g.col_w;
    return (conv_gemm){g, x, n->src[1], n->src[2], batch, x->shape[1], n->shape[1], k, p,
                       x->numel / batch, n->numel / batch, c->scratch + (size_t)k * p};
}

void cpu_conv2d_forward(cpu_ctx *c, const eng_node *n)
{
    if (cpu_conv2d_is_direct(n)) {
        cpu_conv2d_direct_forward(c, n);
        return;
    }
    conv_gemm j = conv_gemm_of(c, n, conv2d_geom(n));
    float *y = c->data[n->id];
    /* With a bias the product adds onto the filled planes; without, it overwrites them. */
    if (j.b)
        bias_fill(c, y, c->data[j.b->id], j.batch, j.co, (size_t)j.p);
    for (int i = 0; i < j.batch; i++) {
        im2col(c, &j.g, c->data[j.x->id] + i * j.x_stride, c->scratch);
        cpu_gemm(c, 0, 0, j.co, j.p, j.k, c->data[j.w->id], j.k, c->scratch, j.p,
                 j.b ? 1.0f : 0.0f, y + i * j.y_stride, j.p, j.tmp);
    }
}

void cpu_conv2d_backward(cpu_ctx *c, const eng_node *n, unsigned mask)
{
    if (cpu_conv2d_is_direct(n)) {
        const eng_node *b = n->src[2];
        if ((mask & 4u) && b)
            bias_grad(c, c->grad[b->id], c->grad[n->id], n->shape[0], n->shape[1],
                      (size_t)n->shape[2] * n->shape[3]);
        cpu_conv2d_direct_backward(c, n, mask);
        return;
    }
    conv_gemm j = conv_gemm_of(c, n, conv2d_geom(n));
    const float *gy = c->grad[n->id];
    if ((mask & 4u) && j.b)
        bias_grad(c, c->grad[j.b->id], gy, j.batch, j.co, (size_t)j.p);
    for (int i = 0; i < j.batch; i++) {
        const float *gyi = gy + i * j.y_stride;
        if (mask & 2u) {
            float beta = i == 0 && (c->fresh & 2u) ? 0.0f : 1.0f;
            im2col(c, &j.g, c->data[j.x->id] + i * j.x_stride, c->scratch);
            cpu_gemm(c, 0, 1, j.co, j.k, j.p, gyi, j.p, c->scratch, j.p, beta,
                     c->grad[j.w->id], j.k, j.tmp);
        }
        if (mask & 1u) {
            cpu_gemm(c, 1, 0, j.k, j.p, j.co, c->data[j.w->id], j.k, gyi, j.p, 0.0f,
                     c->scratch, j.p, j.tmp);
            col2im_add(c, &j.g, c->scratch, c->grad[j.x->id] + i * j.x_stride);
        }
    }
}

void cpu_conv_transpose2d_forward(cpu_ctx *c, const eng_node *n)
{
    conv_gemm j = conv_gemm_of(c, n, conv_transpose2d_geom(n));
    float *y = c->data[n->id];
    bias_fill(c, y, j.b ? c->data[j.b->id] : NULL, j.batch, j.co,
              (size_t)n->shape[2] * n->shape[3]);
    for (int i = 0; i < j.batch; i++) {
        cpu_gemm(c, 1, 0, j.k, j.p, j.ci, c->data[j.w->id], j.k,
                 c->data[j.x->id] + i * j.x_stride, j.p, 0.0f, c->scratch, j.p, j.tmp);
        col2im_add(c, &j.g, c->scratch, y + i * j.y_stride);
    }
}

void cpu_conv_transpose2d_backward(cpu_ctx *c, const eng_node *n, unsigned mask)
{
    conv_gemm j = conv_gemm_of(c, n, conv_transpose2d_geom(n));
    const float *gy = c->grad[n->id];
    if ((mask & 4u) && j.b)
        bias_grad(c, c->grad[j.b->id], gy, j.batch, j.co, (size_t)n->shape[2] * n->shape[3]);
    if (!(mask & 3u))
        return;
    for (int i = 0; i < j.batch; i++) {
        im2col(c, &j.g, gy + i * j.y_stride, c->scratch);
        if (mask & 1u)
            cpu_gemm(c, 0, 0, j.ci, j.p, j.k, c->data[j.w->id], j.k, c->scratch, j.p, 1.0f,
                     c->grad[j.x->id] + i * j.x_stride, j.p, j.tmp);
        if (mask & 2u)
            cpu_gemm(c, 0, 1, j.ci, j.k, j.p, c->data[j.x->id] + i * j.x_stride, j.p,
                     c->scratch, j.p, i == 0 && (c->fresh & 2u) ? 0.0f : 1.0f,
                     c->grad[j.w->id], j.k, j.tmp);
    }
}
