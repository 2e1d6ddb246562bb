/* spectral_norm (torch.nn.utils.spectral_norm, dim 0, one power iteration, training mode):
 * the weight as a rows x cols matrix W. aux: u [rows], v [cols], sigma, W v [rows] (and a
 * last float, the Vulkan backward's dot product, unused here). The
 * vectors are short (a critic's channels, in channels times the kernel): one thread, in a
 * fixed order, so that every run and every rank gives the same u and v bit for bit. */
#include <math.h>

#include "engine/cpu/cpu_internal.h"

typedef struct {
    size_t rows, cols;
    float *u, *v, *sigma, *wv; /* in aux */
} spectral_aux;

static spectral_aux aux_of(const cpu_ctx *c, const eng_node *n)
{
    spectral_aux a;
    a.rows = (size_t)n->shape[0];
    a.cols = n->numel / a.rows;
    a.u = c->aux[n->id];
    a.v = a.u + a.rows;
    a.sigma = a.v + a.cols;
    a.wv = a.sigma + 1;
    return a;
}

/* x /= max(|x|, eps), as torch.nn.functional.normalize */
static void normalize(float *x, size_t len, float eps)
{
    double sq = 0.0;
    for (size_t i = 0; i < len; i++)
        sq += (double)x[i] * x[i];
    float norm = (float)sqrt(sq), denom = norm > eps ? norm : eps;
    for (size_t i = 0; i < len; i++)
        x[i] /= denom;
}

void cpu_spectral_norm_forward(cpu_ctx *c, const eng_node *n)
{
    spectral_aux a = aux_of(c, n);
    const float *w = c->data[n->src[0]->id];
    float *u = c->data[n->src[1]->id], *v = c->data[n->src[2]->id], *out = c->data[n->id];
    float eps = n->arg.spectral.eps;
    for (size_t j = 0; j < a.cols; j++) /* v = normalize(W^T u) */
        a.v[j] = 0.0f;
    for (size_t i = 0; i < a.rows; i++)
        for (size_t j = 0; j < a.cols; j++)
            a.v[j] += w[i * a.cols + j] * u[i];
    normalize(a.v, a.cols, eps);
    for (size_t i = 0; i < a.rows; i++) { /* u = normalize(W v) */
        double s = 0.0;
        for (size_t j = 0; j < a.cols; j++)
            s += (double)w[i * a.cols + j] * a.v[j];
        a.wv[i] = (float)s;
        a.u[i] = (float)s;
    }
    normalize(a.u, a.rows, eps);
    double sigma = 0.0; /* u^T (W v) */
    for (size_t i = 0; i < a.rows; i++)
        sigma += (double)a.u[i] * a.wv[i];
    *a.sigma = (float)sigma;
    for (size_t k = 0; k < n->numel; k++)
        out[k] = w[k] / *a.sigma;
    for (size_t i = 0; i < a.rows; i++)
        u[i] = a.u[i];
    for (size_t j = 0; j < a.cols; j++)
        v[j] = a.v[j];
}

/* d weight += dy / sigma - (sum dy * weight) / sigma^2 * u v^T */
void cpu_spectral_norm_backward(cpu_ctx *c, const eng_node *n, unsigned mask)
{
    if (!(mask & 1u))
        return;
    spectral_aux a = aux_of(c, n);
    const float *w = c->data[n->src[0]->id], *dy = c->grad[n->id];
    float *dw = c->grad[n->src[0]->id];
    double dot = 0.0;
    for (size_t k = 0; k < n->numel; k++)
        dot += (double)dy[k] * w[k];
    float sigma = *a.sigma, coef = (float)(dot / ((double)sigma * sigma));
    for (size_t i = 0; i < a.rows; i++)
        for (size_t j = 0; j < a.cols; j++) {
            size_t k = i * a.cols + j;
            dw[k] += dy[k] / sigma - coef * a.u[i] * a.v[j];
        }
}
