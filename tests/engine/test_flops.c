/* eng_graph_flops, the one FLOP count of bench and the CPU profile, on a small schedule whose
 * figures are worked out by hand. */
#include <stdio.h>

#include "engine/engine.h"

static int failures;

static void expect(const char *what, double got, double want)
{
    if (got != want) {
        fprintf(stderr, "FAIL %s: %.17g FLOPs, expected %.17g\n", what, got, want);
        failures++;
    }
}

int main(void)
{
    eng_graph *g = eng_graph_new();
    /* conv 3x3, 2 -> 3 channels on 5x5: 3*2*3*3 = 54 weights at 25 output pixels. */
    eng_node *x = eng_input4(g, "x", 1, 2, 5, 5);
    eng_node *w = eng_param4(g, "w", 3, 2, 3, 3);
    eng_node *y = eng_conv2d(g, x, w, eng_param1(g, "b", 3), 1, 1);
    /* transposed conv 4x4 stride 2, 3 -> 2 channels: 3*2*4*4 = 96 weights at 25 input pixels. */
    eng_node *w2 = eng_param4(g, "w2", 3, 2, 4, 4);
    eng_node *z = eng_conv_transpose2d(g, eng_relu(g, y), w2, NULL, 2, 1, 0);
    eng_node *loss = eng_sum(g, eng_tanh(g, z));
    expect("nothing scheduled", eng_graph_flops(g), 0.0);

    const double conv = 2.0 * 54 * 25, conv_t = 2.0 * 96 * 25;
    eng_forward(g, loss);
    expect("forward", eng_graph_flops(g), conv + conv_t);

    /* Backward: the transposed conv gives its input's and its weight's gradients (two
     * products), the conv only its weight's (x is an input), the bias's costs no product. */
    eng_node *params[] = {w, w2};
    eng_backward(g, loss, params, 2);
    expect("forward + backward", eng_graph_flops(g), 2.0 * conv + 3.0 * conv_t);

    eng_adam_step(g, eng_adam_new(g, params, 2, 1e-3f, 0.5f, 0.999f, 1e-8f));
    expect("with an Adam step", eng_graph_flops(g), 2.0 * conv + 3.0 * conv_t);
    eng_graph_free(g);
    if (!failures)
        printf("flops: ok\n");
    return failures != 0;
}
