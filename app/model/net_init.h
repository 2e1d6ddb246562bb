/* The initial weights of a network: the reference's init_weights(net, init_type, init_gain)
 * (models/networks.py), from a seeded generator. */
#ifndef APP_MODEL_NET_INIT_H
#define APP_MODEL_NET_INIT_H

#include <stdint.h>

#include "app/model/networks.h"

typedef enum {
    NET_INIT_NORMAL,     /* N(0, gain) */
    NET_INIT_XAVIER,     /* xavier_normal_: N(0, gain * sqrt(2 / (fan_in + fan_out))) */
    NET_INIT_KAIMING,    /* kaiming_normal_(a=0, mode='fan_in'): N(0, sqrt(2 / fan_in)), no gain */
    NET_INIT_ORTHOGONAL  /* orthogonal_: rows (or columns) of the flattened weight orthonormal,
                          * times gain */
} net_init_type;

/* The names of the types, in net_init_type's order, NULL-terminated. */
extern const char *const net_init_type_names[];
/* "normal" | "xavier" | "kaiming" | "orthogonal" into *type; -1 for another name. */
int net_init_type_parse(const char *name, net_init_type *type);
/* Writes initial values into a plan: conv weights as type says (fans as PyTorch counts them:
 * dimension 1 in, dimension 0 out, times the kernel's size), norm weights N(1, gain), zero
 * biases and means, unit variances. Returns 0 or an engine status (eng_last_error() says
 * why); out of memory ends the process (net_out_of_memory). */
int net_init_weights_as(const net *n, eng_plan *p, uint64_t seed, net_init_type type,
                        float gain);

#endif
