/* The networks' tensors match the reference state_dicts key for key (names, order, shapes)
 * and in parameter count, for full-size configurations; keys.txt is written by
 * tools/gen_parity.py from the reference modules, global_keys.txt by tools/gen_global_g.py
 * from pix2pixHD's GlobalGenerator and LocalEnhancer. */
#include <string.h>

#include "app/model/networks.h"
#include "app_test.h"

typedef struct {
    const char *name;
    int is_gen;
    gen_config gen;
    disc_config disc;
} net_case;

/* A generator of family f, depth d, norm nl, n_down down, 3 channels in and out, 64 filters. */
#define GEN(f, d, nl, dropout, down)                                                            \
    {.family = f, .depth = d, .input_nc = 3, .output_nc = 3, .ngf = 64, .norm = nl,            \
     .use_dropout = dropout, .n_down = down}

static const net_case cases[] = {
    {"unet_256_batch", 1, GEN(GEN_UNET, 8, NORM_BATCH, 1, 0), {0}},
    {"unet_128_instance", 1, GEN(GEN_UNET, 7, NORM_INSTANCE, 1, 0), {0}},
    {"resnet_9blocks_batch", 1, GEN(GEN_RESNET, 9, NORM_BATCH, 1, 2), {0}},
    {"resnet_6blocks_instance", 1, GEN(GEN_RESNET, 6, NORM_INSTANCE, 0, 2), {0}},
    {"global_instance", 1, GEN(GEN_GLOBAL, 9, NORM_INSTANCE, 0, 4), {0}},
    {"global_batch_3down_6blocks", 1, GEN(GEN_GLOBAL, 6, NORM_BATCH, 0, 3), {0}},
    {"local_instance", 1,
     {.family = GEN_LOCAL, .depth = 9, .input_nc = 3, .output_nc = 3, .ngf = 32,
      .norm = NORM_INSTANCE, .n_down = 4, .n_local = 1, .local_blocks = 3}, {0}},
    {"local2_batch", 1,
     {.family = GEN_LOCAL, .depth = 2, .input_nc = 3, .output_nc = 3, .ngf = 16,
      .norm = NORM_BATCH, .n_down = 3, .n_local = 2, .local_blocks = 1}, {0}},
    {"basic_batch", 0, {0}, {DISC_NLAYERS, 3, 6, 64, NORM_BATCH, 1, 0}},
    {"n_layers5_instance", 0, {0}, {DISC_NLAYERS, 5, 6, 64, NORM_INSTANCE, 1, 0}},
    {"pixel_batch", 0, {0}, {DISC_PIXEL, 0, 6, 64, NORM_BATCH, 1, 0}},
    {"basic_batch_sn", 0, {0}, {DISC_NLAYERS, 3, 6, 64, NORM_BATCH, 1, 1}},
    {"basic_batch_sn", 0, {0}, {DISC_NLAYERS, 3, 6, 64, NORM_BATCH, 1, 1}},
};

static void shape_text(const eng_node *n, int is_counter, char *buf, size_t len)
{
    buf[0] = '\0';
    if (is_counter) /* a 0-dim tensor in PyTorch */
        return;
    const int *shape = eng_node_shape(n);
    for (int d = 0; d < eng_node_ndim(n); d++)
        snprintf(buf + strlen(buf), len - strlen(buf), "%s%d", d ? "," : "", shape[d]);
}

/* Builds the case and compares it with its section of keys.txt (positioned after the
 * "net" line). */
static void check_case(const net_case *c, FILE *f, int ntensors, long long nparams)
{
    eng_graph *g = eng_graph_new();
    net n;
    net_init_struct(&n, g, "", 1, 1, 0);
    int size = 256;
    eng_node *x = eng_input4(g, "x", 1, c->is_gen ? c->gen.input_nc : c->disc.input_nc, size,
                             size);
    eng_node *y = c->is_gen ? net_generator(&n, &c->gen, x) : net_discriminator(&n, &c->disc, x);
    CHECK(n.n == ntensors, "%s: %d tensors, reference %d", c->name, n.n, ntensors);
    CHECK(net_param_count(&n) == nparams, "%s: %lld parameters, reference %lld", c->name,
          net_param_count(&n), nparams);
    const int *ys = eng_node_shape(y);
    if (c->is_gen)
        CHECK(ys[1] == c->gen.output_nc && ys[2] == size && ys[3] == size,
              "%s: output shape", c->name);
    char line[512];
    for (int i = 0; i < ntensors && fgets(line, sizeof line, f); i++) {
        line[strcspn(line, "\n")] = '\0';
        char *space = strchr(line, ' ');
        if (!space || i >= n.n)
            continue;
        *space = '\0';
        char shape[64];
        shape_text(n.t[i].node, n.t[i].is_counter, shape, sizeof shape);
        CHECK(!strcmp(n.t[i].key, line), "%s: tensor %d is %s, reference %s", c->name, i,
              n.t[i].key, line);
        CHECK(!strcmp(shape, space + 1), "%s: %s has shape [%s], reference [%s]", c->name, line,
              shape, space + 1);
    }
    net_release(&n);
    eng_graph_free(g);
}

/* Checks the cases found in one keys file; the number of cases checked. */
static int check_file(const char *path)
{
    FILE *f = fopen(path, "r");
    if (!f) {
        fprintf(stderr, "cannot open %s\n", path);
        exit(1);
    }
    char line[512], name[128];
    int ntensors, checked = 0;
    long long nparams;
    while (fgets(line, sizeof line, f)) {
        if (sscanf(line, "net %127s %d %lld", name, &ntensors, &nparams) != 3)
            continue;
        /* Figures of the reference documentation, independent of the fixture. */
        if (!strcmp(name, "unet_256_batch"))
            CHECK(ntensors == 82 && nparams == 54413955, "fixture disagrees with the reference");
        if (!strcmp(name, "basic_batch"))
            CHECK(ntensors == 22 && nparams == 2768705, "fixture disagrees with the reference");
        for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
            if (!strcmp(cases[i].name, name)) {
                check_case(&cases[i], f, ntensors, nparams);
                checked++;
            }
    }
    fclose(f);
    return checked;
}

int main(void)
{
    int checked = check_file(FIXTURE_DIR "/keys.txt") + check_file(FIXTURE_DIR "/global_keys.txt");
    CHECK(checked == (int)(sizeof cases / sizeof cases[0]), "%d of the cases found", checked);

    gen_config gc;
    CHECK(!gen_name_parse("unet_256", &gc) && gc.family == GEN_UNET && gc.depth == 8, "unet_256");
    CHECK(!gen_name_parse("unet_128", &gc) && gc.depth == 7, "unet_128");
    CHECK(!gen_name_parse("resnet_9blocks", &gc) && gc.family == GEN_RESNET && gc.depth == 9,
          "resnet_9blocks");
    CHECK(!gen_name_parse("global", &gc) && gc.family == GEN_GLOBAL && gc.depth == 9 &&
              gc.n_down == 4,
          "global: pix2pixHD's defaults");
    CHECK(!gen_name_parse("local", &gc) && gc.family == GEN_LOCAL && gc.depth == 9 &&
              gc.n_down == 4 && gc.n_local == 1 && gc.local_blocks == 3,
          "local: pix2pixHD's defaults");
    CHECK(gen_name_parse("unet_64x", &gc) != 0 && gen_name_parse("vgg", &gc) != 0, "bad names");
    return test_result("networks");
}
