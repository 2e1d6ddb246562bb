#include "app/train/gan_loss.h"

#include <string.h>

int gan_mode_parse(const char *name, gan_mode *m)
{
    static const char *const names[] = {"vanilla", "lsgan", "hinge"};
    for (int i = 0; i < 3; i++)
        if (!strcmp(name, names[i])) {
            *m = (gan_mode)i;
            return 0;
        }
    return -1;
}

static eng_node *mean(eng_graph *g, eng_node *x)
{
    return eng_scale(g, eng_sum(g, x), 1.0f / (float)eng_node_numel(x));
}

/* mean(relu(1 + sign * pred)) */
static eng_node *hinge(eng_graph *g, eng_node *pred, float sign)
{
    eng_node *one = eng_const(g, eng_node_ndim(pred), eng_node_shape(pred), 1.0f);
    return mean(g, eng_relu(g, eng_add(g, one, eng_scale(g, pred, sign))));
}

eng_node *gan_loss_critic(eng_graph *g, gan_mode m, eng_node *pred, int real)
{
    if (m == GAN_HINGE)
        return hinge(g, pred, real ? -1.0f : 1.0f);
    eng_node *t = eng_const(g, eng_node_ndim(pred), eng_node_shape(pred), real ? 1.0f : 0.0f);
    return m == GAN_LSGAN ? eng_mse_loss(g, pred, t) : eng_bce_with_logits_loss(g, pred, t);
}

eng_node *gan_loss_generator(eng_graph *g, gan_mode m, eng_node *pred)
{
    if (m == GAN_HINGE)
        return eng_scale(g, mean(g, pred), -1.0f);
    return gan_loss_critic(g, m, pred, 1);
}
