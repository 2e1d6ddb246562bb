/* Shapes a user can cause (a batch, an image, a model file's tensors) never abort a graph
 * under construction: the first refusal is kept, later builders return a placeholder, and the
 * graph's status, eng_plan_new and eng_plan_estimate report that first message. Element counts
 * beyond an int are counted, not wrapped. */
#include <limits.h>
#include <stdio.h>
#include <string.h>

#include "engine/engine.h"

static int failures;

static void expect(int ok, const char *what)
{
    if (!ok) {
        fprintf(stderr, "FAIL %s (last error: %s)\n", what, eng_last_error());
        failures++;
    }
}

/* Builds on after a refusal as the networks do, then checks that g reports want everywhere. */
static void expect_refused(eng_graph *g, eng_backend *be, const char *want, const char *what)
{
    eng_node *x = eng_input4(g, "later", 2, 3, 8, 8);
    eng_node *w = eng_param4(g, "later.w", 4, 5, 3, 3); /* 5 channels: would be refused too */
    eng_node *y = eng_conv2d(g, x, w, NULL, 1, 1);
    eng_node *loss = eng_sum(g, eng_relu(g, y));
    eng_backward(g, loss, &w, 1);
    eng_adam_step(g, eng_adam_new(g, &w, 1, 1e-3f, 0.5f, 0.999f, 1e-8f));
    char msg[512];
    expect(eng_graph_status(g) == ENG_EINVAL, what);
    snprintf(msg, sizeof msg, "%s", eng_last_error());
    printf("%s: %s\n", what, msg);
    expect(strstr(msg, want) != NULL, want);
    expect(eng_plan_new(g, be) == NULL && !strcmp(eng_last_error(), msg), "eng_plan_new refuses");
    size_t bytes;
    expect(eng_plan_estimate(g, be, &bytes, NULL) == ENG_EINVAL && !strcmp(eng_last_error(), msg),
           "eng_plan_estimate refuses");
    eng_graph_free(g);
}

int main(void)
{
    eng_backend *be = eng_cpu_backend_new(1);

    /* Batch norm over 2^20 images of 2048x2048: 2^42 values per channel, counted (an int
     * product of batch, height and width wrapped to 0 and aborted). Nothing is allocated. */
    eng_graph *g = eng_graph_new();
    eng_node *x = eng_input4(g, "x", 1 << 20, 1, 2048, 2048);
    eng_node *bn = eng_batch_norm2d(g, x, eng_param1(g, "w", 1), eng_param1(g, "b", 1),
                                    eng_state1(g, "mean", 1), eng_state1(g, "var", 1),
                                    eng_state1(g, "n", 1), 1, 0.1f, 1e-5f);
    expect(eng_graph_status(g) == ENG_OK && eng_node_numel(bn) == (size_t)1 << 42,
           "batch norm of 2^42 values per channel");
    eng_graph_free(g);

    /* More elements than can be counted. */
    g = eng_graph_new();
    eng_input4(g, "huge", INT_MAX, INT_MAX, INT_MAX, 2);
    expect_refused(g, be, "input 'huge': shape [2147483647,2147483647,2147483647,2] has more "
                   "than 2^48 elements", "too many elements");

    /* An output side beyond an int. */
    g = eng_graph_new();
    eng_node *tall = eng_input4(g, "tall", 1, 1, 1 << 30, 1);
    eng_conv_transpose2d(g, tall, eng_param4(g, "up", 1, 1, 4, 4), NULL, 4, 0, 0);
    expect_refused(g, be, "conv_transpose2d: the output height would be 4294967296",
                   "output side");

    /* Channels that do not match (a model file's weight), a name used twice. */
    g = eng_graph_new();
    eng_conv2d(g, eng_input4(g, "rgb", 1, 3, 8, 8), eng_param4(g, "gray", 4, 1, 3, 3), NULL, 1,
               1);
    expect_refused(g, be, "conv2d: weight expects 1 input channels, input has 3", "channels");
    g = eng_graph_new();
    eng_param1(g, "twice", 1);
    eng_param1(g, "twice", 2);
    expect_refused(g, be, "a tensor named 'twice' already exists", "name used twice");

    eng_backend_free(be);
    printf("graph errors: %s\n", failures ? "FAILED" : "ok");
    return failures != 0;
}
