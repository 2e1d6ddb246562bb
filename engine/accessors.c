/* What the engine's users may read of its opaque nodes and optimizers (engine.h). */
#include "engine/engine.h"
#include "engine/graph.h"

const char *eng_node_name(const eng_node *n)
{
    return n->name;
}

int eng_node_ndim(const eng_node *n)
{
    return n->ndim;
}

const int *eng_node_shape(const eng_node *n)
{
    return n->shape;
}

size_t eng_node_numel(const eng_node *n)
{
    return n->numel;
}

int eng_adam_nparams(const eng_adam *opt)
{
    return opt->nparams;
}

eng_node *eng_adam_param(const eng_adam *opt, int i)
{
    return opt->params[i];
}

eng_node *eng_adam_exp_avg(const eng_adam *opt, int i)
{
    return opt->exp_avg[i];
}

eng_node *eng_adam_exp_avg_sq(const eng_adam *opt, int i)
{
    return opt->exp_avg_sq[i];
}

eng_node *eng_adam_average(const eng_adam *opt, int i)
{
    return opt->average ? opt->average[i] : NULL;
}
