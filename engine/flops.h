/* The work of the recorded schedule in floating-point operations, one count for everyone who
 * reports it (pix2pix bench through eng_graph_flops, the CPU profile per command). */
#ifndef ENGINE_FLOPS_H
#define ENGINE_FLOPS_H

#include "engine/graph.h"

/* The FLOPs of one product of node n: its forward, or one of its gradients (0 for the ops
 * whose work is not counted). */
double eng_product_flops(const eng_node *n);
/* The FLOPs of one command: its products' multiply-adds times two (see eng_graph_flops). */
double eng_cmd_flops(const eng_cmd *c);

#endif
