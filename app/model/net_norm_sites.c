/* Normalisation layers whose statistics are measured, and optionally given, from outside the
 * run (net.stats; see net_norm_site in networks.h). */
#include <stdio.h>
#include <stdlib.h>

#include "app/model/networks.h"
#include "base/grow.h"

#define NORM_EPS 1e-5f

static net_norm_site *new_site(net *n)
{
    if (!(n->sites = grow_for_one(n->sites, &n->cap_sites, n->nsites, sizeof *n->sites, 16)))
        net_out_of_memory();
    net_norm_site *s = &n->sites[n->nsites++];
    *s = (net_norm_site){0};
    return s;
}

/* A state named "<prefix>site<i>.<what>" of c floats (not a checkpoint tensor). */
static eng_node *site_state(net *n, const char *what, int c)
{
    char name[ENG_NAME_MAX];
    snprintf(name, sizeof name, "%ssite%d.%s", n->prefix, n->nsites - 1, what);
    return eng_state1(n->g, name, c);
}

eng_node *net_norm_site_layer(net *n, eng_node *x, net_norm norm, eng_node *w, eng_node *b,
                              eng_node *mean, eng_node *var, eng_node *count)
{
    eng_graph *g = n->g;
    const int *xs = eng_node_shape(x); /* [N, C, H, W] */
    int c = xs[1];
    net_norm_site *s = new_site(n);
    s->channels = c;
    s->count = (double)xs[0] * xs[2] * xs[3];
    s->seen_mean = site_state(n, "seen_mean", c);
    s->seen_var = site_state(n, "seen_var", c);
    /* Momentum 1: the running statistics become the batch's. Scheduled now, while x is live. */
    eng_node *probe = eng_batch_norm2d(g, x, NULL, NULL, s->seen_mean, s->seen_var,
                                       site_state(n, "seen_count", 1), 1, 1.0f, NORM_EPS);
    eng_forward(g, eng_sum(g, probe));
    if (n->stats == NET_STATS_MEASURE)
        return norm == NORM_INSTANCE ? eng_instance_norm2d(g, x, NULL, NULL, NORM_EPS)
                                     : eng_batch_norm2d(g, x, w, b, mean, var, count,
                                                        n->training, 0.1f, NORM_EPS);
    s->mean = site_state(n, "mean", c);
    s->var = site_state(n, "var", c);
    return eng_batch_norm2d(g, x, w, b, s->mean, s->var, count ? count : site_state(n, "count", 1),
                            0, 0.1f, NORM_EPS);
}
