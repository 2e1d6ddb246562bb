/* pix2pixHD's GlobalGenerator (--netG global) and LocalEnhancer (--netG local) saved by PyTorch
 * as pix2pixHD saves latest_net_G.pth (fixtures from tools/gen_global_g.py): the .pth is
 * recognised from its keys (a global generator of 3 downsamplings under instance norm, one of 2
 * under batch norm with the conv biases pix2pixHD keeps, a local enhancer on a global generator
 * of 2), gives PyTorch's eval output, translates global_in.png through pix2pix translate within
 * one level of 255 of PyTorch, and gives PyTorch's loss and gradient of every parameter for the
 * loss sum(G(x) * r) in train mode (batch statistics under batch norm). With --fp16 (a Vulkan
 * device's half-precision storage) the eval output within one level of 255 and translate within
 * 1.5 levels, no gradients.
 * Usage: test_app_global_parity [DEVICE [--fp16]] (default cpu; exit 77 when DEVICE is
 * unavailable). */
#include <string.h>

#include "app/cli/commands.h"
#include "app/model/checkpoint.h"
#include "app/model/generator.h"
#include "app/model/model_file.h"
#include "app_test.h"
#include "datasets/image.h"
#include "engine/device.h"

#define SIDE 24
#define NUMEL (3 * SIDE * SIDE)

static const char *device = "cpu";
static int fp16;

typedef struct {
    const char *name; /* fixture prefix: NAME_g.pth, and NAME... in global_out */
    gen_family family;
    int ngf, n_down, blocks, n_local, local_blocks;
    net_norm norm;
} model_case;

static const model_case cases[] = {{"global3", GEN_GLOBAL, 1, 3, 1, 0, 0, NORM_INSTANCE},
                                   {"global2b", GEN_GLOBAL, 2, 2, 2, 0, 0, NORM_BATCH},
                                   {"local1", GEN_LOCAL, 1, 2, 1, 1, 1, NORM_INSTANCE}};

static void model_path(const model_case *m, char *path, size_t len)
{
    snprintf(path, len, "%s/%s_g.pth", FIXTURE_DIR, m->name);
}

static void check_config(const model_case *m)
{
    char path[1024], err[512];
    model_path(m, path, sizeof path);
    st_file *f = model_file_open(path);
    CHECK(f != NULL, "%s", eng_last_error());
    if (!f)
        return;
    gen_config c;
    CHECK(ckpt_gen_config(f, &c, err, sizeof err) == 0, "%s", err);
    CHECK(c.family == m->family && c.n_down == m->n_down && c.depth == m->blocks &&
              c.n_local == m->n_local && c.local_blocks == m->local_blocks && c.ngf == m->ngf &&
              c.norm == m->norm && !c.use_dropout && c.input_nc == 3 && c.output_nc == 3 &&
              c.upsample == GEN_UP_TRANSPOSED,
          "%s inferred as family %d, %d downsamplings, %d blocks, %d enhancers of %d blocks, "
          "ngf %d, norm %d", m->name, c.family, c.n_down, c.depth, c.n_local, c.local_blocks,
          c.ngf, c.norm);
    st_close(f);
}

static void check_eval(const model_case *m, const float *x, const float *want)
{
    char path[1024], err[512];
    model_path(m, path, sizeof path);
    eng_backend *be = eng_backend_open(device, 2);
    generator r;
    if (!be)
        snprintf(err, sizeof err, "%s", eng_last_error());
    if (!be || generator_open(&r, path, be, 1, 0, err, sizeof err)) {
        CHECK(0, "%s", err);
        eng_backend_free(be);
        return;
    }
    r.fp16 = fp16;
    float y[NUMEL];
    CHECK(generator_run(&r, x, SIDE, SIDE, y, err, sizeof err) == 0, "%s", err);
    double diff = max_abs_diff(y, want, NUMEL);
    printf("%s eval on %s%s: max |ours - PyTorch| = %.3g\n", m->name, device,
           fp16 ? " (fp16)" : "", diff);
    /* fp16: one level of 255 (2/255 of [-1, 1]) */
    CHECK(diff <= (fp16 ? 2.0 / 255 : 1e-4), "%s differs from PyTorch by %g", m->name, diff);
    generator_close(&r);
    eng_backend_free(be);
}

/* pix2pix translate --full-res on the PNG: PyTorch's output within one level of 255. */
static void check_translate(const model_case *m, const char *tmp, const float *want)
{
    char path[1024], dir[1024], out[1100], err[512];
    model_path(m, path, sizeof path);
    snprintf(dir, sizeof dir, "%s/%s", tmp, m->name);
    snprintf(out, sizeof out, "%s/global_in.png", dir);
    char *args[] = {"translate", "--model", path, "--input", FIXTURE_DIR "/global_in.png",
                    "--output", dir, "--eval", "--full-res", "--device", (char *)device,
                    "--threads", "2", "--precision", fp16 ? "fp16" : "fp32", NULL};
    CHECK(run_captured(cmd_translate, args) == 0, "translate %s: %s", m->name, out_text);
    image img = {0};
    CHECK(image_load(out, 0, &img, err, sizeof err) == 0, "%s: %s", out, err);
    if (!img.pixels)
        return;
    CHECK(img.width == SIDE && img.height == SIDE && img.channels == 3, "%s: %dx%dx%d",
          m->name, img.width, img.height, img.channels);
    double worst = 0;
    for (int c = 0; c < 3; c++)
        for (int i = 0; i < SIDE * SIDE && img.width == SIDE && img.height == SIDE; i++) {
            double expect = (want[c * SIDE * SIDE + i] + 1.0) * 127.5;
            double d = fabs(img.pixels[i * img.channels + c] - expect);
            worst = d > worst ? d : worst;
        }
    printf("%s: translate on %s vs PyTorch: max difference %.3f of 255\n", m->name, device,
           worst);
    CHECK(worst <= (fp16 ? 1.5 : 1.0), "%s: max difference %.3f levels", m->name, worst);
    image_free(&img);
}

/* Largest |ours - PyTorch| of every gradient over what is allowed: 1e-3 of the gradient's
 * largest value, plus 1e-5 of the network's largest (the biases in front of a norm layer have
 * a gradient of exactly zero, of which both hold rounding noise). */
static double compare_grads(const model_case *m, const net *n, eng_plan *p, const st_file *ref)
{
    double network = 0, worst = 0;
    for (int pass = 0; pass < 2; pass++)
        for (int i = 0; i < n->n; i++) {
            const net_tensor *t = &n->t[i];
            if (!t->trainable)
                continue;
            char key[ENG_NAME_MAX + 32];
            snprintf(key, sizeof key, "%s_grad.%s", m->name, t->key);
            size_t count = eng_node_numel(t->node);
            float *want = fixture_tensor(ref, key, count), *ours = malloc(sizeof *ours * count);
            double scale = 0;
            for (size_t j = 0; j < count; j++)
                scale = fmax(scale, fabs(want[j]));
            network = fmax(network, scale);
            if (pass) {
                CHECK(eng_plan_read_grad(p, t->node, ours) == 0, "%s: not readable", key);
                double allowed = 1e-3 * scale + 1e-5 * network;
                double d = max_abs_diff(ours, want, count);
                CHECK(d <= allowed, "%s differs from PyTorch by %.3g (allowed %.3g)", key, d,
                      allowed);
                worst = fmax(worst, d / allowed);
            }
            free(want);
            free(ours);
        }
    return worst;
}

/* Train mode: loss = sum(G(x) * r) and its gradients, against PyTorch's. */
static void check_backward(const model_case *m, const float *x, const float *r,
                           const st_file *ref)
{
    char path[1024], err[512];
    model_path(m, path, sizeof path);
    st_file *f = model_file_open(path);
    gen_config c;
    eng_backend *be = f ? eng_backend_open(device, 2) : NULL;
    if (!f || !be)
        snprintf(err, sizeof err, "%s", eng_last_error());
    if (!f || !be || ckpt_gen_config(f, &c, err, sizeof err)) {
        CHECK(0, "%s", err);
        st_close(f);
        eng_backend_free(be);
        return;
    }
    eng_graph *g = eng_graph_new();
    net n;
    net_init_struct(&n, g, "", 1, 0, 0);
    eng_node *in = eng_input4(g, "x", 1, 3, SIDE, SIDE);
    eng_node *weights = eng_input4(g, "r", 1, 3, SIDE, SIDE);
    eng_node *loss = eng_sum(g, eng_mul(g, net_generator(&n, &c, in), weights));
    int nparams;
    eng_node **params = net_params(&n, &nparams);
    eng_keep_grads(g);
    eng_backward(g, loss, params, nparams);
    eng_plan *p = eng_plan_new(g, be);
    CHECK(p != NULL, "plan: %s", eng_last_error());
    if (p && !ckpt_load_net(&n, p, f, path, err, sizeof err)) {
        eng_plan_write(p, in, x);
        eng_plan_write(p, weights, r);
        CHECK(eng_plan_run(p) == 0, "run: %s", eng_last_error());
        float ours;
        eng_plan_read(p, loss, &ours);
        char key[64];
        snprintf(key, sizeof key, "%s_loss", m->name);
        float *want = fixture_tensor(ref, key, 1);
        double worst = compare_grads(m, &n, p, ref);
        printf("%s train-mode backward on %s: loss %.6g (PyTorch %.6g), gradients: worst "
               "difference %.3g of the allowed\n", m->name, device, ours, want[0], worst);
        CHECK(fabs(ours - want[0]) <= 1e-4 * fmax(1, fabs(want[0])), "%s loss %g, PyTorch %g",
              m->name, ours, want[0]);
        free(want);
    } else if (p) {
        CHECK(0, "%s", err);
    }
    eng_plan_free(p);
    free(params);
    net_release(&n);
    eng_graph_free(g);
    eng_backend_free(be);
    st_close(f);
}

int main(int argc, char **argv)
{
    if (argc > 1)
        device = device_or_skip(argv[1]);
    fp16 = argc > 2 && !strcmp(argv[2], "--fp16");
    char tmp[] = "/tmp/p2p_global_XXXXXX";
    if (!mkdtemp(tmp))
        return 1;
    st_file *ref = fixture_open("global_out.safetensors");
    float *x = fixture_tensor(ref, "input", NUMEL), *r = fixture_tensor(ref, "r", NUMEL);
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const model_case *m = &cases[i];
        float *want = fixture_tensor(ref, m->name, NUMEL);
        check_config(m);
        check_eval(m, x, want);
        check_translate(m, tmp, want);
        if (!fp16)
            check_backward(m, x, r, ref);
        free(want);
    }
    free(x);
    free(r);
    st_close(ref);
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmp);
    CHECK(system(cmd) == 0, "cleanup");
    printf("global generator parity: %s\n", test_failures ? "FAILED" : "ok");
    return test_failures != 0;
}
