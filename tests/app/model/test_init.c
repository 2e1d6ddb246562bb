/* Initial weights by --init-type and --init-gain (the reference's init_weights): on a U-Net
 * (convs and transposed convs, batch norm), each conv weight's spread is the type's (normal:
 * gain; xavier: gain * sqrt(2 / (fan_in + fan_out)); kaiming: sqrt(2 / fan_in), whatever the
 * gain; fans as PyTorch counts them, dimension 1 in), an orthogonal weight W of R rows and C
 * columns has W W^T = gain^2 I (R <= C) or W^T W = gain^2 I, norm weights are N(1, gain) and
 * biases 0. */
#include <string.h>

#include "app/model/net_init.h"
#include "app_test.h"

static const gen_config cfg = {.family = GEN_UNET, .depth = 5, .input_nc = 3, .output_nc = 3,
    .ngf = 16, .norm = NORM_BATCH, .use_dropout = 0};
static const float gain = 0.5f;

/* The largest |(W W^T or W^T W) - gain^2 I|, W rows x cols. */
static double orthogonality_error(const float *w, int rows, int cols)
{
    int small = rows < cols ? rows : cols;
    double worst = 0;
    for (int i = 0; i < small; i++)
        for (int j = 0; j < small; j++) {
            double dot = 0;
            for (int k = 0; k < (rows < cols ? cols : rows); k++)
                dot += rows <= cols ? (double)w[i * cols + k] * w[j * cols + k]
                                    : (double)w[k * cols + i] * w[k * cols + j];
            double e = fabs(dot - (i == j ? gain * gain : 0.0));
            worst = e > worst ? e : worst;
        }
    return worst;
}

static void moments(const float *v, size_t n, double *mean, double *std)
{
    double s = 0, s2 = 0;
    for (size_t i = 0; i < n; i++) {
        s += v[i];
        s2 += (double)v[i] * v[i];
    }
    *mean = s / (double)n;
    *std = sqrt(s2 / (double)n - *mean * *mean);
}

/* The spread a conv weight of this shape gets from type. */
static double expected_std(net_init_type type, const int *shape)
{
    double receptive = (double)shape[2] * shape[3];
    double fan_in = shape[1] * receptive, fan_out = shape[0] * receptive;
    return type == NET_INIT_XAVIER   ? gain * sqrt(2.0 / (fan_in + fan_out))
           : type == NET_INIT_KAIMING ? sqrt(2.0 / fan_in)
                                      : gain;
}

static void check_type(const char *name, eng_backend *be)
{
    net_init_type type;
    CHECK(net_init_type_parse(name, &type) == 0, "%s", name);
    eng_graph *g = eng_graph_new();
    net n;
    net_init_struct(&n, g, "G.", 1, 0, 0);
    eng_forward(g, net_generator(&n, &cfg, eng_input4(g, "x", 1, 3, 32, 32)));
    eng_plan *p = eng_plan_new(g, be);
    CHECK(net_init_weights_as(&n, p, 11, type, gain) == 0, "%s: init", name);
    double worst_ratio = 1, worst_orth = 0;
    for (int i = 0; i < n.n; i++) {
        const net_tensor *t = &n.t[i];
        size_t count = eng_node_numel(t->node);
        const int *shape = eng_node_shape(t->node);
        float *v = malloc(sizeof *v * count);
        eng_plan_read(p, t->node, v);
        double mean, std;
        moments(v, count, &mean, &std);
        if (t->init == INIT_NORMAL && type == NET_INIT_ORTHOGONAL) {
            double e = orthogonality_error(v, shape[0], (int)(count / (size_t)shape[0]));
            worst_orth = e > worst_orth ? e : worst_orth;
        } else if (t->init == INIT_NORMAL && count >= 1000) { /* a spread worth measuring */
            double ratio = std / expected_std(type, shape);
            if (fabs(ratio - 1) > fabs(worst_ratio - 1))
                worst_ratio = ratio;
            CHECK(fabs(ratio - 1) < 0.1 && fabs(mean) < 0.1 * std, "%s: %s: mean %g std %g, "
                  "want 0 and %g", name, t->key, mean, std, expected_std(type, shape));
        } else if (t->init == INIT_NORM_WEIGHT) {
            CHECK(fabs(mean - 1) < 3 * gain / sqrt((double)count) + 1e-6 && std < 2 * gain,
                  "%s: %s: norm weights mean %g std %g", name, t->key, mean, std);
        } else if (t->init == INIT_ZERO && t->trainable) {
            CHECK(mean == 0 && std == 0, "%s: %s: bias not zero", name, t->key);
        }
        free(v);
    }
    if (type == NET_INIT_ORTHOGONAL) {
        printf("orthogonal, gain %g: largest |W W^T - gain^2 I| %.2g\n", (double)gain, worst_orth);
        CHECK(worst_orth < 1e-5, "orthogonal: %g", worst_orth);
    } else {
        printf("%s, gain %g: spread of the conv weights within %.1f%% of the expected\n", name,
               (double)gain, 100 * fabs(worst_ratio - 1));
    }
    eng_plan_free(p);
    net_release(&n);
    eng_graph_free(g);
}

int main(void)
{
    eng_backend *be = eng_cpu_backend_new(1);
    const char *types[] = {"normal", "xavier", "kaiming", "orthogonal"};
    for (int i = 0; i < 4; i++)
        check_type(types[i], be);
    CHECK(net_init_type_parse("uniform", &(net_init_type){0}) == -1, "uniform accepted");
    eng_backend_free(be);
    return test_result("init");
}
