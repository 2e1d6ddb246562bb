#include "app/train/train_ema.h"

#include <stdlib.h>
#include <string.h>

int train_ema_view(trainer *t)
{
    net *e = &t->G_ema;
    *e = t->G; /* the same graph, prefix and buffers; its own copy of the tensor list */
    e->sites = NULL;
    e->nsites = e->cap_sites = 0;
    e->t = malloc(sizeof *e->t * (size_t)(t->G.n ? t->G.n : 1));
    if (!e->t) {
        e->n = e->cap = 0;
        return -1;
    }
    memcpy(e->t, t->G.t, sizeof *e->t * (size_t)t->G.n);
    e->cap = t->G.n;
    for (int i = 0, k = 0; i < e->n; i++)
        if (e->t[i].trainable) /* the optimizer's params are G's trainable tensors, in order */
            e->t[i].node = eng_adam_average(t->opt_g, k++);
    return 0;
}

int train_ema_reset(trainer *t)
{
    size_t most = 1;
    for (int i = 0; i < t->G.n; i++)
        if (eng_node_numel(t->G.t[i].node) > most)
            most = eng_node_numel(t->G.t[i].node);
    float *buf = t->G_ema.n ? malloc(most * sizeof *buf) : NULL;
    int rc = t->G_ema.n && !buf ? -1 : 0;
    for (int i = 0; i < t->G_ema.n && !rc; i++)
        if (t->G.t[i].trainable)
            rc = eng_plan_read(t->plan, t->G.t[i].node, buf) ||
                 eng_plan_write(t->plan, t->G_ema.t[i].node, buf);
    free(buf);
    return rc ? -1 : 0;
}
