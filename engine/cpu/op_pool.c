/* Pooling: avg_pool2d (PyTorch F.avg_pool2d, count_include_pad=False, ceil_mode=False) and
 * max_pool2d (F.max_pool2d, ceil_mode=False). */
#include <math.h>

#include "engine/cpu/cpu_internal.h"

typedef struct {
    cpu_ctx *c;
    const eng_node *n;
} pool_job;

/* The input cells [*lo, *hi) that output position o's window covers along an axis of size. */
static void window(int o, int size, const eng_node *n, int *lo, int *hi)
{
    int start = o * n->arg.pool.stride - n->arg.pool.pad, end = start + n->arg.pool.kernel;
    *lo = start < 0 ? 0 : start;
    *hi = end > size ? size : end;
}

/* Plane r (a sample's channel) of the node's input and output: their values, and in the
 * backward their gradients. */
typedef struct {
    const float *in, *dy;
    float *out, *dx;
    int h, w, ho, wo;
} plane;

static plane plane_of(const pool_job *j, size_t r, int backward)
{
    const eng_node *n = j->n, *x = n->src[0];
    plane p = {.h = x->shape[2], .w = x->shape[3], .ho = n->shape[2], .wo = n->shape[3]};
    size_t in_cells = (size_t)p.h * p.w, out_cells = (size_t)p.ho * p.wo;
    p.in = j->c->data[x->id] + r * in_cells;
    p.out = j->c->data[n->id] + r * out_cells;
    p.dy = backward ? j->c->grad[n->id] + r * out_cells : NULL;
    p.dx = backward ? j->c->grad[x->id] + r * in_cells : NULL;
    return p;
}

/* forward: out = mean of the window's cells; backward: each cell gets dy / the cell count.
 * One task per (sample, channel) plane: planes touch disjoint memory. */
static void pool_planes(void *arg, size_t begin, size_t end, int backward)
{
    const pool_job *j = arg;
    for (size_t r = begin; r < end; r++) {
        plane p = plane_of(j, r, backward);
        for (int oy = 0; oy < p.ho; oy++) {
            int y0, y1;
            window(oy, p.h, j->n, &y0, &y1);
            for (int ox = 0; ox < p.wo; ox++) {
                int x0, x1;
                window(ox, p.w, j->n, &x0, &x1);
                float count = (float)((y1 - y0) * (x1 - x0));
                if (backward) {
                    float g = p.dy[oy * p.wo + ox] / count;
                    for (int iy = y0; iy < y1; iy++)
                        for (int ix = x0; ix < x1; ix++)
                            p.dx[iy * p.w + ix] += g;
                } else {
                    float s = 0.0f;
                    for (int iy = y0; iy < y1; iy++)
                        for (int ix = x0; ix < x1; ix++)
                            s += p.in[iy * p.w + ix];
                    p.out[oy * p.wo + ox] = s / count;
                }
            }
        }
    }
}
static void pool_fwd(void *arg, size_t begin, size_t end) { pool_planes(arg, begin, end, 0); }
static void pool_bwd(void *arg, size_t begin, size_t end) { pool_planes(arg, begin, end, 1); }

/* fn over the planes (sample, channel) of n, in parallel. */
static void over_planes(cpu_ctx *c, const eng_node *n, void (*fn)(void *, size_t, size_t))
{
    pool_job j = {c, n};
    cpu_parallel_for(c->pool, (size_t)n->shape[0] * n->shape[1], fn, &j);
}

void cpu_avg_pool2d_forward(cpu_ctx *c, const eng_node *n) { over_planes(c, n, pool_fwd); }

void cpu_avg_pool2d_backward(cpu_ctx *c, const eng_node *n, unsigned mask)
{
    if (mask & 1u)
        over_planes(c, n, pool_bwd);
}

/* The index in its plane of the largest input cell of output (oy, ox)'s window: the first of
 * equal ones in row-major order, a NaN over any number (PyTorch's CPU kernel). */
static int window_max(const float *in, int h, int w, const eng_node *n, int oy, int ox)
{
    int y0, y1, x0, x1;
    window(oy, h, n, &y0, &y1);
    window(ox, w, n, &x0, &x1);
    int best = y0 * w + x0;
    for (int iy = y0; iy < y1; iy++)
        for (int ix = x0; ix < x1; ix++) {
            float v = in[iy * w + ix];
            if (v > in[best] || (isnan(v) && !isnan(in[best])))
                best = iy * w + ix;
        }
    return best;
}

/* forward: out = the window's largest cell; backward: that cell gets dy. */
static void max_planes(void *arg, size_t begin, size_t end, int backward)
{
    const pool_job *j = arg;
    for (size_t r = begin; r < end; r++) {
        plane p = plane_of(j, r, backward);
        for (int oy = 0; oy < p.ho; oy++)
            for (int ox = 0; ox < p.wo; ox++) {
                int k = window_max(p.in, p.h, p.w, j->n, oy, ox);
                if (backward)
                    p.dx[k] += p.dy[oy * p.wo + ox];
                else
                    p.out[oy * p.wo + ox] = p.in[k];
            }
    }
}
static void max_fwd(void *arg, size_t begin, size_t end) { max_planes(arg, begin, end, 0); }
static void max_bwd(void *arg, size_t begin, size_t end) { max_planes(arg, begin, end, 1); }

void cpu_max_pool2d_forward(cpu_ctx *c, const eng_node *n) { over_planes(c, n, max_fwd); }

void cpu_max_pool2d_backward(cpu_ctx *c, const eng_node *n, unsigned mask)
{
    if (mask & 1u)
        over_planes(c, n, max_bwd);
}
