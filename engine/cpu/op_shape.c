/* Shape ops: concatenation along channels, reflection padding, nearest upsampling. */
#include <string.h>

#include "engine/cpu/cpu_internal.h"

typedef struct {
    cpu_ctx *c;
    const eng_node *n;
    unsigned mask;
    int backward; /* else forward */
} shape_job;

/* Runs fn over the output's planes (batch x channels), in parallel. */
static void for_each_plane(cpu_ctx *c, const eng_node *n, unsigned mask, int backward,
                           void (*fn)(void *arg, size_t begin, size_t end))
{
    shape_job j = {c, n, mask, backward};
    cpu_parallel_for(c->pool, (size_t)n->shape[0] * n->shape[1], fn, &j);
}

/* ---- concat: out[n] = [a[n]; b[n]], one task per output plane ----------------------------- */
static void concat_planes(void *arg, size_t begin, size_t end)
{
    const shape_job *j = arg;
    int backward = j->backward;
    const eng_node *n = j->n, *a = n->src[0], *b = n->src[1];
    size_t plane = (size_t)n->shape[2] * n->shape[3];
    size_t ca = (size_t)a->shape[1], cb = (size_t)b->shape[1], co = ca + cb;
    for (size_t r = begin; r < end; r++) {
        size_t batch = r / co, ch = r % co;
        const eng_node *s = ch < ca ? a : b;
        size_t offset = ch < ca ? (batch * ca + ch) * plane : (batch * cb + ch - ca) * plane;
        if (!backward) {
            memcpy(j->c->data[n->id] + r * plane, j->c->data[s->id] + offset, plane * sizeof(float));
        } else if (j->mask & (ch < ca ? 1u : 2u)) {
            const float *gy = j->c->grad[n->id] + r * plane;
            float *gx = j->c->grad[s->id] + offset;
            for (size_t i = 0; i < plane; i++)
                gx[i] += gy[i];
        }
    }
}

void cpu_concat_forward(cpu_ctx *c, const eng_node *n)
{
    for_each_plane(c, n, 0, 0, concat_planes);
}

/* concat(x, x) sends two gradients to one buffer from different planes: done serially then. */
void cpu_concat_backward(cpu_ctx *c, const eng_node *n, unsigned mask)
{
    if (n->src[0] == n->src[1]) {
        shape_job j = {c, n, mask, 1};
        concat_planes(&j, 0, (size_t)n->shape[0] * n->shape[1]);
    } else {
        for_each_plane(c, n, mask, 1, concat_planes);
    }
}

/* ---- reflection_pad2d: PyTorch ReflectionPad2d(pad), pad < H and pad < W ----------------- */
static int reflect(int i, int n)
{
    if (i < 0)
        return -i;
    if (i >= n)
        return 2 * (n - 1) - i;
    return i;
}

static void pad_planes(void *arg, size_t begin, size_t end)
{
    const shape_job *j = arg;
    int backward = j->backward;
    const eng_node *n = j->n, *x = n->src[0];
    int h = x->shape[2], w = x->shape[3], ho = n->shape[2], wo = n->shape[3];
    int pad = n->arg.pad.pad;
    for (size_t r = begin; r < end; r++) {
        size_t in_off = r * h * w, out_off = r * ho * wo;
        for (int oy = 0; oy < ho; oy++) {
            int iy = reflect(oy - pad, h);
            for (int ox = 0; ox < wo; ox++) {
                size_t in = in_off + (size_t)iy * w + reflect(ox - pad, w);
                size_t out = out_off + (size_t)oy * wo + ox;
                if (backward)
                    j->c->grad[x->id][in] += j->c->grad[n->id][out];
                else
                    j->c->data[n->id][out] = j->c->data[x->id][in];
            }
        }
    }
}

void cpu_reflection_pad2d_forward(cpu_ctx *c, const eng_node *n)
{
    for_each_plane(c, n, 0, 0, pad_planes);
}

void cpu_reflection_pad2d_backward(cpu_ctx *c, const eng_node *n, unsigned mask)
{
    if (mask & 1u)
        for_each_plane(c, n, mask, 1, pad_planes);
}

/* ---- upsample_nearest2d: out[y, x] = in[y / s, x / s]; the gradient sums each s x s block --- */
static void upsample_planes(void *arg, size_t begin, size_t end)
{
    const shape_job *j = arg;
    int backward = j->backward;
    const eng_node *n = j->n, *x = n->src[0];
    int h = x->shape[2], w = x->shape[3], s = n->arg.upsample.scale, wo = n->shape[3];
    for (size_t r = begin; r < end; r++) {
        size_t plane = (size_t)h * w, up = plane * s * s;
        const float *in = backward ? NULL : j->c->data[x->id] + r * plane;
        float *out = backward ? NULL : j->c->data[n->id] + r * up;
        const float *gy = backward ? j->c->grad[n->id] + r * up : NULL;
        float *gx = backward ? j->c->grad[x->id] + r * plane : NULL;
        for (int oy = 0; oy < h * s; oy++)
            for (int ox = 0; ox < wo; ox++) {
                size_t i = (size_t)(oy / s) * w + ox / s, o = (size_t)oy * wo + ox;
                if (backward)
                    gx[i] += gy[o];
                else
                    out[o] = in[i];
            }
    }
}

void cpu_upsample_nearest2d_forward(cpu_ctx *c, const eng_node *n)
{
    for_each_plane(c, n, 0, 0, upsample_planes);
}

void cpu_upsample_nearest2d_backward(cpu_ctx *c, const eng_node *n, unsigned mask)
{
    if (mask & 1u)
        for_each_plane(c, n, mask, 1, upsample_planes);
}
