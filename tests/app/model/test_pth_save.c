/* Networks written as .pth files (pth_save.h): a U-Net generator and a PatchGAN with random
 * weights (and the PatchGAN of --spectral-norm, its weight_orig, weight_u and weight_v) and a
 * num_batches_tracked of 42 read back by the .pth reader (libzip and the restricted
 * unpickler, another code path) with every value bit for bit, the counters as 0-d int64
 * tensors, each record's data 64-byte aligned as torch.save lays them out. The files (and the
 * same networks as safetensors) go to the folder given, where app_pth_torch_load reads them
 * with torch.load. */
#include <string.h>
#include <sys/stat.h>

#include "app/model/checkpoint.h"
#include "app/model/net_init.h"
#include "app/model/pth_save.h"
#include "app_test.h"
#include "engine/pth/pth.h"

static const gen_config gen = {.family = GEN_UNET, .depth = 5, .input_nc = 3, .output_nc = 3,
    .ngf = 4, .norm = NORM_BATCH, .use_dropout = 1};
static const disc_config disc = {DISC_NLAYERS, 3, 6, 4, NORM_BATCH, 1, 0};
static const disc_config disc_sn = {DISC_NLAYERS, 3, 6, 4, NORM_BATCH, 1, 1};

static void check_file(const net *n, eng_plan *p, const char *path)
{
    st_file *f = pth_open(path);
    CHECK(f != NULL, "%s", eng_last_error());
    if (!f)
        return;
    CHECK(st_count(f) == n->n, "%s: %d tensors, the network %d", path, st_count(f), n->n);
    int same = 0;
    for (int i = 0; i < n->n; i++) {
        const net_tensor *t = &n->t[i];
        const st_tensor *s = st_find(f, t->key);
        size_t count = eng_node_numel(t->node);
        CHECK(s && s->numel == count, "%s: %s missing or resized", path, t->key);
        if (!s || s->numel != count)
            continue;
        float *want = malloc(sizeof *want * count), *got = malloc(sizeof *got * count);
        eng_plan_read(p, t->node, want);
        if (t->is_counter) {
            CHECK(s->dtype == ST_I64 && s->ndim == 0 && *(const int64_t *)s->data == 42,
                  "%s: %s not the int64 scalar 42", path, t->key);
        } else {
            st_to_f32(s, got);
            CHECK(s->dtype == ST_F32 && !memcmp(want, got, sizeof *got * count) &&
                      s->ndim == eng_node_ndim(t->node),
                  "%s: %s differs", path, t->key);
        }
        same++;
        free(want);
        free(got);
    }
    printf("%s: %d tensors read back as written\n", path, same);
    st_close(f);
}

/* Every stored record's data starts at a multiple of 64 (local headers: name and extra). */
static void check_alignment(const char *path)
{
    size_t len;
    unsigned char *b = read_whole_file(path, &len);
    int records = 0, aligned = 0;
    for (size_t i = 0; b && i + 30 < len; i++)
        if (b[i] == 'P' && b[i + 1] == 'K' && b[i + 2] == 3 && b[i + 3] == 4) {
            long data = i + 30 + (b[i + 26] | b[i + 27] << 8) + (b[i + 28] | b[i + 29] << 8);
            records++;
            aligned += data % 64 == 0;
        }
    CHECK(records > 2 && aligned == records, "%s: %d of %d records aligned", path, aligned,
          records);
    free(b);
}

/* The generator, or with d the discriminator d. */
static void write_net(const char *dir, const char *name, const disc_config *d, eng_backend *be)
{
    eng_graph *g = eng_graph_new();
    net n;
    net_init_struct(&n, g, "N.", 1, 0, 0);
    eng_node *x = eng_input4(g, "x", 1, d ? 6 : 3, 32, 32);
    eng_forward(g, d ? net_discriminator(&n, d, x) : net_generator(&n, &gen, x));
    eng_plan *p = eng_plan_new(g, be);
    CHECK(net_init_weights_as(&n, p, 5, NET_INIT_NORMAL, 0.5f) == 0, "init");
    float count = 42;
    for (int i = 0; i < n.n; i++)
        if (n.t[i].is_counter)
            eng_plan_write(p, n.t[i].node, &count);
    char path[512], err[1024];
    snprintf(path, sizeof path, "%s/%s.pth", dir, name);
    CHECK(pth_save_net(&n, p, path, err, sizeof err) == 0, "%s", err);
    check_file(&n, p, path);
    check_alignment(path);
    snprintf(path, sizeof path, "%s/%s.safetensors", dir, name);
    CHECK(ckpt_save_net(&n, p, path, NULL, 0, err, sizeof err) == 0, "%s", err);
    eng_plan_free(p);
    net_release(&n);
    eng_graph_free(g);
}

int main(int argc, char **argv)
{
    const char *dir = argc > 1 ? argv[1] : "/tmp";
    mkdir(dir, 0755);
    eng_backend *be = eng_cpu_backend_new(1);
    write_net(dir, "net_G", NULL, be);
    write_net(dir, "net_D", &disc, be);
    write_net(dir, "net_D_sn", &disc_sn, be);
    eng_backend_free(be);
    return test_result("pth_save");
}
