/* conv2d with very few output channels (PatchGAN's last layer: 512 -> 1) computed directly
 * from the image: an im2col copy would be channels*kh*kw times the output (28 MiB for one
 * 31x31 map) and the product a matrix-vector one, so the loops below do the same
 * multiply-adds without the copy, each over a contiguous row. */
#include "engine/cpu/cpu_internal.h"

#define MAX_DIRECT_CHANNELS 4

typedef struct {
    cpu_ctx *c;
    const eng_node *n;
    int ci, h, w, co, ho, wo, kh, kw, stride, pad;
    unsigned mask;
} direct_job;

int cpu_conv2d_is_direct(const eng_node *n)
{
    return n->op == ENG_OP_CONV2D && n->shape[1] <= MAX_DIRECT_CHANNELS;
}

static direct_job make_job(cpu_ctx *c, const eng_node *n, unsigned mask)
{
    const eng_node *x = n->src[0], *w = n->src[1];
    return (direct_job){c, n, x->shape[1], x->shape[2], x->shape[3], n->shape[1], n->shape[2],
                        n->shape[3], w->shape[2], w->shape[3], n->arg.conv.stride,
                        n->arg.conv.pad, mask};
}

/* Output columns ox whose input column ox*stride - pad + kj lies inside [0, w). */
static void columns(const direct_job *j, int kj, int *lo, int *hi)
{
    int off = kj - j->pad;
    int l = off >= 0 ? 0 : (-off + j->stride - 1) / j->stride;
    int h = j->w - 1 - off < 0 ? 0 : (j->w - 1 - off) / j->stride + 1;
    *lo = l < j->wo ? l : j->wo;
    *hi = h < j->wo ? h : j->wo;
    if (*hi < *lo)
        *hi = *lo;
}

/* Output rows r = (batch * co + o) * ho + oy in [begin, end). */
static void forward_rows(void *arg, size_t begin, size_t end)
{
    const direct_job *j = arg;
    const float *x = j->c->data[j->n->src[0]->id], *w = j->c->data[j->n->src[1]->id];
    const eng_node *b = j->n->src[2];
    for (size_t r = begin; r < end; r++) {
        int oy = (int)(r % (size_t)j->ho), o = (int)(r / (size_t)j->ho % (size_t)j->co);
        size_t batch = r / ((size_t)j->ho * j->co);
        float *y = j->c->data[j->n->id] + r * j->wo;
        float bias = b ? j->c->data[b->id][o] : 0.0f;
        for (int ox = 0; ox < j->wo; ox++)
            y[ox] = bias;
        for (int ch = 0; ch < j->ci; ch++) {
            const float *plane = x + (batch * j->ci + ch) * (size_t)j->h * j->w;
            const float *wk = w + ((size_t)o * j->ci + ch) * j->kh * j->kw;
            for (int ki = 0; ki < j->kh; ki++) {
                int iy = oy * j->stride - j->pad + ki;
                if (iy < 0 || iy >= j->h)
                    continue;
                const float *in = plane + (size_t)iy * j->w;
                for (int kj = 0; kj < j->kw; kj++) {
                    int lo, hi;
                    columns(j, kj, &lo, &hi);
                    float wv = wk[ki * j->kw + kj];
                    int off = kj - j->pad; /* input column of ox: ox * stride + off >= 0 */
                    for (int ox = lo; ox < hi; ox++)
                        y[ox] += wv * in[ox * j->stride + off];
                }
            }
        }
    }
}

/* One weight tap (ki, kj) of one (output, input) plane pair: dx += w * gy shifted, and
 * dw += sum(gy * x shifted) with per-column partial sums (vectorizable, no reassociation). */
#define DW_CHUNK 256
static void backward_tap(const direct_job *j, size_t plane_off, const float *g, size_t widx,
                         int ki, int kj, const float *w)
{
    cpu_ctx *c = j->c;
    const eng_node *xn = j->n->src[0], *wn = j->n->src[1];
    const float *x = c->data[xn->id];
    int lo, hi, off = kj - j->pad;
    columns(j, kj, &lo, &hi);
    float wv = w[widx], dw = 0.0f;
    for (int c0 = lo; c0 < hi; c0 += DW_CHUNK) {
        int c1 = hi - c0 < DW_CHUNK ? hi : c0 + DW_CHUNK;
        float acc[DW_CHUNK] = {0};
        for (int oy = 0; oy < j->ho; oy++) {
            int iy = oy * j->stride - j->pad + ki;
            if (iy < 0 || iy >= j->h)
                continue;
            const float *grow = g + (size_t)oy * j->wo;
            size_t row = plane_off + (size_t)iy * j->w;
            if (j->mask & 1u) {
                float *dx = c->grad[xn->id] + row;
                for (int ox = c0; ox < c1; ox++)
                    dx[ox * j->stride + off] += wv * grow[ox];
            }
            if (j->mask & 2u) {
                const float *xin = x + row;
                for (int ox = c0; ox < c1; ox++)
                    acc[ox - c0] += grow[ox] * xin[ox * j->stride + off];
            }
        }
        for (int k = 0; k < c1 - c0; k++)
            dw += acc[k];
    }
    if (j->mask & 2u)
        c->grad[wn->id][widx] += dw;
}

/* Input planes p = batch * ci + ch in [begin, end): their gradient and (per channel, summed
 * over the batch in order) the weight gradients of that input channel. Tasks own channels. */
static void backward_channels(void *arg, size_t begin, size_t end)
{
    const direct_job *j = arg;
    cpu_ctx *c = j->c;
    const eng_node *xn = j->n->src[0], *wn = j->n->src[1];
    const float *w = c->data[wn->id], *gy = c->grad[j->n->id];
    int batches = xn->shape[0];
    for (size_t ch = begin; ch < end; ch++) {
        for (int bi = 0; bi < batches; bi++) {
            size_t plane_off = ((size_t)bi * j->ci + ch) * (size_t)j->h * j->w;
            for (int o = 0; o < j->co; o++) {
                const float *g = gy + ((size_t)bi * j->co + o) * (size_t)j->ho * j->wo;
                size_t wbase = ((size_t)o * j->ci + ch) * j->kh * j->kw;
                for (int ki = 0; ki < j->kh; ki++)
                    for (int kj = 0; kj < j->kw; kj++)
                        backward_tap(j, plane_off, g, wbase + ki * j->kw + kj, ki, kj, w);
            }
        }
    }
}

void cpu_conv2d_direct_forward(cpu_ctx *c, const eng_node *n)
{
    direct_job j = make_job(c, n, 0);
    cpu_parallel_for(c->pool, (size_t)n->shape[0] * j.co * j.ho, forward_rows, &j);
}

void cpu_conv2d_direct_backward(cpu_ctx *c, const eng_node *n, unsigned mask)
{
    direct_job j = make_job(c, n, mask & 3u);
    if (j.mask)
        cpu_parallel_for(c->pool, (size_t)j.ci, backward_channels, &j);
}
