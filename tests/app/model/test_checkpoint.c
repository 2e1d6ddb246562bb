/* Checkpoints: a network saved and loaded again keeps every value (num_batches_tracked as an
 * int64 scalar), metadata survives, the architecture is read back from the metadata, and
 * wrong files are refused with the file and the reason. */
#include <string.h>
#include <unistd.h>

#include "app/model/checkpoint.h"
#include "app_test.h"

static const gen_config cfg = {.family = GEN_UNET, .depth = 5, .input_nc = 3, .output_nc = 2,
    .ngf = 4, .norm = NORM_BATCH, .use_dropout = 1};

static eng_plan *build(eng_graph *g, net *n, eng_backend *be)
{
    net_init_struct(n, g, "G.", 1, 1, 0);
    eng_node *x = eng_input4(g, "x", 1, 3, 32, 32);
    eng_forward(g, net_generator(n, &cfg, x));
    return eng_plan_new(g, be);
}

int main(void)
{
    char path[] = "/tmp/p2p_ckpt_XXXXXX", file[64], err[512];
    temp_dir(path);
    snprintf(file, sizeof file, "%s/net.safetensors", path);
    eng_backend *be = eng_cpu_backend_new(1);
    eng_graph *g1 = eng_graph_new(), *g2 = eng_graph_new();
    net n1, n2;
    eng_plan *p1 = build(g1, &n1, be), *p2 = build(g2, &n2, be);
    CHECK(net_init_weights(&n1, p1, 7) == 0, "init");
    /* A counter value to survive the round trip. */
    const net_tensor *counter = net_find_key(&n1, "model.model.1.model.2.num_batches_tracked");
    CHECK(counter && counter->is_counter, "counter tensor");
    float count = 42;
    eng_plan_write(p1, counter->node, &count);
    const ckpt_meta meta[] = {{"netG", "unet_5"}, {"input_nc", "3"}, {"output_nc", "2"},
                              {"ngf", "4"}, {"norm", "batch"}, {"use_dropout", "1"},
                              {"options", "{\"lr\":0.0002}"}};
    CHECK(ckpt_save_net(&n1, p1, file, meta, 7, err, sizeof err) == 0, "%s", err);

    st_file *f = st_open(file);
    CHECK(f != NULL, "%s", eng_last_error());
    if (f) {
        const st_tensor *t = st_find(f, "model.model.1.model.2.num_batches_tracked");
        CHECK(t && t->dtype == ST_I64 && t->ndim == 0 && *(const int64_t *)t->data == 42,
              "num_batches_tracked stored as an int64 scalar");
        CHECK(st_find(f, "G.model.model.0.weight") == NULL, "graph prefix not in the keys");
        gen_config back;
        CHECK(ckpt_gen_config(f, &back, err, sizeof err) == 0, "%s", err);
        CHECK(!memcmp(&back, &cfg, sizeof cfg), "architecture from metadata");
        CHECK(!strcmp(st_meta(f, "options"), "{\"lr\":0.0002}"), "options metadata");
        CHECK(ckpt_load_net(&n2, p2, f, file, err, sizeof err) == 0, "%s", err);
        for (int i = 0; i < n1.n; i++) {
            size_t k = eng_node_numel(n1.t[i].node);
            float *a = malloc(k * sizeof *a), *b = malloc(k * sizeof *b);
            eng_plan_read(p1, n1.t[i].node, a);
            eng_plan_read(p2, n2.t[i].node, b);
            CHECK(!memcmp(a, b, k * sizeof *a), "%s differs after reload", n1.t[i].key);
            free(a);
            free(b);
        }
        st_close(f);
    }

    /* A discriminator file for a generator: refused, naming the file and the tensor. */
    st_file *d = fixture_open("train_d0.safetensors");
    err[0] = '\0';
    CHECK(ckpt_load_net(&n2, p2, d, "d.safetensors", err, sizeof err) != 0, "D loaded as G");
    CHECK(strstr(err, "d.safetensors") && strstr(err, "missing tensor"), "message: %s", err);
    gen_config gc;
    CHECK(ckpt_gen_config(d, &gc, err, sizeof err) != 0 && strstr(err, "discriminator"),
          "message: %s", err);
    disc_config dc;
    CHECK(ckpt_disc_config(d, &dc, err, sizeof err) == 0 && dc.family == DISC_NLAYERS &&
              dc.n_layers == 3 && dc.ndf == 4 && dc.input_nc == 6 && dc.norm == NORM_BATCH,
          "discriminator inferred from keys");
    st_close(d);

    eng_plan_free(p1);
    eng_plan_free(p2);
    net_release(&n1);
    net_release(&n2);
    eng_graph_free(g1);
    eng_graph_free(g2);
    eng_backend_free(be);
    unlink(file);
    rmdir(path);
    return test_result("checkpoint");
}
