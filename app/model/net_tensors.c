/* A network's tensor registry: each tensor created on its first application under its
 * state_dict key and found again on the next ones; the parameter list; running out of
 * memory while building (which ends the program, as the engine's graph building does). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app/model/networks.h"
#include "base/grow.h"

void net_init_struct(net *n, eng_graph *g, const char *prefix, int training, int dropout,
                     uint32_t dropout_seed)
{
    memset(n, 0, sizeof *n);
    n->g = g;
    snprintf(n->prefix, sizeof n->prefix, "%s", prefix);
    n->training = training;
    n->dropout = dropout;
    n->dropout_seed = dropout_seed;
}

void net_release(net *n)
{
    free(n->t);
    free(n->sites);
    n->t = NULL;
    n->sites = NULL;
    n->n = n->cap = n->nsites = n->cap_sites = 0;
}

const net_tensor *net_find_key(const net *n, const char *key)
{
    for (int i = 0; i < n->n; i++)
        if (!strcmp(n->t[i].key, key))
            return &n->t[i];
    return NULL;
}

long long net_param_count(const net *n)
{
    long long total = 0;
    for (int i = 0; i < n->n; i++)
        if (n->t[i].trainable)
            total += (long long)eng_node_numel(n->t[i].node);
    return total;
}

_Noreturn void net_out_of_memory(void)
{
    fprintf(stderr, "pix2pix: out of memory\n");
    exit(1);
}

/* A network file that applies a tensor with two shapes is wrong: a programming error. */
static _Noreturn void net_bad_reuse(const net *n, const char *key)
{
    fprintf(stderr, "pix2pix: network %s: tensor %s reused with another shape\n", n->prefix, key);
    abort();
}

eng_node **net_params(const net *n, int *count)
{
    eng_node **out = malloc(sizeof *out * (size_t)(n->n ? n->n : 1));
    if (!out)
        net_out_of_memory();
    int k = 0;
    for (int i = 0; i < n->n; i++)
        if (n->t[i].trainable)
            out[k++] = n->t[i].node;
    *count = k;
    return out;
}

eng_node *net_tensor_get(net *n, const char *key, int ndim, const int *shape, int trainable,
                         net_init init)
{
    const net_tensor *found = net_find_key(n, key);
    if (found) {
        /* A later application of the same network: same tensor, same shape. */
        for (int d = 0; d < ndim; d++)
            if (eng_node_ndim(found->node) != ndim ||
                eng_node_shape(found->node)[d] != shape[d])
                net_bad_reuse(n, key);
        return found->node;
    }
    if (!(n->t = grow_for_one(n->t, &n->cap, n->n, sizeof *n->t, 64)))
        net_out_of_memory();
    net_tensor *t = &n->t[n->n++];
    memset(t, 0, sizeof *t);
    snprintf(t->key, sizeof t->key, "%s", key);
    char name[ENG_NAME_MAX + 16];
    snprintf(name, sizeof name, "%s%s", n->prefix, key);
    t->node = trainable ? eng_param(n->g, name, ndim, shape) : eng_state(n->g, name, ndim, shape);
    t->trainable = trainable;
    t->is_counter = !trainable && strstr(key, "num_batches_tracked") != NULL;
    t->init = init;
    return t->node;
}
