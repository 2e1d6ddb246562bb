/* pix2pixHD's multi-scale discriminator: the pair and its successive 2x downsamplings, each
 * judged by a critic of its own (networks.h). */
#include <stdio.h>

#include "app/model/networks.h"

int net_critics(const disc_config *c)
{
    return c->num_d > 1 ? c->num_d : 1;
}

void net_critics_note(const disc_config *c, char *buf, size_t len)
{
    if (net_critics(c) > 1)
        snprintf(buf, len, " (%d critics)", net_critics(c));
    else if (len)
        buf[0] = '\0';
}

void net_critic_inputs(eng_graph *g, const disc_config *c, eng_node *x, eng_node **levels)
{
    levels[0] = x;
    for (int i = 1; i < net_critics(c); i++) /* pix2pixHD's self.downsample */
        levels[i] = eng_avg_pool2d(g, levels[i - 1], 3, 2, 1);
}

eng_node *net_discriminator(net *n, const disc_config *c, eng_node *x)
{
    eng_node *levels[NET_MAX_CRITICS];
    net_critic_inputs(n->g, c, x, levels);
    eng_node *first = net_critic(n, c, 0, x, NULL);
    for (int i = 1; i < net_critics(c); i++)
        net_critic(n, c, i, levels[i], NULL);
    return first;
}
