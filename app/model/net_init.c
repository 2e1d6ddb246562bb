/* Initial weights (net_init.h). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "app/common/name_list.h"
#include "app/common/rng.h"
#include "app/model/net_init.h"

const char *const net_init_type_names[] = {"normal", "xavier", "kaiming", "orthogonal", NULL};

int net_init_type_parse(const char *name, net_init_type *type)
{
    int i = name_index(net_init_type_names, name);
    if (i >= 0)
        *type = (net_init_type)i;
    return i >= 0 ? 0 : -1;
}

/* The columns of the m x n matrix a (column-major, m >= n) made orthonormal in place by
 * modified Gram-Schmidt: the Q of a = QR with R's diagonal positive, which is what
 * torch.nn.init.orthogonal_ keeps (q * sign(diag(r))). */
static void orthonormalize(double *a, size_t m, size_t n)
{
    for (size_t j = 0; j < n; j++) {
        double *col = a + j * m;
        for (size_t i = 0; i < j; i++) {
            const double *q = a + i * m;
            double dot = 0;
            for (size_t k = 0; k < m; k++)
                dot += q[k] * col[k];
            for (size_t k = 0; k < m; k++)
                col[k] -= dot * q[k];
        }
        double norm = 0;
        for (size_t k = 0; k < m; k++)
            norm += col[k] * col[k];
        norm = sqrt(norm);
        for (size_t k = 0; k < m; k++)
            col[k] = norm > 0 ? col[k] / norm : 0;
    }
}

/* v (rows x cols, row-major) as gain times a matrix of orthonormal rows (rows <= cols) or
 * columns, from normal draws. */
static void fill_orthogonal(float *v, size_t rows, size_t cols, float gain, rng *r)
{
    int wide = rows < cols;
    size_t m = wide ? cols : rows, n = wide ? rows : cols;
    double *a = malloc(sizeof *a * m * n);
    if (!a)
        net_out_of_memory();
    /* A wide matrix's rows are the tall one's columns as they lie; a tall one is transposed. */
    for (size_t i = 0; i < rows; i++)
        for (size_t j = 0; j < cols; j++)
            a[wide ? i * cols + j : j * rows + i] = rng_normal(r);
    orthonormalize(a, m, n);
    for (size_t i = 0; i < rows; i++)
        for (size_t j = 0; j < cols; j++)
            v[i * cols + j] = gain * (float)a[wide ? i * cols + j : j * rows + i];
    free(a);
}

/* A conv weight (dims 0 and 1 the channels, then the kernel) as type says. */
static void fill_weight(float *v, const eng_node *node, net_init_type type, float gain, rng *r)
{
    const int *shape = eng_node_shape(node);
    size_t count = eng_node_numel(node), rows = (size_t)shape[0];
    size_t in = eng_node_ndim(node) > 1 ? (size_t)shape[1] : 1, receptive = count / (rows * in);
    double fan_in = (double)(in * receptive), fan_out = (double)(rows * receptive);
    if (type == NET_INIT_ORTHOGONAL) {
        fill_orthogonal(v, rows, count / rows, gain, r);
        return;
    }
    double std = type == NET_INIT_XAVIER   ? gain * sqrt(2.0 / (fan_in + fan_out))
                 : type == NET_INIT_KAIMING ? sqrt(2.0 / fan_in)
                                            : gain;
    for (size_t j = 0; j < count; j++)
        v[j] = (float)std * rng_normal(r);
}

/* Normal draws over their length (at least 1e-12), as torch.nn.utils.spectral_norm draws u
 * and v. */
static void fill_unit(float *v, size_t count, rng *r)
{
    double sq = 0.0;
    for (size_t j = 0; j < count; j++) {
        v[j] = rng_normal(r);
        sq += (double)v[j] * v[j];
    }
    double norm = sqrt(sq) > 1e-12 ? sqrt(sq) : 1e-12;
    for (size_t j = 0; j < count; j++)
        v[j] = (float)(v[j] / norm);
}

int net_init_weights_as(const net *n, eng_plan *p, uint64_t seed, net_init_type type,
                        float gain)
{
    rng r;
    rng_seed(&r, seed);
    for (int i = 0; i < n->n; i++) {
        const net_tensor *t = &n->t[i];
        size_t count = eng_node_numel(t->node);
        float *v = malloc(sizeof *v * count);
        if (!v)
            net_out_of_memory();
        if (t->init == INIT_NORMAL)
            fill_weight(v, t->node, type, gain, &r);
        else if (t->init == INIT_UNIT)
            fill_unit(v, count, &r);
        for (size_t j = 0; j < count && t->init != INIT_NORMAL && t->init != INIT_UNIT; j++) {
            switch (t->init) {
            case INIT_NORM_WEIGHT: v[j] = 1.0f + gain * rng_normal(&r); break;
            case INIT_ZERO: v[j] = 0.0f; break;
            case INIT_ONE: v[j] = 1.0f; break;
            case INIT_NORMAL: case INIT_UNIT: break;
            }
        }
        int rc = eng_plan_write(p, t->node, v);
        free(v);
        if (rc)
            return rc;
    }
    return 0;
}
